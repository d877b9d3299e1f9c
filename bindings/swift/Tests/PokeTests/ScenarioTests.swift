// The shared scenario list (tests/scenarios/scenarios.json), one test per id, named
// `test_scenario_<id>`; mirrors bindings/kotlin/src/test/kotlin/com/poke/ScenarioTest.kt.
// tests/scenarios/check.py checks every language has each one.
import Foundation
import XCTest
import Poke

/// Thread-safe list for what listeners receive (they run on the core's thread).
final class Recorder<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []

    func append(_ item: T) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [T] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

final class TransferRecorder: TransferProgressListener, @unchecked Sendable {
    let calls = Recorder<(UInt64, UInt64?)>()

    func onProgress(doneBytes: UInt64, totalBytes: UInt64?) throws {
        calls.append((doneBytes, totalBytes))
    }
}

final class WaitRecorder: WaitProgressListener, @unchecked Sendable {
    let records = Recorder<SessionRecord>()

    func onProgress(session: SessionRecord) throws {
        records.append(session)
    }
}

/// Every event of `turn` (at most `limit`) through the AsyncSequence adapter.
func collect(_ turn: Turn, limit: Int? = nil) async throws -> [TurnEvent] {
    var events: [TurnEvent] = []
    for try await event in turn.events() {
        events.append(event)
        if let limit, events.count >= limit { break }
    }
    return events
}

func ids(_ range: ClosedRange<Int>) -> [String?] {
    range.map { String($0) }
}

/// Runs `op`, which must throw a `PokeError`; returns it.
func pokeError<T>(
    _ op: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async -> PokeError? {
    do {
        _ = try await op()
        XCTFail("expected a PokeError", file: file, line: line)
    } catch let error as PokeError {
        return error
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return nil
}

func clearHostConfiguration() {
    // Every key and URL is chosen by the tests: no host credentials leak in.
    for name in ["POKE_API_KEY", "POKE_API", "POKEE_KEY", "POKEE_API"] {
        setenv(name, "", 1)
    }
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("poke-no-config")
    setenv("XDG_CONFIG_HOME", empty.path, 1)
}

func temporaryDirectory(_ prefix: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

final class ScenarioTests: XCTestCase {
    private var emulator: Emulator!
    private let messagePath = "/api/v1/inbound/api-message"

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func poke(
        apiKey: String = "pk_scenario", baseUrl: String? = nil, timeouts: Timeouts? = nil
    ) throws -> PokeClient {
        try PokeClient.create(
            apiKey: apiKey, baseUrl: baseUrl ?? emulator.pokeApiUrl(), timeouts: timeouts, maxRetries: 0
        )
    }

    private func pokee() throws -> PokeeClient {
        try PokeeClient.create(options: PokeeClientOptions(
            apiKey: "pk_scenario",
            baseUrl: emulator.pokeeApiUrl(),
            resume: ResumeOptions(initialDelaySecs: 0.05)
        ))
    }

    func test_scenario_quickstart() async throws {
        let reply = try await poke().sendMessage(message: "Hello from Swift")
        XCTAssertTrue(reply.success)
        XCTAssertEqual(reply.message, "Message sent successfully")
        XCTAssertEqual(try emulator.messagesJson(), #"[{"message":"Hello from Swift"}]"#)
        let ua = try XCTUnwrap(emulator.requests().first?.header(name: "user-agent"))
        XCTAssertTrue(ua.hasPrefix("poke-swift/"), ua)
    }

    func test_scenario_error_401() async throws {
        let strict = try Emulator(apiKey: "pk_right")
        defer { strict.shutdown() }
        let c = try poke(apiKey: "pk_wrong", baseUrl: strict.pokeApiUrl())
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, _, _, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 401)
        XCTAssertEqual(kind, .unauthorized)
        XCTAssertEqual(msg, "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys")
    }

    func test_scenario_error_403() async throws {
        _ = try emulator.addFaultJson(
            json: #"{"path":"\#(messagePath)","status":403,"headers":{"x-request-id":"req_403"},"body":"{}"}"#
        )
        let c = try poke()
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, requestId, _, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 403)
        XCTAssertEqual(kind, .forbidden)
        XCTAssertEqual(msg, "API key doesn't have permission for this action")
        XCTAssertEqual(requestId, "req_403")
    }

    func test_scenario_error_429() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","status":429,"headers":{"Retry-After":"7"}}"#)
        let c = try poke()
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, _, retryAfterMs, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 429)
        XCTAssertEqual(kind, .rateLimited)
        XCTAssertEqual(msg, "Rate limited. Please slow down and retry.")
        XCTAssertEqual(retryAfterMs, 7000)
        XCTAssertEqual(emulator.requests().count, 1)
    }

    func test_scenario_error_500() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","status":500,"body":"{\"error\":\"boom\"}"}"#)
        let c = try poke()
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, _, _, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 500)
        XCTAssertEqual(kind, .server)
        XCTAssertEqual(msg, "Poke API error (500): boom")
    }

    func test_scenario_connection_refused() async throws {
        // Port 1 needs privileges to bind: nothing listens there on a test machine.
        let c = try poke(baseUrl: "http://127.0.0.1:1/api/v1")
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Connection(msg, maybeSent)? = error else {
            return XCTFail("expected PokeError.Connection, got \(String(describing: error))")
        }
        XCTAssertTrue(msg.hasPrefix("Network error: "), msg)
        XCTAssertFalse(maybeSent)
    }

    func test_scenario_timeout() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","stall_ms":3000}"#)
        let c = try poke(timeouts: Timeouts(totalSecs: 0.3))
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Timeout(_, phase, afterMs)? = error else {
            return XCTFail("expected PokeError.Timeout, got \(String(describing: error))")
        }
        XCTAssertEqual(phase, .total)
        XCTAssertEqual(afterMs, 300)
        XCTAssertEqual(emulator.requests().count, 1)
    }

    func test_scenario_webhook_round_trip() async throws {
        let c = try poke()
        let hook = try await c.createWebhook(condition: "when it rains", action: "remind me to take an umbrella")
        let reply = try await c.sendWebhook(
            webhookUrl: hook.webhookUrl, webhookToken: hook.webhookToken, dataJson: #"{"mm":3}"#
        )
        XCTAssertEqual(reply.status, 200)
        let fires = try emulator.webhookFiresJson()
        XCTAssertTrue(fires.contains(#""triggerId":"\#(hook.triggerId)""#), fires)
        XCTAssertTrue(fires.contains(#""data":{"mm":3}"#), fires)
        XCTAssertEqual(emulator.requests().last?.header(name: "authorization"), "Bearer \(hook.webhookToken)")
    }

    func test_scenario_session_lifecycle() async throws {
        let c = try pokee()
        let kept = try await c.createSession(params: CreateSessionParams(
            persistent: true, ttlSecs: 14400, metadataJson: #"{"project":"acme"}"#
        ))
        XCTAssertTrue(kept.persistent)
        XCTAssertEqual(kept.ttlSecs, 14400)
        XCTAssertFalse(kept.isBusy)
        XCTAssertTrue(kept.metadataJson.contains(#""project":"acme""#), kept.metadataJson)
        let shortLived = try await c.createSession(params: CreateSessionParams(ttlSecs: 60))
        let read = try await c.getSession(sessionId: kept.id)
        XCTAssertEqual(read.id, kept.id)
        let listed = try await c.listSessions()
        XCTAssertEqual(Set(listed.map(\.id)), [kept.id, shortLived.id])

        try emulator.advanceClock(secs: 120) // past the 60 s TTL
        let expired = await pokeError { try await c.getSession(sessionId: shortLived.id) }
        guard case let .Api(_, _, kind, _, _, _, _)? = expired else {
            return XCTFail("expected PokeError.Api, got \(String(describing: expired))")
        }
        XCTAssertEqual(kind, .notFound)

        let deletedOne = try await c.createSession()
        try await c.deleteSession(sessionId: deletedOne.id)
        let gone = await pokeError { try await c.getSession(sessionId: deletedOne.id) }
        guard case let .Api(_, status, _, _, _, _, _)? = gone else {
            return XCTFail("expected PokeError.Api, got \(String(describing: gone))")
        }
        XCTAssertEqual(status, 404)

        try emulator.advanceClock(secs: 3600)
        let fresh = try await c.createSession(params: CreateSessionParams(persistent: true))
        let bulk = try await c.deleteSessions(filter: BulkDeleteFilter(idleOnly: true, olderThanSecs: 1800))
        XCTAssertEqual(bulk.deleted, 1)
        let left = try await c.listSessions()
        XCTAssertEqual(left.map(\.id), [fresh.id])
        let usage = try await c.usage()
        XCTAssertFalse(usage.windows.isEmpty)
        let bulkRequest = emulator.requests().first { $0.method == "DELETE" && $0.path == "/v1/sessions" }
        XCTAssertEqual(bulkRequest?.target, "/v1/sessions?status=idle&older_than=1800s")
    }

    func test_scenario_streamed_turn() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "hello there events=20 pace_ms=0")
        let events = try await collect(turn)
        XCTAssertEqual(events.map(\.id), ids(0...19))
        XCTAssertEqual(events.first?.kind, .messageCreated)
        XCTAssertEqual(events.last?.kind, .messageCompleted)
        XCTAssertEqual(events.last?.isTerminal, true)
        XCTAssertEqual(events.filter(\.isTerminal).count, 1)
        XCTAssertTrue(events.contains { $0.kind == .textDelta && !($0.content ?? "").isEmpty })
        let responseId = try XCTUnwrap(turn.responseId())
        XCTAssertTrue(events[0].dataJson.contains(responseId), events[0].dataJson)
        XCTAssertEqual(turn.lastEventId(), "19")
        let after = try await turn.next()
        XCTAssertNil(after)
        let post = try XCTUnwrap(emulator.requests().first { $0.path.hasSuffix("/messages") })
        XCTAssertEqual(post.header(name: "idempotency-key"), turn.idempotencyKey())
        XCTAssertTrue(post.header(name: "user-agent")?.hasPrefix("poke-swift/") ?? false)
    }

    func test_scenario_resume_after_drop() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"/v1/sessions/*/messages","drop_after_events":5,"times":1}"#)
        _ = try emulator.addFaultJson(
            json: #"{"path":"/v1/sessions/*/responses/*/events","duplicate_ids":true,"times":1}"#
        )
        let c = try pokee()
        let session = try await c.createSession()
        // Automatic: dropped after event 4, resumed with Last-Event-ID, replays dropped.
        let turn = try await c.sendMessage(sessionId: session.id, message: "long turn events=50 pace_ms=0")
        let all = try await collect(turn)
        XCTAssertEqual(all.map(\.id), ids(0...49))
        let resumed = emulator.requests().first { $0.path.hasSuffix("/events") }
        XCTAssertEqual(resumed?.header(name: "last-event-id"), "4")

        // Manual: read part of a turn, stop, and resume later by response id.
        let partial = try await c.sendMessage(sessionId: session.id, message: "again events=30 pace_ms=0")
        let head = try await collect(partial, limit: 10)
        XCTAssertEqual(head.map(\.id), ids(0...9))
        partial.close()
        let none = try await partial.next()
        XCTAssertNil(none)
        let responseId = try XCTUnwrap(partial.responseId())
        XCTAssertEqual(partial.lastEventId(), "9")
        let rest = try await c.resume(sessionId: session.id, responseId: responseId, lastEventId: partial.lastEventId())
        let tail = try await collect(rest)
        XCTAssertEqual(tail.map(\.id), ids(10...29))
    }

    func test_scenario_cancel_turn() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "a long job events=500 pace_ms=20")
        var seen: [TurnEvent] = []
        for try await event in turn.events() {
            seen.append(event)
            if seen.count == 3 {
                let cancelled = try await turn.cancel()
                XCTAssertEqual(cancelled.status, "cancelling")
            }
        }
        XCTAssertEqual(seen.last?.kind, .messageCancelled)
        XCTAssertLessThan(seen.count, 500)
        let cancel = emulator.requests().first { $0.path.hasSuffix("/cancel") }
        XCTAssertEqual(cancel?.path, "/v1/sessions/\(session.id)/responses/\(turn.responseId() ?? "")/cancel")
        let idle = try await c.waitIdle(
            sessionId: session.id, options: WaitOptions(pollIntervalSecs: 0.05, deadlineSecs: 30)
        )
        XCTAssertFalse(idle.isBusy)
    }

    func test_scenario_wait_with_progress() async throws {
        let c = try pokee()
        let session = try await c.createSession(params: CreateSessionParams(persistent: true))
        // Start the long presentation turn and walk away from its stream.
        let turn = try await c.sendMessage(
            sessionId: session.id, message: "Build the quarterly presentation pace_ms=20"
        )
        turn.close()
        let listener = WaitRecorder()
        let idle = try await c.waitIdle(
            sessionId: session.id,
            options: WaitOptions(pollIntervalSecs: 0.05, maxIntervalSecs: 0.2, deadlineSecs: 60),
            listener: listener
        )
        let seen = listener.records.all
        XCTAssertFalse(idle.isBusy)
        XCTAssertEqual(seen.first?.isBusy, true)
        XCTAssertEqual(seen.last, idle)
        for (a, b) in zip(seen, seen.dropFirst()) {
            XCTAssertNotEqual(a, b)
        }
        XCTAssertTrue(idle.metadataJson.contains(#""temasek_status":"done""#), idle.metadataJson)
        let output = try await c.listFiles(sessionId: session.id, dir: "output")
        XCTAssertTrue(output.contains { $0.name == "deck.pptx" && $0.kind == "file" && $0.size > 0 }, "\(output)")
    }

    func test_scenario_file_upload_download() async throws {
        let dir = try temporaryDirectory("poke-swift-files")
        let data = Data((0..<300_000).map { UInt8($0 * 31 % 251) })
        let src = dir.appendingPathComponent("input.bin")
        try data.write(to: src)
        let c = try pokee()
        let session = try await c.createSession()

        let up = TransferRecorder()
        let stored = try await c.uploadFile(sessionId: session.id, path: "inputs/data.bin", src: src.path, listener: up)
        XCTAssertEqual(stored.path, "inputs/data.bin")
        XCTAssertEqual(stored.size, UInt64(data.count))
        XCTAssertEqual(up.calls.all.last?.0, UInt64(data.count))
        XCTAssertEqual(emulator.workspaceFile(path: "inputs/data.bin"), data)
        let listed = try await c.listFiles(sessionId: session.id, dir: "inputs")
        XCTAssertEqual(listed.map(\.name), ["data.bin"])

        let down = TransferRecorder()
        let dest = dir.appendingPathComponent("copy.bin")
        let size = try await c.downloadFile(
            sessionId: session.id, path: "inputs/data.bin", dest: dest.path, listener: down
        )
        XCTAssertEqual(size, UInt64(data.count))
        XCTAssertEqual(try Data(contentsOf: dest), data)
        XCTAssertEqual(down.calls.all.last?.0, UInt64(data.count))

        try await c.deleteFile(sessionId: session.id, path: "inputs/data.bin")
        let gonePath = dir.appendingPathComponent("gone.bin")
        let missing = await pokeError {
            try await c.downloadFile(sessionId: session.id, path: "inputs/data.bin", dest: gonePath.path)
        }
        guard case let .Api(_, _, kind, _, _, _, _)? = missing else {
            return XCTFail("expected PokeError.Api, got \(String(describing: missing))")
        }
        XCTAssertEqual(kind, .notFound)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gonePath.path))

        let sent = emulator.requests().count
        let escape = await pokeError {
            try await c.uploadFile(sessionId: session.id, path: "../escape.bin", src: src.path)
        }
        guard case .InvalidInput? = escape else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: escape))")
        }
        XCTAssertEqual(emulator.requests().count, sent)
    }

    func test_scenario_mcp_callback_chain() async throws {
        let target = emulator.newCallbackChain()
        let sender = try CallbackSender(language: .swift)
        let chain = CallbackChain(sender: sender, url: target.url, token: target.token)
        let first = try await chain.send(contentJson: #""working on it""#, hasMore: true)
        XCTAssertEqual(first, ChainStep.`continue`)
        let last = try await chain.send(contentJson: #"{"result":42}"#, hasMore: false)
        XCTAssertEqual(last, ChainStep.stop(failure: nil))
        let late = try await chain.send(contentJson: #""too late""#, hasMore: true)
        XCTAssertEqual(late, ChainStep.stop(failure: nil))
        let posts = try emulator.callbackChainsJson()
        XCTAssertTrue(posts.contains(#""first_token":"\#(target.token)""#), posts)
        XCTAssertTrue(posts.contains("working on it") && posts.contains(#""result":42"#), posts)
        XCTAssertFalse(posts.contains("too late"), posts)
    }
}
