package com.poke

import com.poke.testing.Emulator
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.ZipEntry
import java.util.zip.ZipOutputStream

/** Builds a zip in memory from name → content. */
fun zipOf(vararg entries: Pair<String, ByteArray>): ByteArray {
    val out = ByteArrayOutputStream()
    ZipOutputStream(out).use { zip ->
        for ((name, data) in entries) {
            zip.putNextEntry(ZipEntry(name))
            zip.write(data)
            zip.closeEntry()
        }
    }
    return out.toByteArray()
}

/** A fresh directory holding name → content (parents made). */
fun skillDir(vararg files: Pair<String, String>): Path {
    val dir = Files.createTempDirectory("poke-kotlin-skill")
    for ((name, text) in files) {
        val path = dir.resolve(name)
        Files.createDirectories(path.parent)
        Files.writeString(path, text)
    }
    return dir
}

/**
 * Skills (E16–E18) and stateless responses (E19–E21) beyond the shared scenarios: every bad
 * input typed, nothing sent or nothing changed on the server.
 */
class SkillsResponsesTest {
    private lateinit var emulator: Emulator

    @BeforeEach
    fun start() {
        emulator = Emulator()
        emulator.setTurnPaceMs(0uL)
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun pokee(key: String = "pk_kotlin") = PokeeClient.create(
        PokeeClientOptions(apiKey = key, baseUrl = emulator.pokeeApiUrl(), resume = ResumeOptions(initialDelaySecs = 0.05)),
    )

    private inline fun <reified T : PokeException> failing(crossinline block: suspend () -> Unit): T =
        assertThrows<T> { runBlocking { block() } }

    private fun apiRequests() = emulator.requests().filter { it.path.startsWith("/v1/") }

    @Test
    fun localSkillRefusalsSendNothing() = runBlocking {
        pokee().use { c ->
            val bare = skillDir("README.md" to "x")
            val noSkillMd = failing<PokeException.InvalidInput> { c.installSkill("s", bare.toString()) }
            assertEquals("source", noSkillMd.field)
            assertTrue(noSkillMd.msg.contains("SKILL.md"), noSkillMd.msg)
            val linked = skillDir("SKILL.md" to "x")
            Files.createSymbolicLink(linked.resolve("passwd"), Path.of("/etc/passwd"))
            val symlink = failing<PokeException.InvalidInput> { c.installSkill("s", linked.toString()) }
            assertTrue(symlink.msg.contains("symbolic link"), symlink.msg)
            for (bad in listOf("", "Bad", "custom-x", "-x", "a".repeat(65))) {
                assertEquals("name", failing<PokeException.InvalidInput> { c.installSkillBytes(bad, zipOf("SKILL.md" to "x".toByteArray())) }.field)
                assertEquals("name", failing<PokeException.InvalidInput> { c.deleteSkill(bad) }.field)
            }
            failing<PokeException.File> { c.installSkill("s", "/nonexistent/skill") }
            assertTrue(apiRequests().isEmpty())
        }
    }

    @Test
    fun serverSkillRefusalsAreTypedAndChangeNothing() = runBlocking {
        pokee().use { c ->
            c.installSkillBytes("keep", zipOf("SKILL.md" to "# ok".toByteArray(), "a.txt" to "a".toByteArray()))
            val before = emulator.skillsJson()
            val cases = listOf(
                "not a zip".toByteArray() to ApiErrorKind.BAD_REQUEST,
                zipOf("SKILL.md" to "x".toByteArray(), "../escape" to "x".toByteArray()) to ApiErrorKind.BAD_REQUEST,
                zipOf("notes.md" to "x".toByteArray()) to ApiErrorKind.BAD_REQUEST,
                zipOf("SKILL.md" to "x".toByteArray(), "big.bin" to ByteArray(26_000_000)) to ApiErrorKind.PAYLOAD_TOO_LARGE,
            )
            for ((bundle, kind) in cases) {
                val e = failing<PokeException.Api> { c.installSkillBytes("keep", bundle) }
                assertEquals(kind, e.kind)
                assertEquals(before, emulator.skillsJson())
            }
            assertEquals(ApiErrorKind.NOT_FOUND, failing<PokeException.Api> { c.deleteSkill("unknown") }.kind)
        }
    }

    @Test
    fun wholeAndStreamedResponsesAreTyped() = runBlocking {
        pokee().use { c ->
            val r = c.createResponse(CreateResponseParams(input = "Hello there", model = "pokee-isaac"))
            assertTrue(r.id.startsWith("resp_"))
            assertEquals("completed", r.status)
            assertEquals("Echo: Hello there", r.outputText)
            assertEquals("message", r.output.single().kind)
            val usage = r.usage
            assertNotNull(usage)
            usage!!
            assertEquals(usage.inputTokens + usage.outputTokens, usage.totalTokens)
            val failed = c.createResponse(CreateResponseParams(input = "x error=overheated"))
            assertEquals("failed", failed.status)
            assertEquals("overheated", failed.errorMessage)

            c.streamResponse(CreateResponseParams(input = "one two"), idempotencyKey = "kotlin-key-1").use { stream ->
                val events = stream.asFlow().toList()
                assertEquals(ResponseEventKind.CREATED, events.first().kind)
                assertEquals(ResponseEventKind.COMPLETED, events.last().kind)
                assertEquals(events.indices.map { it.toULong() }, events.map { it.sequenceNumber })
                assertEquals("Echo: one two", events.mapNotNull { it.delta }.joinToString(""))
                assertEquals("Echo: one two", events.last().response!!.outputText)
                assertEquals("kotlin-key-1", stream.idempotencyKey())
            }
            val post = emulator.requests().first { it.path == "/v1/responses" && it.method == "POST" && it.header("idempotency-key") == "kotlin-key-1" }
            assertNotNull(post)
            assertEquals(ApiErrorKind.UNPROCESSABLE_ENTITY, failing<PokeException.Api> {
                c.streamResponse(CreateResponseParams(input = "other"), idempotencyKey = "kotlin-key-1")
            }.kind)
        }
    }

    @Test
    fun cancelUnknownAndForeignIds() = runBlocking {
        pokee().use { c ->
            c.streamResponse(CreateResponseParams(input = "slow sleep_ms=10000")).use { stream ->
                assertEquals(ResponseEventKind.CREATED, stream.next()!!.kind)
                val rid = stream.responseId()!!
                pokee("pk_someone_else").use { other ->
                    assertEquals(ApiErrorKind.NOT_FOUND, failing<PokeException.Api> { other.resumeResponse(rid) }.kind)
                    assertEquals(ApiErrorKind.NOT_FOUND, failing<PokeException.Api> { other.cancelResponse(rid) }.kind)
                }
                assertEquals("cancelling", stream.cancel().status)
                assertEquals(ResponseEventKind.CANCELLED, stream.asFlow().toList().last().kind)
                assertEquals("already_complete", c.cancelResponse(rid).status)
            }
            assertEquals(ApiErrorKind.NOT_FOUND, failing<PokeException.Api> { c.cancelResponse("resp_000000000000000000000000") }.kind)
            assertEquals("response_id", failing<PokeException.InvalidInput> { c.resumeResponse("..") }.field)
        }
    }

    @Test
    fun badRequestsAreRefusedTyped() = runBlocking {
        pokee().use { c ->
            val many = (0 until 129).map { FunctionToolSpec(name = "t$it") }
            assertEquals("tools", failing<PokeException.InvalidInput> { c.createResponse(CreateResponseParams(input = "x", tools = many)) }.field)
            assertEquals("tools", failing<PokeException.InvalidInput> {
                c.streamResponse(CreateResponseParams(input = "x", tools = listOf(FunctionToolSpec(name = "n".repeat(65)))))
            }.field)
            assertEquals("tools", failing<PokeException.InvalidInput> {
                c.createResponse(CreateResponseParams(input = "x", tools = listOf(FunctionToolSpec(name = "t", description = "d".repeat(16 * 1024 + 1)))))
            }.field)
            failing<PokeException.InvalidInput> { c.createResponse(CreateResponseParams(inputJson = "[not json")) }
            failing<PokeException.InvalidInput> { c.createResponse(CreateResponseParams()) }
            assertTrue(apiRequests().isEmpty())
            for (params in listOf(
                CreateResponseParams(inputJson = "[3]"),
                CreateResponseParams(input = "x", model = "no-such-model"),
                CreateResponseParams(input = "x", reasoningEffort = "extreme"),
            )) {
                assertEquals(ApiErrorKind.BAD_REQUEST, failing<PokeException.Api> { c.createResponse(params) }.kind)
            }
        }
    }

    @Test
    fun theToolLoopKeepsTheHandlersErrorAndBoundsRounds() = runBlocking {
        pokee().use { c ->
            val tool = FunctionToolSpec(name = "get_weather", parametersJson = """{"type":"object","properties":{"location":{"type":"string"}}}""")
            val failingHandler = object : ToolHandler {
                override fun call(name: String, arguments: String, callId: String): String =
                    throw PokeException.Config("sensor offline")
            }
            val params = CreateResponseParams(input = "weather? tool=get_weather", tools = listOf(tool))
            val e = failing<PokeException.Config> { c.runTools(params, failingHandler) }
            assertEquals("sensor offline", e.msg)
            repeat(3) {
                emulator.scriptResponseJson("""{"output":[{"type":"function_call","name":"get_weather","arguments":{}}]}""")
            }
            val always = object : ToolHandler {
                override fun call(name: String, arguments: String, callId: String) = "again"
            }
            val rounds = failing<PokeException.ToolRounds> { c.runTools(params, always, maxRounds = 2u) }
            assertEquals(2u, rounds.rounds)
        }
    }
}
