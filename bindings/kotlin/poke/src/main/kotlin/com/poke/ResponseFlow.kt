// Hand-written: a streamed stateless response as a Kotlin Flow, as `Turn.asFlow()` does for
// turns. All stream behaviour (resume, dedupe, order) is the core's; this only pulls
// `nextTracked()` until it returns null and tells the core whether each read's event arrived.
package com.poke

import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector

/**
 * The response's events as a [Flow], each exactly once and in order; it completes after the
 * terminal event (or after [ResponseStream.closeStream]) and throws [PokeException] if the
 * stream cannot be resumed. Collecting again continues where the last collection stopped; a
 * cancelled collection loses nothing. Close the stream (`use {}`) to release its connection,
 * or [ResponseStream.cancel] to stop the response on the server.
 */
fun ResponseStream.asFlow(): Flow<ResponseEvent> = ResponseFlow(this)

private val responseReadIds = AtomicLong()

// Implements Flow directly, as TurnFlow does: the value goes straight to the collector.
private class ResponseFlow(private val stream: ResponseStream) : Flow<ResponseEvent> {
    override suspend fun collect(collector: FlowCollector<ResponseEvent>) {
        while (true) {
            val readId = responseReadIds.incrementAndGet().toULong()
            val event = stream.nextTracked(readId) ?: return
            if (!stream.confirmRead(readId)) continue
            collector.emit(event)
        }
    }
}
