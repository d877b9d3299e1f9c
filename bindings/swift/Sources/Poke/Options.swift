import Foundation

/// Time bounds of a call; a `nil` bound keeps the default (connect 5 s, total 60 s, no read
/// bound).
public struct Timeouts: Sendable, Hashable {
    /// Bound on establishing a connection.
    public var connect: Duration?
    /// Bound on the whole call, headers, body and retries.
    public var total: Duration?
    /// Bound on any silence between two reads of a response.
    public var read: Duration?

    /// Time bounds; each `nil` one keeps its default.
    public init(connect: Duration? = nil, total: Duration? = nil, read: Duration? = nil) {
        self.connect = connect
        self.total = total
        self.read = read
    }
}

/// Per-call overrides of a ``PokeClient``'s settings.
public struct RequestOptions: Sendable, Hashable {
    /// Replaces the client's time bounds for this call.
    public var timeouts: Timeouts?
    /// Replaces the client's retry count for this call.
    public var maxRetries: Int?
    /// The `Idempotency-Key` to send; by default a fresh one, reused on every retry.
    public var idempotencyKey: String?

    /// Overrides for one call; each `nil` one keeps the client's setting.
    public init(timeouts: Timeouts? = nil, maxRetries: Int? = nil, idempotencyKey: String? = nil) {
        self.timeouts = timeouts
        self.maxRetries = maxRetries
        self.idempotencyKey = idempotencyKey
    }
}

/// How a dropped turn stream is resumed; a `nil` value keeps the default (5 reconnects
/// without progress, waits of 0.5 s doubling up to 10 s).
public struct ResumePolicy: Sendable, Hashable {
    /// Reconnects in a row that deliver nothing new before giving up; `0` never resumes.
    public var maxAttemptsWithoutProgress: Int?
    /// The first wait before a reconnect.
    public var initialDelay: Duration?
    /// The longest wait before a reconnect.
    public var maxDelay: Duration?

    /// A resume policy; each `nil` value keeps its default.
    public init(maxAttemptsWithoutProgress: Int? = nil, initialDelay: Duration? = nil, maxDelay: Duration? = nil) {
        self.maxAttemptsWithoutProgress = maxAttemptsWithoutProgress
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }
}

/// Which workspace paths a session may read and write (`""` is the whole workspace).
public struct FileAccess: Sendable, Hashable, Codable {
    /// Readable roots, workspace-relative.
    public var read: [String]
    /// Writable roots (writing implies reading).
    public var write: [String]

    /// A file scope.
    public init(read: [String] = [], write: [String] = []) {
        self.read = read
        self.write = write
    }
}
