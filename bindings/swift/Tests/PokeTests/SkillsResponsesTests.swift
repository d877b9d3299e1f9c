// Skills (E16–E18) and stateless responses (E19–E21) beyond the shared scenarios: every bad
// input gets a typed error with nothing sent or nothing changed on the server, streams close
// when their loop ends, and the tool loop hands back the handler's own error.
import Foundation
import Poke
import PokeTesting
import XCTest

/// A tool handler's own failure.
struct SensorOffline: Error, Equatable {
    let sensor: String
}

final class SkillsResponsesTests: XCTestCase, @unchecked Sendable {
    private var emulator: Emulator!

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
        emulator.setTurnPace(.zero)
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee(key: String = "pk_swift") throws -> PokeeClient {
        try PokeeClient(
            apiKey: key, baseURL: emulator.pokeeAPIURL, resumePolicy: ResumePolicy(initialDelay: .milliseconds(50))
        )
    }

    private var apiRequests: [RecordedRequest] {
        emulator.requests.filter { $0.path.hasPrefix("/v1/") }
    }

    private func argument(_ error: PokeError?, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard case .invalidInput(let details)? = error else {
            XCTFail("expected PokeError.invalidInput, got \(String(describing: error))", file: file, line: line)
            return nil
        }
        return details.argument
    }

    // MARK: - skills

    func testLocalSkillRefusalsSendNothing() async throws {
        let skills = try pokee().skills
        let bare = try skillDirectory([("README.md", "x")])
        let noSkillMD = await pokeError { try await skills.install("s", from: bare) }
        XCTAssertEqual(argument(noSkillMD), "source")
        XCTAssertTrue(noSkillMD?.message.contains("SKILL.md") ?? false, String(describing: noSkillMD))

        let linked = try skillDirectory([("SKILL.md", "x")])
        try FileManager.default.createSymbolicLink(
            at: linked.appendingPathComponent("passwd"), withDestinationURL: URL(fileURLWithPath: "/etc/passwd")
        )
        let symlink = await pokeError { try await skills.install("s", from: linked) }
        XCTAssertEqual(argument(symlink), "source")
        XCTAssertTrue(symlink?.message.contains("symbolic link") ?? false, String(describing: symlink))

        let remote = await pokeError { try await skills.install("s", from: URL(string: "https://example.com/s.zip")!) }
        XCTAssertEqual(argument(remote), "source")

        let zip = Data(zipOf([("SKILL.md", "x")]))
        for bad in ["", "Bad", "custom-x", "-x", "a/b", String(repeating: "a", count: 65)] {
            let install = await pokeError { try await skills.install(bad, zip: zip) }
            XCTAssertEqual(argument(install), "name", bad)
            let delete = await pokeError { try await skills.delete(bad) }
            XCTAssertEqual(argument(delete), "name", bad)
        }
        XCTAssertEqual(apiRequests.map(\.path), [])
    }

    func testServerSkillRefusalsAreTypedAndChangeNothing() async throws {
        let skills = try pokee().skills
        let progress = Recorder<TransferProgress>()
        let kept = try await skills.install("keep", zip: Data(zipOf([("SKILL.md", "# ok"), ("a.txt", "a")]))) {
            progress.append($0)
        }
        XCTAssertEqual(kept.files, ["SKILL.md", "a.txt"])
        XCTAssertEqual(kept.totalBytes, 5)
        XCTAssertEqual(kept.skillMDSize, 4)
        XCTAssertEqual(progress.all.last?.fractionCompleted, 1)
        let before = try emulator.skills
        let cases: [([UInt8], PokeError.APIError.Kind)] = [
            (Array("not a zip".utf8), .badRequest),
            (zipOf([("SKILL.md", "x"), ("../escape", "x")]), .badRequest),
            (zipOf([("notes.md", "x")]), .badRequest),
            (zipOf([("SKILL.md", Array("x".utf8)), ("big.bin", [UInt8](repeating: 0, count: 26_000_000))]), .payloadTooLarge),
        ]
        for (bundle, kind) in cases {
            let error = try apiError(await pokeError { try await skills.install("keep", zip: Data(bundle)) })
            XCTAssertEqual(error.kind, kind)
            XCTAssertEqual(try emulator.skills, before)
        }
        XCTAssertEqual(emulator.skillFile("keep", at: "a.txt"), Data("a".utf8))
        let unknown = try apiError(await pokeError { try await skills.delete("unknown") })
        XCTAssertEqual(unknown.kind, .notFound)
        let listed = try await skills.list()
        XCTAssertEqual(listed.map(\.name), ["keep"])
        XCTAssertNotNil(listed.first?.modifiedAt)
    }

    // MARK: - responses

    func testWholeAndStreamedResponsesAreTyped() async throws {
        let responses = try pokee().responses
        let reply = try await responses.create(input: "Hello there", model: "pokee-isaac")
        XCTAssertTrue(reply.id.hasPrefix("resp_"), reply.id)
        XCTAssertEqual(reply.status, "completed")
        XCTAssertEqual(reply.model, "pokee-isaac")
        XCTAssertNotNil(reply.createdAt)
        XCTAssertEqual(reply.outputText, "Echo: Hello there")
        XCTAssertEqual(reply.output.map(\.kind), [.message])
        XCTAssertEqual(reply.output.first?.role, "assistant")
        XCTAssertEqual(reply.json["id"]?.stringValue, reply.id)
        let usage = try XCTUnwrap(reply.usage)
        XCTAssertEqual(usage.totalTokens, usage.inputTokens + usage.outputTokens)

        let failed = try await responses.create(input: "x error=overheated")
        XCTAssertEqual(failed.status, "failed")
        XCTAssertEqual(failed.errorMessage, "overheated")

        // Input items, and the previous answer's items sent back as input.
        let items: ResponseInput = .items(
            [["type": "message", "role": "user", "content": "first"]] + reply.output.map(\.json)
                + [["type": "message", "role": "user", "content": "second"]]
        )
        let followUp = try await responses.create(input: items, instructions: "Be brief", extra: ["temperature": 0.5] as JSONValue)
        XCTAssertEqual(followUp.outputText, "Echo: second")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(XCTUnwrap(apiRequests.last?.body).utf8))
        XCTAssertEqual(body["instructions"], "Be brief")
        XCTAssertEqual(body["temperature"], 0.5)
        XCTAssertEqual(body["input"]?.arrayValue?.count, 3)

        let stream = try await responses.stream(input: "one two", idempotencyKey: "swift-key-1")
        XCTAssertEqual(stream.idempotencyKey, "swift-key-1")
        var events: [ResponseEvent] = []
        for try await event in stream.events() { events.append(event) }
        XCTAssertEqual(events.first?.kind, .created)
        XCTAssertEqual(events.last?.kind, .completed)
        XCTAssertEqual(events.filter(\.isTerminal).count, 1)
        XCTAssertEqual(events.map(\.sequenceNumber), (0..<events.count).map { Optional($0) })
        XCTAssertEqual(events.map(\.id), events.indices.map { String($0) })
        XCTAssertEqual(events.compactMap(\.delta).joined(), "Echo: one two")
        let delta = try XCTUnwrap(events.first { $0.kind == .outputTextDelta })
        XCTAssertEqual(delta.name, "response.output_text.delta")
        XCTAssertNotNil(delta.itemID)
        XCTAssertEqual(delta.outputIndex, 0)
        XCTAssertEqual(delta.contentIndex, 0)
        XCTAssertEqual(delta.data["type"], "response.output_text.delta")
        XCTAssertEqual(events.first { $0.kind == .outputTextDone }?.text, "Echo: one two")
        XCTAssertEqual(events.first { $0.kind == .outputItemDone }?.item?.text, "Echo: one two")
        XCTAssertEqual(events.last?.response?.outputText, "Echo: one two")
        XCTAssertEqual(stream.responseID, events.last?.response?.id)
        // The stream was read once: a later loop yields nothing.
        var again = 0
        for try await _ in stream.events() { again += 1 }
        XCTAssertEqual(again, 0)

        // The same request with the same key replays the same events.
        var replayed: [String] = []
        for try await event in try await responses.stream(input: "one two", idempotencyKey: "swift-key-1").events() {
            replayed.append(event.rawData)
        }
        XCTAssertEqual(replayed, events.map(\.rawData))
        let reused = try apiError(await pokeError {
            try await responses.stream(input: "other", idempotencyKey: "swift-key-1")
        })
        XCTAssertEqual(reused.kind, .unprocessableEntity)
    }

    func testResumeCancelAndUnknownOrForeignIDs() async throws {
        let responses = try pokee().responses
        let stream = try await responses.stream(input: "slow sleep_ms=10000")
        var iterator = stream.events().makeAsyncIterator()
        let first = try await iterator.next()
        XCTAssertEqual(first?.kind, .created)
        let rid = try XCTUnwrap(stream.responseID)

        let other = try pokee(key: "pk_someone_else").responses
        let foreignResume = try apiError(await pokeError { try await other.resume(responseID: rid) })
        XCTAssertEqual(foreignResume.kind, .notFound)
        let foreignCancel = try apiError(await pokeError { try await other.cancel(responseID: rid) })
        XCTAssertEqual(foreignCancel.kind, .notFound)

        // A second reader from the start sees the same first event.
        let replay = try await responses.resume(responseID: rid)
        XCTAssertNil(replay.idempotencyKey)
        var replayIterator = replay.events().makeAsyncIterator()
        let replayFirst = try await replayIterator.next()
        XCTAssertEqual(replayFirst?.id, first?.id)
        replay.close()

        let cancelling = try await stream.cancel()
        XCTAssertEqual(cancelling.status, "cancelling")
        XCTAssertEqual(cancelling.responseID, rid)
        var last: ResponseEvent?
        while let event = try await iterator.next() { last = event }
        XCTAssertEqual(last?.kind, .cancelled)
        XCTAssertEqual(last?.isTerminal, true)
        let done = try await responses.cancel(responseID: rid)
        XCTAssertEqual(done.status, "already_complete")

        // A loop that stopped early goes on from its last event with a resume.
        let partial = try await responses.stream(input: "more events=20")
        var head: [ResponseEvent] = []
        for try await event in partial.events() {
            head.append(event)
            if head.count == 10 { break }
        }
        XCTAssertEqual(partial.lastEventID, "9")
        let rest = try await responses.resume(responseID: XCTUnwrap(partial.responseID), after: partial.lastEventID)
        var tail: [ResponseEvent] = []
        for try await event in rest.events() { tail.append(event) }
        XCTAssertEqual((head + tail).map(\.sequenceNumber), (0..<20).map { Optional($0) })

        let unknown = try apiError(await pokeError { try await responses.cancel(responseID: "resp_000000000000000000000000") })
        XCTAssertEqual(unknown.kind, .notFound)
        let bad = await pokeError { try await responses.resume(responseID: "..") }
        XCTAssertEqual(argument(bad), "responseID")
    }

    func testBadRequestsAreRefusedTyped() async throws {
        let responses = try pokee().responses
        let many = (0..<129).map { FunctionTool(name: "t\($0)") }
        let tooMany = await pokeError { try await responses.create(input: "x", tools: many) }
        XCTAssertEqual(argument(tooMany), "tools")
        let longName = [FunctionTool(name: String(repeating: "n", count: 65))]
        let named = await pokeError { try await responses.stream(input: "x", tools: longName) }
        XCTAssertEqual(argument(named), "tools")
        let longDescription = [FunctionTool(name: "f", description: String(repeating: "d", count: 16 * 1024 + 1))]
        let described = await pokeError { try await responses.create(input: "x", tools: longDescription) }
        XCTAssertEqual(argument(described), "tools")
        let notANumber = await pokeError { try await responses.create(input: "x", extra: ["t": Double.nan]) }
        XCTAssertEqual(argument(notANumber), "extra")
        let rounds = await pokeError {
            try await responses.runTools(input: "x", tools: [], maxRounds: -1) { _ in "" }
        }
        XCTAssertEqual(argument(rounds), "maxRounds")
        XCTAssertEqual(apiRequests.map(\.path), [])

        for (input, model, effort): (ResponseInput, String?, ReasoningEffort?) in [
            ([3], nil, nil),
            ("x", "no-such-model", nil),
            ("x", nil, ReasoningEffort(rawValue: "extreme")),
        ] {
            let refused = try apiError(await pokeError {
                try await responses.create(input: input, model: model, reasoningEffort: effort)
            })
            XCTAssertEqual(refused.kind, .badRequest)
        }
        let accepted = try await responses.create(input: "x", reasoningEffort: .low)
        XCTAssertEqual(accepted.status, "completed")
    }

    // MARK: - streams close with their loop

    func testBreakingOutOfAResponseLoopClosesTheStream() async throws {
        let responses = try pokee().responses
        let stream = try await responses.stream(input: "long events=2000 pace_ms=50")
        var count = 0
        for try await _ in stream.events() {
            count += 1
            if count == 3 { break }
        }
        let entries = try await emulator.waitForJournal(path: "/v1/responses") { $0.first?.state == "cut" }
        XCTAssertEqual(entries.first?.state, "cut")
        XCTAssertEqual(stream.lastEventID, "2")
        let cancelled = try await stream.cancel()
        XCTAssertEqual(cancelled.status, "cancelling")
    }

    func testCancellingTheIteratingTaskThrowsCancellationErrorAndClosesTheStream() async throws {
        let responses = try pokee().responses
        let stream = try await responses.stream(input: "long events=2000 pace_ms=50")
        let seen = Recorder<ResponseEvent>()
        let started = AsyncStream<Void>.makeStream()
        let task = Task {
            for try await event in stream.events() {
                seen.append(event)
                if seen.all.count == 3 { started.continuation.yield() }
            }
            return seen.all.count
        }
        for await _ in started.stream { break }
        task.cancel()
        let result = await task.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        let entries = try await emulator.waitForJournal(path: "/v1/responses") { $0.first?.state == "cut" }
        XCTAssertEqual(entries.first?.state, "cut")
        XCTAssertLessThan(seen.all.count, 2000)
        _ = try await stream.cancel()
    }

    // MARK: - the tool loop

    func testTheToolLoopThrowsTheHandlersOwnErrorAndBoundsRounds() async throws {
        let responses = try pokee().responses
        let tool = FunctionTool(
            name: "get_weather", parameters: ["type": "object", "properties": ["location": ["type": "string"]]]
        )
        do {
            _ = try await responses.runTools(input: "weather? tool=get_weather", tools: [tool]) { _ in
                throw SensorOffline(sensor: "roof")
            }
            XCTFail("the handler's error was lost")
        } catch let error as SensorOffline {
            XCTAssertEqual(error, SensorOffline(sensor: "roof"))
        }

        for _ in 0..<3 {
            try emulator.scriptResponse(["output": [["type": "function_call", "name": "get_weather", "arguments": [:]]]] as JSONValue)
        }
        let calls = Recorder<String>()
        let bounded = await pokeError {
            try await responses.runTools(input: "weather?", tools: [tool], maxRounds: 2) { call in
                calls.append(call.name)
                return "again"
            }
        }
        guard case .toolRounds(let details)? = bounded else { return XCTFail("\(String(describing: bounded))") }
        XCTAssertEqual(details.rounds, 2)
        XCTAssertEqual(bounded?.errorCode, 12)
        XCTAssertEqual(calls.all, ["get_weather", "get_weather"])
    }

    func testCancellingAToolLoopCancelsTheRunningHandler() async throws {
        let responses = try pokee().responses
        let entered = AsyncStream<Void>.makeStream()
        let handlerSawCancel = Recorder<Bool>()
        let task = Task {
            try await responses.runTools(input: "weather? tool=get_weather", tools: [FunctionTool(name: "get_weather")]) { _ in
                entered.continuation.yield()
                do {
                    try await Task.sleep(for: .seconds(600))
                } catch {
                    handlerSawCancel.append(error is CancellationError)
                    throw error
                }
                return "never"
            }
        }
        for await _ in entered.stream { break }
        task.cancel()
        let result = await task.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        // Only the first request went out: the loop stopped in the handler.
        XCTAssertEqual(apiRequests.filter { $0.path == "/v1/responses" }.count, 1)
        let deadline = ContinuousClock.now + .seconds(20)
        while handlerSawCancel.all.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTAssertEqual(handlerSawCancel.all, [true])
    }
}
