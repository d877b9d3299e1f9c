import Foundation
internal import PokeBindings

/// A client of the Poke API: send messages to your Poke, create and fire webhooks.
///
/// One per app is enough: calls share its connection pool. Every call is `async throws`,
/// throws ``PokeError``, and stops at once when its `Task` is cancelled (throwing
/// `CancellationError`).
///
/// ```swift
/// let poke = try PokeClient(apiKey: "pk_...")
/// let reply = try await poke.sendMessage("Remind me to water the plants at 6")
/// ```
public final class PokeClient: Sendable, CustomStringConvertible {
    let inner: PokeBindings.PokeClient

    /// A client. Without `apiKey`, the key comes from `POKE_API_KEY` or the `poke login`
    /// credentials file; without `baseURL`, from `POKE_API`, else `https://poke.com/api/v1`.
    ///
    /// - Parameters:
    ///   - timeouts: Time bounds of every call (per call: ``RequestOptions``).
    ///   - maxRetries: Retries after the first attempt (default 2; `0` never retries).
    /// - Throws: ``PokeError/missingAPIKey(_:)`` when no key is found,
    ///   ``PokeError/invalidInput(_:)`` for a negative bound or retry count.
    public init(apiKey: String? = nil, baseURL: URL? = nil, timeouts: Timeouts? = nil, maxRetries: Int? = nil) throws {
        ignoreBrokenPipes()
        let options = PokeClientOptions(
            apiKey: apiKey,
            baseUrl: baseURL?.absoluteString,
            timeouts: timeouts.map(PokeBindings.Timeouts.init),
            maxRetries: try unsigned32(maxRetries, argument: "maxRetries"),
            language: .swift
        )
        inner = try bridge { try PokeBindings.PokeClient(options: options) }
    }

    /// The base URL in use, without trailing slash.
    public var baseURL: URL { parsedURL(inner.baseUrl()) }

    /// `PokeClient(baseURL: ...)`: never the key.
    public var description: String { "PokeClient(baseURL: \(inner.baseUrl()))" }

    /// Sends a message to your Poke (`POST /inbound/api-message`).
    @discardableResult
    public func sendMessage(_ message: String, options: RequestOptions = RequestOptions()) async throws
        -> SendMessageResult
    {
        let options = try PokeBindings.RequestOptions(options)
        let reply = try await bridge { try await inner.sendMessage(message: message, options: options) }
        return SendMessageResult(reply)
    }

    /// Creates a webhook trigger: when `condition` holds, Poke does `action`. Keep the
    /// returned ``Webhook`` (it is `Codable`) to fire it later with ``sendWebhook(_:data:options:)``.
    public func createWebhook(condition: String, action: String, options: RequestOptions = RequestOptions())
        async throws -> Webhook
    {
        let options = try PokeBindings.RequestOptions(options)
        let hook = try await bridge {
            try await inner.createWebhook(condition: condition, action: action, options: options)
        }
        return Webhook(hook)
    }

    /// Fires a webhook with `data`, any `Encodable` value (a ``JSONValue``, a dictionary, your
    /// own `Codable` type), sent as JSON.
    @discardableResult
    public func sendWebhook(
        _ webhook: Webhook, data: some Encodable & Sendable, options: RequestOptions = RequestOptions()
    ) async throws -> WebhookReply {
        try await sendWebhook(url: webhook.url, token: webhook.token, data: data, options: options)
    }

    /// Fires the webhook at `url` with `token` (`nil`: the client's API key) and `data` sent as
    /// JSON.
    @discardableResult
    public func sendWebhook(
        url: URL, token: String?, data: some Encodable & Sendable, options: RequestOptions = RequestOptions()
    ) async throws -> WebhookReply {
        let json = try jsonText(data, argument: "data")
        let options = try PokeBindings.RequestOptions(options)
        let reply = try await bridge {
            try await inner.sendWebhook(
                webhookUrl: url.absoluteString, webhookToken: token ?? "", dataJson: json, options: options
            )
        }
        return WebhookReply(reply)
    }
}

/// The answer to ``PokeClient/sendMessage(_:options:)``.
public struct SendMessageResult: Sendable, Hashable {
    /// True when Poke accepted the message.
    public let success: Bool
    /// Poke's status text, when it sent one.
    public let message: String?
    /// The `x-request-id` response header.
    public let requestID: String?
    /// The answer as received.
    public let json: JSONValue

    init(_ reply: PokeBindings.SendMessageResult) {
        success = reply.success
        message = reply.message
        requestID = reply.requestId
        json = jsonValue(reply.rawJson)
    }
}

/// A webhook trigger: fire it with ``PokeClient/sendWebhook(_:data:options:)``. Its ``token``
/// is a secret, left out of `description`, `debugDescription` and `dump`.
public struct Webhook: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The trigger's id.
    public let triggerID: String
    /// Where to post.
    public let url: URL
    /// The bearer token of ``url`` (a secret).
    public let token: String
    /// The `x-request-id` of the call that created it.
    public let requestID: String?

    /// A webhook known from elsewhere (for example stored by an earlier run).
    public init(triggerID: String, url: URL, token: String, requestID: String? = nil) {
        self.triggerID = triggerID
        self.url = url
        self.token = token
        self.requestID = requestID
    }

    init(_ hook: PokeBindings.Webhook) {
        self.init(
            triggerID: hook.triggerId, url: parsedURL(hook.webhookUrl), token: hook.webhookToken,
            requestID: hook.requestId
        )
    }

    public var description: String { "Webhook(triggerID: \(triggerID), url: \(url.absoluteString))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["triggerID": triggerID, "url": url, "token": "****", "requestID": requestID as Any])
    }
}

/// The answer to firing a webhook.
public struct WebhookReply: Sendable, Hashable {
    /// The HTTP status.
    public let statusCode: Int
    /// The answer as received.
    public let json: JSONValue
    /// The `x-request-id` response header.
    public let requestID: String?

    init(_ reply: JsonReply) {
        statusCode = Int(reply.status)
        json = jsonValue(reply.json)
        requestID = reply.requestId
    }
}

extension PokeBindings.RequestOptions {
    init(_ options: RequestOptions) throws {
        self.init(
            timeouts: options.timeouts.map(PokeBindings.Timeouts.init),
            maxRetries: try unsigned32(options.maxRetries, argument: "options.maxRetries"),
            idempotencyKey: options.idempotencyKey
        )
    }
}
