// The sessions API beyond the shared scenarios, through the facade: tool calls with Codable
// payloads, files from memory, usage, cancel by id and replay, 409 busy, a loop that stops
// early, argument errors with Swift names, secrets, progress from the main actor, and the
// emulator's knobs.
import Foundation
import Poke
import PokeTesting
import XCTest

final class SessionsTests: XCTestCase, @unchecked Sendable {
    private var emulator: Emulator!

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee(maxRetries: Int? = nil) throws -> PokeeClient {
        try PokeeClient(apiKey: "pk_sessions", baseURL: emulator.pokeeAPIURL, maxRetries: maxRetries)
    }

    func testAToolCallIsAnsweredWithCodableValuesAndTheTurnGoesOn() async throws {
        struct ToolCall: Decodable {
            let callID: String
            let name: String
            enum CodingKeys: String, CodingKey {
                case callID = "call_id"
                case name
            }
        }
        struct Weather: Encodable, Sendable {
            let summary: String
            let celsius: Int
        }
        let session = try await pokee().createSession()
        let turn = try await session.send("weather please tool=get_weather")
        var request: TurnEvent?
        for try await event in turn.events() where event.kind == .toolCallRequested {
            request = event
            break
        }
        let call = try XCTUnwrap(request).data(as: ToolCall.self)
        XCTAssertEqual(call.name, "get_weather")
        let ack = try await session.submitToolResult(callID: call.callID, output: Weather(summary: "sunny", celsius: 21))
        XCTAssertEqual(ack.status, "accepted")
        XCTAssertEqual(ack.callID, call.callID)
        let submitted = try XCTUnwrap(emulator.requests.last)
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(submitted.body.utf8))
        XCTAssertEqual(body["output"], ["summary": "sunny", "celsius": 21])
        // The loop above broke out, which closed the stream: the rest comes from a resume.
        let rest = try await collect(session.resume(responseID: try XCTUnwrap(turn.responseID), after: turn.lastEventID))
        XCTAssertEqual(rest.last?.kind, .messageCompleted)
    }

    func testMetadataAndToolsTakeCodableValuesAndReadBackTyped() async throws {
        struct Project: Codable, Equatable, Sendable {
            let project: String
            let priority: Int
        }
        let tools: [JSONValue] = [[
            "type": "function",
            "function": ["name": "get_weather", "parameters": ["type": "object", "properties": [:]]],
        ]]
        let session = try await pokee().createSession(metadata: Project(project: "acme", priority: 2), tools: tools)
        XCTAssertEqual(try session.info.metadata(as: Project.self), Project(project: "acme", priority: 2))
        XCTAssertEqual(session.info.metadata["priority"], 2)
        let create = try XCTUnwrap(emulator.requests.first { $0.method == "POST" && $0.path == "/v1/sessions" })
        let sent = try JSONDecoder().decode(JSONValue.self, from: Data(create.body.utf8))
        XCTAssertEqual(sent["tools"]?.arrayValue, tools)
        XCTAssertEqual(sent["metadata"], ["project": "acme", "priority": 2])
        let held = try emulator.sessions.first { $0["id"]?.stringValue == session.id }
        XCTAssertEqual(held?["tools"]?[0]?["name"], "get_weather")
        let read = try await session.fetchInfo()
        XCTAssertEqual(read.json["id"]?.stringValue, session.id)
        XCTAssertEqual(read.metadata, session.info.metadata)
    }

    func testHealthUploadFromMemoryAndUsage() async throws {
        let pokee = try pokee()
        let health = try await pokee.health()
        XCTAssertEqual(health, ["status": "ok"])
        let session = try await pokee.createSession()
        let bytes = Data("hello, workspace".utf8)
        let stored = try await session.upload(bytes, to: "notes/hello.txt")
        XCTAssertEqual(stored.size, bytes.count)
        XCTAssertNotNil(stored.modifiedAt)
        XCTAssertEqual(emulator.workspaceFile(at: "notes/hello.txt"), bytes)
        let usage = try await pokee.usage()
        XCTAssertNotNil(usage.json.objectValue)
        XCTAssertTrue(usage.windows.allSatisfy { !$0.name.isEmpty })
    }

    func testCancelATurnByIDThenReplayTheWholeTurn() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("walk away events=400 pace_ms=20")
        turn.close()
        let responseID = try XCTUnwrap(turn.responseID)
        let cancelled = try await session.cancelTurn(responseID: responseID)
        XCTAssertEqual(cancelled.status, "cancelling")
        try await session.waitUntilIdle(pollInterval: .milliseconds(50), deadline: .seconds(30))
        let replay = try await session.resume(responseID: responseID)
        let events = try await collect(replay)
        XCTAssertEqual(events.first?.id, "0")
        XCTAssertEqual(events.last?.kind, .messageCancelled)
        XCTAssertNil(replay.idempotencyKey)
        let again = try await session.cancelTurn(responseID: responseID)
        XCTAssertEqual(again.status, "already_complete")
    }

    func testASecondMessageWhileBusyIsAConflict() async throws {
        let session = try await pokee(maxRetries: 0).createSession()
        let first = try await session.send("first events=400 pace_ms=20")
        let error = try apiError(await pokeError { try await session.send("second") })
        XCTAssertEqual(error.statusCode, 409)
        XCTAssertEqual(error.kind, .conflict)
        try await first.cancel()
    }

    func testALoopThatStopsEarlyClosesTheStreamAndAResumeReadsOn() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("parts events=40 pace_ms=5")
        let head = try await collect(turn, limit: 5)
        XCTAssertEqual(head.map(\.id), ids(0...4))
        XCTAssertEqual(turn.lastEventID, "4")
        // Read once: the loop's end closed the stream, so a second loop yields nothing.
        let again = try await collect(turn)
        XCTAssertEqual(again, [])
        let rest = try await collect(session.resume(responseID: try XCTUnwrap(turn.responseID), after: turn.lastEventID))
        XCTAssertEqual((head + rest).map(\.id), ids(0...39))
    }

    func testResumingAFinishedTurnFromItsLastEventEndsWithNothing() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("short events=5 pace_ms=0")
        let all = try await collect(turn)
        XCTAssertEqual(all.map(\.id), ids(0...4))
        let responseID = try XCTUnwrap(turn.responseID)
        let last = try await collect(session.resume(responseID: responseID, after: "3"))
        XCTAssertEqual(last.map(\.id), ["4"])
        let none = try await collect(session.resume(responseID: responseID, after: "4"))
        XCTAssertEqual(none, [])
        // One request per resume: the server's empty answer ends the loop, it is not a cut.
        let positions = emulator.requests
            .filter { $0.path.hasSuffix("/events") }
            .map { request in request.headers.first { $0.name == "last-event-id" }?.value }
        XCTAssertEqual(positions, ["3", "4"])
    }

    func testInvalidArgumentsFailBeforeSendingAndNameTheSwiftArgument() async throws {
        let pokee = try pokee()
        let metadata = await pokeError { try await pokee.createSession(metadata: [1, 2] as JSONValue) }
        guard case .invalidInput(let invalid)? = metadata else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: metadata))")
        }
        XCTAssertEqual(invalid.argument, "metadata")
        XCTAssertTrue(invalid.message.hasPrefix("invalid metadata: "), invalid.message)

        let session = try await pokee.createSession()
        emulator.clearRequests()
        let output = await pokeError { try await session.submitToolResult(callID: "call_1", output: Double.infinity) }
        guard case .invalidInput(let outputError)? = output else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: output))")
        }
        XCTAssertEqual(outputError.argument, "output")
        let wait = await pokeError { try await session.waitUntilIdle(pollInterval: .seconds(-1)) }
        guard case .invalidInput(let waitError)? = wait else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: wait))")
        }
        XCTAssertEqual(waitError.argument, "pollInterval")
        let ttl = await pokeError { try await pokee.createSession(ttl: .seconds(-5)) }
        guard case .invalidInput(let ttlError)? = ttl else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: ttl))")
        }
        XCTAssertEqual(ttlError.argument, "ttl")
        let dots = await pokeError { try await pokee.session(id: "..") }
        guard case .invalidInput? = dots else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: dots))")
        }
        let notAFile = await pokeError { try await session.download("a.txt", to: URL(string: "https://example.com/a.txt")!) }
        guard case .invalidInput(let destination)? = notAFile else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: notAFile))")
        }
        XCTAssertEqual(destination.argument, "destination")
        let chain = CallbackChain(sender: try CallbackSender(), context: CallbackContext(url: emulator.url, token: "t"))
        let content = await pokeError { try await chain.send(Double.nan, hasMore: false) }
        guard case .invalidInput(let contentError)? = content else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: content))")
        }
        XCTAssertEqual(contentError.argument, "content")
        XCTAssertTrue(emulator.requests.isEmpty)
    }

    func testConfigurationErrorsAndSecrets() throws {
        XCTAssertThrowsError(try PokeeClient(apiKey: "k")) { error in
            guard case PokeError.configuration(let configuration) = error else {
                return XCTFail("expected PokeError.configuration, got \(error)")
            }
            XCTAssertTrue(configuration.message.contains("POKEE_API"), configuration.message)
        }
        let pokee = try PokeeClient(apiKey: "pk_canary_pokee", baseURL: emulator.pokeeAPIURL)
        XCTAssertEqual("\(pokee)", "PokeeClient(baseURL: \(emulator.pokeeAPIURL.absoluteString))")
        let context = try XCTUnwrap(CallbackContext(headers: [
            "X-Poke-Callback-Token": "cbt_canary",
            "x-poke-callback-url": "http://x/cb",
        ]))
        XCTAssertEqual(context.token, "cbt_canary")
        XCTAssertEqual(context.url, URL(string: "http://x/cb"))
        var dumped = ""
        dump(context, to: &dumped)
        for text in ["\(context)", String(reflecting: context), dumped] {
            XCTAssertFalse(text.contains("cbt_canary"), text)
        }
        XCTAssertNil(CallbackContext(headers: ["x-poke-callback-url": "http://x/cb"]))
    }

    @MainActor
    func testProgressUpdatesMainActorState() async throws {
        // What an app does: a main-actor model updated from a progress handler, compiled under
        // Swift 6's complete concurrency checking.
        @MainActor final class Model {
            var fraction = 0.0
            var updates = 0
        }
        let model = Model()
        let session = try await pokee().createSession()
        try emulator.putWorkspaceFile(Data(count: 4 << 20), at: "deck.bin")
        let dir = try temporaryDirectory("poke-swift-main-actor")
        let updates = AsyncStream<Double>.makeStream()
        try await session.download("deck.bin", to: dir.appendingPathComponent("deck.bin")) { progress in
            Task { @MainActor in
                model.fraction = progress.fractionCompleted ?? 0
                model.updates += 1
                updates.continuation.yield(model.fraction)
            }
        }
        for await fraction in updates.stream where fraction == 1 { break }
        XCTAssertEqual(model.fraction, 1)
        XCTAssertGreaterThan(model.updates, 1)
    }

    func testEmulatorKnobs() async throws {
        let before = emulator.now
        try emulator.advanceClock(by: .seconds(60))
        XCTAssertGreaterThanOrEqual(emulator.now.timeIntervalSince(before), 60)
        XCTAssertThrowsError(try emulator.advanceClock(by: .seconds(-1)))
        emulator.setTurnPace(.zero)
        XCTAssertEqual(try emulator.sessionsConfig["pace_ms"], 0)
        let session = try await pokee().createSession()
        try emulator.scriptTurn(sessionID: session.id, script: [
            "steps": [["type": "text", "text": "scripted reply"]],
            "outcome": ["type": "error", "error": "boom"],
        ] as JSONValue)
        let last = try await collect(session.send("anything")).last
        XCTAssertEqual(last?.kind, .messageError)
        XCTAssertEqual(last?.errorMessage, "boom")
        XCTAssertTrue(try emulator.sessions.contains { $0["id"]?.stringValue == session.id })
        XCTAssertTrue(try emulator.turns.contains { $0["session_id"]?.stringValue == session.id })
        try emulator.putWorkspaceFile(Data("seeded".utf8), at: "seed/a.txt")
        XCTAssertEqual(emulator.workspaceFile(at: "seed/a.txt"), Data("seeded".utf8))
        XCTAssertNil(emulator.workspaceFile(at: "seed/none.txt"))
    }
}
