// Helpers shared by the test classes: host isolation, temporary files, a thread-safe recorder,
// and the emulator's request journal as its inspector API reports it (each request's state:
// pending, closed, streaming, done, cut), which shows what the server saw of a connection.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Poke
import PokeTesting
import XCTest

/// Every key and URL is chosen by the tests: no host credentials or configuration leak in.
func clearHostConfiguration() {
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

/// A list that progress handlers (called from the task running the call) append to.
final class Recorder<T: Sendable>: @unchecked Sendable {
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

/// The event ids `from...to` as the stream numbers them.
func ids(_ range: ClosedRange<Int>) -> [String?] {
    range.map { String($0) }
}

/// Every event of `turn` (at most `limit`; the loop then breaks, which closes the stream).
func collect(_ turn: Turn, limit: Int? = nil) async throws -> [TurnEvent] {
    var events: [TurnEvent] = []
    for try await event in turn.events() {
        events.append(event)
        if let limit, events.count >= limit { break }
    }
    return events
}

/// The `PokeError` that `operation` throws (a test failure if it throws nothing or another error).
func pokeError<T>(
    _ operation: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async -> PokeError? {
    do {
        _ = try await operation()
        XCTFail("expected a PokeError", file: file, line: line)
    } catch let error as PokeError {
        return error
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return nil
}

/// The details of an `.api` error (a test failure for anything else).
func apiError(
    _ error: PokeError?, file: StaticString = #filePath, line: UInt = #line
) throws -> PokeError.APIError {
    guard case .api(let details)? = error else {
        XCTFail("expected PokeError.api, got \(String(describing: error))", file: file, line: line)
        throw UnexpectedCase()
    }
    return details
}

/// Thrown after a failed expectation about an error's case, to end the test there.
struct UnexpectedCase: Error {}

/// One request of the emulator's journal, with what became of it.
struct JournalEntry: Decodable {
    let seq: Int
    let method: String
    let target: String
    /// `pending`, `closed` (the connection closed without an answer), `streaming`, `done` or
    /// `cut` (the connection closed before the answer's body ended).
    let state: String
    let status: Int?
}

extension Emulator {
    /// The journal's entries whose target contains `path`, oldest first
    /// (`GET /_emulator/ui/api/requests`).
    func journal(path: String) async throws -> [JournalEntry] {
        struct Page: Decodable { let entries: [JournalEntry] }
        var components = URLComponents(url: url.appendingPathComponent("_emulator/ui/api/requests"), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "path", value: path), URLQueryItem(name: "limit", value: "1000")]
        guard let address = components?.url else { throw URLError(.badURL) }
        let data = try await get(address)
        return try JSONDecoder().decode(Page.self, from: data).entries.reversed()
    }

    /// Polls the journal until `condition` holds for the entries of `path` and returns them;
    /// fails the test after `limit` (generous: it only bounds a broken run).
    func waitForJournal(
        path: String, limit: Duration = .seconds(20), file: StaticString = #filePath, line: UInt = #line,
        until condition: ([JournalEntry]) -> Bool
    ) async throws -> [JournalEntry] {
        let deadline = ContinuousClock.now + limit
        while true {
            let entries = try await journal(path: path)
            if condition(entries) { return entries }
            if ContinuousClock.now > deadline {
                XCTFail("the journal of \(path) never got there: \(entries.map { "\($0.method) \($0.target) \($0.state)" })", file: file, line: line)
                return entries
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private func get(_ address: URL) async throws -> Data {
    try await withCheckedThrowingContinuation { continuation in
        URLSession.shared.dataTask(with: address) { data, _, error in
            if let data {
                continuation.resume(returning: data)
            } else {
                continuation.resume(throwing: error ?? URLError(.badServerResponse))
            }
        }.resume()
    }
}
