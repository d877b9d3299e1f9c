package com.poke

import com.poke.testing.Emulator
import java.net.InetAddress
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.io.path.exists
import kotlin.io.path.readBytes
import kotlin.io.path.writeBytes
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * The shared scenario list (tests/scenarios/scenarios.json), one test per id, named
 * `scenario_<id>`, written as a Kotlin user writes them: suspend calls in coroutines, `use {}`,
 * flows, kotlin.time durations, JSON as JsonElement; tests/scenarios/check.py checks every
 * language has each one.
 */
class ScenarioTest {
    private lateinit var emulator: Emulator
    private val messagePath = "/api/v1/inbound/api-message"

    @BeforeEach
    fun start() {
        emulator = Emulator()
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun poke(apiKey: String = "pk_scenario", baseUrl: String = emulator.pokeApiUrl, timeouts: Timeouts? = null) =
        PokeClient(apiKey = apiKey, baseUrl = baseUrl, timeouts = timeouts, maxRetries = 0)

    private fun pokee() = PokeeClient(
        apiKey = "pk_scenario",
        baseUrl = emulator.pokeeApiUrl,
        streams = StreamOptions(resumeDelay = 50.milliseconds),
    )

    private fun ids(range: IntRange) = range.map { it.toString() }

    @Test
    fun scenario_quickstart(): Unit = runBlocking {
        poke().use { poke ->
            val reply = poke.sendMessage("Hello from Kotlin")
            assertTrue(reply.success)
            assertEquals("Message sent successfully", reply.message)
        }
        assertEquals(listOf(buildJsonObject { put("message", "Hello from Kotlin") }), emulator.messages())
        assertTrue(emulator.requests().single().header("user-agent")!!.startsWith("poke-kotlin/"))
    }

    @Test
    fun scenario_error_401(): Unit = runBlocking {
        Emulator(apiKey = "pk_right").use { strict ->
            poke(apiKey = "pk_wrong", baseUrl = strict.pokeApiUrl).use { poke ->
                val e = thrownBy<PokeApiException> { poke.sendMessage("hi") }
                assertEquals(401, e.status)
                assertEquals(ApiErrorKind.UNAUTHORIZED, e.kind)
                assertEquals("Invalid API key. Get a new one at https://poke.com/kitchen/api-keys", e.message)
            }
        }
    }

    @Test
    fun scenario_error_403(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":403,"headers":{"x-request-id":"req_403"},"body":"{}"}""")
        poke().use { poke ->
            val e = thrownBy<PokeApiException> { poke.sendMessage("hi") }
            assertEquals(403, e.status)
            assertEquals(ApiErrorKind.FORBIDDEN, e.kind)
            assertEquals("API key doesn't have permission for this action", e.message)
            assertEquals("req_403", e.requestId)
        }
    }

    @Test
    fun scenario_error_429(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":429,"headers":{"Retry-After":"7"}}""")
        poke().use { poke ->
            val e = thrownBy<PokeApiException> { poke.sendMessage("hi") }
            assertEquals(429, e.status)
            assertEquals(ApiErrorKind.RATE_LIMITED, e.kind)
            assertEquals("Rate limited. Please slow down and retry.", e.message)
            assertEquals(7.seconds, e.retryAfter)
            assertEquals("7", e.header("Retry-After"))
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun scenario_error_500(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":500,"body":"{\"error\":\"boom\"}"}""")
        poke().use { poke ->
            val e = thrownBy<PokeApiException> { poke.sendMessage("hi") }
            assertEquals(500, e.status)
            assertEquals(ApiErrorKind.SERVER, e.kind)
            assertEquals("Poke API error (500): boom", e.message)
        }
    }

    @Test
    fun scenario_connection_refused(): Unit = runBlocking {
        val port = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        poke(baseUrl = "http://127.0.0.1:$port/api/v1").use { poke ->
            val e = thrownBy<PokeConnectionException> { poke.sendMessage("hi") }
            assertTrue(e.message!!.startsWith("Network error: "), e.message)
            assertFalse(e.maybeSent)
            assertInstanceOf(java.net.ConnectException::class.java, e.cause)
        }
    }

    @Test
    fun scenario_timeout(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","stall_ms":3000}""")
        poke(timeouts = Timeouts(total = 300.milliseconds)).use { poke ->
            val e = thrownBy<PokeTimeoutException> { poke.sendMessage("hi") }
            assertEquals(TimeoutPhase.TOTAL, e.phase)
            assertEquals(300.milliseconds, e.limit)
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun scenario_webhook_round_trip(): Unit = runBlocking {
        poke().use { poke ->
            val hook = poke.createWebhook("when it rains", "remind me to take an umbrella")
            val reply = poke.sendWebhook(hook, buildJsonObject { put("mm", 3) })
            assertEquals(200, reply.status)
            val fire = emulator.webhookFires().single().jsonObject
            assertEquals(hook.triggerId, fire["triggerId"]!!.jsonPrimitive.content)
            assertEquals(buildJsonObject { put("mm", 3) }, fire["data"])
            assertEquals("Bearer ${hook.token}", emulator.requests().last().header("authorization"))
        }
    }

    @Test
    fun scenario_session_lifecycle(): Unit = runBlocking {
        pokee().use { pokee ->
            val kept = pokee.createSession(
                SessionParams(persistent = true, ttl = 4.hours, metadata = buildJsonObject { put("project", "acme") }),
            )
            assertTrue(kept.record.persistent)
            assertEquals(4.hours, kept.record.ttl)
            assertFalse(kept.record.isBusy)
            assertEquals(JsonPrimitive("acme"), kept.record.metadata["project"])
            val shortLived = pokee.createSession(SessionParams(ttl = 1.minutes))
            assertEquals(kept, kept.refresh())
            assertEquals(setOf(kept, shortLived), pokee.listSessions().toSet())

            emulator.advanceClock(2.minutes) // past the 1-minute TTL
            val expired = thrownBy<PokeApiException> { shortLived.refresh() }
            assertEquals(ApiErrorKind.NOT_FOUND, expired.kind)

            val deleted = pokee.createSession()
            deleted.delete()
            assertEquals(404, thrownBy<PokeApiException> { deleted.refresh() }.status)

            emulator.advanceClock(1.hours)
            val fresh = pokee.createSession(SessionParams(persistent = true))
            assertEquals(1L, pokee.deleteSessions(idleOnly = true, olderThan = 30.minutes))
            assertEquals(listOf(fresh), pokee.listSessions())
            assertTrue(pokee.usage().windows.isNotEmpty())
        }
        val bulk = emulator.requests().single { it.method == "DELETE" && it.path == "/v1/sessions" }
        assertEquals("/v1/sessions?status=idle&older_than=1800s", bulk.target)
    }

    @Test
    fun scenario_streamed_turn(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("hello there events=20 pace_ms=0")
            val events = turn.events.toList()
            assertEquals(ids(0..19), events.map { it.id })
            assertEquals(TurnEventKind.MESSAGE_CREATED, events.first().kind)
            assertEquals(TurnEventKind.MESSAGE_COMPLETED, events.last().kind)
            assertEquals(1, events.count { it.isTerminal })
            assertTrue(events.last().isTerminal)
            assertTrue(events.any { it.kind == TurnEventKind.TEXT_DELTA && !it.content.isNullOrEmpty() })
            val responseId = turn.responseId
            assertNotNull(responseId)
            assertEquals(JsonPrimitive(responseId), events.first().data.jsonObject["id"])
            assertEquals("19", turn.lastEventId)
            val post = emulator.requests().single { it.path.endsWith("/messages") }
            assertEquals(turn.idempotencyKey, post.header("idempotency-key"))
            assertTrue(post.header("user-agent")!!.startsWith("poke-kotlin/"))
        }
    }

    @Test
    fun scenario_resume_after_drop(): Unit = runBlocking {
        emulator.addFault("""{"path":"/v1/sessions/*/messages","drop_after_events":5,"times":1}""")
        emulator.addFault("""{"path":"/v1/sessions/*/responses/*/events","duplicate_ids":true,"times":1}""")
        pokee().use { pokee ->
            val session = pokee.createSession()
            // Automatic: dropped after event 4, resumed with Last-Event-ID, replays dropped.
            assertEquals(ids(0..49), session.send("long turn events=50 pace_ms=0").events.map { it.id }.toList())
            val resumed = emulator.requests().first { it.path.endsWith("/events") }
            assertEquals("4", resumed.header("last-event-id"))

            // Manual: read part of a turn, stop, and resume later from the last event read.
            val turn = session.send("again events=30 pace_ms=0")
            assertEquals(ids(0..9), turn.events.take(10).map { it.id }.toList())
            assertEquals("9", turn.lastEventId)
            val rest = session.resume(turn.responseId!!, turn.lastEventId)
            assertEquals(ids(10..29), rest.events.map { it.id }.toList())
        }
    }

    @Test
    fun scenario_cancel_turn(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("a long job events=500 pace_ms=20")
            val seen = mutableListOf<TurnEvent>()
            turn.events.collect { event ->
                seen += event
                if (seen.size == 3) assertEquals("cancelling", turn.cancel().status)
            }
            assertEquals(TurnEventKind.MESSAGE_CANCELLED, seen.last().kind)
            assertTrue(seen.size < 500, "${seen.size}")
            val cancel = emulator.requests().single { it.path.endsWith("/cancel") }
            assertEquals("/v1/sessions/${session.id}/responses/${turn.responseId}/cancel", cancel.path)
            assertFalse(session.waitIdle(WaitOptions(pollInterval = 50.milliseconds, deadline = 30.seconds)).isBusy)
        }
    }

    @Test
    fun scenario_wait_with_progress(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession(SessionParams(persistent = true))
            // Start the long presentation turn and walk away from its stream after its first event.
            session.send("Build the quarterly presentation pace_ms=20").events.first()
            val seen = CopyOnWriteArrayList<SessionRecord>()
            val idle = session.waitIdle(
                WaitOptions(pollInterval = 50.milliseconds, maxInterval = 200.milliseconds, deadline = 60.seconds),
            ) { seen += it }
            assertFalse(idle.isBusy)
            assertTrue(seen.first().isBusy)
            assertEquals(idle, seen.last())
            seen.zipWithNext().forEach { (a, b) -> assertNotEquals(a, b) }
            assertEquals(JsonPrimitive("done"), idle.metadata["temasek_status"])
            val output = session.files.list("output")
            assertTrue(output.any { it.name == "deck.pptx" && !it.isDirectory && it.size > 0 }, "$output")
        }
    }

    @Test
    fun scenario_file_upload_download(): Unit = runBlocking {
        val dir = Files.createTempDirectory("poke-kotlin-files")
        val data = ByteArray(300_000) { (it * 31 % 251).toByte() }
        val source = dir.resolve("input.bin").also { it.writeBytes(data) }
        pokee().use { pokee ->
            val session = pokee.createSession()
            val up = CopyOnWriteArrayList<Long>()
            val stored = session.files.upload("inputs/data.bin", source) { done, _ -> up += done }
            assertEquals("inputs/data.bin", stored.path)
            assertEquals(data.size.toLong(), stored.size)
            assertEquals(data.size.toLong(), up.last())
            assertArrayEquals(data, emulator.workspaceFile("inputs/data.bin"))
            assertEquals(listOf("data.bin"), session.files.list("inputs").map { it.name })

            val down = CopyOnWriteArrayList<Long>()
            val dest = dir.resolve("copy.bin")
            assertEquals(data.size.toLong(), session.files.download("inputs/data.bin", dest) { done, _ -> down += done })
            assertArrayEquals(data, dest.readBytes())
            assertEquals(data.size.toLong(), down.last())

            session.files.delete("inputs/data.bin")
            val gone = dir.resolve("gone.bin")
            val e = thrownBy<PokeApiException> { session.files.download("inputs/data.bin", gone) }
            assertEquals(ApiErrorKind.NOT_FOUND, e.kind)
            assertFalse(gone.exists())

            val sent = emulator.requests().size
            thrownBy<IllegalArgumentException> { session.files.upload("../escape.bin", source) }
            assertEquals(sent, emulator.requests().size)
        }
    }

    @Test
    fun scenario_mcp_callback_chain(): Unit = runBlocking {
        val target = emulator.newCallbackChain()
        CallbackSender().use { sender ->
            CallbackChain(sender, target.url, target.token).use { chain ->
                assertEquals(ChainStep.Continue, chain.send(JsonPrimitive("working on it"), hasMore = true))
                assertEquals(ChainStep.Stop(null), chain.send(buildJsonObject { put("result", 42) }, hasMore = false))
                assertEquals(ChainStep.Stop(null), chain.send(JsonPrimitive("too late"), hasMore = true))
            }
        }
        val chain = emulator.callbackChains().single().jsonObject
        assertEquals(JsonPrimitive(target.token), chain["first_token"])
        val posts = chain["posts"].toString()
        assertTrue(posts.contains("working on it") && posts.contains(""""result":42"""), posts)
        assertFalse(posts.contains("too late"), posts)
    }
}
