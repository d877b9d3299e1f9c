// The sessions API beyond the shared scenarios; mirrors
// bindings/kotlin/src/test/kotlin/com/poke/SessionsTest.kt (the Kotlin collector-cancellation
// test becomes a task-cancellation test here: Swift's adapter closes the stream instead).
import Foundation
import XCTest
import Poke

private struct ListenerBug: Error {}

private final class Buggy: WaitProgressListener, @unchecked Sendable {
    func onProgress(session: SessionRecord) throws {
        throw ListenerBug()
    }
}

private final class Refusing: TransferProgressListener, @unchecked Sendable {
    func onProgress(doneBytes: UInt64, totalBytes: UInt64?) throws {
        throw PokeError.Cancelled(msg: "user stopped the download")
    }
}

final class SessionsTests: XCTestCase {
    private var emulator: Emulator!

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func pokee(maxRetries: UInt32? = nil) throws -> PokeeClient {
        try PokeeClient.create(options: PokeeClientOptions(
            apiKey: "pk_sessions", baseUrl: emulator.pokeeApiUrl(), maxRetries: maxRetries
        ))
    }

    func testToolCallIsAnsweredAndTheTurnGoesOn() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "weather please tool=get_weather")
        var request: TurnEvent?
        for try await event in turn.events() where event.kind == .toolCallRequested {
            request = event
            break
        }
        let data = try XCTUnwrap(request?.dataJson.data(using: .utf8))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let callId = try XCTUnwrap(object["call_id"] as? String)
        let ack = try await c.submitToolResult(sessionId: session.id, callId: callId, outputJson: #""sunny, 21 C""#)
        XCTAssertEqual(ack.status, "accepted")
        XCTAssertEqual(ack.callId, callId)
        let rest = try await collect(turn)
        XCTAssertEqual(rest.last?.kind, .messageCompleted)
    }

    func testHealthUploadBytesAndUsage() async throws {
        let c = try pokee()
        let health = try await c.health()
        XCTAssertEqual(health, #"{"status":"ok"}"#)
        let session = try await c.createSession()
        let bytes = Data("hello, workspace".utf8)
        let stored = try await c.uploadBytes(sessionId: session.id, path: "notes/hello.txt", data: bytes)
        XCTAssertEqual(stored.size, UInt64(bytes.count))
        XCTAssertEqual(emulator.workspaceFile(path: "notes/hello.txt"), bytes)
        let usage = try await c.usage()
        XCTAssertTrue(usage.json.hasPrefix("{"), usage.json)
        XCTAssertTrue(usage.windows.allSatisfy { !$0.name.isEmpty })
    }

    func testCancelTurnByIdThenReplayTheWholeTurn() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "walk away events=400 pace_ms=20")
        turn.close()
        let responseId = try XCTUnwrap(turn.responseId())
        let cancelled = try await c.cancelTurn(sessionId: session.id, responseId: responseId)
        XCTAssertEqual(cancelled.status, "cancelling")
        _ = try await c.waitIdle(sessionId: session.id, options: WaitOptions(pollIntervalSecs: 0.05, deadlineSecs: 30))
        let replay = try await c.resume(sessionId: session.id, responseId: responseId)
        let events = try await collect(replay)
        XCTAssertEqual(events.first?.id, "0")
        XCTAssertEqual(events.last?.kind, .messageCancelled)
        XCTAssertNil(replay.idempotencyKey())
        let again = try await c.cancelTurn(sessionId: session.id, responseId: responseId)
        XCTAssertEqual(again.status, "already_complete")
    }

    func testSecondMessageWhileBusyIsAConflict() async throws {
        let c = try pokee(maxRetries: 0)
        let session = try await c.createSession()
        let first = try await c.sendMessage(sessionId: session.id, message: "first events=400 pace_ms=20")
        let error = await pokeError { try await c.sendMessage(sessionId: session.id, message: "second") }
        guard case let .Api(_, status, kind, _, _, _, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 409)
        XCTAssertEqual(kind, .conflict)
        _ = try await first.cancel()
    }

    func testSequenceCollectsInPartsAndTaskCancellationClosesTheStream() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "parts events=40 pace_ms=5")
        let head = try await collect(turn, limit: 5)
        let middle = try await collect(turn, limit: 5)
        XCTAssertEqual((head + middle).map(\.id), ids(0...9))
        XCTAssertEqual(turn.lastEventId(), "9")
        // Read to the end as the Kotlin twin does: the session takes one turn at a time (a
        // message sent while this one runs is 409 busy), and it is idle once the terminal
        // event is visible.
        let tail = try await collect(turn)
        XCTAssertEqual((head + middle + tail).map(\.id), ids(0...39))
        XCTAssertEqual(turn.lastEventId(), "39")

        let slow = try await c.sendMessage(sessionId: session.id, message: "slow events=400 pace_ms=50")
        let reader = Task { try await collect(slow) }
        try await Task.sleep(nanoseconds: 200_000_000)
        reader.cancel()
        // A read pending at that moment is closed and returns nil: the sequence just ends.
        let read = try await reader.value
        XCTAssertLessThan(read.count, 400)
        _ = try await slow.cancel()
    }

    func testAnUnconfirmedTrackedReadIsTakenOverByTheNextRead() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let turn = try await c.sendMessage(sessionId: session.id, message: "tracked events=6 pace_ms=0")
        let first = try await turn.nextTracked(readId: 1)
        XCTAssertEqual(first?.id, "0")
        let again = try await turn.nextTracked(readId: 2)
        XCTAssertEqual(again?.id, "0")
        XCTAssertFalse(turn.confirmRead(readId: 1))
        XCTAssertTrue(turn.confirmRead(readId: 2))
        let rest = try await collect(turn)
        XCTAssertEqual(rest.map(\.id), ids(1...5))
    }

    func testInvalidArgumentsFailBeforeSending() async throws {
        let c = try pokee()
        let metadata = await pokeError { try await c.createSession(params: CreateSessionParams(metadataJson: "[1, 2]")) }
        guard case let .InvalidInput(_, field)? = metadata else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: metadata))")
        }
        XCTAssertEqual(field, "metadata_json")
        let tool = await pokeError {
            try await c.submitToolResult(sessionId: "sess_x", callId: "call_1", outputJson: "{nope")
        }
        guard case let .InvalidInput(_, toolField)? = tool else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: tool))")
        }
        XCTAssertEqual(toolField, "output_json")
        let wait = await pokeError {
            try await c.waitIdle(sessionId: "sess_x", options: WaitOptions(pollIntervalSecs: -1))
        }
        guard case let .InvalidInput(_, waitField)? = wait else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: wait))")
        }
        XCTAssertEqual(waitField, "wait.poll_interval_secs")
        let dots = await pokeError { try await c.getSession(sessionId: "..") }
        guard case .InvalidInput? = dots else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: dots))")
        }
        let chain = CallbackChain(sender: try CallbackSender(language: .swift), url: emulator.url(), token: "t")
        let content = await pokeError { try await chain.send(contentJson: "{", hasMore: false) }
        guard case let .InvalidInput(_, contentField)? = content else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: content))")
        }
        XCTAssertEqual(contentField, "content_json")
        XCTAssertTrue(emulator.requests().isEmpty)
    }

    func testConfigurationErrorsAndSecrets() throws {
        XCTAssertThrowsError(try PokeeClient.create(options: PokeeClientOptions(apiKey: "k"))) { error in
            guard case let PokeError.Config(msg) = error else {
                return XCTFail("expected PokeError.Config, got \(error)")
            }
            XCTAssertTrue(msg.contains("POKEE_API"), msg)
        }
        let options = PokeeClientOptions(apiKey: "pk_canary_pokee", baseUrl: emulator.pokeeApiUrl())
        XCTAssertFalse("\(options)".contains("pk_canary"))
        let c = try PokeeClient.create(options: options)
        XCTAssertEqual("\(c)", "PokeeClient(base_url=\(emulator.pokeeApiUrl()))")
        let ctx = try XCTUnwrap(extractCallbackContext(headers: [
            HttpHeader(name: "X-Poke-Callback-Token", value: "cbt_canary"),
            HttpHeader(name: "X-Poke-Callback-Url", value: "http://x/cb"),
        ]))
        XCTAssertEqual(ctx.callbackToken, "cbt_canary")
        XCTAssertFalse("\(ctx)".contains("cbt_canary"))
    }

    func testAThrowingListenerEndsTheCallWithItsError() async throws {
        let c = try pokee()
        let session = try await c.createSession()
        let bug = await pokeError { try await c.waitIdle(sessionId: session.id, listener: Buggy()) }
        guard case .Internal? = bug else {
            return XCTFail("expected PokeError.Internal, got \(String(describing: bug))")
        }

        let dir = try temporaryDirectory("poke-swift-listener")
        try emulator.putWorkspaceFile(path: "big.bin", data: Data(count: 1 << 20))
        let dest = dir.appendingPathComponent("big.bin")
        let stopped = await pokeError {
            try await c.downloadFile(sessionId: session.id, path: "big.bin", dest: dest.path, listener: Refusing())
        }
        guard case let .Cancelled(msg)? = stopped else {
            return XCTFail("expected PokeError.Cancelled, got \(String(describing: stopped))")
        }
        XCTAssertEqual(msg, "user stopped the download")
        // No partial file under the final name, nor a temporary one beside it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        let still = try await c.getSession(sessionId: session.id)
        XCTAssertFalse(still.isBusy)
    }

    func testEmulatorKnobs() async throws {
        let before = emulator.clockNow()
        try emulator.advanceClock(secs: 60)
        XCTAssertGreaterThanOrEqual(emulator.clockNow(), before + 60)
        XCTAssertThrowsError(try emulator.advanceClock(secs: -1))
        emulator.setTurnPaceMs(ms: 0)
        XCTAssertTrue(try emulator.sessionsConfigJson().contains(#""pace_ms":0"#))
        let c = try pokee()
        let session = try await c.createSession()
        try emulator.scriptTurnJson(
            sessionId: session.id,
            json: #"{"steps":[{"type":"text","text":"scripted reply"}],"outcome":{"type":"error","error":"boom"}}"#
        )
        let turn = try await c.sendMessage(sessionId: session.id, message: "anything")
        let last = try await collect(turn).last
        XCTAssertEqual(last?.kind, .messageError)
        XCTAssertEqual(last?.error, "boom")
        XCTAssertTrue(try emulator.sessionsJson().contains(session.id))
        XCTAssertTrue(try emulator.turnsJson().contains(session.id))
        try emulator.putWorkspaceFile(path: "seed/a.txt", data: Data("seeded".utf8))
        XCTAssertEqual(emulator.workspaceFile(path: "seed/a.txt"), Data("seeded".utf8))
        XCTAssertNil(emulator.workspaceFile(path: "seed/none.txt"))
    }
}
