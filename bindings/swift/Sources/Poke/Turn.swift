import Foundation
internal import PokeBindings

/// One turn of a session: the agent's answer to a message, as a stream of events.
///
/// Read it with `for try await event in turn.events() { ... }`. Dropped connections are
/// resumed automatically; each event comes exactly once and in order.
///
/// The stream is closed when the loop ends: after the last event, at `break` or `return`,
/// when the loop throws, and when its `Task` is cancelled (the loop then throws
/// `CancellationError`). Closing stops reading: the turn itself keeps running on the server
/// (``cancel()`` stops it there), and ``Session/resume(responseID:after:)`` reads on later
/// from ``lastEventID``.
public final class Turn: Sendable {
    let inner: PokeBindings.Turn

    /// The session this turn runs in.
    public let sessionID: String
    /// The `Idempotency-Key` the turn was started with (nil for a resumed stream). Sending the
    /// same message with the same key again replays this turn instead of starting another.
    public let idempotencyKey: String?
    /// Set when the server answered an idempotent re-send with "replayed".
    public let replayed: ReplayNotice?

    init(_ turn: PokeBindings.Turn) {
        inner = turn
        sessionID = turn.sessionId()
        idempotencyKey = turn.idempotencyKey()
        replayed = turn.replayed().map(ReplayNotice.init)
    }

    /// The turn's response id (from the `X-Response-Id` header or the first event).
    public var responseID: String? { inner.responseId() }

    /// The id of the last event delivered, to resume from.
    public var lastEventID: String? { inner.lastEventId() }

    /// The turn's events, read once: a loop that ends closes the stream, and a later loop
    /// yields nothing more.
    public func events() -> TurnEvents {
        TurnEvents(turn: inner)
    }

    /// Stops reading now: a pending read returns nil (the loop ends). The turn keeps running
    /// on the server.
    public func close() {
        inner.close()
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`.
    @discardableResult
    public func cancel() async throws -> CancelResult {
        CancelResult(try await bridge { try await inner.cancel() })
    }
}

/// The events of a ``Turn``, as an `AsyncSequence`.
public struct TurnEvents: AsyncSequence, Sendable {
    public typealias Element = TurnEvent

    let turn: PokeBindings.Turn

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: Reader(turn))
    }

    /// Reads the events one by one; the stream is closed when the iterator is gone.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let reader: Reader

        public mutating func next() async throws -> TurnEvent? {
            try await reader.next()
        }
    }

    /// Closes the stream when the last iterator copy is released: at `break`, `return`, a
    /// thrown error, or when the task that owned the loop is gone.
    final class Reader: Sendable {
        let turn: PokeBindings.Turn

        init(_ turn: PokeBindings.Turn) {
            self.turn = turn
        }

        deinit {
            turn.close()
        }

        func next() async throws -> TurnEvent? {
            do {
                // A task cancelled between two events stops here, before reading on.
                try Task.checkCancellation()
                // The generated call cancels its Rust future when the task is cancelled
                // while waiting, and throws CancellationError.
                return try await bridge { try await turn.next() }.map(TurnEvent.init)
            } catch {
                turn.close()
                throw error
            }
        }
    }
}
