package com.poke

import com.poke.testing.Emulator
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.net.InetAddress
import java.net.ServerSocket
import java.nio.file.Files
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The shared scenario list (tests/scenarios/scenarios.json), one test per id, named
 * `scenario_<id>`; tests/scenarios/check.py checks every language has each one.
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

    private fun poke(apiKey: String = "pk_scenario", baseUrl: String = emulator.pokeApiUrl(), timeouts: Timeouts? = null) =
        PokeClient.create(apiKey = apiKey, baseUrl = baseUrl, timeouts = timeouts, maxRetries = 0u)

    private fun pokee() = PokeeClient.create(
        PokeeClientOptions(
            apiKey = "pk_scenario",
            baseUrl = emulator.pokeeApiUrl(),
            resume = ResumeOptions(initialDelaySecs = 0.05),
        ),
    )

    private inline fun <reified T : PokeException> failing(crossinline block: suspend () -> Unit): T =
        assertThrows<T> { runBlocking { block() } }

    private fun ids(range: IntRange) = range.map { it.toString() }

    private class Progress : TransferProgressListener {
        val calls = CopyOnWriteArrayList<Pair<ULong, ULong?>>()
        override fun onProgress(doneBytes: ULong, totalBytes: ULong?) {
            calls += doneBytes to totalBytes
        }
    }

    @Test
    fun scenario_quickstart() = runBlocking {
        poke().use { c ->
            val reply = c.sendMessage("Hello from Kotlin")
            assertTrue(reply.success)
            assertEquals("Message sent successfully", reply.message)
        }
        assertEquals("""[{"message":"Hello from Kotlin"}]""", emulator.messagesJson())
        assertTrue(emulator.requests().single().header("user-agent")!!.startsWith("poke-kotlin/"))
    }

    @Test
    fun scenario_error_401() {
        Emulator(apiKey = "pk_right").use { strict ->
            poke(apiKey = "pk_wrong", baseUrl = strict.pokeApiUrl()).use { c ->
                val e = failing<PokeException.Api> { c.sendMessage("hi") }
                assertEquals(401.toUShort(), e.status)
                assertEquals(ApiErrorKind.UNAUTHORIZED, e.kind)
                assertEquals("Invalid API key. Get a new one at https://poke.com/kitchen/api-keys", e.msg)
            }
        }
    }

    @Test
    fun scenario_error_403() {
        emulator.addFaultJson("""{"path":"$messagePath","status":403,"headers":{"x-request-id":"req_403"},"body":"{}"}""")
        poke().use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(403.toUShort(), e.status)
            assertEquals(ApiErrorKind.FORBIDDEN, e.kind)
            assertEquals("API key doesn't have permission for this action", e.msg)
            assertEquals("req_403", e.requestId)
        }
    }

    @Test
    fun scenario_error_429() {
        emulator.addFaultJson("""{"path":"$messagePath","status":429,"headers":{"Retry-After":"7"}}""")
        poke().use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(429.toUShort(), e.status)
            assertEquals(ApiErrorKind.RATE_LIMITED, e.kind)
            assertEquals("Rate limited. Please slow down and retry.", e.msg)
            assertEquals(7000.toULong(), e.retryAfterMs)
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun scenario_error_500() {
        emulator.addFaultJson("""{"path":"$messagePath","status":500,"body":"{\"error\":\"boom\"}"}""")
        poke().use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(500.toUShort(), e.status)
            assertEquals(ApiErrorKind.SERVER, e.kind)
            assertEquals("Poke API error (500): boom", e.msg)
        }
    }

    @Test
    fun scenario_connection_refused() {
        val port = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
        poke(baseUrl = "http://127.0.0.1:$port/api/v1").use { c ->
            val e = failing<PokeException.Connection> { c.sendMessage("hi") }
            assertTrue(e.msg.startsWith("Network error: "), e.msg)
            assertFalse(e.maybeSent)
        }
    }

    @Test
    fun scenario_timeout() {
        emulator.addFaultJson("""{"path":"$messagePath","stall_ms":3000}""")
        poke(timeouts = Timeouts(totalSecs = 0.3)).use { c ->
            val e = failing<PokeException.Timeout> { c.sendMessage("hi") }
            assertEquals(TimeoutPhase.TOTAL, e.phase)
            assertEquals(300.toULong(), e.afterMs)
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun scenario_webhook_round_trip() = runBlocking {
        poke().use { c ->
            val hook = c.createWebhook("when it rains", "remind me to take an umbrella")
            val reply = c.sendWebhook(hook.webhookUrl, hook.webhookToken, """{"mm":3}""")
            assertEquals(200.toUShort(), reply.status)
            val fires = emulator.webhookFiresJson()
            assertTrue(fires.contains(""""triggerId":"${hook.triggerId}""""), fires)
            assertTrue(fires.contains(""""data":{"mm":3}"""), fires)
            assertEquals("Bearer ${hook.webhookToken}", emulator.requests().last().header("authorization"))
        }
    }

    @Test
    fun scenario_session_lifecycle() = runBlocking {
        pokee().use { c ->
            val kept = c.createSession(
                CreateSessionParams(persistent = true, ttlSecs = 14400u, metadataJson = """{"project":"acme"}"""),
            )
            assertTrue(kept.persistent)
            assertEquals(14400uL, kept.ttlSecs)
            assertFalse(kept.isBusy)
            assertTrue(kept.metadataJson.contains(""""project":"acme""""), kept.metadataJson)
            val shortLived = c.createSession(CreateSessionParams(ttlSecs = 60u))
            assertEquals(kept.id, c.getSession(kept.id).id)
            assertEquals(setOf(kept.id, shortLived.id), c.listSessions().map { it.id }.toSet())

            emulator.advanceClock(120.0) // past the 60 s TTL
            assertEquals(ApiErrorKind.NOT_FOUND, failing<PokeException.Api> { c.getSession(shortLived.id) }.kind)

            val deletedOne = c.createSession()
            c.deleteSession(deletedOne.id)
            assertEquals(404.toUShort(), failing<PokeException.Api> { c.getSession(deletedOne.id) }.status)

            emulator.advanceClock(3600.0)
            val fresh = c.createSession(CreateSessionParams(persistent = true))
            val bulk = c.deleteSessions(BulkDeleteFilter(idleOnly = true, olderThanSecs = 1800u))
            assertEquals(1uL, bulk.deleted)
            assertEquals(listOf(fresh.id), c.listSessions().map { it.id })
            assertTrue(c.usage().windows.isNotEmpty())
        }
        val bulkRequest = emulator.requests().single { it.method == "DELETE" && it.path == "/v1/sessions" }
        assertEquals("/v1/sessions?status=idle&older_than=1800s", bulkRequest.target)
    }

    @Test
    fun scenario_streamed_turn() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "hello there events=20 pace_ms=0").use { turn ->
                val events = turn.asFlow().toList()
                assertEquals(ids(0..19), events.map { it.id })
                assertEquals(TurnEventKind.MESSAGE_CREATED, events.first().kind)
                assertEquals(TurnEventKind.MESSAGE_COMPLETED, events.last().kind)
                assertTrue(events.last().isTerminal)
                assertEquals(1, events.count { it.isTerminal })
                assertTrue(events.any { it.kind == TurnEventKind.TEXT_DELTA && !it.content.isNullOrEmpty() })
                val responseId = turn.responseId()
                assertNotNull(responseId)
                assertTrue(events.first().dataJson.contains(responseId!!), events.first().dataJson)
                assertEquals("19", turn.lastEventId())
                assertNull(turn.next())
                val post = emulator.requests().single { it.path.endsWith("/messages") }
                assertEquals(turn.idempotencyKey(), post.header("idempotency-key"))
                assertTrue(post.header("user-agent")!!.startsWith("poke-kotlin/"))
            }
        }
    }

    @Test
    fun scenario_resume_after_drop() = runBlocking {
        emulator.addFaultJson("""{"path":"/v1/sessions/*/messages","drop_after_events":5,"times":1}""")
        emulator.addFaultJson("""{"path":"/v1/sessions/*/responses/*/events","duplicate_ids":true,"times":1}""")
        pokee().use { c ->
            val session = c.createSession()
            // Automatic: dropped after event 4, resumed with Last-Event-ID, replays dropped.
            c.sendMessage(session.id, "long turn events=50 pace_ms=0").use { turn ->
                assertEquals(ids(0..49), turn.asFlow().map { it.id }.toList())
            }
            val resumed = emulator.requests().first { it.path.endsWith("/events") }
            assertEquals("4", resumed.header("last-event-id"))

            // Manual: read part of a turn, stop, and resume later by response id.
            val (responseId, lastEventId) = c.sendMessage(session.id, "again events=30 pace_ms=0").use { turn ->
                assertEquals(ids(0..9), turn.asFlow().take(10).map { it.id }.toList())
                turn.closeStream()
                assertNull(turn.next())
                turn.responseId()!! to turn.lastEventId()
            }
            assertEquals("9", lastEventId)
            c.resume(session.id, responseId, lastEventId).use { rest ->
                assertEquals(ids(10..29), rest.asFlow().map { it.id }.toList())
            }
        }
    }

    @Test
    fun scenario_cancel_turn() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "a long job events=500 pace_ms=20").use { turn ->
                val seen = mutableListOf<TurnEvent>()
                turn.asFlow().collect { event ->
                    seen += event
                    if (seen.size == 3) assertEquals("cancelling", turn.cancel().status)
                }
                assertEquals(TurnEventKind.MESSAGE_CANCELLED, seen.last().kind)
                assertTrue(seen.size < 500, "${seen.size}")
                val cancel = emulator.requests().single { it.path.endsWith("/cancel") }
                assertEquals("/v1/sessions/${session.id}/responses/${turn.responseId()}/cancel", cancel.path)
            }
            assertFalse(c.waitIdle(session.id, WaitOptions(pollIntervalSecs = 0.05, deadlineSecs = 30.0)).isBusy)
        }
    }

    @Test
    fun scenario_wait_with_progress() = runBlocking {
        pokee().use { c ->
            val session = c.createSession(CreateSessionParams(persistent = true))
            // Start the long presentation turn and walk away from its stream.
            c.sendMessage(session.id, "Build the quarterly presentation pace_ms=20").use { it.closeStream() }
            val seen = CopyOnWriteArrayList<SessionRecord>()
            val listener = object : WaitProgressListener {
                override fun onProgress(session: SessionRecord) {
                    seen += session
                }
            }
            val idle = c.waitIdle(
                session.id,
                WaitOptions(pollIntervalSecs = 0.05, maxIntervalSecs = 0.2, deadlineSecs = 60.0),
                listener,
            )
            assertFalse(idle.isBusy)
            assertTrue(seen.first().isBusy)
            assertEquals(idle, seen.last())
            seen.zipWithNext().forEach { (a, b) -> assertNotEquals(a, b) }
            assertTrue(idle.metadataJson.contains(""""temasek_status":"done""""), idle.metadataJson)
            val output = c.listFiles(session.id, "output")
            assertTrue(output.any { it.name == "deck.pptx" && it.kind == "file" && it.size > 0uL }, "$output")
        }
    }

    @Test
    fun scenario_file_upload_download() = runBlocking {
        val dir = Files.createTempDirectory("poke-kotlin-files")
        val data = ByteArray(300_000) { (it * 31 % 251).toByte() }
        val src = dir.resolve("input.bin").also { Files.write(it, data) }
        pokee().use { c ->
            val session = c.createSession()
            val up = Progress()
            val stored = c.uploadFile(session.id, "inputs/data.bin", src.toString(), up)
            assertEquals("inputs/data.bin", stored.path)
            assertEquals(data.size.toULong(), stored.size)
            assertEquals(data.size.toULong(), up.calls.last().first)
            assertArrayEquals(data, emulator.workspaceFile("inputs/data.bin"))
            assertEquals(listOf("data.bin"), c.listFiles(session.id, "inputs").map { it.name })

            val down = Progress()
            val dest = dir.resolve("copy.bin")
            assertEquals(data.size.toULong(), c.downloadFile(session.id, "inputs/data.bin", dest.toString(), down))
            assertArrayEquals(data, Files.readAllBytes(dest))
            assertEquals(data.size.toULong(), down.calls.last().first)

            c.deleteFile(session.id, "inputs/data.bin")
            val gone = dir.resolve("gone.bin")
            val e = failing<PokeException.Api> { c.downloadFile(session.id, "inputs/data.bin", gone.toString()) }
            assertEquals(ApiErrorKind.NOT_FOUND, e.kind)
            assertFalse(Files.exists(gone))

            val sent = emulator.requests().size
            failing<PokeException.InvalidInput> { c.uploadFile(session.id, "../escape.bin", src.toString()) }
            assertEquals(sent, emulator.requests().size)
        }
    }

    @Test
    fun scenario_mcp_callback_chain() = runBlocking {
        val target = emulator.newCallbackChain()
        CallbackSender(HostLanguage.KOTLIN).use { sender ->
            CallbackChain(sender, target.url, target.token).use { chain ->
                assertEquals(ChainStep.Continue, chain.send("\"working on it\"", true))
                assertEquals(ChainStep.Stop(null), chain.send("""{"result":42}""", false))
                assertEquals(ChainStep.Stop(null), chain.send("\"too late\"", true))
            }
        }
        val posts = emulator.callbackChainsJson()
        assertTrue(posts.contains(""""first_token":"${target.token}""""), posts)
        assertTrue(posts.contains("working on it") && posts.contains(""""result":42"""), posts)
        assertFalse(posts.contains("too late"), posts)
    }
}
