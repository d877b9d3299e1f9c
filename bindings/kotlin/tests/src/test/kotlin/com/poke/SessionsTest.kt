package com.poke

import com.poke.testing.Emulator
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The sessions API beyond the shared scenarios: the remaining async methods, the Flow
 * adapter's edges, conflicts, argument errors and listener failures.
 */
class SessionsTest {
    private lateinit var emulator: Emulator

    @BeforeEach
    fun start() {
        emulator = Emulator()
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun pokee(maxRetries: UInt? = null) = PokeeClient.create(
        PokeeClientOptions(apiKey = "pk_sessions", baseUrl = emulator.pokeeApiUrl(), maxRetries = maxRetries),
    )

    private inline fun <reified T : PokeException> failing(crossinline block: suspend () -> Unit): T =
        assertThrows<T> { runBlocking { block() } }

    @Test
    fun toolCallIsAnsweredAndTheTurnGoesOn() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "weather please tool=get_weather").use { turn ->
                val request = turn.asFlow().first { it.kind == TurnEventKind.TOOL_CALL_REQUESTED }
                val callId = Regex(""""call_id":"([^"]+)"""").find(request.dataJson)!!.groupValues[1]
                val ack = c.submitToolResult(session.id, callId, "\"sunny, 21 C\"")
                assertEquals("accepted", ack.status)
                assertEquals(callId, ack.callId)
                val rest = turn.asFlow().toList()
                assertEquals(TurnEventKind.MESSAGE_COMPLETED, rest.last().kind)
            }
        }
    }

    @Test
    fun healthUploadBytesAndUsage() = runBlocking {
        pokee().use { c ->
            assertEquals("""{"status":"ok"}""", c.health())
            val session = c.createSession()
            val bytes = "hello, workspace".toByteArray()
            val stored = c.uploadBytes(session.id, "notes/hello.txt", bytes)
            assertEquals(bytes.size.toULong(), stored.size)
            assertArrayEquals(bytes, emulator.workspaceFile("notes/hello.txt"))
            val usage = c.usage()
            assertTrue(usage.json.startsWith("{"), usage.json)
            assertTrue(usage.windows.all { it.name.isNotEmpty() })
        }
    }

    @Test
    fun cancelTurnByIdThenReplayTheWholeTurn() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            val responseId = c.sendMessage(session.id, "walk away events=400 pace_ms=20").use { turn ->
                turn.closeStream()
                turn.responseId()!!
            }
            assertEquals("cancelling", c.cancelTurn(session.id, responseId).status)
            c.waitIdle(session.id, WaitOptions(pollIntervalSecs = 0.05, deadlineSecs = 30.0))
            c.resume(session.id, responseId).use { replay ->
                val events = replay.asFlow().toList()
                assertEquals("0", events.first().id)
                assertEquals(TurnEventKind.MESSAGE_CANCELLED, events.last().kind)
                assertNull(replay.idempotencyKey())
            }
            assertEquals("already_complete", c.cancelTurn(session.id, responseId).status)
        }
    }

    @Test
    fun secondMessageWhileBusyIsAConflict(): Unit = runBlocking {
        pokee(maxRetries = 0u).use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "first events=400 pace_ms=20").use { first ->
                val e = failing<PokeException.Api> { c.sendMessage(session.id, "second") }
                assertEquals(409.toUShort(), e.status)
                assertEquals(ApiErrorKind.CONFLICT, e.kind)
                first.cancel()
            }
        }
    }

    @Test
    fun flowCollectsInPartsAndCancellingTheCollectorKeepsTheTurnUsable() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "parts events=40 pace_ms=5").use { turn ->
                val head = turn.asFlow().take(5).map { it.id }.toList()
                // A collector cancelled mid-read loses nothing: the pending read resumes later.
                val middle = mutableListOf<String?>()
                assertNull(withTimeoutOrNull(30) { turn.asFlow().collect { middle += it.id } })
                val tail = turn.asFlow().map { it.id }.toList()
                assertEquals((0..39).map { it.toString() }, head + middle + tail)
                assertEquals("39", turn.lastEventId())
            }
        }
    }

    @Test
    fun collectorsCancelledAtRandomMomentsLoseAndRepeatNothing() = runBlocking {
        // Many timeouts land while a read's result is on its way back; each such event must
        // come out of the next collection. Bounded: 200 events 1 ms apart, at most 2,000 tries.
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "race events=200 pace_ms=1").use { turn ->
                val got = mutableListOf<String?>()
                val random = java.util.Random(7)
                var finished = false
                var tries = 0
                while (!finished && tries++ < 2_000) {
                    finished = withTimeoutOrNull(1L + random.nextInt(3)) {
                        turn.asFlow().collect { got += it.id }
                        true
                    } ?: false
                }
                assertTrue(finished, "gave up after $tries collections")
                assertEquals((0..199).map { it.toString() }, got)
            }
        }
    }

    @Test
    fun anUnconfirmedTrackedReadIsTakenOverByTheNextRead() = runBlocking {
        pokee().use { c ->
            val session = c.createSession()
            c.sendMessage(session.id, "tracked events=6 pace_ms=0").use { turn ->
                assertEquals("0", turn.nextTracked(1u)?.id)
                assertEquals("0", turn.nextTracked(2u)?.id)
                assertFalse(turn.confirmRead(1u))
                assertTrue(turn.confirmRead(2u))
                assertEquals(listOf("1", "2", "3", "4", "5"), turn.asFlow().map { it.id }.toList())
            }
        }
    }

    @Test
    fun invalidArgumentsFailBeforeSending() {
        pokee().use { c ->
            val metadata = failing<PokeException.InvalidInput> {
                c.createSession(CreateSessionParams(metadataJson = "[1, 2]"))
            }
            assertEquals("metadata_json", metadata.field)
            val tool = failing<PokeException.InvalidInput> { c.submitToolResult("sess_x", "call_1", "{nope") }
            assertEquals("output_json", tool.field)
            val wait = failing<PokeException.InvalidInput> {
                c.waitIdle("sess_x", WaitOptions(pollIntervalSecs = -1.0))
            }
            assertEquals("wait.poll_interval_secs", wait.field)
            failing<PokeException.InvalidInput> { c.getSession("..") }
        }
        val chain = CallbackChain(CallbackSender(HostLanguage.KOTLIN), emulator.url(), "t")
        assertEquals("content_json", failing<PokeException.InvalidInput> { chain.send("{", false) }.field)
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun configurationErrorsAndSecrets() {
        val missing = assertThrows<PokeException.Config> {
            PokeeClient.create(PokeeClientOptions(apiKey = "k"))
        }
        assertTrue(missing.msg.contains("POKEE_API"), missing.msg)
        val options = PokeeClientOptions(apiKey = "pk_canary_pokee", baseUrl = emulator.pokeeApiUrl())
        assertFalse(options.toString().contains("pk_canary"), options.toString())
        PokeeClient.create(options).use { c ->
            assertEquals("PokeeClient(base_url=${emulator.pokeeApiUrl()})", c.toString())
        }
        val ctx = extractCallbackContext(
            listOf(HttpHeader("X-Poke-Callback-Token", "cbt_canary"), HttpHeader("X-Poke-Callback-Url", "http://x/cb")),
        )!!
        assertEquals("cbt_canary", ctx.callbackToken)
        assertFalse(ctx.toString().contains("cbt_canary"), ctx.toString())
    }

    @Test
    fun aThrowingListenerEndsTheCallWithItsError() {
        pokee().use { c ->
            val session = runBlocking { c.createSession() }
            val buggy = object : WaitProgressListener {
                override fun onProgress(session: SessionRecord): Unit = throw IllegalStateException("listener bug")
            }
            val e = failing<PokeException.Internal> { c.waitIdle(session.id, null, buggy) }
            assertTrue(e.msg.contains("listener bug"), e.msg)

            val dir = java.nio.file.Files.createTempDirectory("poke-kotlin-listener")
            emulator.putWorkspaceFile("big.bin", ByteArray(1 shl 20))
            val refusing = object : TransferProgressListener {
                override fun onProgress(doneBytes: ULong, totalBytes: ULong?): Unit =
                    throw PokeException.Cancelled("user stopped the download")
            }
            val dest = dir.resolve("big.bin")
            val stopped = failing<PokeException.Cancelled> {
                c.downloadFile(session.id, "big.bin", dest.toString(), refusing)
            }
            assertEquals("user stopped the download", stopped.msg)
            // No partial file under the final name, nor a temporary one beside it.
            assertEquals(0L, java.nio.file.Files.list(dir).use { it.count() })
            // The client is still usable.
            assertFalse(runBlocking { c.getSession(session.id) }.isBusy)
        }
    }

    @Test
    fun emulatorKnobs() = runBlocking {
        val before = emulator.clockNow()
        emulator.advanceClock(60.0)
        assertTrue(emulator.clockNow() >= before + 60.0)
        assertThrows<PokeException.InvalidInput> { emulator.advanceClock(-1.0) }
        emulator.setTurnPaceMs(0u)
        assertTrue(emulator.sessionsConfigJson().contains(""""pace_ms":0"""))
        pokee().use { c ->
            val session = c.createSession()
            emulator.scriptTurnJson(
                session.id,
                """{"steps":[{"type":"text","text":"scripted reply"}],"outcome":{"type":"error","error":"boom"}}""",
            )
            c.sendMessage(session.id, "anything").use { turn ->
                val last = turn.asFlow().toList().last()
                assertEquals(TurnEventKind.MESSAGE_ERROR, last.kind)
                assertEquals("boom", last.error)
            }
            assertTrue(emulator.sessionsJson().contains(session.id))
            assertTrue(emulator.turnsJson().contains(session.id))
        }
        emulator.putWorkspaceFile("seed/a.txt", "seeded".toByteArray())
        assertArrayEquals("seeded".toByteArray(), emulator.workspaceFile("seed/a.txt"))
        assertNull(emulator.workspaceFile("seed/none.txt"))
    }
}
