// Skills (E16–E18) and stateless responses (E19–E21) beyond the shared scenarios: every bad
// input typed, nothing sent or nothing changed on the server; mirrors SkillsResponsesTest.kt.
import Foundation
import XCTest
import Poke

final class FailingTool: ToolHandler, @unchecked Sendable {
    func call(name: String, arguments: String, callId: String) throws -> String {
        throw PokeError.Config(msg: "sensor offline")
    }
}

final class ConstantTool: ToolHandler, @unchecked Sendable {
    let output: String
    let calls = Recorder<(String, String)>()
    init(_ output: String) { self.output = output }
    func call(name: String, arguments: String, callId: String) throws -> String {
        calls.append((name, arguments))
        return output
    }
}

func apiKind(_ error: PokeError?) -> ApiErrorKind? {
    if case let .Api(_, _, kind, _, _, _, _)? = error { return kind }
    return nil
}

func inputField(_ error: PokeError?) -> String? {
    if case let .InvalidInput(_, field)? = error { return field }
    return nil
}

final class SkillsResponsesTests: XCTestCase {
    private var emulator: Emulator!

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
        emulator.setTurnPaceMs(ms: 0)
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee(key: String = "pk_swift") throws -> PokeeClient {
        try PokeeClient.create(options: PokeeClientOptions(
            apiKey: key, baseUrl: emulator.pokeeApiUrl(), resume: ResumeOptions(initialDelaySecs: 0.05)
        ))
    }

    private func apiRequests() -> [EmulatorRequest] {
        emulator.requests().filter { $0.path.hasPrefix("/v1/") }
    }

    func testLocalSkillRefusalsSendNothing() async throws {
        let c = try pokee()
        let bare = try skillDirectory([("README.md", "x")])
        let noSkillMd = await pokeError { try await c.installSkill(name: "s", path: bare.path) }
        XCTAssertEqual(inputField(noSkillMd), "source")
        let linked = try skillDirectory([("SKILL.md", "x")])
        try FileManager.default.createSymbolicLink(
            atPath: linked.appendingPathComponent("passwd").path, withDestinationPath: "/etc/passwd")
        let symlink = await pokeError { try await c.installSkill(name: "s", path: linked.path) }
        guard case let .InvalidInput(msg, _)? = symlink else { return XCTFail("\(String(describing: symlink))") }
        XCTAssertTrue(msg.contains("symbolic link"), msg)
        for bad in ["", "Bad", "custom-x", "-x", String(repeating: "a", count: 65)] {
            let e = await pokeError { try await c.installSkillBytes(name: bad, zip: Data(zipOf([("SKILL.md", "x")]))) }
            XCTAssertEqual(inputField(e), "name")
            let err1 = await pokeError { try await c.deleteSkill(name: bad) }
            XCTAssertEqual(inputField(err1), "name")
        }
        XCTAssertTrue(apiRequests().isEmpty)
    }

    func testServerSkillRefusalsAreTypedAndChangeNothing() async throws {
        let c = try pokee()
        _ = try await c.installSkillBytes(name: "keep", zip: Data(zipOf([("SKILL.md", "# ok"), ("a.txt", "a")])))
        let before = try emulator.skillsJson()
        let cases: [([UInt8], ApiErrorKind)] = [
            (Array("not a zip".utf8), .badRequest),
            (zipOf([("SKILL.md", "x"), ("../escape", "x")]), .badRequest),
            (zipOf([("notes.md", "x")]), .badRequest),
            (zipOf([("SKILL.md", Array("x".utf8)), ("big.bin", [UInt8](repeating: 0, count: 26_000_000))]), .payloadTooLarge),
        ]
        for (bundle, kind) in cases {
            let e = await pokeError { try await c.installSkillBytes(name: "keep", zip: Data(bundle)) }
            XCTAssertEqual(apiKind(e), kind)
            XCTAssertEqual(try emulator.skillsJson(), before)
        }
        let err2 = await pokeError { try await c.deleteSkill(name: "unknown") }
        XCTAssertEqual(apiKind(err2), .notFound)
    }

    func testWholeAndStreamedResponsesAreTyped() async throws {
        let c = try pokee()
        let r = try await c.createResponse(params: CreateResponseParams(input: "Hello there", model: "pokee-isaac"))
        XCTAssertTrue(r.id.hasPrefix("resp_"))
        XCTAssertEqual(r.status, "completed")
        XCTAssertEqual(r.outputText, "Echo: Hello there")
        XCTAssertEqual(r.output.map(\.kind), ["message"])
        let usage = try XCTUnwrap(r.usage)
        XCTAssertEqual(usage.totalTokens, usage.inputTokens + usage.outputTokens)
        let failed = try await c.createResponse(params: CreateResponseParams(input: "x error=overheated"))
        XCTAssertEqual(failed.status, "failed")
        XCTAssertEqual(failed.errorMessage, "overheated")

        let stream = try await c.streamResponse(params: CreateResponseParams(input: "one two"), idempotencyKey: "swift-key-1")
        var events: [ResponseEvent] = []
        for try await event in stream.events() { events.append(event) }
        XCTAssertEqual(events.first?.kind, .created)
        XCTAssertEqual(events.last?.kind, .completed)
        XCTAssertEqual(events.map(\.sequenceNumber), (0..<events.count).map { UInt64($0) })
        XCTAssertEqual(events.compactMap(\.delta).joined(), "Echo: one two")
        XCTAssertEqual(events.last?.response?.outputText, "Echo: one two")
        XCTAssertEqual(stream.idempotencyKey(), "swift-key-1")
        let again = await pokeError {
            try await c.streamResponse(params: CreateResponseParams(input: "other"), idempotencyKey: "swift-key-1")
        }
        XCTAssertEqual(apiKind(again), .unprocessableEntity)
    }

    func testCancelUnknownAndForeignIds() async throws {
        let c = try pokee()
        let stream = try await c.streamResponse(params: CreateResponseParams(input: "slow sleep_ms=10000"))
        let first = try await stream.next()
        XCTAssertEqual(first?.kind, .created)
        let rid = try XCTUnwrap(stream.responseId())
        let other = try pokee(key: "pk_someone_else")
        let err3 = await pokeError { try await other.resumeResponse(responseId: rid) }
        XCTAssertEqual(apiKind(err3), .notFound)
        let err4 = await pokeError { try await other.cancelResponse(responseId: rid) }
        XCTAssertEqual(apiKind(err4), .notFound)
        let got5 = try await stream.cancel()
        XCTAssertEqual(got5.status, "cancelling")
        var last: ResponseEvent?
        for try await event in stream.events() { last = event }
        XCTAssertEqual(last?.kind, .cancelled)
        let got6 = try await c.cancelResponse(responseId: rid)
        XCTAssertEqual(got6.status, "already_complete")
        let err7 = await pokeError { try await c.cancelResponse(responseId: "resp_000000000000000000000000") }
        XCTAssertEqual(apiKind(err7), .notFound)
        let err8 = await pokeError { try await c.resumeResponse(responseId: "..") }
        XCTAssertEqual(inputField(err8), "response_id")
    }

    func testBadRequestsAreRefusedTyped() async throws {
        let c = try pokee()
        let many = (0..<129).map { FunctionToolSpec(name: "t\($0)") }
        let err9 = await pokeError { try await c.createResponse(params: CreateResponseParams(input: "x", tools: many)) }
        XCTAssertEqual(inputField(err9), "tools")
        let longName = [FunctionToolSpec(name: String(repeating: "n", count: 65))]
        let err10 = await pokeError { try await c.streamResponse(params: CreateResponseParams(input: "x", tools: longName)) }
        XCTAssertEqual(inputField(err10), "tools")
        let err11 = await pokeError { try await c.createResponse(params: CreateResponseParams(inputJson: "[not json")) }
        XCTAssertNotNil(inputField(err11))
        XCTAssertTrue(apiRequests().isEmpty)
        for params in [
            CreateResponseParams(inputJson: "[3]"),
            CreateResponseParams(input: "x", model: "no-such-model"),
            CreateResponseParams(input: "x", reasoningEffort: "extreme"),
        ] {
            let err12 = await pokeError { try await c.createResponse(params: params) }
            XCTAssertEqual(apiKind(err12), .badRequest)
        }
    }

    func testTheToolLoopKeepsTheHandlersErrorAndBoundsRounds() async throws {
        let c = try pokee()
        let tool = FunctionToolSpec(name: "get_weather", parametersJson: #"{"type":"object","properties":{"location":{"type":"string"}}}"#)
        let params = CreateResponseParams(input: "weather? tool=get_weather", tools: [tool])
        let e = await pokeError { try await c.runTools(params: params, handler: FailingTool()) }
        guard case let .Config(msg)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(msg, "sensor offline")
        for _ in 0..<3 {
            try emulator.scriptResponseJson(json: #"{"output":[{"type":"function_call","name":"get_weather","arguments":{}}]}"#)
        }
        let rounds = await pokeError { try await c.runTools(params: params, handler: ConstantTool("again"), maxRounds: 2) }
        guard case let .ToolRounds(_, n)? = rounds else { return XCTFail("\(String(describing: rounds))") }
        XCTAssertEqual(n, 2)
    }
}
