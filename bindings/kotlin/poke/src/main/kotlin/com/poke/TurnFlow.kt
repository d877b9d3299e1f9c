// Hand-written: a turn as a Kotlin Flow. All stream behaviour (resume, dedupe, order) is the
// core's; this only pulls `nextTracked()` until it returns null and tells the core whether each
// read's event arrived.
package com.poke

import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector

/**
 * The turn's events as a [Flow], each event exactly once and in order; it completes after the
 * terminal event (or after [Turn.closeStream]) and throws [PokeException] if the stream cannot
 * be resumed. The flow pulls from the one underlying stream: collecting it again continues
 * where the last collection stopped. Cancelling the collector cancels the pending read only,
 * and loses nothing: an event already on its way is delivered by the next collection. This
 * holds for `collect {}` and for operators that pass values straight on (`map`, `filter`,
 * `onEach`, `take`); operators that hand values to another coroutine (`buffer`, `flowOn`)
 * follow their own cancellation rules. Close the turn (`use {}`) to release its connection,
 * or [Turn.cancel] to stop it on the server.
 */
fun Turn.asFlow(): Flow<TurnEvent> = TurnFlow(this)

private val readIds = AtomicLong()

// Implements Flow directly rather than through `flow {}`: `flow {}`'s emit checks for
// cancellation before handing the value on, and an event confirmed to the core but dropped
// there would be lost. Here the value goes straight to the collector, in the same coroutine.
private class TurnFlow(private val turn: Turn) : Flow<TurnEvent> {
    override suspend fun collect(collector: FlowCollector<TurnEvent>) {
        while (true) {
            val readId = readIds.incrementAndGet().toULong()
            // A read cancelled after its event left the stream leaves it unconfirmed: the
            // next read (this collection's or a later one's) takes it over.
            val event = turn.nextTracked(readId) ?: return
            // No suspension since the read returned. False: a concurrent read took it over.
            if (!turn.confirmRead(readId)) continue
            collector.emit(event)
        }
    }
}
