import Foundation
internal import PokeBindings

/// A client of the Pokee Enterprise sessions API: sessions, their turns, files and usage.
///
/// One per app is enough: calls share its connection pool. Every call is `async throws`,
/// throws ``PokeError``, and stops at once when its `Task` is cancelled (throwing
/// `CancellationError`).
///
/// ```swift
/// let pokee = try PokeeClient(apiKey: key, baseURL: URL(string: "https://acme.enterprise.pokee.ai")!)
/// let session = try await pokee.createSession()
/// let turn = try await session.send("Summarise the Q3 report")
/// for try await event in turn.events() {
///     if let text = event.content { print(text, terminator: "") }
/// }
/// ```
public final class PokeeClient: Sendable, CustomStringConvertible {
    let inner: PokeBindings.PokeeClient

    /// A client. Without `apiKey`, the key comes from `POKEE_KEY`; without `baseURL`, from
    /// `POKEE_API`.
    ///
    /// - Parameters:
    ///   - timeouts: Time bounds of each call that is not a turn's stream or a file transfer.
    ///   - maxRetries: Retries after the first attempt (default 2).
    ///   - streamReadIdle: The longest silence on a turn's stream before it is treated as
    ///     dropped and resumed (default 60 s).
    ///   - transferReadIdle: The longest silence during a file transfer (default 30 s).
    ///   - resumePolicy: How dropped turn streams are resumed.
    /// - Throws: ``PokeError/missingAPIKey(_:)``, ``PokeError/configuration(_:)`` (no base
    ///   URL), ``PokeError/invalidInput(_:)`` (a negative duration or count).
    public init(
        apiKey: String? = nil,
        baseURL: URL? = nil,
        timeouts: Timeouts? = nil,
        maxRetries: Int? = nil,
        streamReadIdle: Duration? = nil,
        transferReadIdle: Duration? = nil,
        resumePolicy: ResumePolicy? = nil
    ) throws {
        ignoreBrokenPipes()
        let options = PokeeClientOptions(
            apiKey: apiKey,
            baseUrl: baseURL?.absoluteString,
            timeouts: timeouts.map(PokeBindings.Timeouts.init),
            maxRetries: try unsigned32(maxRetries, argument: "maxRetries"),
            language: .swift,
            streamReadIdleSecs: streamReadIdle?.inSeconds,
            transferReadIdleSecs: transferReadIdle?.inSeconds,
            resume: try resumePolicy.map(ResumeOptions.init)
        )
        inner = try bridge { try PokeBindings.PokeeClient(options: options) }
    }

    /// The base URL in use, without trailing slash.
    public var baseURL: URL { parsedURL(inner.baseUrl()) }

    /// `PokeeClient(baseURL: ...)`: never the key.
    public var description: String { "PokeeClient(baseURL: \(inner.baseUrl()))" }

    /// Creates a session.
    ///
    /// - Parameters:
    ///   - persistent: `true` keeps the session until its `ttl` runs out instead of ending it
    ///     5 minutes after a turn.
    ///   - ttl: The upper bound on its lifetime (server default 4 hours).
    ///   - metadata: Free-form metadata returned on every read: a `[String: JSONValue]`
    ///     literal or any `Encodable` that encodes as a JSON object.
    ///   - fileAccess: Which workspace paths it may use (default: all of them).
    ///   - model: The model, fixed for the session's life.
    ///   - tools: Client tools, as a JSON array of OpenAI-shape function definitions: a
    ///     `[JSONValue]` literal or any `Encodable` array.
    public func createSession(
        persistent: Bool? = nil,
        ttl: Duration? = nil,
        metadata: (some Encodable & Sendable)? = [String: JSONValue]?.none,
        fileAccess: FileAccess? = nil,
        model: String? = nil,
        tools: (some Encodable & Sendable)? = [JSONValue]?.none
    ) async throws -> Session {
        let params = CreateSessionParams(
            persistent: persistent,
            ttlSecs: try wholeSeconds(ttl, argument: "ttl"),
            metadataJson: try metadata.map { try jsonText($0, argument: "metadata") },
            fileAccess: fileAccess.map { PokeBindings.FileAccess(read: $0.read, write: $0.write) },
            model: model,
            toolsJson: try tools.map { try jsonText($0, argument: "tools") }
        )
        let record = try await bridge { try await inner.createSession(params: params) }
        return Session(client: self, info: SessionInfo(record))
    }

    /// The session `id`, read from the server.
    public func session(id: String) async throws -> Session {
        let record = try await bridge { try await inner.getSession(sessionId: id) }
        return Session(client: self, info: SessionInfo(record))
    }

    /// Every session of the tenant.
    public func sessions() async throws -> [Session] {
        try await bridge { try await inner.listSessions() }.map { Session(client: self, info: SessionInfo($0)) }
    }

    /// Ends every session that matches the filters, which combine (none: every session).
    ///
    /// - Parameters:
    ///   - idleOnly: Only sessions not running a turn.
    ///   - olderThan: Only sessions inactive for at least this long (whole seconds).
    /// - Returns: How many sessions ended.
    @discardableResult
    public func deleteSessions(idleOnly: Bool = false, olderThan: Duration? = nil) async throws -> Int {
        let filter = BulkDeleteFilter(idleOnly: idleOnly, olderThanSecs: try wholeSeconds(olderThan, argument: "olderThan"))
        return int(try await bridge { try await inner.deleteSessions(filter: filter) }.deleted)
    }

    /// Rate-limit usage and credit balance.
    public func usage() async throws -> Usage {
        Usage(try await bridge { try await inner.usage() })
    }

    /// `GET /health` (no key needed): the server's answer.
    public func health() async throws -> JSONValue {
        jsonValue(try await bridge { try await inner.health() })
    }
}

extension ResumeOptions {
    init(_ policy: ResumePolicy) throws {
        self.init(
            maxAttemptsWithoutProgress: try unsigned32(
                policy.maxAttemptsWithoutProgress, argument: "resumePolicy.maxAttemptsWithoutProgress"
            ),
            initialDelaySecs: policy.initialDelay?.inSeconds,
            maxDelaySecs: policy.maxDelay?.inSeconds
        )
    }
}
