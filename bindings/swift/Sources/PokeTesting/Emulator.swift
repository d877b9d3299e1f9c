import Foundation
public import Poke
internal import PokeBindings
internal import PokeTestingBindings

/// The in-process emulator of the Poke and Pokee Enterprise APIs, for tests: a real HTTP
/// server on `127.0.0.1` and a free port, with state, fault injection, a request journal and
/// a virtual clock.
///
/// ```swift
/// let emulator = try Emulator()
/// defer { emulator.shutdown() }
/// let poke = try PokeClient(apiKey: "pk_test", baseURL: emulator.pokeAPIURL)
/// try await poke.sendMessage("hi")
/// XCTAssertEqual(emulator.requests.count, 1)
/// ```
///
/// It lives in the `PokeTesting` product, which only test targets should depend on: an app
/// linking `Poke` alone carries no emulator.
public final class Emulator: Sendable {
    let inner: PokeTestingBindings.Emulator

    /// Starts an emulator. With `apiKey`, only that key is accepted (anything else gets 401);
    /// without it, any non-empty key is.
    public init(apiKey: String? = nil) throws {
        ignoreBrokenPipes()
        inner = try call { try PokeTestingBindings.Emulator(apiKey: apiKey) }
    }

    /// The root URL, e.g. `http://127.0.0.1:41234`.
    public var url: URL { parsed(inner.url()) }
    /// The base URL for ``PokeClient`` (``url`` + `/api/v1`).
    public var pokeAPIURL: URL { parsed(inner.pokeApiUrl()) }
    /// The base URL for ``PokeeClient`` (the same as ``url``: the API's paths start with `/v1`).
    public var pokeeAPIURL: URL { parsed(inner.pokeeApiUrl()) }

    /// Every API request received so far, in arrival order.
    public var requests: [RecordedRequest] { inner.requests().map(RecordedRequest.init) }

    /// Empties the request journal.
    public func clearRequests() { inner.clearRequests() }

    /// Installs a fault in the emulator's format (tests/emulator/README.md) and returns its id, e.g.
    /// `["path": "/api/v1/inbound/api-message", "status": 429, "headers": ["Retry-After": "3"]]`
    /// or `["path": "*", "stall_ms": 2000]`.
    @discardableResult
    public func addFault(_ fault: some Encodable & Sendable) throws -> Int {
        let json = try text(fault)
        return Int(clamping: try call { try inner.addFaultJson(json: json) })
    }

    /// Removes one fault; returns whether it was still active.
    @discardableResult
    public func removeFault(_ id: Int) -> Bool { inner.removeFault(id: UInt64(clamping: id)) }

    /// Removes every fault.
    public func clearFaults() { inner.clearFaults() }

    /// The bodies of the processed `sendMessage` calls.
    public var messages: [JSONValue] { get throws { try array { try inner.messagesJson() } } }

    /// Every accepted webhook fire, as `{"triggerId": ..., "data": ...}`.
    public var webhookFires: [JSONValue] { get throws { try array { try inner.webhookFiresJson() } } }

    /// Moves the sessions API's virtual clock forward and applies what that expires (TTL, idle
    /// end, resume-buffer eviction, turn timeouts).
    public func advanceClock(by duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        try call { try inner.advanceClock(secs: Double(seconds) + Double(attoseconds) / 1e18) }
    }

    /// Stops (`true`) or restarts the passing of real time on the virtual clock.
    public func freezeClock(_ frozen: Bool = true) { inner.freezeClock(frozen: frozen) }

    /// The virtual clock's current time.
    public var now: Date { Date(timeIntervalSince1970: inner.clockNow()) }

    /// Every live session (the API's record plus `model`, `tools`, `current_response_id`,
    /// `queued_scripts`).
    public var sessions: [JSONValue] { get throws { try array { try inner.sessionsJson() } } }

    /// Every resumable turn (`response_id`, `session_id`, `status`, `events`, ...).
    public var turns: [JSONValue] { get throws { try array { try inner.turnsJson() } } }

    /// Queues a turn script (the emulator's format) for the next turn of session `sessionID`.
    public func scriptTurn(sessionID: String, script: some Encodable & Sendable) throws {
        let json = try text(script)
        try call { try inner.scriptTurnJson(sessionId: sessionID, json: json) }
    }

    /// Queues a stateless-response script (the emulator's format: `output`, `outcome`,
    /// `pace_ms`, `sleep_ms`, `usage`) for the next `POST /v1/responses`.
    public func scriptResponse(_ script: some Encodable & Sendable) throws {
        let json = try text(script)
        try call { try inner.scriptResponseJson(json: json) }
    }

    /// The stateless responses kept for resume and cancel, and the queued scripts.
    public var responses: JSONValue { get throws { try value { try inner.responsesJson() } } }

    /// Every installed skill with its files.
    public var skills: [JSONValue] { get throws { try array { try inner.skillsJson() } } }

    /// The bytes of the file at `path` of the installed skill `name`, if there is one.
    public func skillFile(_ name: String, at path: String) -> Data? { inner.skillFile(name: name, path: path) }

    /// The sessions API's settings (`pace_ms`, limits, timeouts, credits, ...).
    public var sessionsConfig: JSONValue { get throws { try value { try inner.sessionsConfigJson() } } }

    /// Replaces the sessions API's settings; missing fields take their defaults.
    public func setSessionsConfig(_ config: some Encodable & Sendable) throws {
        let json = try text(config)
        try call { try inner.setSessionsConfigJson(json: json) }
    }

    /// How long the scripted agent waits between two events (zero: as fast as it can).
    public func setTurnPace(_ pace: Duration) {
        let (seconds, attoseconds) = pace.components
        let ms = max(0, seconds) * 1000 + max(0, attoseconds) / 1_000_000_000_000_000
        inner.setTurnPaceMs(ms: UInt64(clamping: ms))
    }

    /// The bytes of the workspace file at `path`, if there is one.
    public func workspaceFile(at path: String) -> Data? { inner.workspaceFile(path: path) }

    /// Writes a workspace file directly (test setup), creating parent directories.
    public func putWorkspaceFile(_ data: Data, at path: String) throws {
        try call { try inner.putWorkspaceFile(path: path, data: data) }
    }

    /// Starts an MCP callback chain that ends after `maxCallbacks` accepted posts (nil: only a
    /// post without `hasMore` ends it); returns where to post and the first token.
    public func newCallbackChain(maxCallbacks: Int? = nil) -> Poke.CallbackContext {
        let chain = inner.newCallbackChain(maxCallbacks: maxCallbacks.map { UInt32(clamping: $0) })
        return Poke.CallbackContext(url: parsed(chain.url), token: chain.token)
    }

    /// Every callback chain with the posts it accepted
    /// (`[{"first_token", "posts": [{"token", "content", "has_more", "raw_body"}]}]`).
    public var callbackChains: [JSONValue] { get throws { try array { try inner.callbackChainsJson() } } }

    /// Forgets requests, faults, messages, webhooks, callback chains, idempotency keys,
    /// sessions, turns, workspace files and settings (the clock returns to real time).
    public func reset() { inner.reset() }

    /// Stops the server (open connections are dropped); safe to call twice.
    public func shutdown() { inner.shutdown() }
}

/// One request as the emulator received it.
public struct RecordedRequest: Sendable, Hashable {
    /// The method, e.g. `POST`.
    public let method: String
    /// The path without the query, e.g. `/api/v1/inbound/api-message`.
    public let path: String
    /// The path and query exactly as sent.
    public let target: String
    /// The headers in arrival order, names lowercased.
    public let headers: [Header]
    /// The body as (lossy) UTF-8 text.
    public let body: String

    /// One header.
    public struct Header: Sendable, Hashable {
        /// The name, lowercased.
        public let name: String
        /// The value.
        public let value: String
    }

    /// The first value of header `name` (in any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    init(_ request: EmulatorRequest) {
        method = request.method
        path = request.path
        target = request.target
        headers = request.headers.map { Header(name: $0.name, value: $0.value) }
        body = request.body
    }
}

private func parsed(_ text: String) -> URL {
    URL(string: text) ?? URL(fileURLWithPath: text)
}

/// Runs an emulator call, converting what it throws to the facade's error.
private func call<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw converted(error)
    }
}

private func text(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

private func value(_ body: () throws -> String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(try call(body).utf8))
}

private func array(_ body: () throws -> String) throws -> [JSONValue] {
    try JSONDecoder().decode([JSONValue].self, from: Data(try call(body).utf8))
}
