// The shared scenario list (tests/scenarios/scenarios.json), one test per id, named
// `test_scenario_<id>`, written the way a Swift user writes against the public API (`Poke`,
// and `PokeTesting` for the emulator). tests/scenarios/check.py checks every language has each.
import Foundation
import Poke
import PokeTesting
import XCTest

final class ScenarioTests: XCTestCase, @unchecked Sendable {
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

    private func poke(apiKey: String = "pk_scenario", baseURL: URL? = nil, timeouts: Timeouts? = nil) throws
        -> PokeClient
    {
        try PokeClient(apiKey: apiKey, baseURL: baseURL ?? emulator.pokeAPIURL, timeouts: timeouts, maxRetries: 0)
    }

    private func pokee() throws -> PokeeClient {
        try PokeeClient(
            apiKey: "pk_scenario", baseURL: emulator.pokeeAPIURL,
            resumePolicy: ResumePolicy(initialDelay: .milliseconds(50))
        )
    }

    func test_scenario_quickstart() async throws {
        let poke = try PokeClient(apiKey: "pk_scenario", baseURL: emulator.pokeAPIURL)
        let reply = try await poke.sendMessage("Hello from Swift")
        XCTAssertTrue(reply.success)
        XCTAssertEqual(reply.message, "Message sent successfully")
        XCTAssertEqual(try emulator.messages, [["message": "Hello from Swift"]])
        let userAgent = try XCTUnwrap(emulator.requests.first?.header("user-agent"))
        XCTAssertTrue(userAgent.hasPrefix("poke-swift/"), userAgent)
    }

    func test_scenario_error_401() async throws {
        let strict = try Emulator(apiKey: "pk_right")
        defer { strict.shutdown() }
        let poke = try poke(apiKey: "pk_wrong", baseURL: strict.pokeAPIURL)
        do {
            try await poke.sendMessage("hi")
            XCTFail("a wrong key was accepted")
        } catch PokeError.api(let error) {
            XCTAssertEqual(error.statusCode, 401)
            XCTAssertEqual(error.kind, .unauthorized)
            XCTAssertEqual(error.message, "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys")
        }
    }

    func test_scenario_error_403() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 403, "headers": ["x-request-id": "req_403"], "body": "{}",
        ] as JSONValue)
        let error = try apiError(await pokeError { try await poke().sendMessage("hi") })
        XCTAssertEqual(error.statusCode, 403)
        XCTAssertEqual(error.kind, .forbidden)
        XCTAssertEqual(error.message, "API key doesn't have permission for this action")
        XCTAssertEqual(error.requestID, "req_403")
    }

    func test_scenario_error_429() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 429, "headers": ["Retry-After": "7"],
        ] as JSONValue)
        let error = try apiError(await pokeError { try await poke().sendMessage("hi") })
        XCTAssertEqual(error.statusCode, 429)
        XCTAssertEqual(error.kind, .rateLimited)
        XCTAssertEqual(error.message, "Rate limited. Please slow down and retry.")
        XCTAssertEqual(error.retryAfter, .seconds(7))
        XCTAssertEqual(emulator.requests.count, 1)
    }

    func test_scenario_error_500() async throws {
        try emulator.addFault(["path": .string(messagePath), "status": 500, "body": #"{"error":"boom"}"#] as JSONValue)
        let error = try apiError(await pokeError { try await poke().sendMessage("hi") })
        XCTAssertEqual(error.statusCode, 500)
        XCTAssertEqual(error.kind, .server)
        XCTAssertEqual(error.message, "Poke API error (500): boom")
    }

    func test_scenario_connection_refused() async throws {
        // Port 1 needs privileges to bind: nothing listens there on a test machine.
        let poke = try poke(baseURL: URL(string: "http://127.0.0.1:1/api/v1")!)
        let error = await pokeError { try await poke.sendMessage("hi") }
        guard case .connection(let connection)? = error else {
            return XCTFail("expected PokeError.connection, got \(String(describing: error))")
        }
        XCTAssertTrue(connection.message.hasPrefix("Network error: "), connection.message)
        XCTAssertFalse(connection.mayHaveBeenSent)
    }

    func test_scenario_timeout() async throws {
        try emulator.addFault(["path": .string(messagePath), "stall_ms": 3000] as JSONValue)
        let poke = try poke(timeouts: Timeouts(total: .milliseconds(300)))
        let error = await pokeError { try await poke.sendMessage("hi") }
        guard case .timeout(let timeout)? = error else {
            return XCTFail("expected PokeError.timeout, got \(String(describing: error))")
        }
        XCTAssertEqual(timeout.phase, .total)
        XCTAssertEqual(timeout.limit, .milliseconds(300))
        XCTAssertEqual(emulator.requests.count, 1)
    }

    func test_scenario_webhook_round_trip() async throws {
        struct Rain: Codable { let mm: Int }
        let poke = try poke()
        let hook = try await poke.createWebhook(condition: "when it rains", action: "remind me to take an umbrella")
        let reply = try await poke.sendWebhook(hook, data: Rain(mm: 3))
        XCTAssertEqual(reply.statusCode, 200)
        XCTAssertEqual(try emulator.webhookFires, [["triggerId": .string(hook.triggerID), "data": ["mm": 3]]])
        XCTAssertEqual(emulator.requests.last?.header("authorization"), "Bearer \(hook.token)")
    }

    func test_scenario_session_lifecycle() async throws {
        let pokee = try pokee()
        let kept = try await pokee.createSession(persistent: true, ttl: .seconds(14400), metadata: ["project": "acme"])
        XCTAssertTrue(kept.info.isPersistent)
        XCTAssertEqual(kept.info.ttl, .seconds(14400))
        XCTAssertFalse(kept.info.isBusy)
        XCTAssertEqual(kept.info.metadata["project"], "acme")
        let shortLived = try await pokee.createSession(ttl: .seconds(60))
        let read = try await pokee.session(id: kept.id)
        XCTAssertEqual(read.id, kept.id)
        let listed = try await pokee.sessions()
        XCTAssertEqual(Set(listed.map(\.id)), [kept.id, shortLived.id])

        try emulator.advanceClock(by: .seconds(120)) // past the 60 s TTL
        let expired = try apiError(await pokeError { try await shortLived.fetchInfo() })
        XCTAssertEqual(expired.kind, .notFound)

        let deletedOne = try await pokee.createSession()
        try await deletedOne.delete()
        let gone = try apiError(await pokeError { try await deletedOne.fetchInfo() })
        XCTAssertEqual(gone.statusCode, 404)

        try emulator.advanceClock(by: .seconds(3600))
        let fresh = try await pokee.createSession(persistent: true)
        let deleted = try await pokee.deleteSessions(idleOnly: true, olderThan: .seconds(1800))
        XCTAssertEqual(deleted, 1)
        let left = try await pokee.sessions()
        XCTAssertEqual(left.map(\.id), [fresh.id])
        let usage = try await pokee.usage()
        XCTAssertFalse(usage.windows.isEmpty)
        let bulk = emulator.requests.first { $0.method == "DELETE" && $0.path == "/v1/sessions" }
        XCTAssertEqual(bulk?.target, "/v1/sessions?status=idle&older_than=1800s")
    }

    func test_scenario_streamed_turn() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("hello there events=20 pace_ms=0")
        var events: [TurnEvent] = []
        for try await event in turn.events() {
            events.append(event)
        }
        XCTAssertEqual(events.map(\.id), ids(0...19))
        XCTAssertEqual(events.first?.kind, .messageCreated)
        XCTAssertEqual(events.last?.kind, .messageCompleted)
        XCTAssertEqual(events.filter(\.isTerminal).count, 1)
        XCTAssertTrue(events.contains { $0.kind == .textDelta && !($0.content ?? "").isEmpty })
        let responseID = try XCTUnwrap(turn.responseID)
        XCTAssertEqual(events[0].data["id"]?.stringValue, responseID)
        XCTAssertEqual(turn.lastEventID, "19")
        let post = try XCTUnwrap(emulator.requests.first { $0.path.hasSuffix("/messages") })
        XCTAssertEqual(post.header("idempotency-key"), turn.idempotencyKey)
        XCTAssertTrue(post.header("user-agent")?.hasPrefix("poke-swift/") ?? false)
    }

    func test_scenario_resume_after_drop() async throws {
        try emulator.addFault(["path": "/v1/sessions/*/messages", "drop_after_events": 5, "times": 1] as JSONValue)
        try emulator.addFault(
            ["path": "/v1/sessions/*/responses/*/events", "duplicate_ids": true, "times": 1] as JSONValue
        )
        let session = try await pokee().createSession()
        // Automatic: dropped after event 4, resumed with Last-Event-ID, replays dropped.
        let turn = try await session.send("long turn events=50 pace_ms=0")
        let all = try await collect(turn)
        XCTAssertEqual(all.map(\.id), ids(0...49))
        let resumed = emulator.requests.first { $0.path.hasSuffix("/events") }
        XCTAssertEqual(resumed?.header("last-event-id"), "4")

        // By hand: read part of a turn, stop (leaving the loop closes the stream), and resume
        // later from the last event seen.
        let partial = try await session.send("again events=30 pace_ms=0")
        let head = try await collect(partial, limit: 10)
        XCTAssertEqual(head.map(\.id), ids(0...9))
        XCTAssertEqual(partial.lastEventID, "9")
        let rest = try await session.resume(responseID: try XCTUnwrap(partial.responseID), after: partial.lastEventID)
        let tail = try await collect(rest)
        XCTAssertEqual(tail.map(\.id), ids(10...29))
    }

    func test_scenario_cancel_turn() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("a long job events=500 pace_ms=20")
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
        let cancel = emulator.requests.first { $0.path.hasSuffix("/cancel") }
        XCTAssertEqual(cancel?.path, "/v1/sessions/\(session.id)/responses/\(turn.responseID ?? "")/cancel")
        let idle = try await session.waitUntilIdle(pollInterval: .milliseconds(50), deadline: .seconds(30))
        XCTAssertFalse(idle.isBusy)
    }

    func test_scenario_wait_with_progress() async throws {
        let session = try await pokee().createSession(persistent: true)
        // Start the long presentation turn and walk away from its stream.
        let turn = try await session.send("Build the quarterly presentation pace_ms=20")
        turn.close()
        let seen = Recorder<SessionInfo>()
        let idle = try await session.waitUntilIdle(
            pollInterval: .milliseconds(50), maxInterval: .milliseconds(200), deadline: .seconds(60)
        ) { info in
            seen.append(info)
        }
        XCTAssertFalse(idle.isBusy)
        XCTAssertEqual(seen.all.first?.isBusy, true)
        XCTAssertEqual(seen.all.last, idle)
        for (a, b) in zip(seen.all, seen.all.dropFirst()) {
            XCTAssertNotEqual(a, b)
        }
        XCTAssertEqual(idle.metadata["temasek_status"], "done")
        let output = try await session.files(in: "output")
        XCTAssertTrue(output.contains { $0.name == "deck.pptx" && $0.kind == .file && $0.size > 0 }, "\(output)")
    }

    func test_scenario_file_upload_download() async throws {
        let dir = try temporaryDirectory("poke-swift-files")
        let data = Data((0..<300_000).map { UInt8($0 * 31 % 251) })
        let source = dir.appendingPathComponent("input.bin")
        try data.write(to: source)
        let session = try await pokee().createSession()

        let uploaded = Recorder<TransferProgress>()
        let stored = try await session.upload(contentsOf: source, to: "inputs/data.bin") { uploaded.append($0) }
        XCTAssertEqual(stored.path, "inputs/data.bin")
        XCTAssertEqual(stored.size, data.count)
        XCTAssertEqual(uploaded.all.last?.completedBytes, data.count)
        XCTAssertEqual(emulator.workspaceFile(at: "inputs/data.bin"), data)
        let listed = try await session.files(in: "inputs")
        XCTAssertEqual(listed.map(\.name), ["data.bin"])

        let downloaded = Recorder<TransferProgress>()
        let copy = dir.appendingPathComponent("copy.bin")
        let size = try await session.download("inputs/data.bin", to: copy) { downloaded.append($0) }
        XCTAssertEqual(size, data.count)
        XCTAssertEqual(try Data(contentsOf: copy), data)
        XCTAssertEqual(downloaded.all.last?.completedBytes, data.count)
        XCTAssertEqual(downloaded.all.last?.fractionCompleted, 1)

        try await session.deleteFile(at: "inputs/data.bin")
        let gonePath = dir.appendingPathComponent("gone.bin")
        let missing = try apiError(await pokeError { try await session.download("inputs/data.bin", to: gonePath) })
        XCTAssertEqual(missing.kind, .notFound)
        XCTAssertFalse(FileManager.default.fileExists(atPath: gonePath.path))

        let sent = emulator.requests.count
        let escape = await pokeError { try await session.upload(contentsOf: source, to: "../escape.bin") }
        guard case .invalidInput(let invalid)? = escape else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: escape))")
        }
        XCTAssertEqual(invalid.argument, "path")
        XCTAssertEqual(emulator.requests.count, sent)
    }

    func test_scenario_mcp_callback_chain() async throws {
        let context = emulator.newCallbackChain()
        let chain = CallbackChain(sender: try CallbackSender(), context: context)
        let first = try await chain.send("working on it", hasMore: true)
        XCTAssertEqual(first, .continue)
        let last = try await chain.send(["result": 42] as JSONValue, hasMore: false)
        XCTAssertEqual(last, .stop(failure: nil))
        let late = try await chain.send("too late", hasMore: true)
        XCTAssertEqual(late, .stop(failure: nil))
        let chains = try emulator.callbackChains
        XCTAssertEqual(chains.count, 1)
        XCTAssertEqual(chains.first?["first_token"]?.stringValue, context.token)
        let contents = chains.first?["posts"]?.arrayValue?.map { $0["content"] }
        XCTAssertEqual(contents, ["working on it", ["result": 42]])
    }
}
