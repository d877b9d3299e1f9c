package com.poke

import com.poke.testing.Emulator
import java.nio.file.Files
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.first
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
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * The sessions API beyond the shared scenarios: tool calls, conflicts, replays, argument
 * errors, listeners that throw, secrets, and the emulator's knobs.
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

    private fun pokee(maxRetries: Int? = null) =
        PokeeClient(apiKey = "pk_sessions", baseUrl = emulator.pokeeApiUrl, maxRetries = maxRetries)

    @Test
    fun toolCallIsAnsweredAndTheTurnGoesOn(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val events = mutableListOf<TurnEvent>()
            session.send("weather please tool=get_weather").events.collect { event ->
                events += event
                if (event.kind == TurnEventKind.TOOL_CALL_REQUESTED) {
                    val callId = event.data.jsonObject["call_id"]!!.jsonPrimitive.content
                    val ack = session.submitToolResult(callId, JsonPrimitive("sunny, 21 C"))
                    assertEquals("accepted", ack.status)
                    assertEquals(callId, ack.callId)
                }
            }
            assertTrue(events.any { it.kind == TurnEventKind.TOOL_CALL_REQUESTED })
            assertEquals(TurnEventKind.MESSAGE_COMPLETED, events.last().kind)
        }
    }

    @Test
    fun healthUploadBytesAndUsage(): Unit = runBlocking {
        pokee().use { pokee ->
            assertEquals(buildJsonObject { put("status", "ok") }, pokee.health())
            val session = pokee.createSession()
            val bytes = "hello, workspace".toByteArray()
            val stored = session.files.upload("notes/hello.txt", bytes)
            assertEquals(bytes.size.toLong(), stored.size)
            assertArrayEquals(bytes, emulator.workspaceFile("notes/hello.txt"))
            val usage = pokee.usage()
            assertTrue(usage.json.isNotEmpty(), usage.json.toString())
            assertTrue(usage.windows.all { it.name.isNotEmpty() })
        }
    }

    @Test
    fun cancelTurnByIdThenReplayTheWholeTurn(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("walk away events=400 pace_ms=20")
            turn.events.first() // starts it; the turn runs on after the collector stops
            val responseId = turn.responseId!!
            assertEquals("cancelling", session.cancelTurn(responseId).status)
            session.waitIdle(WaitOptions(pollInterval = 50.milliseconds, deadline = 30.seconds))
            val replay = session.resume(responseId)
            val events = replay.events.toList()
            assertEquals("0", events.first().id)
            assertEquals(TurnEventKind.MESSAGE_CANCELLED, events.last().kind)
            assertNull(replay.idempotencyKey)
            assertEquals("already_complete", session.cancelTurn(responseId).status)
        }
    }

    @Test
    fun resumingAFinishedTurnFromItsLastEventEndsWithNothing(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("short events=5 pace_ms=0")
            val ids = turn.events.toList().map { it.id }
            assertEquals(listOf("0", "1", "2", "3", "4"), ids)
            val responseId = turn.responseId!!
            assertEquals(listOf("4"), session.resume(responseId, "3").events.toList().map { it.id })
            assertEquals(emptyList<TurnEvent>(), session.resume(responseId, "4").events.toList())
            // One request per resume: the server's empty answer ends the flow, it is not a cut.
            val positions = emulator.requests()
                .filter { it.path.endsWith("/events") }
                .map { it.headers["last-event-id"]?.single() }
            assertEquals(listOf("3", "4"), positions)
        }
    }

    @Test
    fun secondMessageWhileBusyIsAConflict(): Unit = runBlocking {
        pokee(maxRetries = 0).use { pokee ->
            val session = pokee.createSession()
            val first = session.send("first events=400 pace_ms=20")
            first.events.first()
            val e = thrownBy<PokeApiException> { session.send("second").events.first() }
            assertEquals(409, e.status)
            assertEquals(ApiErrorKind.CONFLICT, e.kind)
            first.cancel()
        }
    }

    @Test
    fun invalidArgumentsFailBeforeSending(): Unit = runBlocking {
        pokee().use { pokee ->
            val wait = thrownBy<IllegalArgumentException> {
                pokee.createSession().waitIdle(WaitOptions(pollInterval = (-1).seconds))
            }
            assertEquals("pollInterval must be a finite, non-negative duration (got -1s)", wait.message)
            val sent = emulator.requests().size
            thrownBy<IllegalArgumentException> { pokee.getSession("..") }
            thrownBy<IllegalArgumentException> { pokee.createSession(SessionParams(ttl = (-5).seconds)) }
            thrownBy<IllegalArgumentException> { pokee.deleteSessions(olderThan = Double.POSITIVE_INFINITY.seconds) }
            assertEquals(sent, emulator.requests().size)
        }
    }

    @Test
    fun configurationErrorsAndSecrets() {
        val missing = thrownBy<IllegalArgumentException> { PokeeClient(apiKey = "k") }
        assertTrue(missing.message!!.contains("POKEE_API"), missing.message)
        PokeeClient(apiKey = "pk_canary_pokee", baseUrl = emulator.pokeeApiUrl).use { c ->
            assertEquals("PokeeClient(baseUrl=${emulator.pokeeApiUrl})", c.toString())
        }
        val ctx = CallbackContext.fromHeaders(
            mapOf("X-Poke-Callback-Token" to "cbt_canary", "x-poke-callback-url" to "http://x/cb"),
        )!!
        assertEquals("cbt_canary", ctx.token)
        assertEquals("http://x/cb", ctx.url)
        assertFalse(ctx.toString().contains("cbt_canary"), ctx.toString())
    }

    @Test
    fun aThrowingListenerEndsTheCallWithItsOwnException(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val bug = IllegalStateException("listener bug")
            val thrown = thrownBy<IllegalStateException> { session.waitIdle { throw bug } }
            assertSame(bug, thrown)

            val dir = Files.createTempDirectory("poke-kotlin-listener")
            emulator.putWorkspaceFile("big.bin", ByteArray(1 shl 20))
            class Stop : RuntimeException("user stopped the download")
            val dest = dir.resolve("big.bin")
            thrownBy<Stop> { session.files.download("big.bin", dest) { _, _ -> throw Stop() } }
            // No partial file under the final name, nor a temporary one beside it.
            assertEquals(0L, Files.list(dir).use { it.count() })
            // The client is still usable.
            assertFalse(session.refresh().record.isBusy)
        }
    }

    @Test
    fun progressAsAFlow(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession(SessionParams(persistent = true))
            session.send("Build the presentation pace_ms=5").events.first()
            val updates = session.idleUpdates(WaitOptions(pollInterval = 20.milliseconds, deadline = 60.seconds)).toList()
            assertTrue(updates.first().isBusy)
            assertFalse(updates.last().isBusy)
            assertEquals(JsonPrimitive("done"), updates.last().metadata["temasek_status"])
        }
    }

    @Test
    fun emulatorKnobs(): Unit = runBlocking {
        val before = emulator.clockNow()
        emulator.advanceClock(60.seconds)
        assertTrue(!emulator.clockNow().isBefore(before.plusSeconds(60)))
        thrownBy<IllegalArgumentException> { emulator.advanceClock((-1).seconds) }
        emulator.setTurnPace(0.milliseconds)
        assertEquals(JsonPrimitive(0), emulator.sessionsConfig()["pace_ms"])
        pokee().use { pokee ->
            val session = pokee.createSession()
            emulator.scriptTurn(
                session.id,
                buildJsonObject {
                    put("steps", kotlinx.serialization.json.buildJsonArray {
                        add(buildJsonObject { put("type", "text"); put("text", "scripted reply") })
                    })
                    put("outcome", buildJsonObject { put("type", "error"); put("error", "boom") })
                },
            )
            val last = session.send("anything").events.toList().last()
            assertEquals(TurnEventKind.MESSAGE_ERROR, last.kind)
            assertEquals("boom", last.error)
            assertTrue(emulator.sessions().toString().contains(session.id))
            assertTrue(emulator.turns().toString().contains(session.id))
        }
        emulator.putWorkspaceFile("seed/a.txt", "seeded".toByteArray())
        assertArrayEquals("seeded".toByteArray(), emulator.workspaceFile("seed/a.txt"))
        assertNull(emulator.workspaceFile("seed/none.txt"))
    }
}
