// The shared scenarios of skills and stateless responses (tests/scenarios/scenarios.json), one
// test per id, named `test_scenario_<id>`, written against the public API (`Poke`, and
// `PokeTesting` for the emulator).
import Foundation
import Poke
import PokeTesting
import XCTest

final class StatelessScenarioTests: XCTestCase, @unchecked Sendable {
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
        try PokeeClient(
            apiKey: "pk_scenario", baseURL: emulator.pokeeAPIURL,
            resumePolicy: ResumePolicy(initialDelay: .milliseconds(50))
        )
    }

    func test_scenario_skills_lifecycle() async throws {
        let skills = try pokee().skills
        let dir = try skillDirectory([("SKILL.md", "# Greeter\nSay hello.\n"), ("scripts/hello.py", "print('hello')\n")])
        let progress = Recorder<TransferProgress>()
        let installed = try await skills.install("greeter", from: dir) { progress.append($0) }
        XCTAssertEqual(installed.name, "greeter")
        XCTAssertEqual(installed.files, ["SKILL.md", "scripts/hello.py"])
        let last = try XCTUnwrap(progress.all.last)
        XCTAssertEqual(last.completedBytes, last.totalBytes)
        XCTAssertEqual(last.fractionCompleted, 1)
        let listed = try await skills.list()
        XCTAssertEqual(listed.map(\.name), ["greeter"])
        XCTAssertEqual(listed.first?.skillMDSize, "# Greeter\nSay hello.\n".utf8.count)

        let replaced = try await skills.install("greeter", zip: Data(zipOf([("SKILL.md", "# v2")])))
        XCTAssertEqual(replaced.files, ["SKILL.md"])
        XCTAssertNil(emulator.skillFile("greeter", at: "scripts/hello.py"))
        XCTAssertEqual(emulator.skillFile("greeter", at: "SKILL.md"), Data("# v2".utf8))
        let before = try emulator.skills
        let refused = try apiError(await pokeError {
            try await skills.install("greeter", zip: Data(zipOf([("SKILL.md", "x"), ("../outside.txt", "x")])))
        })
        XCTAssertEqual(refused.kind, .badRequest)
        XCTAssertEqual(try emulator.skills, before)

        let sent = emulator.requests.count
        let bad = await pokeError { try await skills.install("Bad Name", zip: Data(zipOf([("SKILL.md", "x")]))) }
        guard case .invalidInput(let details)? = bad else { return XCTFail("\(String(describing: bad))") }
        XCTAssertEqual(details.argument, "name")
        XCTAssertEqual(emulator.requests.count, sent)

        try await skills.delete("greeter")
        let gone = try apiError(await pokeError { try await skills.delete("greeter") })
        XCTAssertEqual(gone.kind, .notFound)
        XCTAssertEqual(try emulator.skills, [])
    }

    func test_scenario_stateless_stream_resume() async throws {
        try emulator.addFault(["method": "POST", "path": "/v1/responses", "drop_after_events": 5] as JSONValue)
        let stream = try await pokee().responses.stream(input: "stream me events=30")
        var events: [ResponseEvent] = []
        for try await event in stream.events() { events.append(event) }
        XCTAssertEqual(events.map(\.sequenceNumber), (0..<30).map { Optional($0) })
        XCTAssertEqual(events.last?.kind, .completed)
        let text = events.filter { $0.kind == .outputTextDelta }.compactMap(\.delta).joined()
        XCTAssertFalse(text.isEmpty)
        XCTAssertEqual(events.last?.response?.outputText, text)
        XCTAssertEqual(stream.responseID, events.last?.response?.id)
        XCTAssertEqual(stream.lastEventID, "29")
        let posts = emulator.requests.filter { $0.method == "POST" && $0.path == "/v1/responses" }
        XCTAssertEqual(posts.count, 1)
        let key = try XCTUnwrap(stream.idempotencyKey)
        XCTAssertEqual(posts.first?.header("idempotency-key"), key)
        let resume = try XCTUnwrap(emulator.requests.first { $0.path.hasSuffix("/events") })
        XCTAssertTrue(resume.path.hasPrefix("/v1/responses/resp_"), resume.path)
        XCTAssertEqual(resume.header("last-event-id"), "4")
    }

    func test_scenario_tool_loop() async throws {
        struct Weather: Decodable { let location: String }
        let calls = Recorder<FunctionCall>()
        let tool = FunctionTool(
            name: "get_weather", description: "The weather of a city.",
            parameters: [
                "type": "object", "properties": ["location": ["type": "string"]], "required": ["location"],
            ]
        )
        let run = try await pokee().responses.runTools(
            input: "What is the weather in Paris? tool=get_weather", tools: [tool]
        ) { call in
            calls.append(call)
            XCTAssertEqual(try call.arguments(as: Weather.self).location, "Paris")
            return "sunny, 21C"
        }
        XCTAssertEqual(calls.all.map(\.name), ["get_weather"])
        XCTAssertEqual(calls.all.map(\.arguments), [["location": "Paris"]])
        XCTAssertEqual(run.rounds, 2)
        XCTAssertTrue(run.response.outputText.contains("sunny, 21C"), run.response.outputText)
        let bodies = try emulator.requests.filter { $0.path == "/v1/responses" }
            .map { try JSONDecoder().decode(JSONValue.self, from: Data($0.body.utf8)) }
        XCTAssertEqual(bodies.count, 2)
        let history = try XCTUnwrap(bodies.last?["input"]?.arrayValue)
        XCTAssertEqual(history.map { $0["type"]?.stringValue }, ["message", "function_call", "function_call_output"])
        XCTAssertEqual(history[2]["output"], "sunny, 21C")
        XCTAssertEqual(history[2]["call_id"], history[1]["call_id"])
        XCTAssertEqual(history[2]["call_id"]?.stringValue, calls.all.first?.callID)
        XCTAssertEqual(run.history.count, 4)
    }
}
