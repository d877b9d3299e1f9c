import Foundation
internal import PokeBindings

/// A streamed stateless response: its events, read with
/// `for try await event in stream.events() { ... }`.
///
/// Dropped connections are resumed automatically (with `Last-Event-ID`); each event comes
/// exactly once and in order. The stream is closed when the loop ends: after the last event,
/// at `break` or `return`, when the loop throws, and when its `Task` is cancelled (the loop
/// then throws `CancellationError`). Closing stops reading: the response keeps running on the
/// server (``cancel()`` stops it there), and ``Responses/resume(responseID:after:)`` reads on
/// later from ``lastEventID``.
public final class ResponseStream: Sendable {
    let inner: PokeBindings.ResponseStream

    /// The `Idempotency-Key` the request was sent with, reused by every retry (nil for a
    /// resumed stream).
    public let idempotencyKey: String?

    init(_ stream: PokeBindings.ResponseStream) {
        inner = stream
        idempotencyKey = stream.idempotencyKey()
    }

    /// The response id (from the `X-Response-Id` header or `response.created`).
    public var responseID: String? { inner.responseId() }

    /// The id of the last event delivered, to resume from.
    public var lastEventID: String? { inner.lastEventId() }

    /// The response's events, read once: a loop that ends closes the stream, and a later loop
    /// yields nothing more.
    public func events() -> ResponseEvents {
        ResponseEvents(stream: inner)
    }

    /// Stops reading now: a pending read returns nil (the loop ends). The response keeps
    /// running on the server.
    public func close() {
        inner.close()
    }

    /// Asks the server to cancel the response; the stream then ends with `response.cancelled`.
    @discardableResult
    public func cancel() async throws -> CancelResult {
        CancelResult(try await bridge { try await inner.cancel() })
    }
}

/// The events of a ``ResponseStream``, as an `AsyncSequence`.
public struct ResponseEvents: AsyncSequence, Sendable {
    public typealias Element = ResponseEvent

    let stream: PokeBindings.ResponseStream

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: Reader(stream))
    }

    /// Reads the events one by one; the stream is closed when the iterator is gone.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let reader: Reader

        public mutating func next() async throws -> ResponseEvent? {
            try await reader.next()
        }
    }

    /// Closes the stream when the last iterator copy is released: at `break`, `return`, a
    /// thrown error, or when the task that owned the loop is gone.
    final class Reader: Sendable {
        let stream: PokeBindings.ResponseStream

        init(_ stream: PokeBindings.ResponseStream) {
            self.stream = stream
        }

        deinit {
            stream.close()
        }

        func next() async throws -> ResponseEvent? {
            do {
                // A task cancelled between two events stops here, before reading on.
                try Task.checkCancellation()
                // The generated call cancels its Rust future when the task is cancelled
                // while waiting, and throws CancellationError.
                return try await bridge { try await stream.next() }.map(ResponseEvent.init)
            } catch {
                stream.close()
                throw error
            }
        }
    }
}
