import Foundation
internal import PokeBindings

/// A session of the Pokee Enterprise API: send it messages, answer its tool calls, wait for it,
/// and use its workspace files.
///
/// Get one from ``PokeeClient/createSession(persistent:ttl:metadata:fileAccess:model:tools:)``,
/// ``PokeeClient/session(id:)`` or ``PokeeClient/sessions()``.
public final class Session: Sendable, CustomStringConvertible {
    /// The client this session's calls go through.
    public let client: PokeeClient
    /// The session's id.
    public let id: String
    /// The session as the server described it when this object was made (its creation, read
    /// or listing); ``fetchInfo()`` reads it again.
    public let info: SessionInfo

    init(client: PokeeClient, info: SessionInfo) {
        self.client = client
        self.id = info.id
        self.info = info
    }

    /// The generated client behind ``client``.
    var inner: PokeBindings.PokeeClient { client.inner }

    /// `Session(id: ...)`.
    public var description: String { "Session(id: \(id))" }

    /// The session as the server describes it now (busy flag, progress metadata, ...).
    public func fetchInfo() async throws -> SessionInfo {
        SessionInfo(try await bridge { try await inner.getSession(sessionId: id) })
    }

    /// Ends the session; its workspace files stay.
    public func delete() async throws {
        try await bridge { try await inner.deleteSession(sessionId: id) }
    }

    /// Sends a message, starting a turn; read the agent's answer from ``Turn/events()``.
    ///
    /// A session runs one turn at a time: a message sent while one runs fails with
    /// ``PokeError/APIError/Kind/conflict``.
    ///
    /// - Parameter idempotencyKey: Sending the same message with the same key again (after an
    ///   app restart, say) replays that turn instead of starting a new one. By default a fresh
    ///   key is used for this send and its retries.
    public func send(_ message: String, idempotencyKey: String? = nil) async throws -> Turn {
        Turn(try await bridge {
            try await inner.sendMessage(sessionId: id, message: message, idempotencyKey: idempotencyKey)
        })
    }

    /// Reopens a turn's events after `lastEventID` (from the start without it), for example
    /// after an app restart or a loop that stopped early.
    public func resume(responseID: String, after lastEventID: String? = nil) async throws -> Turn {
        Turn(try await bridge {
            try await inner.resume(sessionId: id, responseId: responseID, lastEventId: lastEventID)
        })
    }

    /// Asks the server to cancel the turn `responseID`; its stream then ends with
    /// `message.cancelled`.
    @discardableResult
    public func cancelTurn(responseID: String) async throws -> CancelResult {
        CancelResult(try await bridge { try await inner.cancelTurn(sessionId: id, responseId: responseID) })
    }

    /// Answers a `tool_call.requested` event with `output`, any `Encodable` value (usually a
    /// `String`), sent as JSON.
    @discardableResult
    public func submitToolResult(callID: String, output: some Encodable & Sendable) async throws -> ToolResultAck {
        let json = try jsonText(output, argument: "output")
        return ToolResultAck(try await bridge {
            try await inner.submitToolResult(sessionId: id, callId: callID, outputJson: json)
        })
    }

    /// Waits until the session is not busy (its turn ended) and returns it then.
    ///
    /// It reads the session every `pollInterval`, doubling up to `maxInterval`.
    ///
    /// - Parameters:
    ///   - deadline: Give up with ``PokeError/timeout(_:)`` after this long (default: never;
    ///     cancelling the task stops the wait too).
    ///   - onChange: Called with the first reading and every one that differs from the one
    ///     before (busy flag, status, progress metadata); the last call has the idle session.
    @discardableResult
    public func waitUntilIdle(
        pollInterval: Duration? = nil,
        maxInterval: Duration? = nil,
        deadline: Duration? = nil,
        onChange: ProgressHandler<SessionInfo>? = nil
    ) async throws -> SessionInfo {
        let options = WaitOptions(
            pollIntervalSecs: pollInterval?.inSeconds,
            maxIntervalSecs: maxInterval?.inSeconds,
            deadlineSecs: deadline?.inSeconds
        )
        let listener = onChange.map(WaitRelay.init)
        return SessionInfo(try await bridge {
            try await inner.waitIdle(sessionId: id, options: options, listener: listener)
        })
    }
}
