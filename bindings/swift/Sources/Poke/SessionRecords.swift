import Foundation
internal import PokeBindings

/// A session as the server described it.
public struct SessionInfo: Sendable, Hashable {
    /// The session's id, e.g. `sess_a86118c06688`.
    public let id: String
    /// When it was created.
    public let createdAt: Date?
    /// When a turn last started or ended.
    public let lastActivityAt: Date?
    /// True while a turn runs: what to branch on.
    public let isBusy: Bool
    /// Whether the session outlives its idle timer (until its ``ttl``).
    public let isPersistent: Bool
    /// The upper bound on the session's lifetime.
    public let ttl: Duration?
    /// The status as sent: `ready`, `busy`, or anything newer.
    public let status: String
    /// Free-form metadata, including the progress keys the agent writes.
    public let metadata: [String: JSONValue]
    /// The file scope, when the session has one.
    public let fileAccess: FileAccess?
    /// The model, when the server reports it.
    public let model: String?
    /// The client tools, when the server reports them.
    public let tools: [JSONValue]?
    /// The whole record as received, fields this version does not know included.
    public let json: JSONValue

    /// ``metadata`` decoded as your own `Decodable` type.
    public func metadata<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONValue.object(metadata).decode(T.self)
    }

    init(_ record: SessionRecord) {
        id = record.id
        createdAt = record.createdAt.map(Date.init(unixSeconds:))
        lastActivityAt = record.lastActivity.map(Date.init(unixSeconds:))
        isBusy = record.isBusy
        isPersistent = record.persistent
        ttl = record.ttlSecs.map { .seconds(Int64(clamping: $0)) }
        status = record.status
        metadata = jsonValue(record.metadataJson).objectValue ?? [:]
        fileAccess = record.fileAccess.map { FileAccess(read: $0.read, write: $0.write) }
        model = record.model
        tools = record.toolsJson.map { jsonValue($0).arrayValue ?? [] }
        json = jsonValue(record.json)
    }
}

/// One entry of a workspace directory.
public struct FileEntry: Sendable, Hashable {
    /// The bare name, not a path.
    public let name: String
    /// A file, a directory, or a kind this version does not know.
    public let kind: Kind
    /// The size in bytes (0 for directories).
    public let size: Int
    /// When it was last modified.
    public let modifiedAt: Date?

    /// The kinds of entry; open-ended, so a newer server's kinds still compare.
    public struct Kind: RawRepresentable, Sendable, Hashable {
        /// The kind as the server sent it.
        public let rawValue: String
        /// A kind by its server name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A regular file.
        public static let file = Kind(rawValue: "file")
        /// A directory.
        public static let directory = Kind(rawValue: "directory")
    }

    init(_ entry: PokeBindings.FileEntry) {
        name = entry.name
        kind = Kind(rawValue: entry.kind)
        size = int(entry.size)
        modifiedAt = entry.modified.map(Date.init(unixSeconds:))
    }
}

/// A stored upload.
public struct UploadResult: Sendable, Hashable {
    /// The normalised workspace-relative path written.
    public let path: String
    /// Bytes stored.
    public let size: Int
    /// When it was stored.
    public let modifiedAt: Date?

    init(_ result: PokeBindings.UploadResult) {
        path = result.path
        size = int(result.size)
        modifiedAt = result.modified.map(Date.init(unixSeconds:))
    }
}

/// The answer to a turn cancel.
public struct CancelResult: Sendable, Hashable {
    /// The turn's response id, when the server includes it.
    public let responseID: String?
    /// `cancelling` (the turn is stopping) or `already_complete`.
    public let status: String

    init(_ result: PokeBindings.CancelResult) {
        responseID = result.responseId
        status = result.status
    }
}

/// The answer to a submitted tool result.
public struct ToolResultAck: Sendable, Hashable {
    /// The call answered.
    public let callID: String?
    /// `accepted` on success.
    public let status: String

    init(_ ack: PokeBindings.ToolResultAck) {
        callID = ack.callId
        status = ack.status
    }
}

/// The server's answer to an idempotent re-send whose events are gone: the turn finished long
/// ago and its stream yields nothing.
public struct ReplayNotice: Sendable, Hashable {
    /// The original turn's response id.
    public let responseID: String
    /// `replayed`.
    public let status: String
    /// The server's explanation.
    public let note: String?

    init(_ notice: PokeBindings.ReplayNotice) {
        responseID = notice.responseId
        status = notice.status
        note = notice.note
    }
}

/// Rate-limit usage and credit balance.
public struct Usage: Sendable, Hashable {
    /// Who the counters belong to.
    public let callerID: String?
    /// Every rate-limit window.
    public let windows: [Window]
    /// Whether credits are tracked.
    public let creditsEnabled: Bool?
    /// `soft` (recorded only) or `hard` (turns fail with 402 on a low balance).
    public let creditsMode: String?
    /// The remaining balance.
    public let creditsBalance: Double?
    /// The answer as received.
    public let json: JSONValue

    /// Usage within one rolling window.
    public struct Window: Sendable, Hashable {
        /// The bucket (`session_turn`, `response`, ...), absent in the older flat shape.
        public let bucket: String?
        /// `hour`, `day`, ...
        public let name: String
        /// The window's length.
        public let duration: Duration?
        /// Turns counted, and their cap.
        public let turns: Int?, maxTurns: Int?
        /// Tokens counted, and their cap.
        public let tokens: Int?, maxTokens: Int?
        /// Whether the window is enforced.
        public let isEnabled: Bool?
    }

    init(_ usage: PokeBindings.Usage) {
        callerID = usage.callerId
        windows = usage.windows.map { w in
            Window(
                bucket: w.bucket, name: w.name, duration: w.durationSeconds.map { .seconds(Int64(clamping: $0)) },
                turns: w.turns.map(int), maxTurns: w.maxTurns.map(int), tokens: w.tokens.map(int),
                maxTokens: w.maxTokens.map(int), isEnabled: w.enabled
            )
        }
        creditsEnabled = usage.creditsEnabled
        creditsMode = usage.creditsMode
        creditsBalance = usage.creditsBalance
        json = jsonValue(usage.json)
    }
}
