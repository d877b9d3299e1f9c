// Hand-written: a turn as a Swift AsyncSequence. All stream behaviour (resume, dedupe, order)
// is the core's; this only pulls `next()` until it returns nil.
import Foundation

extension Turn {
    /// The turn's events, each exactly once and in order:
    /// `for try await event in turn.events() { ... }`. It finishes after the terminal event
    /// (or after `close()`) and throws `PokeError` if the stream cannot be resumed.
    ///
    /// Pull-based like Kotlin's `Flow`: nothing is read ahead, and iterating again continues
    /// where the last loop stopped. Swift's `Task.cancel()` does not reach a running uniffi
    /// call, so cancelling the iterating task calls `close()`: the pending read returns nil at
    /// once. The turn keeps running on the server; `cancel()` stops it there.
    public func events() -> AsyncThrowingStream<TurnEvent, Error> {
        AsyncThrowingStream(unfolding: {
            try await withTaskCancellationHandler {
                try await self.next()
            } onCancel: {
                self.close()
            }
        })
    }
}
