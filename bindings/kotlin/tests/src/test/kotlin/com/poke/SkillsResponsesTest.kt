package com.poke

import com.poke.testing.Emulator
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * Skills (E16–E18) and stateless responses (E19–E21) through the facade, beyond the shared
 * scenarios: every bad input typed with nothing sent or nothing changed on the server, typed
 * responses and events, cold streams, cancel and resume, and the tool loop's errors.
 */
class SkillsResponsesTest {
    private lateinit var emulator: Emulator

    @BeforeEach
    fun start() {
        emulator = Emulator()
        emulator.setTurnPace(Duration.ZERO)
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun pokee(key: String = "pk_kotlin") =
        PokeeClient(apiKey = key, baseUrl = emulator.pokeeApiUrl, streams = StreamOptions(resumeDelay = 50.milliseconds))

    private fun apiRequests() = emulator.requests().filter { it.path.startsWith("/v1/") }

    private fun skillMd(text: String = "x") = zipOf("SKILL.md" to text.toByteArray())

    @Test
    fun localSkillRefusalsSendNothing(): Unit = runBlocking {
        pokee().use { c ->
            val bare = skillDir("README.md" to "x")
            val noSkillMd = thrownBy<IllegalArgumentException> { c.skills.install("s", bare) }
            assertTrue(noSkillMd.message!!.startsWith("invalid source"), noSkillMd.message)
            assertTrue(noSkillMd.message!!.contains("SKILL.md"), noSkillMd.message)
            val linked = skillDir("SKILL.md" to "x")
            Files.createSymbolicLink(linked.resolve("passwd"), Path.of("/etc/passwd"))
            val symlink = thrownBy<IllegalArgumentException> { c.skills.install("s", linked) }
            assertTrue(symlink.message!!.contains("symbolic link"), symlink.message)
            for (bad in listOf("", "Bad", "custom-x", "-x", "a".repeat(65))) {
                val install = thrownBy<IllegalArgumentException> { c.skills.install(bad, skillMd()) }
                assertTrue(install.message!!.startsWith("invalid name"), install.message)
                val delete = thrownBy<IllegalArgumentException> { c.skills.delete(bad) }
                assertTrue(delete.message!!.startsWith("invalid name"), delete.message)
            }
            val missing = thrownBy<PokeFileException> { c.skills.install("s", Path.of("/nonexistent/skill")) }
            assertEquals(Path.of("/nonexistent/skill"), missing.path)
            assertTrue(apiRequests().isEmpty())
        }
    }

    @Test
    fun serverSkillRefusalsAreTypedAndChangeNothing(): Unit = runBlocking {
        pokee().use { c ->
            val kept = c.skills.install("keep", zipOf("SKILL.md" to "# ok".toByteArray(), "a.txt" to "a".toByteArray()))
            assertEquals(InstalledSkill("keep", listOf("SKILL.md", "a.txt"), 5, 4), kept)
            val listed = c.skills.list().single()
            assertEquals("keep", listed.name)
            assertEquals(4, listed.skillMdSize)
            assertNotNull(listed.modified)
            val before = emulator.skills()
            val cases = listOf(
                "not a zip".toByteArray() to ApiErrorKind.BAD_REQUEST,
                zipOf("SKILL.md" to "x".toByteArray(), "../escape" to "x".toByteArray()) to ApiErrorKind.BAD_REQUEST,
                zipOf("notes.md" to "x".toByteArray()) to ApiErrorKind.BAD_REQUEST,
                zipOf("SKILL.md" to "x".toByteArray(), "big.bin" to ByteArray(26_000_000)) to ApiErrorKind.PAYLOAD_TOO_LARGE,
            )
            for ((bundle, kind) in cases) {
                val e = thrownBy<PokeApiException> { c.skills.install("keep", bundle) }
                assertEquals(kind, e.kind)
                assertEquals(before, emulator.skills())
            }
            assertEquals(ApiErrorKind.NOT_FOUND, thrownBy<PokeApiException> { c.skills.delete("unknown") }.kind)
        }
    }

    @Test
    fun aProgressListenerThatThrowsStopsTheInstallWithItsThrowable(): Unit = runBlocking {
        pokee().use { c ->
            val boom = IllegalStateException("stop here")
            val dir = skillDir("SKILL.md" to "# big", "data.bin" to "y".repeat(1_000_000))
            val thrown = thrownBy<IllegalStateException> { c.skills.install("big", dir) { _, _ -> throw boom } }
            assertSame(boom, thrown)
        }
    }

    @Test
    fun wholeResponsesAreTyped(): Unit = runBlocking {
        pokee().use { c ->
            val r = c.responses.create(ResponseParams(input = "Hello there", model = "pokee-isaac"))
            assertTrue(r.id.startsWith("resp_"))
            assertEquals("completed", r.status)
            assertEquals("Echo: Hello there", r.outputText)
            val item = r.output.single()
            assertEquals("message", item.kind)
            assertEquals("assistant", item.role)
            assertEquals("Echo: Hello there", item.text)
            assertEquals(JsonPrimitive("message"), item.json["type"])
            assertEquals(JsonPrimitive(r.id), r.json["id"])
            assertNotNull(r.createdAt)
            val usage = r.usage!!
            assertEquals(usage.inputTokens + usage.outputTokens, usage.totalTokens)
            val failed = c.responses.create(ResponseParams(input = "x error=overheated"))
            assertEquals("failed", failed.status)
            assertEquals("overheated", failed.errorMessage)
        }
    }

    @Test
    fun aStreamIsColdAndReplaysWithoutPostingTwice(): Unit = runBlocking {
        pokee().use { c ->
            val stream = c.responses.stream(ResponseParams(input = "one two"), idempotencyKey = "kotlin-key-1")
            assertEquals("kotlin-key-1", stream.idempotencyKey)
            assertNull(stream.responseId)
            assertTrue(apiRequests().isEmpty(), "nothing is sent before collection")
            val events = stream.events.toList()
            assertEquals(ResponseEventKind.CREATED, events.first().kind)
            assertEquals(ResponseEventKind.COMPLETED, events.last().kind)
            assertEquals(events.indices.map { it.toLong() }, events.map { it.sequenceNumber })
            assertEquals(listOf(true), events.filter { it.isTerminal }.map { it == events.last() })
            assertEquals("Echo: one two", events.mapNotNull { it.delta }.joinToString(""))
            assertEquals("Echo: one two", events.last().response!!.outputText)
            assertEquals(JsonPrimitive(events.last().type), (events.last().data as kotlinx.serialization.json.JsonObject)["type"])
            assertTrue(stream.responseId!!.startsWith("resp_"))
            val posts = { apiRequests().filter { it.path == "/v1/responses" && it.method == "POST" } }
            assertEquals("kotlin-key-1", posts().single().header("idempotency-key"))

            // A second collection reads the same response again: no second POST.
            assertEquals(events, stream.events.toList())
            assertEquals(1, posts().size)

            // The same key with another request is refused when collected.
            val reused = c.responses.stream(ResponseParams(input = "other"), idempotencyKey = "kotlin-key-1")
            assertEquals(ApiErrorKind.UNPROCESSABLE_ENTITY, thrownBy<PokeApiException> { reused.events.toList() }.kind)
        }
    }

    @Test
    fun aStoppedCollectionResumesWhereItStopped(): Unit = runBlocking {
        pokee().use { c ->
            val stream = c.responses.stream(ResponseParams(input = "count events=12"))
            val head = stream.events.take(4).toList()
            assertEquals(listOf(0L, 1L, 2L, 3L), head.map { it.sequenceNumber })
            assertEquals("3", stream.lastEventId)
            val rest = c.responses.resume(stream.responseId!!, stream.lastEventId).events.toList()
            assertEquals((4L until 12L).toList(), rest.map { it.sequenceNumber })
            val resume = apiRequests().last { it.path.endsWith("/events") }
            assertEquals("3", resume.header("last-event-id"))
            val all = head + rest
            assertEquals(all.last().response!!.outputText, all.mapNotNull { it.delta }.joinToString(""))
        }
    }

    @Test
    fun cancelUnknownAndForeignIds(): Unit = runBlocking {
        pokee().use { c ->
            val stream = c.responses.stream(ResponseParams(input = "slow sleep_ms=10000"))
            thrownBy<IllegalStateException> { stream.cancel() }
            assertEquals(ResponseEventKind.CREATED, stream.events.first().kind)
            val rid = stream.responseId!!
            pokee("pk_someone_else").use { other ->
                val foreign = other.responses.resume(rid)
                assertEquals(ApiErrorKind.NOT_FOUND, thrownBy<PokeApiException> { foreign.events.toList() }.kind)
                assertEquals(ApiErrorKind.NOT_FOUND, thrownBy<PokeApiException> { other.responses.cancel(rid) }.kind)
            }
            assertEquals("cancelling", stream.cancel().status)
            val after = c.responses.resume(rid, stream.lastEventId).events.toList()
            assertEquals(ResponseEventKind.CANCELLED, after.last().kind)
            assertEquals("already_complete", c.responses.cancel(rid).status)
            assertEquals(
                ApiErrorKind.NOT_FOUND,
                thrownBy<PokeApiException> { c.responses.cancel("resp_000000000000000000000000") }.kind,
            )
            val traversal = thrownBy<IllegalArgumentException> { c.responses.resume("..").events.toList() }
            assertTrue(traversal.message!!.startsWith("invalid response_id"), traversal.message)
        }
    }

    @Test
    fun badRequestsAreRefusedTyped(): Unit = runBlocking {
        pokee().use { c ->
            fun invalid(field: String, block: suspend () -> Unit) {
                val e = thrownBy<IllegalArgumentException> { runBlocking { block() } }
                assertTrue(e.message!!.contains(field), e.message)
            }
            val many = (0 until 129).map { FunctionTool(name = "t$it") }
            invalid("tools") { c.responses.create(ResponseParams(input = "x", tools = many)) }
            invalid("tools") {
                c.responses.stream(ResponseParams(input = "x", tools = listOf(FunctionTool(name = "n".repeat(65))))).events.toList()
            }
            invalid("tools") {
                c.responses.create(ResponseParams(input = "x", tools = listOf(FunctionTool(name = "t", description = "d".repeat(16 * 1024 + 1)))))
            }
            invalid("input") { c.responses.create(ResponseParams()) }
            invalid("maxRounds") { c.responses.runTools(ResponseParams(input = "x"), maxRounds = -1) { "" } }
            assertTrue(apiRequests().isEmpty())
            for (params in listOf(
                ResponseParams(inputItems = JsonArray(listOf(JsonPrimitive(3)))),
                ResponseParams(input = "x", model = "no-such-model"),
                ResponseParams(input = "x", reasoningEffort = "extreme"),
            )) {
                assertEquals(ApiErrorKind.BAD_REQUEST, thrownBy<PokeApiException> { c.responses.create(params) }.kind)
            }
        }
    }

    @Test
    fun theToolLoopKeepsTheHandlersErrorAndBoundsRounds(): Unit = runBlocking {
        pokee().use { c ->
            val tool = FunctionTool(name = "get_weather", parameters = buildJsonObject { put("type", "object") })
            val params = ResponseParams(input = "weather? tool=get_weather", tools = listOf(tool))
            val offline = IllegalStateException("sensor offline")
            assertSame(offline, thrownBy<IllegalStateException> { c.responses.runTools(params) { throw offline } })
            repeat(3) {
                emulator.scriptResponse(
                    kotlinx.serialization.json.Json.parseToJsonElement(
                        """{"output":[{"type":"function_call","name":"get_weather","arguments":{}}]}""",
                    ) as kotlinx.serialization.json.JsonObject,
                )
            }
            val calls = CopyOnWriteArrayList<ToolCall>()
            val rounds = thrownBy<PokeToolRoundsException> {
                c.responses.runTools(params, maxRounds = 2) { call ->
                    calls += call
                    "again"
                }
            }
            assertEquals(2, rounds.rounds)
            assertEquals(2, calls.size)
            assertEquals(buildJsonObject { }, calls.first().arguments)
        }
    }

    @Test
    fun javaCallersBlockOnTheSameCalls() {
        pokee().use { c ->
            assertEquals(listOf("SKILL.md"), c.skills.installBlocking("java", skillMd()).files)
            assertEquals(listOf("java"), c.skills.listBlocking().map { it.name })
            c.skills.deleteBlocking("java")
            val kinds = CopyOnWriteArrayList<ResponseEventKind>()
            c.responses.stream(ResponseParams(input = "hi")).collectBlocking { kinds += it.kind }
            assertEquals(ResponseEventKind.CREATED, kinds.first())
            assertEquals(ResponseEventKind.COMPLETED, kinds.last())
            assertEquals("Echo: hi", c.responses.createBlocking(ResponseParams(input = "hi")).outputText)
            val run = c.responses.runToolsBlocking(
                ResponseParams(input = "weather? tool=get_weather", tools = listOf(FunctionTool("get_weather"))),
                null,
            ) { "rain" }
            assertTrue(run.response.outputText.contains("rain"), run.response.outputText)
        }
    }
}
