// The Swift package against the in-process emulator; mirrors
// bindings/kotlin/src/test/kotlin/com/poke/PokeClientTest.kt (except coroutine cancellation:
// Swift's Task.cancel() does not reach a running uniffi call).
import Foundation
import XCTest
import Poke

final class PokeClientTests: XCTestCase {
    private var emulator: Emulator!
    private let messagePath = "/api/v1/inbound/api-message"

    override func setUpWithError() throws {
        // Every key and URL is chosen by the tests: no host credentials leak in.
        setenv("POKE_API_KEY", "", 1)
        setenv("POKE_API", "", 1)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("poke-no-config")
        setenv("XDG_CONFIG_HOME", empty.path, 1)
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func client(
        apiKey: String = "pk_test_swift",
        maxRetries: UInt32? = 0,
        timeouts: Timeouts? = nil,
        baseUrl: String? = nil
    ) throws -> PokeClient {
        try PokeClient.create(
            apiKey: apiKey,
            baseUrl: baseUrl ?? emulator.pokeApiUrl(),
            timeouts: timeouts,
            maxRetries: maxRetries
        )
    }

    /// Runs `op`, which must throw a `PokeError`; returns it.
    private func pokeError<T>(
        _ op: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
    ) async -> PokeError? {
        do {
            _ = try await op()
            XCTFail("expected a PokeError", file: file, line: line)
        } catch let error as PokeError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    func testSendMessageRoundTrip() async throws {
        let result = try await client().sendMessage(message: "hello from swift")
        XCTAssertTrue(result.success)
        XCTAssertEqual(result.message, "Message sent successfully")
        XCTAssertTrue(result.rawJson.contains("\"success\":true"))

        let requests = emulator.requests()
        XCTAssertEqual(requests.count, 1)
        let req = requests[0]
        XCTAssertEqual(req.method, "POST")
        XCTAssertEqual(req.path, messagePath)
        XCTAssertEqual(req.body, #"{"message":"hello from swift"}"#)
        XCTAssertEqual(req.header(name: "Authorization"), "Bearer pk_test_swift")
        XCTAssertEqual(req.header(name: "content-type"), "application/json")
        let ua = try XCTUnwrap(req.header(name: "user-agent"))
        XCTAssertTrue(ua.hasPrefix("poke-swift/0.3.0 ("), ua)
        XCTAssertNotNil(req.header(name: "idempotency-key"))
        XCTAssertNil(req.header(name: "x-poke-retry-count"))
        XCTAssertEqual(try emulator.messagesJson(), #"[{"message":"hello from swift"}]"#)
        XCTAssertTrue(try emulator.requestsJson().contains(messagePath))
    }

    func testWebhookCreateAndFire() async throws {
        let c = try client()
        let hook = try await c.createWebhook(condition: "when it rains", action: "remind me to take an umbrella")
        XCTAssertTrue(hook.triggerId.hasPrefix("trg_"))
        XCTAssertEqual(hook.webhookUrl, emulator.url() + "/api/v1/inbound/webhook")
        XCTAssertTrue(hook.webhookToken.hasPrefix("whk_"))
        XCTAssertFalse("\(hook)".contains(hook.webhookToken))

        let reply = try await c.sendWebhook(
            webhookUrl: hook.webhookUrl, webhookToken: hook.webhookToken, dataJson: #"{"event":"rain","mm":3}"#
        )
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.json.contains("\"success\":true"))

        let requests = emulator.requests()
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests[0].path, "/api/v1/api-keys/webhook")
        XCTAssertEqual(
            requests[0].body, #"{"condition":"when it rains","action":"remind me to take an umbrella"}"#
        )
        XCTAssertEqual(requests[1].header(name: "authorization"), "Bearer \(hook.webhookToken)")
        XCTAssertEqual(requests[1].body, #"{"event":"rain","mm":3}"#)
        let fires = try emulator.webhookFiresJson()
        XCTAssertTrue(fires.contains(#""triggerId":"\#(hook.triggerId)""#), fires)
        XCTAssertTrue(fires.contains(#""data":{"event":"rain","mm":3}"#), fires)
    }

    func testWrongKeyIs401() async throws {
        let strict = try Emulator(apiKey: "pk_right")
        defer { strict.shutdown() }
        let wrong = try client(apiKey: "pk_wrong", baseUrl: strict.pokeApiUrl())
        let error = await pokeError { try await wrong.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, code, _, retryAfterMs, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 401)
        XCTAssertEqual(kind, .unauthorized)
        XCTAssertEqual(msg, "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys")
        XCTAssertEqual(error?.description, msg)
        XCTAssertEqual(code, "Unauthorized")
        XCTAssertNil(retryAfterMs)

        let right = try client(apiKey: "pk_right", baseUrl: strict.pokeApiUrl())
        let ok = try await right.sendMessage(message: "hi")
        XCTAssertTrue(ok.success)
    }

    func testForbiddenCarriesRequestId() async throws {
        _ = try emulator.addFaultJson(
            json: #"{"path":"\#(messagePath)","status":403,"headers":{"x-request-id":"req_403"},"body":"{}"}"#
        )
        let c = try client()
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, requestId, _, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 403)
        XCTAssertEqual(kind, .forbidden)
        XCTAssertEqual(msg, "API key doesn't have permission for this action")
        XCTAssertEqual(requestId, "req_403")
    }

    func testRateLimitedCarriesRetryAfter() async throws {
        _ = try emulator.addFaultJson(
            json: #"{"path":"\#(messagePath)","status":429,"headers":{"Retry-After":"7","x-request-id":"req_429"}}"#
        )
        let c = try client(maxRetries: 0)
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, requestId, retryAfterMs, _)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 429)
        XCTAssertEqual(kind, .rateLimited)
        XCTAssertEqual(msg, "Rate limited. Please slow down and retry.")
        XCTAssertEqual(retryAfterMs, 7000)
        XCTAssertEqual(requestId, "req_429")
        XCTAssertEqual(emulator.requests().count, 1)
    }

    func testServerErrorUsesTheBodyText() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","status":500,"body":"{\"error\":\"boom\"}"}"#)
        let c = try client()
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Api(msg, status, kind, _, _, _, body)? = error else {
            return XCTFail("expected PokeError.Api, got \(String(describing: error))")
        }
        XCTAssertEqual(status, 500)
        XCTAssertEqual(kind, .server)
        XCTAssertEqual(msg, "Poke API error (500): boom")
        XCTAssertEqual("\(error!)", "Poke API error (500): boom")
        XCTAssertEqual(body, #"{"error":"boom"}"#)
    }

    func testCoreRetriesA429WithTheSameIdempotencyKey() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","status":429,"headers":{"retry-after-ms":"20"}}"#)
        let c = try client(maxRetries: 2)
        let result = try await c.sendMessage(message: "again", options: RequestOptions(idempotencyKey: "idem-swift-1"))
        XCTAssertTrue(result.success)
        let requests = emulator.requests()
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests[0].header(name: "idempotency-key"), "idem-swift-1")
        XCTAssertEqual(requests[1].header(name: "idempotency-key"), "idem-swift-1")
        XCTAssertEqual(requests[1].header(name: "x-poke-retry-count"), "1")
    }

    func testConnectionRefused() async throws {
        // Port 1 needs privileges to bind: nothing listens there on a test machine.
        let c = try client(baseUrl: "http://127.0.0.1:1/api/v1")
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Connection(msg, maybeSent)? = error else {
            return XCTFail("expected PokeError.Connection, got \(String(describing: error))")
        }
        XCTAssertTrue(msg.hasPrefix("Network error: "), msg)
        XCTAssertFalse(maybeSent)
    }

    func testCrlfInTheKeyFailsBeforeAnythingIsSent() async throws {
        let c = try client(apiKey: "pk_bad\r\nX-Evil: 1")
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .InvalidInput(msg, field)? = error else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: error))")
        }
        XCTAssertEqual(field, "token")
        XCTAssertFalse(msg.contains("X-Evil"))
        XCTAssertFalse("\(error!)".contains("pk_bad"))
        XCTAssertTrue(emulator.requests().isEmpty)
    }

    func testStalledServerTimesOut() async throws {
        _ = try emulator.addFaultJson(json: #"{"path":"\#(messagePath)","stall_ms":3000}"#)
        let c = try client(timeouts: Timeouts(totalSecs: 0.3))
        let error = await pokeError { try await c.sendMessage(message: "hi") }
        guard case let .Timeout(msg, phase, afterMs)? = error else {
            return XCTFail("expected PokeError.Timeout, got \(String(describing: error))")
        }
        XCTAssertEqual(phase, .total)
        XCTAssertEqual(afterMs, 300)
        XCTAssertEqual(msg, "Request timed out after 0.3s (total)")
        // A POST that may have been processed is not repeated.
        XCTAssertEqual(emulator.requests().count, 1)
    }

    func testInvalidArgumentsAreRejectedLocally() async throws {
        let c = try client()
        let notJson = await pokeError {
            try await c.sendWebhook(webhookUrl: emulator.url(), webhookToken: "t", dataJson: "{nope")
        }
        guard case let .InvalidInput(_, field)? = notJson else {
            return XCTFail("expected PokeError.InvalidInput, got \(String(describing: notJson))")
        }
        XCTAssertEqual(field, "data_json")

        XCTAssertThrowsError(try client(timeouts: Timeouts(totalSecs: -1))) { error in
            guard case let PokeError.InvalidInput(_, field) = error else {
                return XCTFail("expected PokeError.InvalidInput, got \(error)")
            }
            XCTAssertEqual(field, "timeouts.total_secs")
        }
        XCTAssertThrowsError(try emulator.addFaultJson(json: #"{"status":429}"#)) { error in
            guard case let PokeError.InvalidInput(_, field) = error else {
                return XCTFail("expected PokeError.InvalidInput, got \(error)")
            }
            XCTAssertEqual(field, "fault")
        }
        XCTAssertTrue(emulator.requests().isEmpty)
    }

    func testMissingKeyIsItsOwnError() throws {
        XCTAssertThrowsError(try PokeClient.create(baseUrl: emulator.pokeApiUrl())) { error in
            guard case let PokeError.MissingApiKey(msg) = error else {
                return XCTFail("expected PokeError.MissingApiKey, got \(error)")
            }
            XCTAssertTrue(msg.hasPrefix("no API key found") && msg.contains("POKE_API_KEY"), msg)
        }
    }

    func testSecretsNeverPrint() async throws {
        let options = PokeClientOptions(apiKey: "pk_canary_swift", baseUrl: emulator.pokeApiUrl())
        XCTAssertFalse("\(options)".contains("pk_canary"))
        XCTAssertFalse(String(reflecting: options).contains("pk_canary"))
        let c = try PokeClient(options: options)
        XCTAssertEqual("\(c)", "PokeClient(base_url=\(emulator.pokeApiUrl()))")

        let strict = try Emulator(apiKey: "pk_other")
        defer { strict.shutdown() }
        let wrong = try PokeClient(options: PokeClientOptions(
            apiKey: "pk_canary_swift", baseUrl: strict.pokeApiUrl(), maxRetries: 0
        ))
        let error = await pokeError { try await wrong.sendMessage(message: "hi") }
        let unwrapped = try XCTUnwrap(error)
        for text in ["\(unwrapped)", String(reflecting: unwrapped), unwrapped.localizedDescription] {
            XCTAssertFalse(text.contains("pk_canary"), text)
        }
    }
}
