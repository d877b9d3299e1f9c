import Foundation
import Poke
import PokeApp
import PokeTesting
import XCTest

final class AppTests: XCTestCase, @unchecked Sendable {
    func testTheQuickstartFromTheDocs() async throws {
        let emulator = try Emulator()
        defer { emulator.shutdown() }
        let poke = try PokeClient(apiKey: "pk_test", baseURL: emulator.pokeAPIURL)
        let reply = try await poke.sendMessage("Remind me to water the plants at 6")
        XCTAssertTrue(reply.success)
        XCTAssertEqual(try emulator.messages, [["message": "Remind me to water the plants at 6"]])
    }

    func testTheAssistantCollectsTheStreamedAnswer() async throws {
        let emulator = try Emulator()
        defer { emulator.shutdown() }
        let assistant = try Assistant(apiKey: "pk_test", baseURL: emulator.pokeeAPIURL)
        let answer = try await assistant.ask("Summarise the Q3 report events=12 pace_ms=0")
        XCTAssertFalse(answer.isEmpty)
    }

    func testTheAssistantAnswersWithALocalFunction() async throws {
        let emulator = try Emulator()
        defer { emulator.shutdown() }
        let assistant = try Assistant(apiKey: "pk_test", baseURL: emulator.pokeeAPIURL)
        let answer = try await assistant.weatherAnswer("Weather in Paris? tool=get_weather") { city in
            "rain in \(city)"
        }
        XCTAssertTrue(answer.contains("rain in Paris"), answer)
    }

    @MainActor
    func testTheDownloadModelEndsAtOne() async throws {
        let emulator = try Emulator()
        defer { emulator.shutdown() }
        let pokee = try PokeeClient(apiKey: "pk_test", baseURL: emulator.pokeeAPIURL)
        let session = try await pokee.createSession()
        try emulator.putWorkspaceFile(Data(count: 1 << 20), at: "output/deck.pptx")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("deck-\(UUID().uuidString).pptx")
        defer { try? FileManager.default.removeItem(at: file) }
        let model = DownloadModel()
        try await model.download("output/deck.pptx", of: session, to: file)
        XCTAssertEqual(model.savedBytes, 1 << 20)
        XCTAssertEqual(model.fraction, 1)
    }
}
