// The Poke API through the facade, against the in-process emulator: the wire, every error
// case with its details, retries, timeouts, argument errors, and secrets.
import Foundation
import Poke
import PokeTesting
import XCTest

final class PokeClientTests: XCTestCase, @unchecked Sendable {
    private var emulator: Emulator!
    private let messagePath = "/api/v1/inbound/api-message"

    override func setUpWithError() throws {
        clearHostConfiguration()
        emulator = try Emulator()
    }

    override func tearDown() {
        emulator.shutdown()
        emulator = nil
    }

    private func client(
        apiKey: String = "pk_test_swift", maxRetries: Int? = 0, timeouts: Timeouts? = nil, baseURL: URL? = nil
    ) throws -> PokeClient {
        try PokeClient(apiKey: apiKey, baseURL: baseURL ?? emulator.pokeAPIURL, timeouts: timeouts, maxRetries: maxRetries)
    }

    func testSendMessageRoundTrip() async throws {
        let poke = try client()
        XCTAssertEqual(poke.baseURL, emulator.pokeAPIURL)
        let result = try await poke.sendMessage("hello from swift")
        XCTAssertTrue(result.success)
        XCTAssertEqual(result.message, "Message sent successfully")
        XCTAssertEqual(result.json["success"], true)

        let requests = emulator.requests
        XCTAssertEqual(requests.count, 1)
        let request = requests[0]
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, messagePath)
        XCTAssertEqual(request.body, #"{"message":"hello from swift"}"#)
        XCTAssertEqual(request.header("Authorization"), "Bearer pk_test_swift")
        XCTAssertEqual(request.header("content-type"), "application/json")
        let userAgent = try XCTUnwrap(request.header("user-agent"))
        XCTAssertTrue(userAgent.hasPrefix("poke-swift/0.3.0 ("), userAgent)
        XCTAssertNotNil(request.header("idempotency-key"))
        XCTAssertNil(request.header("x-poke-retry-count"))
        XCTAssertNotNil(result.requestID)
        XCTAssertEqual(try emulator.messages, [["message": "hello from swift"]])
    }

    func testWebhookCreateAndFire() async throws {
        let poke = try client()
        let hook = try await poke.createWebhook(condition: "when it rains", action: "remind me to take an umbrella")
        XCTAssertTrue(hook.triggerID.hasPrefix("trg_"))
        XCTAssertEqual(hook.url, emulator.url.appendingPathComponent("api/v1/inbound/webhook"))
        XCTAssertTrue(hook.token.hasPrefix("whk_"))
        XCTAssertNotNil(hook.requestID)

        let reply = try await poke.sendWebhook(hook, data: ["event": "rain", "mm": 3] as JSONValue)
        XCTAssertEqual(reply.statusCode, 200)
        XCTAssertEqual(reply.json["success"], true)

        let requests = emulator.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests[0].path, "/api/v1/api-keys/webhook")
        XCTAssertEqual(requests[0].body, #"{"condition":"when it rains","action":"remind me to take an umbrella"}"#)
        XCTAssertEqual(requests[1].header("authorization"), "Bearer \(hook.token)")
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(requests[1].body.utf8)), ["event": "rain", "mm": 3])
        XCTAssertEqual(try emulator.webhookFires, [["triggerId": .string(hook.triggerID), "data": ["event": "rain", "mm": 3]]])
    }

    func testAWebhookIsCodableAndKeepsItsTokenOutOfPrint() async throws {
        let hook = try await client().createWebhook(condition: "at noon", action: "say hi")
        let stored = try JSONEncoder().encode(hook)
        let restored = try JSONDecoder().decode(Webhook.self, from: stored)
        XCTAssertEqual(restored, hook)
        var dumped = ""
        dump(hook, to: &dumped)
        for text in ["\(hook)", String(reflecting: hook), dumped] {
            XCTAssertFalse(text.contains(hook.token), text)
            XCTAssertTrue(text.contains(hook.triggerID), text)
        }
        // A webhook restored from storage fires like the original.
        let reply = try await client().sendWebhook(restored, data: "ping")
        XCTAssertEqual(reply.statusCode, 200)
    }

    func testWrongKeyIs401() async throws {
        let strict = try Emulator(apiKey: "pk_right")
        defer { strict.shutdown() }
        let wrong = try client(apiKey: "pk_wrong", baseURL: strict.pokeAPIURL)
        let error = await pokeError { try await wrong.sendMessage("hi") }
        let api = try apiError(error)
        XCTAssertEqual(api.statusCode, 401)
        XCTAssertEqual(api.kind, .unauthorized)
        XCTAssertEqual(api.message, "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys")
        XCTAssertEqual(api.code, "Unauthorized")
        XCTAssertNil(api.retryAfter)
        XCTAssertEqual(error?.message, api.message)
        XCTAssertEqual(error?.localizedDescription, api.message)
        XCTAssertEqual(error.map { "\($0)" }, api.message)

        let right = try client(apiKey: "pk_right", baseURL: strict.pokeAPIURL)
        let ok = try await right.sendMessage("hi")
        XCTAssertTrue(ok.success)
    }

    func testForbiddenCarriesRequestID() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 403, "headers": ["x-request-id": "req_403"], "body": "{}",
        ] as JSONValue)
        let api = try apiError(await pokeError { try await client().sendMessage("hi") })
        XCTAssertEqual(api.statusCode, 403)
        XCTAssertEqual(api.kind, .forbidden)
        XCTAssertEqual(api.message, "API key doesn't have permission for this action")
        XCTAssertEqual(api.requestID, "req_403")
    }

    func testRateLimitedCarriesRetryAfter() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 429, "headers": ["Retry-After": "7", "x-request-id": "req_429"],
        ] as JSONValue)
        let api = try apiError(await pokeError { try await client(maxRetries: 0).sendMessage("hi") })
        XCTAssertEqual(api.statusCode, 429)
        XCTAssertEqual(api.kind, .rateLimited)
        XCTAssertEqual(api.message, "Rate limited. Please slow down and retry.")
        XCTAssertEqual(api.retryAfter, .seconds(7))
        XCTAssertEqual(api.requestID, "req_429")
        XCTAssertEqual(emulator.requests.count, 1)
    }

    func testServerErrorUsesTheBodyTextAndKeepsTheBodyOutOfTheMessage() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 500, "body": #"{"error":"boom","trace":"secret internals"}"#,
        ] as JSONValue)
        let error = await pokeError { try await client().sendMessage("hi") }
        let api = try apiError(error)
        XCTAssertEqual(api.statusCode, 500)
        XCTAssertEqual(api.kind, .server)
        XCTAssertEqual(api.message, "Poke API error (500): boom")
        XCTAssertEqual(api.body, #"{"error":"boom","trace":"secret internals"}"#)
        let unwrapped = try XCTUnwrap(error)
        for text in ["\(unwrapped)", unwrapped.localizedDescription, String(reflecting: unwrapped)] {
            XCTAssertFalse(text.contains("secret internals"), text)
            XCTAssertTrue(text.contains("Poke API error (500): boom"), text)
        }
    }

    func testErrorsBridgeToNSError() async throws {
        try emulator.addFault([
            "path": .string(messagePath), "status": 404, "headers": ["x-request-id": "req_404"],
        ] as JSONValue)
        let caught = await pokeError { try await client().sendMessage("hi") }
        let error = try XCTUnwrap(caught)
        let bridged = error as NSError
        XCTAssertEqual(bridged.domain, "Poke.PokeError")
        XCTAssertEqual(bridged.code, 1)
        XCTAssertEqual(bridged.userInfo[NSLocalizedDescriptionKey] as? String, error.message)
        XCTAssertEqual(bridged.userInfo["PokeStatusCode"] as? Int, 404)
        XCTAssertEqual(bridged.userInfo["PokeRequestID"] as? String, "req_404")
        XCTAssertEqual(bridged.localizedDescription, error.message)
    }

    func testTheCoreRetriesA429WithTheSameIdempotencyKey() async throws {
        try emulator.addFault(["path": .string(messagePath), "status": 429, "headers": ["retry-after-ms": "20"]] as JSONValue)
        let result = try await client(maxRetries: 2).sendMessage(
            "again", options: RequestOptions(idempotencyKey: "idem-swift-1")
        )
        XCTAssertTrue(result.success)
        let requests = emulator.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertEqual(requests[0].header("idempotency-key"), "idem-swift-1")
        XCTAssertEqual(requests[1].header("idempotency-key"), "idem-swift-1")
        XCTAssertEqual(requests[1].header("x-poke-retry-count"), "1")
    }

    func testPerCallOptionsOverrideTheClient() async throws {
        try emulator.addFault(["path": .string(messagePath), "stall_ms": 3000] as JSONValue)
        let poke = try client(timeouts: Timeouts(total: .seconds(30)))
        let error = await pokeError {
            try await poke.sendMessage("hi", options: RequestOptions(timeouts: Timeouts(total: .milliseconds(200))))
        }
        guard case .timeout(let timeout)? = error else {
            return XCTFail("expected PokeError.timeout, got \(String(describing: error))")
        }
        XCTAssertEqual(timeout.limit, .milliseconds(200))
    }

    func testConnectionRefused() async throws {
        // Port 1 needs privileges to bind: nothing listens there on a test machine.
        let poke = try client(baseURL: URL(string: "http://127.0.0.1:1/api/v1")!)
        let error = await pokeError { try await poke.sendMessage("hi") }
        guard case .connection(let connection)? = error else {
            return XCTFail("expected PokeError.connection, got \(String(describing: error))")
        }
        XCTAssertTrue(connection.message.hasPrefix("Network error: "), connection.message)
        XCTAssertFalse(connection.mayHaveBeenSent)
    }

    func testCrLfInTheKeyFailsBeforeAnythingIsSent() async throws {
        let poke = try client(apiKey: "pk_bad\r\nX-Evil: 1")
        let error = await pokeError { try await poke.sendMessage("hi") }
        guard case .invalidInput(let invalid)? = error else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: error))")
        }
        XCTAssertEqual(invalid.argument, "token")
        XCTAssertFalse(invalid.message.contains("X-Evil"))
        XCTAssertFalse("\(error!)".contains("pk_bad"))
        XCTAssertTrue(emulator.requests.isEmpty)
    }

    func testAStalledServerTimesOut() async throws {
        try emulator.addFault(["path": .string(messagePath), "stall_ms": 3000] as JSONValue)
        let error = await pokeError { try await client(timeouts: Timeouts(total: .milliseconds(300))).sendMessage("hi") }
        guard case .timeout(let timeout)? = error else {
            return XCTFail("expected PokeError.timeout, got \(String(describing: error))")
        }
        XCTAssertEqual(timeout.phase, .total)
        XCTAssertEqual(timeout.limit, .milliseconds(300))
        XCTAssertEqual(timeout.message, "Request timed out after 0.3s (total)")
        // A POST that may have been processed is not repeated.
        XCTAssertEqual(emulator.requests.count, 1)
    }

    func testInvalidArgumentsAreRejectedLocallyWithTheirSwiftNames() async throws {
        let poke = try client()
        let notJSON = await pokeError { try await poke.sendWebhook(url: emulator.url, token: "t", data: Double.nan) }
        guard case .invalidInput(let data)? = notJSON else {
            return XCTFail("expected PokeError.invalidInput, got \(String(describing: notJSON))")
        }
        XCTAssertEqual(data.argument, "data")

        XCTAssertThrowsError(try client(timeouts: Timeouts(total: .seconds(-1)))) { error in
            guard case PokeError.invalidInput(let invalid) = error else {
                return XCTFail("expected PokeError.invalidInput, got \(error)")
            }
            XCTAssertEqual(invalid.argument, "timeouts.total")
            XCTAssertTrue(invalid.message.hasPrefix("invalid timeouts.total: "), invalid.message)
        }
        XCTAssertThrowsError(try client(maxRetries: -1)) { error in
            guard case PokeError.invalidInput(let invalid) = error else {
                return XCTFail("expected PokeError.invalidInput, got \(error)")
            }
            XCTAssertEqual(invalid.argument, "maxRetries")
        }
        XCTAssertThrowsError(try emulator.addFault(["status": 429] as JSONValue)) { error in
            guard case PokeError.invalidInput(let invalid) = error else {
                return XCTFail("expected PokeError.invalidInput, got \(error)")
            }
            XCTAssertEqual(invalid.argument, "fault")
        }
        XCTAssertTrue(emulator.requests.isEmpty)
    }

    func testAMissingKeyIsItsOwnError() throws {
        XCTAssertThrowsError(try PokeClient(baseURL: emulator.pokeAPIURL)) { error in
            guard case PokeError.missingAPIKey(let missing) = error else {
                return XCTFail("expected PokeError.missingAPIKey, got \(error)")
            }
            XCTAssertTrue(missing.message.hasPrefix("no API key found") && missing.message.contains("POKE_API_KEY"), missing.message)
        }
    }

    #if os(Linux)
    func testAClientMakesBrokenPipesErrorsNotProcessDeaths() throws {
        // A write to a closed socket raises SIGPIPE, whose default action ends the process
        // (the cancellation tests leave the emulator writing to closed sockets).
        _ = try client()
        let current = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, current) }
        XCTAssertEqual(current.map { unsafeBitCast($0, to: Int.self) }, unsafeBitCast(SIG_IGN, to: Int.self))
    }
    #endif

    func testSecretsNeverPrint() async throws {
        let poke = try PokeClient(apiKey: "pk_canary_swift", baseURL: emulator.pokeAPIURL)
        XCTAssertEqual("\(poke)", "PokeClient(baseURL: \(emulator.pokeAPIURL.absoluteString))")
        var dumped = ""
        dump(poke, to: &dumped)
        XCTAssertFalse(dumped.contains("pk_canary"), dumped)

        let strict = try Emulator(apiKey: "pk_other")
        defer { strict.shutdown() }
        let wrong = try PokeClient(apiKey: "pk_canary_swift", baseURL: strict.pokeAPIURL, maxRetries: 0)
        let caught = await pokeError { try await wrong.sendMessage("hi") }
        let error = try XCTUnwrap(caught)
        for text in ["\(error)", String(reflecting: error), error.localizedDescription] {
            XCTAssertFalse(text.contains("pk_canary"), text)
        }
    }
}
