// Hand-written: a turn as a Kotlin Flow. All stream behaviour (resume, dedupe, order) is the
// core's; this only pulls `next()` until it returns null.
package com.poke

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * The turn's events as a [Flow], each event exactly once and in order; it completes after the
 * terminal event (or after [Turn.closeStream]) and throws [PokeException] if the stream cannot
 * be resumed. The flow pulls from the one underlying stream: collecting it again continues
 * where the last collection stopped. Cancelling the collector cancels the pending read only;
 * close the turn (`use {}`) to release its connection, or [Turn.cancel] to stop it on the server.
 */
fun Turn.asFlow(): Flow<TurnEvent> = flow {
    while (true) {
        emit(next() ?: break)
    }
}
