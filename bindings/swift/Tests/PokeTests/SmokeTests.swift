import Foundation
import XCTest
import Poke
import PokeTesting

final class SmokeTests: XCTestCase, @unchecked Sendable {
    func testSmoke() async throws {
        let emulator = try Emulator()
        defer { emulator.shutdown() }
        let poke = try PokeClient(apiKey: "pk_x", baseURL: emulator.pokeAPIURL)
        let reply = try await poke.sendMessage("hi")
        XCTAssertTrue(reply.success)
    }
}
