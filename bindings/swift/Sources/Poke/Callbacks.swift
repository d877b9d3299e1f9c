import Foundation
internal import PokeBindings

/// Limits of a ``CallbackSender``; a `nil` value keeps the default (5 posts, 120 s in all,
/// 1 s first backoff, 60 s largest honoured `retryAfterMs`, 30 s per post).
public struct CallbackLimits: Sendable, Hashable {
    /// Posts of one callback at most, 429 retries included.
    public var maxAttempts: Int?
    /// The longest time spent on one callback.
    public var maxTotal: Duration?
    /// The first wait after a 429 without `retryAfterMs`.
    public var defaultBackoff: Duration?
    /// The largest `retryAfterMs` honoured.
    public var maxRetryAfter: Duration?
    /// The bound on one post.
    public var postTimeout: Duration?

    /// Limits; each `nil` value keeps its default.
    public init(
        maxAttempts: Int? = nil, maxTotal: Duration? = nil, defaultBackoff: Duration? = nil,
        maxRetryAfter: Duration? = nil, postTimeout: Duration? = nil
    ) {
        self.maxAttempts = maxAttempts
        self.maxTotal = maxTotal
        self.defaultBackoff = defaultBackoff
        self.maxRetryAfter = maxRetryAfter
        self.postTimeout = postTimeout
    }
}

/// Posts MCP callbacks (results of a tool call Poke made to your server) over one connection
/// pool; share one per app.
public final class CallbackSender: Sendable {
    let inner: PokeBindings.CallbackSender

    /// A sender with `limits`.
    public init(limits: CallbackLimits = CallbackLimits()) throws {
        ignoreBrokenPipes()
        let limits = PokeBindings.CallbackLimits(
            maxAttempts: try unsigned32(limits.maxAttempts, argument: "limits.maxAttempts"),
            maxTotalSecs: limits.maxTotal?.inSeconds,
            defaultBackoffSecs: limits.defaultBackoff?.inSeconds,
            maxRetryAfterSecs: limits.maxRetryAfter?.inSeconds,
            postTimeoutSecs: limits.postTimeout?.inSeconds
        )
        inner = try bridge { try PokeBindings.CallbackSender(language: .swift, limits: limits) }
    }
}

/// One tool call's callbacks: its URL and current token, chained by each answer's `nextToken`.
public final class CallbackChain: Sendable {
    let inner: PokeBindings.CallbackChain

    /// A chain starting at the `X-Poke-Callback-Url` and `X-Poke-Callback-Token` Poke sent.
    public init(sender: CallbackSender, context: CallbackContext) {
        inner = PokeBindings.CallbackChain(sender: sender.inner, url: context.url.absoluteString, token: context.token)
    }

    /// Posts `content` (any `Encodable`, sent as JSON). With `hasMore`, Poke may answer with
    /// the token of the next post; without it, or when Poke ends the chain, the answer is
    /// ``CallbackStep/stop(failure:)`` and later sends post nothing.
    @discardableResult
    public func send(_ content: some Encodable & Sendable, hasMore: Bool) async throws -> CallbackStep {
        let json = try jsonText(content, argument: "content")
        return CallbackStep(try await bridge { try await inner.send(contentJson: json, hasMore: hasMore) })
    }
}

/// Whether a callback chain goes on after a post.
public enum CallbackStep: Sendable, Hashable {
    /// Keep sending; the next post uses the new token.
    case `continue`
    /// Stop: Poke ended the chain (`failure` is nil) or a post failed (`failure` says why,
    /// never with a token).
    case stop(failure: String?)

    init(_ step: ChainStep) {
        switch step {
        case .continue: self = .continue
        case .stop(let failure): self = .stop(failure: failure)
        }
    }
}

/// Where to send the callbacks of one tool call: the `X-Poke-Callback-Url` and
/// `X-Poke-Callback-Token` headers of Poke's request. The token is a secret, left out of
/// `description`, `debugDescription` and `dump`.
public struct CallbackContext: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The callback URL.
    public let url: URL
    /// The first callback's bearer token (a secret).
    public let token: String

    /// A context from its URL and token.
    public init(url: URL, token: String) {
        self.url = url
        self.token = token
    }

    /// The context in a request's headers (names in any case; a later duplicate wins); nil
    /// unless both headers are there.
    public init?(headers: [(name: String, value: String)]) {
        let pairs = headers.map { HttpHeader(name: $0.name, value: $0.value) }
        guard let context = extractCallbackContext(headers: pairs),
            let token = context.callbackToken, let url = context.callbackUrl.flatMap(URL.init(string:))
        else { return nil }
        self.init(url: url, token: token)
    }

    /// The context in a request's headers, as `[String: String]` (for example
    /// `HTTPURLResponse.allHeaderFields` or a server framework's header dictionary).
    public init?(headers: [String: String]) {
        self.init(headers: headers.map { (name: $0.key, value: $0.value) })
    }

    public var description: String { "CallbackContext(url: \(url.absoluteString))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["url": url, "token": "****"]) }
}
