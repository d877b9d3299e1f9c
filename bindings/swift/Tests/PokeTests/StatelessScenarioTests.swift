// The shared scenarios of skills and stateless responses (tests/scenarios/scenarios.json),
// named `test_scenario_<id>`; mirrors StatelessScenarioTest.kt.
import Foundation
import XCTest
import Poke

final class StatelessScenarioTests: XCTestCase {
    private var emulator: Emulator!

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee() throws -> PokeeClient {
        try PokeeClient.create(options: PokeeClientOptions(
            apiKey: "pk_scenario",
            baseUrl: emulator.pokeeApiUrl(),
            resume: ResumeOptions(initialDelaySecs: 0.05)
        ))
    }

    func test_scenario_skills_lifecycle() async throws {
        let c = try pokee()
        let dir = try skillDirectory([("SKILL.md", "# Greeter\nSay hello.\n"), ("scripts/hello.py", "print('hello')\n")])
        let progress = TransferRecorder()
        let installed = try await c.installSkill(name: "greeter", path: dir.path, listener: progress)
        XCTAssertEqual(installed.files, ["SKILL.md", "scripts/hello.py"])
        let last = try XCTUnwrap(progress.calls.all.last)
        XCTAssertEqual(last.0, last.1)
        let got13 = try await c.listSkills()
        XCTAssertEqual(got13.map(\.name), ["greeter"])

        let replaced = try await c.installSkillBytes(name: "greeter", zip: Data(zipOf([("SKILL.md", "# v2")])))
        XCTAssertEqual(replaced.files, ["SKILL.md"])
        let before = try emulator.skillsJson()
        let refused = await pokeError {
            try await c.installSkillBytes(name: "greeter", zip: Data(zipOf([("SKILL.md", "x"), ("../outside.txt", "x")])))
        }
        XCTAssertEqual(apiKind(refused), .badRequest)
        XCTAssertEqual(try emulator.skillsJson(), before)

        let sent = emulator.requests().count
        let bad = await pokeError { try await c.installSkillBytes(name: "Bad Name", zip: Data(zipOf([("SKILL.md", "x")]))) }
        XCTAssertEqual(inputField(bad), "name")
        XCTAssertEqual(emulator.requests().count, sent)

        try await c.deleteSkill(name: "greeter")
        let err14 = await pokeError { try await c.deleteSkill(name: "greeter") }
        XCTAssertEqual(apiKind(err14), .notFound)
    }

    func test_scenario_stateless_stream_resume() async throws {
        _ = try emulator.addFaultJson(json: #"{"method":"POST","path":"/v1/responses","drop_after_events":5}"#)
        let c = try pokee()
        let stream = try await c.streamResponse(params: CreateResponseParams(input: "stream me events=30"))
        var events: [ResponseEvent] = []
        for try await event in stream.events() { events.append(event) }
        XCTAssertEqual(events.map(\.sequenceNumber), (0..<30).map { UInt64($0) })
        XCTAssertEqual(events.last?.kind, .completed)
        XCTAssertEqual(events.last?.response?.outputText, events.compactMap(\.delta).joined())
        let requests = emulator.requests()
        let post = try XCTUnwrap(requests.first { $0.path == "/v1/responses" })
        XCTAssertEqual(post.header(name: "idempotency-key"), stream.idempotencyKey())
        let resume = try XCTUnwrap(requests.first { $0.path.hasSuffix("/events") })
        XCTAssertTrue(resume.path.hasPrefix("/v1/responses/resp_"))
        XCTAssertEqual(resume.header(name: "last-event-id"), "4")
    }

    func test_scenario_tool_loop() async throws {
        let c = try pokee()
        let tool = FunctionToolSpec(
            name: "get_weather",
            parametersJson: #"{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}"#
        )
        let handler = ConstantTool("sunny, 21C")
        let run = try await c.runTools(
            params: CreateResponseParams(input: "What is the weather in Paris? tool=get_weather", tools: [tool]),
            handler: handler
        )
        XCTAssertEqual(run.rounds, 2)
        XCTAssertTrue(run.response.outputText.contains("sunny, 21C"), run.response.outputText)
        let calls = handler.calls.all
        XCTAssertEqual(calls.map(\.0), ["get_weather"])
        XCTAssertEqual(calls.map(\.1), [#"{"location":"Paris"}"#])
        let bodies = emulator.requests().filter { $0.path == "/v1/responses" }.map(\.body)
        XCTAssertEqual(bodies.count, 2)
        XCTAssertTrue(bodies[1].contains(#""type":"function_call_output""#), bodies[1])
        XCTAssertTrue(bodies[1].contains(#""output":"sunny, 21C""#), bodies[1])
    }
}
