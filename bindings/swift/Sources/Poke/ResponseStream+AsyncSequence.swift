// Hand-written: a streamed stateless response as a Swift AsyncSequence, as `Turn.events()`
// does for turns. All stream behaviour (resume, dedupe, order) is the core's.
import Foundation

extension ResponseStream {
    /// The response's events, each exactly once and in order:
    /// `for try await event in stream.events() { ... }`. It finishes after the terminal event
    /// (or after `close()`) and throws `PokeError` if the stream cannot be resumed. Cancelling
    /// the iterating task calls `close()`; `cancel()` stops the response on the server.
    public func events() -> AsyncThrowingStream<ResponseEvent, Error> {
        AsyncThrowingStream(unfolding: {
            try await withTaskCancellationHandler {
                try await self.next()
            } onCancel: {
                self.close()
            }
        })
    }
}
