package com.poke

import java.io.IOException
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import com.poke.ffi.ResponseStream as FfiResponseStream

/**
 * A streamed stateless response, as a cold flow of [events], like a session's [Turn].
 *
 * ```kotlin
 * pokee.responses.stream(ResponseParams(input = "Hello")).events.collect { event ->
 *     if (event.kind == ResponseEventKind.OUTPUT_TEXT_DELTA) print(event.delta)
 * }
 * ```
 *
 * Nothing is sent until [events] is collected. The first collection of a stream made by
 * [Responses.stream] posts the request (with [idempotencyKey]); a later collection replays the
 * same response's events from the start (it never posts twice). A stream made by
 * [Responses.resume] reads from the position it was given, each time it is collected.
 *
 * Each collection has a connection of its own, closed when the collection ends: after the
 * terminal event, on an error, or when the collector is cancelled or stops early. Stopping to
 * read does not stop the response on the server; [cancel] does. A dropped connection is resumed
 * inside the flow (each event exactly once, in order); when that is no longer possible the flow
 * throws [PokeStreamException], and [lastEventId] says where to [Responses.resume].
 */
public class ResponseStream internal constructor(
    private val client: PokeeClient,
    private val origin: Origin,
) {
    internal sealed interface Origin {
        class Create(val params: ResponseParams, val idempotencyKey: String) : Origin

        class Resume(val responseId: String, val lastEventId: String?) : Origin
    }

    private val opening = Mutex()

    /** The response id, known once a collection has started (for [cancel], [Responses.resume]). */
    @Volatile
    public var responseId: String? = (origin as? Origin.Resume)?.responseId
        private set

    /** The `Idempotency-Key` the request is sent with; `null` for a resumed stream. */
    public val idempotencyKey: String? = (origin as? Origin.Create)?.idempotencyKey

    /** The id of the latest event handed to a collector (a resume continues after it). */
    @Volatile
    public var lastEventId: String? = (origin as? Origin.Resume)?.lastEventId
        private set

    /** The response's events, each exactly once and in order; see the class description. */
    public val events: Flow<ResponseEvent> = Events()

    // A Flow of its own rather than `flow {}`, for the reason given in Turn: lastEventId is
    // exactly the last event a collector received, however the collection ends.
    private inner class Events : Flow<ResponseEvent> {
        override suspend fun collect(collector: FlowCollector<ResponseEvent>) {
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

    private suspend fun open(): FfiResponseStream = opening.withLock {
        val ffi = client.ffi()
        val known = responseId
        val stream = when {
            origin is Origin.Resume -> native { ffi.resumeResponse(origin.responseId, origin.lastEventId) }
            known != null -> native { ffi.resumeResponse(known, null) }
            else -> {
                val create = origin as Origin.Create
                val params = create.params.toFfi()
                native { ffi.streamResponse(params, create.idempotencyKey) }
            }
        }
        if (responseId == null) responseId = stream.responseId()
        stream
    }

    /**
     * Asks the server to cancel the response; its events then end with `response.cancelled`.
     *
     * @throws IllegalStateException before a collection has started (no response id yet).
     * @throws PokeException when the call fails.
     */
    public suspend fun cancel(): CancelResult {
        val id = checkNotNull(responseId) { "the response has not started: collect its events first" }
        return client.responses.cancel(id)
    }

    /**
     * Collects [events] for Java: [listener] gets each event on the calling thread, which
     * returns after the last one. A listener that throws stops the collection with that
     * throwable.
     */
    @Throws(IOException::class)
    public fun collectBlocking(listener: ResponseEventListener): Unit = blocking { events.collect { listener.onEvent(it) } }

    /** Collects [events] for Java, as a future; cancelling it closes the stream. */
    public fun collectAsync(listener: ResponseEventListener): CompletableFuture<Void?> =
        future {
            events.collect { listener.onEvent(it) }
            null
        }

    /** [cancel] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun cancelBlocking(): CancelResult = blocking { cancel() }

    /** [cancel] for Java, as a future. */
    public fun cancelAsync(): CompletableFuture<CancelResult> = future { cancel() }

    override fun toString(): String = "ResponseStream(responseId=$responseId, lastEventId=$lastEventId)"
}
