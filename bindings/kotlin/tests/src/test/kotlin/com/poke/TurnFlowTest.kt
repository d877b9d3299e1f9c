package com.poke

import com.poke.testing.Emulator
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * A turn's `events` flow: cold (nothing is sent before it is collected, a later collection
 * replays instead of sending again), exactly once across cancellations and resumes, and each
 * collection's connection closed when it ends, as the emulator's request journal sees it.
 */
class TurnFlowTest {
    private lateinit var emulator: Emulator
    private val http = HttpClient.newHttpClient()

    @BeforeEach
    fun start() {
        emulator = Emulator()
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun pokee() = PokeeClient(
        apiKey = "pk_flow",
        baseUrl = emulator.pokeeApiUrl,
        streams = StreamOptions(resumeDelay = 20.milliseconds),
    )

    /** The journal's rows for requests whose target contains [path], newest first. */
    private fun journal(path: String): List<JsonObject> {
        val uri = URI.create("${emulator.url}/_emulator/ui/api/requests?path=$path&limit=500")
        val body = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body()
        return Json.parseToJsonElement(body).jsonObject["entries"]!!.jsonArray.map { it.jsonObject }
    }

    private fun JsonObject.state(): String = this["state"]!!.jsonPrimitive.content

    @Test
    fun nothingIsSentUntilCollected(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("hello events=5 pace_ms=0")
            assertNull(turn.responseId)
            thrownBy<IllegalStateException> { turn.cancel() }
            assertTrue(emulator.requests().none { it.path.endsWith("/messages") })
            assertEquals(5, turn.events.toList().size)
            assertEquals(1, emulator.requests().count { it.path.endsWith("/messages") })
        }
    }

    @Test
    fun aLaterCollectionReplaysTheTurnWithoutSendingItAgain(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("twice events=12 pace_ms=0")
            val first = turn.events.map { it.id }.toList()
            val second = turn.events.map { it.id }.toList()
            assertEquals((0..11).map { it.toString() }, first)
            assertEquals(first, second)
            assertEquals(1, emulator.requests().count { it.path.endsWith("/messages") })
            val replay = emulator.requests().single { it.path.endsWith("/events") }
            assertEquals("/v1/sessions/${session.id}/responses/${turn.responseId}/events", replay.path)
            assertNull(replay.header("last-event-id"))
        }
    }

    @Test
    fun concurrentCollectorsShareOneMessage(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("both events=30 pace_ms=1")
            val a = async(Dispatchers.Default) { turn.events.map { it.id }.toList() }
            val b = async(Dispatchers.Default) { turn.events.map { it.id }.toList() }
            val expected = (0..29).map { it.toString() }
            assertEquals(expected, a.await())
            assertEquals(expected, b.await())
            assertEquals(1, emulator.requests().count { it.path.endsWith("/messages") })
        }
    }

    @Test
    fun collectionsCancelledAtRandomMomentsThenResumedLoseAndRepeatNothing(): Unit = runBlocking {
        // Each timeout may land while an event is on its way: it must not count as delivered.
        // Bounded: 200 events 1 ms apart, at most 2,000 collections.
        pokee().use { pokee ->
            val session = pokee.createSession()
            val first = session.send("race events=200 pace_ms=1")
            val got = mutableListOf<String?>()
            val random = java.util.Random(7)
            var turn = first
            var finished = false
            var tries = 0
            // Each collection without a new event waits 1 ms longer, so a slow machine (CI under
            // load) still makes progress within the bound; the moments stay random.
            var sinceProgress = 0
            while (!finished && tries++ < 2_000) {
                val before = got.size
                finished = withTimeoutOrNull(1L + random.nextInt(3) + sinceProgress) {
                    turn.events.collect { got += it.id }
                    true
                } ?: false
                sinceProgress = if (got.size > before) 0 else sinceProgress + 1
                // A timeout that lands after the last event was handed out but before the
                // collection saw the stream end leaves nothing to resume.
                if (got.size == 200) break
                if (!finished && turn.responseId != null) {
                    turn = session.resume(turn.responseId!!, turn.lastEventId)
                }
            }
            assertTrue(finished || got.size == 200, "gave up after $tries collections")
            assertEquals((0..199).map { it.toString() }, got)
        }
    }

    @Test
    fun aCompletedCollectionEndsItsRequest(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            session.send("short events=10 pace_ms=0").events.toList()
            val row = journal("/messages").single()
            assertEquals("done", row.state())
        }
    }

    @Test
    fun takeClosesTheSocketWhileTheTurnRunsOn(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("long events=100000 pace_ms=5")
            assertEquals(3, turn.events.take(3).toList().size)
            assertEquals("cut", awaitEnd("/messages").state())
            assertEquals("in_progress", turnStatus(turn.responseId!!))
            turn.cancel()
        }
    }

    /**
     * The must-show: a cancelled collector closes its socket. The closure is asserted through
     * the emulator's journal (the answer's body was cut while the turn still runs on the server);
     * the delay from cancel() to the cut is printed, not asserted.
     */
    @Test
    fun aCancelledCollectorClosesItsSocket(): Unit = runBlocking {
        pokee().use { pokee ->
            val session = pokee.createSession()
            val turn = session.send("long events=100000 pace_ms=2")
            val tenth = CompletableDeferred<Unit>()
            var seen = 0
            val collector = launch(Dispatchers.Default) {
                turn.events.collect { if (++seen == 10) tenth.complete(Unit) }
            }
            tenth.await()
            val cancelledAt = System.currentTimeMillis() / 1000.0
            collector.cancelAndJoin()
            val row = awaitEnd("/messages")
            assertEquals("cut", row.state(), "$row")
            // The turn itself goes on: the client closed the connection, the server did not.
            assertEquals("in_progress", turnStatus(turn.responseId!!))
            val cutAt = row["at"]!!.jsonPrimitive.double + row["duration_ms"]!!.jsonPrimitive.double / 1000.0
            val delayMs = (cutAt - cancelledAt) * 1000.0
            println("socket-close delay: %.1f ms after cancel (the emulator saw the body cut)".format(delayMs))
            turn.cancel()
        }
    }

    /** Waits (bounded, 10 s) for the request to [path] to leave the "streaming" state. */
    private suspend fun awaitEnd(path: String): JsonObject {
        repeat(2_000) {
            val row = journal(path).first()
            if (row.state() != "streaming" && row["duration_ms"]?.jsonPrimitive?.doubleOrNull != null) return row
            delay(5)
        }
        error("the request to $path is still streaming after 10 s: ${journal(path).first()}")
    }

    private fun turnStatus(responseId: String): String =
        emulator.turns().map { it.jsonObject }.single { it["response_id"]!!.jsonPrimitive.content == responseId }["status"]!!
            .jsonPrimitive.content
}
