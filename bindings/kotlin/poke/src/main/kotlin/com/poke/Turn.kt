package com.poke

import java.io.IOException
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import com.poke.ffi.Turn as FfiTurn
import com.poke.ffi.TurnEvent as FfiTurnEvent
import com.poke.ffi.TurnEventKind as FfiTurnEventKind

/**
 * One turn of a session: a message and the agent's answer, as a stream of [events].
 *
 * ```kotlin
 * val turn = session.send("Build the quarterly deck")
 * turn.events.collect { event ->
 *     if (event.kind == TurnEventKind.TEXT_DELTA) print(event.content)
 * }
 * ```
 *
 * [events] is a cold flow: nothing is sent until it is collected. The first collection of a
 * turn made by [Session.send] posts the message and streams the answer; a later collection
 * replays the same turn's events from the start (it never sends the message twice). A turn made
 * by [Session.resume] streams from the position it was given, each time it is collected.
 *
 * Each collection has a connection of its own, closed when the collection ends: after the last
 * event, on an error, or when the collector is cancelled or stops early (`first()`, `take(n)`).
 * Stopping to read does not stop the turn on the server; [cancel] does. A dropped connection is
 * resumed inside the flow (each event exactly once, in order); when that is no longer possible
 * the flow throws [PokeStreamException], and [lastEventId] says where to [Session.resume].
 */
public class Turn internal constructor(
    private val client: PokeeClient,
    /** The session the turn runs in. */
    public val sessionId: String,
    private val origin: Origin,
) {
    internal sealed interface Origin {
        class Send(val message: String, val idempotencyKey: String) : Origin

        class Resume(val responseId: String, val lastEventId: String?) : Origin
    }

    private val opening = Mutex()

    /** The turn's response id, known once a collection has started (for [cancel], [Session.resume]). */
    @Volatile
    public var responseId: String? = (origin as? Origin.Resume)?.responseId
        private set

    /** The `Idempotency-Key` the message is sent with; `null` for a resumed turn. */
    public val idempotencyKey: String? = (origin as? Origin.Send)?.idempotencyKey

    /** The id of the latest event handed to a collector (a resume continues after it). */
    @Volatile
    public var lastEventId: String? = (origin as? Origin.Resume)?.lastEventId
        private set

    /** Set when the server answered a re-sent message with "replayed": the turn has no events. */
    @Volatile
    public var replayed: ReplayNotice? = null
        private set

    /** The turn's events, each exactly once and in order; see the class description. */
    public val events: Flow<TurnEvent> = Events()

    // A Flow of its own rather than `flow {}`, whose emit checks for cancellation before it
    // hands the value on: an event counted in lastEventId but never handed over would be skipped
    // by a resume. Here nothing can suspend between the two, so lastEventId is exactly the last
    // event a collector received, however the collection ends.
    private inner class Events : Flow<TurnEvent> {
        override suspend fun collect(collector: FlowCollector<TurnEvent>) {
            val stream = open()
            try {
                while (true) {
                    val event = native { stream.next() }?.toPublic() ?: break
                    event.id?.let { lastEventId = it }
                    if (responseId == null) responseId = stream.responseId()
                    collector.emit(event)
                }
            } finally {
                // Frees the stream now, not when the GC finds it: this closes its connection.
                stream.closeStream()
                stream.close()
            }
        }
    }

    private suspend fun open(): FfiTurn = opening.withLock {
        val ffi = client.ffi()
        val known = responseId
        val stream = when {
            origin is Origin.Resume -> native { ffi.resume(sessionId, origin.responseId, origin.lastEventId) }
            known != null -> native { ffi.resume(sessionId, known, null) }
            else -> native { ffi.sendMessage(sessionId, (origin as Origin.Send).message, idempotencyKey) }
        }
        if (responseId == null) responseId = stream.responseId()
        if (replayed == null) replayed = stream.replayed()?.let { ReplayNotice(it.responseId, it.status, it.note) }
        stream
    }

    /**
     * Asks the server to stop the turn; its events then end with `message.cancelled`.
     *
     * @throws IllegalStateException before a collection has started (no response id yet).
     * @throws PokeException when the call fails.
     */
    public suspend fun cancel(): CancelResult {
        val id = checkNotNull(responseId) { "the turn has not started: collect its events first" }
        return client.cancelTurn(sessionId, id)
    }

    /**
     * Collects [events] for Java: [listener] gets each event on the calling thread, which
     * returns after the last one. A listener that throws stops the collection with that
     * throwable.
     */
    @Throws(IOException::class)
    public fun collectBlocking(listener: TurnEventListener): Unit = blocking { events.collect { listener.onEvent(it) } }

    /** Collects [events] for Java, as a future; cancelling it closes the stream. */
    public fun collectAsync(listener: TurnEventListener): CompletableFuture<Void?> =
        future {
            events.collect { listener.onEvent(it) }
            null
        }

    /** [cancel] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun cancelBlocking(): CancelResult = blocking { cancel() }

    /** [cancel] for Java, as a future. */
    public fun cancelAsync(): CompletableFuture<CancelResult> = future { cancel() }

    override fun toString(): String = "Turn(sessionId=$sessionId, responseId=$responseId, lastEventId=$lastEventId)"
}

internal fun FfiTurnEvent.toPublic(): TurnEvent = TurnEvent(
    id = id,
    type = event,
    kind = kind.toPublic(),
    data = parseJson(dataJson),
    raw = raw,
    content = content,
    error = error,
    sequenceNumber = sequenceNumber?.toLongExact(),
    isTerminal = isTerminal,
)

private fun FfiTurnEventKind.toPublic(): TurnEventKind = when (this) {
    FfiTurnEventKind.MESSAGE_CREATED -> TurnEventKind.MESSAGE_CREATED
    FfiTurnEventKind.TEXT_START -> TurnEventKind.TEXT_START
    FfiTurnEventKind.TEXT_DELTA -> TurnEventKind.TEXT_DELTA
    FfiTurnEventKind.TEXT_STOP -> TurnEventKind.TEXT_STOP
    FfiTurnEventKind.THINKING_START -> TurnEventKind.THINKING_START
    FfiTurnEventKind.THINKING_DELTA -> TurnEventKind.THINKING_DELTA
    FfiTurnEventKind.THINKING_STOP -> TurnEventKind.THINKING_STOP
    FfiTurnEventKind.TOOL_USE_START -> TurnEventKind.TOOL_USE_START
    FfiTurnEventKind.TOOL_USE_INPUT_DELTA -> TurnEventKind.TOOL_USE_INPUT_DELTA
    FfiTurnEventKind.TOOL_USE_EXECUTING -> TurnEventKind.TOOL_USE_EXECUTING
    FfiTurnEventKind.TOOL_USE_STOP -> TurnEventKind.TOOL_USE_STOP
    FfiTurnEventKind.TOOL_RESULT -> TurnEventKind.TOOL_RESULT
    FfiTurnEventKind.TOOL_CALL_REQUESTED -> TurnEventKind.TOOL_CALL_REQUESTED
    FfiTurnEventKind.MESSAGE_COMPLETED -> TurnEventKind.MESSAGE_COMPLETED
    FfiTurnEventKind.MESSAGE_ERROR -> TurnEventKind.MESSAGE_ERROR
    FfiTurnEventKind.MESSAGE_CANCELLED -> TurnEventKind.MESSAGE_CANCELLED
    FfiTurnEventKind.OTHER -> TurnEventKind.OTHER
}
