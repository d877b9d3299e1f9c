// A cancelled Task stops each kind of call: a unary call, a turn's stream while it is being
// iterated, a download, an upload and a wait. Each test starts a call that would last far
// longer than the test allows (a server delay or stall of minutes, a 100 s turn, a transfer
// held mid-body), cancels its task, and asserts
//   - the task ends with CancellationError (not a normal end, not a PokeError),
//   - the server saw the connection go: the emulator's journal marks the request `closed`
//     (no answer sent) or `cut` (body cut short), or, for a wait, no further poll arrives,
//   - nothing of the work remains (no delivered message, no file, no stored upload),
// all within a generous bound (20 s) that only a broken cancellation misses. Each prints the
// real delays, from `task.cancel()` to the task's end (client) and to the journal showing the
// connection gone (server), as `poke-cancel-delay kind=... client_ms=... server_ms=...`;
// bindings/run-foreign-tests.sh collects those lines into its summary.
import Foundation
import Poke
import PokeTesting
import XCTest

final class CancellationTests: XCTestCase, @unchecked Sendable {
    private var emulator: Emulator!
    /// Far beyond what any test waits: only a cancelled call ends before it.
    private let bound = Duration.seconds(20)

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee() throws -> PokeeClient {
        // Bounds far above the test's: only cancellation can end these calls early.
        try PokeeClient(
            apiKey: "pk_cancel", baseURL: emulator.pokeeAPIURL,
            timeouts: Timeouts(total: .seconds(600)), maxRetries: 0,
            streamReadIdle: .seconds(600), transferReadIdle: .seconds(600)
        )
    }

    /// Cancels `task`, waits for its end, and returns how long that took; fails the test
    /// unless it ended with CancellationError within the bound.
    private func cancel<T: Sendable>(
        _ task: Task<T, any Error>, file: StaticString = #filePath, line: UInt = #line
    ) async -> (ended: ContinuousClock.Instant, cancelledAt: ContinuousClock.Instant) {
        let cancelledAt = ContinuousClock.now
        task.cancel()
        let result = await task.result
        let ended = ContinuousClock.now
        switch result {
        case .success:
            XCTFail("the cancelled call completed", file: file, line: line)
        case .failure(let error):
            XCTAssertTrue(error is CancellationError, "expected CancellationError, got \(error)", file: file, line: line)
        }
        XCTAssertLessThan(cancelledAt.duration(to: ended), bound, "the call did not stop", file: file, line: line)
        return (ended, cancelledAt)
    }

    private func report(_ kind: String, cancelledAt: ContinuousClock.Instant, ended: ContinuousClock.Instant, serverSaw: ContinuousClock.Instant?) {
        func ms(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
        let server = serverSaw.map { ms(cancelledAt.duration(to: $0)) } ?? "n/a"
        print("poke-cancel-delay kind=\(kind) client_ms=\(ms(cancelledAt.duration(to: ended))) server_ms=\(server)")
    }

    // MARK: - unary

    func testCancellingAUnaryCallClosesItsConnectionAndNothingIsDelivered() async throws {
        let path = "/api/v1/inbound/api-message"
        // The real handler would run after two minutes; the client's bound is ten.
        try emulator.addFault(["path": .string(path), "delay_ms": 120_000] as JSONValue)
        let poke = try PokeClient(
            apiKey: "pk_cancel", baseURL: emulator.pokeAPIURL, timeouts: Timeouts(total: .seconds(600)),
            maxRetries: 0
        )
        let task = Task { try await poke.sendMessage("never delivered") }
        _ = try await emulator.waitForJournal(path: path) { $0.first?.state == "pending" }

        let (ended, cancelledAt) = await cancel(task)
        let entries = try await emulator.waitForJournal(path: path) { $0.first?.state == "closed" }
        let serverSaw = ContinuousClock.now
        XCTAssertEqual(entries.map(\.state), ["closed"], "the server saw the connection close without an answer")
        XCTAssertEqual(try emulator.messages, [], "the cancelled message was not delivered")
        report("unary", cancelledAt: cancelledAt, ended: ended, serverSaw: serverSaw)
    }

    func testACallInAnAlreadyCancelledTaskSendsNothing() async throws {
        let poke = try PokeClient(apiKey: "pk_cancel", baseURL: emulator.pokeAPIURL)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await poke.sendMessage("never sent")
        }
        let result = await task.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertTrue(emulator.requests.isEmpty)
    }

    // MARK: - stream iteration

    func testCancellingTheIteratingTaskThrowsCancellationErrorAndClosesTheStream() async throws {
        let session = try await pokee().createSession()
        // 2,000 events 50 ms apart: 100 s, far beyond the bound.
        let turn = try await session.send("long events=2000 pace_ms=50")
        let seen = Recorder<TurnEvent>()
        let started = AsyncStream<Void>.makeStream()
        let task = Task {
            for try await event in turn.events() {
                seen.append(event)
                if seen.all.count == 3 { started.continuation.yield() }
            }
            return seen.all.count
        }
        for await _ in started.stream { break }

        let (ended, cancelledAt) = await cancel(task)
        let path = "/v1/sessions/\(session.id)/messages"
        let entries = try await emulator.waitForJournal(path: path) { $0.first?.state == "cut" }
        let serverSaw = ContinuousClock.now
        XCTAssertEqual(entries.map(\.state), ["cut"], "the server saw the event stream cut")
        XCTAssertLessThan(seen.all.count, 2000)
        // The stream is closed for good: a later loop yields nothing.
        let after = try await collect(turn)
        XCTAssertEqual(after, [])
        report("stream", cancelledAt: cancelledAt, ended: ended, serverSaw: serverSaw)
        _ = try await turn.cancel()
    }

    func testBreakingOutOfTheLoopClosesTheStream() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("long events=2000 pace_ms=50")
        let path = "/v1/sessions/\(session.id)/messages"
        var count = 0
        for try await _ in turn.events() {
            count += 1
            if count == 3 { break }
        }
        let broke = ContinuousClock.now
        let entries = try await emulator.waitForJournal(path: path) { $0.first?.state == "cut" }
        XCTAssertEqual(entries.map(\.state), ["cut"])
        report("stream-break", cancelledAt: broke, ended: broke, serverSaw: ContinuousClock.now)
        // The turn itself runs on: its position is kept for a resume.
        XCTAssertEqual(turn.lastEventID, "2")
        _ = try await turn.cancel()
    }

    func testAnIteratorLetGoOfClosesTheStream() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("long events=2000 pace_ms=50")
        let path = "/v1/sessions/\(session.id)/messages"
        do {
            var iterator = turn.events().makeAsyncIterator()
            let first = try await iterator.next()
            XCTAssertEqual(first?.kind, .messageCreated)
        }
        let entries = try await emulator.waitForJournal(path: path) { $0.first?.state == "cut" }
        XCTAssertEqual(entries.map(\.state), ["cut"])
        _ = try await turn.cancel()
    }

    // MARK: - transfers

    func testCancellingADownloadWhileWaitingForItsAnswerClosesTheConnectionAndLeavesNoFile() async throws {
        let session = try await pokee().createSession()
        try emulator.putWorkspaceFile(Data(count: 1 << 20), at: "slow.bin")
        try emulator.addFault(["path": "/v1/sessions/*/files/slow.bin", "delay_ms": 120_000] as JSONValue)
        let dir = try temporaryDirectory("poke-swift-cancel-download")
        let task = Task { try await session.download("slow.bin", to: dir.appendingPathComponent("slow.bin")) }
        _ = try await emulator.waitForJournal(path: "/files/slow.bin") { $0.first?.state == "pending" }

        let (ended, cancelledAt) = await cancel(task)
        let entries = try await emulator.waitForJournal(path: "/files/slow.bin") { $0.first?.state == "closed" }
        let serverSaw = ContinuousClock.now
        XCTAssertEqual(entries.map(\.state), ["closed"], "the server saw the connection close without an answer")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no file, partial or temporary")
        report("download", cancelledAt: cancelledAt, ended: ended, serverSaw: serverSaw)
    }

    func testCancellingADownloadMidBodyLeavesNoFile() async throws {
        let session = try await pokee().createSession()
        // The emulator hands its body to the HTTP server in one piece, so its journal cannot
        // tell a cut download from a whole one; the proof here is on the client side: the
        // transfer stopped short and left nothing behind.
        let size = 32 << 20
        try emulator.putWorkspaceFile(Data(count: size), at: "big.bin")
        let dir = try temporaryDirectory("poke-swift-cancel-download")
        let destination = dir.appendingPathComponent("big.bin")
        let gate = Gate()
        let reports = Recorder<TransferProgress>()
        let task = Task {
            try await session.download("big.bin", to: destination) {
                reports.append($0)
                gate.holdFirstReport()
            }
        }
        await gate.reached()

        let cancelledAt = ContinuousClock.now
        task.cancel()
        gate.open()
        let result = await task.result
        let ended = ContinuousClock.now
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertLessThan(cancelledAt.duration(to: ended), bound)
        XCTAssertLessThan(reports.all.last?.completedBytes ?? 0, size, "the transfer stopped short")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no file, partial or temporary")
        report("download-mid-body", cancelledAt: cancelledAt, ended: ended, serverSaw: nil)
    }

    func testCancellingAnUploadMidBodyStoresNothing() async throws {
        let session = try await pokee().createSession()
        let dir = try temporaryDirectory("poke-swift-cancel-upload")
        let source = dir.appendingPathComponent("big.bin")
        try Data(count: 32 << 20).write(to: source)
        let gate = Gate()
        let task = Task {
            try await session.upload(contentsOf: source, to: "uploads/big.bin") { _ in gate.holdFirstReport() }
        }
        await gate.reached()

        let cancelledAt = ContinuousClock.now
        task.cancel()
        gate.open()
        let result = await task.result
        let ended = ContinuousClock.now
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertLessThan(cancelledAt.duration(to: ended), bound)
        let entries = try await emulator.waitForJournal(path: "/files/uploads/big.bin") {
            guard let entry = $0.first else { return false }
            return entry.state == "closed" || entry.state == "cut" || (entry.status ?? 0) >= 400
        }
        let serverSaw = ContinuousClock.now
        XCTAssertEqual(entries.count, 1)
        XCTAssertNotEqual(entries.first?.status, 200, "the server did not accept a partial upload")
        XCTAssertNil(emulator.workspaceFile(at: "uploads/big.bin"), "nothing was stored")
        report("upload", cancelledAt: cancelledAt, ended: ended, serverSaw: serverSaw)
    }

    // MARK: - waits

    func testCancellingAWaitStopsPolling() async throws {
        let session = try await pokee().createSession()
        let turn = try await session.send("long events=2000 pace_ms=50")
        turn.close()
        let path = "/v1/sessions/\(session.id)"
        let polls = { (entries: [JournalEntry]) in entries.filter { $0.method == "GET" && $0.target == path }.count }
        let changes = Recorder<SessionInfo>()
        let task = Task {
            try await session.waitUntilIdle(pollInterval: .milliseconds(20), maxInterval: .milliseconds(20)) {
                changes.append($0)
            }
        }
        _ = try await emulator.waitForJournal(path: path) { polls($0) >= 3 }

        let (ended, cancelledAt) = await cancel(task)
        // Requests already on the wire when the task stopped still arrive: let them land, then
        // watch ten poll intervals for another.
        try await Task.sleep(for: .milliseconds(100))
        let before = polls(try await emulator.journal(path: path))
        try await Task.sleep(for: .milliseconds(200))
        let after = polls(try await emulator.journal(path: path))
        XCTAssertEqual(after, before, "no poll after the wait was cancelled")
        XCTAssertEqual(changes.all.first?.isBusy, true)
        report("wait", cancelledAt: cancelledAt, ended: ended, serverSaw: nil)
        _ = try await session.cancelTurn(responseID: try XCTUnwrap(turn.responseID))
    }
}

/// Holds a transfer at its first progress report until the test opens it, so the test can
/// cancel while the transfer is surely in the middle of its body. The report is delivered on
/// the task running the transfer, between two reads or writes: holding it pauses the transfer.
private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    private var held = false
    private var waiter: CheckedContinuation<Void, Never>?

    /// Called by the progress handler: the first call waits until `open()` (at most 20 s).
    func holdFirstReport() {
        condition.lock()
        defer { condition.unlock() }
        guard !held else { return }
        held = true
        waiter?.resume()
        waiter = nil
        let deadline = Date().addingTimeInterval(20)
        while !isOpen && condition.wait(until: deadline) {}
    }

    /// Returns once the transfer is held.
    func reached() async {
        await withCheckedContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if held { continuation.resume() } else { waiter = continuation }
        }
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}
