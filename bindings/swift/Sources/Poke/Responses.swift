import Foundation
internal import PokeBindings

extension PokeeClient {
    /// Stateless responses: one OpenAI-Responses-shaped call, whole or streamed, and the
    /// function-tool loop.
    public var responses: Responses { Responses(client: self) }
}

/// Runs one function call of a tool loop and returns its output text (often JSON). Throwing
/// stops the loop, and ``Responses/runTools(input:tools:model:instructions:reasoningEffort:extra:maxRounds:handler:)``
/// throws that same error.
public typealias ToolHandler = @Sendable (FunctionCall) async throws -> String

/// Stateless responses of the sessions API (`pokee.responses`): no session, one request in,
/// one response out.
///
/// ```swift
/// let reply = try await pokee.responses.create(input: "Summarise this", model: "pokee-isaac")
/// print(reply.outputText)
///
/// let stream = try await pokee.responses.stream(input: "Write a haiku")
/// for try await event in stream.events() {
///     if let text = event.delta { print(text, terminator: "") }
/// }
/// ```
public struct Responses: Sendable {
    /// The client these calls go through.
    public let client: PokeeClient

    var inner: PokeBindings.PokeeClient { client.inner }

    /// One call (`POST /v1/responses`), answered whole. A response that failed on the server
    /// comes back with status `failed` and its ``Response/errorMessage``.
    ///
    /// - Parameters:
    ///   - input: A user message (a string literal) or input items.
    ///   - model: The model (the tenant's default without it).
    ///   - instructions: System instructions.
    ///   - tools: Functions the model may call (at most 128; checked before sending).
    ///   - reasoningEffort: How hard the model reasons.
    ///   - extra: Other OpenAI Responses fields: a `[String: JSONValue]` literal or any
    ///     `Encodable` that encodes as a JSON object.
    public func create(
        input: ResponseInput,
        model: String? = nil,
        instructions: String? = nil,
        tools: [FunctionTool] = [],
        reasoningEffort: ReasoningEffort? = nil,
        extra: (some Encodable & Sendable)? = [String: JSONValue]?.none
    ) async throws -> Response {
        let params = try requestParams(input, model, instructions, tools, reasoningEffort, extra)
        return Response(try await bridge { try await inner.createResponse(params: params) })
    }

    /// The same call streamed: read its events from ``ResponseStream/events()``.
    ///
    /// - Parameter idempotencyKey: The `Idempotency-Key` sent, and reused on every retry and
    ///   resume: sending the same request with the same key again replays that response. By
    ///   default a fresh key.
    public func stream(
        input: ResponseInput,
        model: String? = nil,
        instructions: String? = nil,
        tools: [FunctionTool] = [],
        reasoningEffort: ReasoningEffort? = nil,
        extra: (some Encodable & Sendable)? = [String: JSONValue]?.none,
        idempotencyKey: String? = nil
    ) async throws -> ResponseStream {
        let params = try requestParams(input, model, instructions, tools, reasoningEffort, extra)
        return ResponseStream(try await bridge {
            try await inner.streamResponse(params: params, idempotencyKey: idempotencyKey)
        })
    }

    /// Reopens a streamed response's events after `lastEventID` (from the start without it);
    /// only the key that created it may (``PokeError/APIError/Kind/notFound`` otherwise).
    public func resume(responseID: String, after lastEventID: String? = nil) async throws -> ResponseStream {
        ResponseStream(try await bridge {
            try await inner.resumeResponse(responseId: responseID, lastEventId: lastEventID)
        })
    }

    /// Asks the server to cancel a streamed response: `cancelling`, or `already_complete`.
    @discardableResult
    public func cancel(responseID: String) async throws -> CancelResult {
        CancelResult(try await bridge { try await inner.cancelResponse(responseId: responseID) })
    }

    /// Runs the function-tool loop: sends the request, runs each function call the model makes
    /// through `handler`, sends their outputs with the whole history, and stops at a response
    /// with no call.
    ///
    /// Cancelling the task stops the loop and cancels the handler's running task.
    ///
    /// - Parameters:
    ///   - maxRounds: Requests at most (default 10); a model still calling functions after
    ///     them fails with ``PokeError/toolRounds(_:)``.
    ///   - handler: Runs one function call; what it throws ends the loop and is thrown here.
    public func runTools(
        input: ResponseInput,
        tools: [FunctionTool],
        model: String? = nil,
        instructions: String? = nil,
        reasoningEffort: ReasoningEffort? = nil,
        extra: (some Encodable & Sendable)? = [String: JSONValue]?.none,
        maxRounds: Int? = nil,
        handler: @escaping ToolHandler
    ) async throws -> ToolRunResult {
        let params = try requestParams(input, model, instructions, tools, reasoningEffort, extra)
        let rounds = try unsigned32(maxRounds, argument: "maxRounds")
        let relay = ToolRelay(handler)
        do {
            let run = try await withTaskCancellationHandler {
                try await bridge { try await inner.runTools(params: params, handler: relay, maxRounds: rounds) }
            } onCancel: {
                relay.cancel()
            }
            return ToolRunResult(run)
        } catch {
            // The handler's own error, as it threw it.
            throw relay.thrown ?? error
        }
    }
}

/// The generated layer's request record.
private func requestParams(
    _ input: ResponseInput, _ model: String?, _ instructions: String?, _ tools: [FunctionTool],
    _ reasoningEffort: ReasoningEffort?, _ extra: (some Encodable & Sendable)?
) throws -> CreateResponseParams {
    var text: String?
    var items: String?
    switch input {
    case .text(let message): text = message
    case .items(let list): items = try jsonText(list, argument: "input")
    }
    return CreateResponseParams(
        input: text,
        inputJson: items,
        model: model,
        instructions: instructions,
        tools: try tools.map { tool in
            FunctionToolSpec(
                name: tool.name,
                description: tool.description,
                parametersJson: try tool.parameters.map { try jsonText($0, argument: "tools") },
                strict: tool.strict
            )
        },
        reasoningEffort: reasoningEffort?.rawValue,
        extraJson: try extra.map { try jsonText($0, argument: "extra") }
    )
}

/// Runs a Swift tool handler for the core's loop. The core calls it on a blocking thread of
/// its own, which waits here for the handler's task; the handler's error is kept to be thrown
/// to the caller as it was.
final class ToolRelay: PokeBindings.ToolHandler, @unchecked Sendable {
    let handler: ToolHandler
    private let lock = NSLock()
    private var error: (any Error)?
    private var running: Task<Void, Never>?
    private var isCancelled = false

    init(_ handler: @escaping ToolHandler) {
        self.handler = handler
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The first error the handler threw.
    var thrown: (any Error)? {
        locked { error }
    }

    /// Cancels the handler's running task, and any later one.
    func cancel() {
        locked {
            isCancelled = true
            running?.cancel()
        }
    }

    func call(name: String, arguments: String, callId: String) throws -> String {
        let call = FunctionCall(name: name, callID: callId, rawArguments: arguments)
        let outcome = Outcome()
        let handler = handler
        let task = Task {
            do {
                outcome.finish(.success(try await handler(call)))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        locked {
            running = task
            if isCancelled { task.cancel() }
        }
        let result = outcome.wait()
        locked { running = nil }
        switch result {
        case .success(let output):
            return output
        case .failure(let failure):
            locked {
                if error == nil { error = failure }
            }
            throw PokeBindings.PokeError.Internal(msg: "the tool handler failed on \(name)")
        }
    }
}

/// A handler task's result, handed to the thread waiting for it.
private final class Outcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<String, any Error>?

    func finish(_ result: Result<String, any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Result<String, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}
