import Foundation
internal import PokeBindings

/// What a stateless response answers: one user message, or OpenAI Responses input items
/// (messages, `function_call` and `function_call_output` items, ...).
public enum ResponseInput: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    /// One user message.
    case text(String)
    /// Input items, as OpenAI's Responses API defines them.
    case items([JSONValue])

    /// `"Hello"` is a user message.
    public init(stringLiteral value: String) { self = .text(value) }
    /// `[["role": "user", "content": "Hello"]]` is a list of items.
    public init(arrayLiteral elements: JSONValue...) { self = .items(elements) }
}

/// A function the model may call, in OpenAI's flat form.
public struct FunctionTool: Sendable, Hashable {
    /// The function's name (1 to 64 characters).
    public var name: String
    /// What it does, for the model (at most 16 KiB).
    public var description: String?
    /// The JSON schema of its arguments object.
    public var parameters: JSONValue?
    /// OpenAI's `strict` flag.
    public var strict: Bool?

    /// A function tool.
    public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.strict = strict
    }
}

/// How hard the model reasons; open-ended, so a newer server's levels can be given.
public struct ReasoningEffort: RawRepresentable, Sendable, Hashable {
    /// The level as sent.
    public let rawValue: String
    /// A level by its server name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// `minimal`.
    public static let minimal = ReasoningEffort(rawValue: "minimal")
    /// `low`.
    public static let low = ReasoningEffort(rawValue: "low")
    /// `medium`.
    public static let medium = ReasoningEffort(rawValue: "medium")
    /// `high`.
    public static let high = ReasoningEffort(rawValue: "high")
}

/// A stateless response.
public struct Response: Sendable, Hashable {
    /// The response id (`resp_…`).
    public let id: String
    /// `completed`, `failed`, `cancelled`, or anything newer.
    public let status: String
    /// The model that answered.
    public let model: String?
    /// When it was created.
    public let createdAt: Date?
    /// The output items, in order.
    public let output: [ResponseOutputItem]
    /// The text of every message item, joined.
    public let outputText: String
    /// Token counts, once complete.
    public let usage: ResponseUsage?
    /// Why it failed, when it did.
    public let errorMessage: String?
    /// The whole response as received, fields this version does not model included.
    public let json: JSONValue

    init(_ response: PokeBindings.Response) {
        id = response.id
        status = response.status
        model = response.model
        createdAt = response.createdAt.map(Date.init(unixSeconds:))
        output = response.output.map(ResponseOutputItem.init)
        outputText = response.outputText
        usage = response.usage.map(ResponseUsage.init)
        errorMessage = response.errorMessage
        json = jsonValue(response.json)
    }
}

/// Token counts of a response.
public struct ResponseUsage: Sendable, Hashable {
    /// Prompt tokens.
    public let inputTokens: Int
    /// Generated tokens.
    public let outputTokens: Int
    /// Both.
    public let totalTokens: Int

    init(_ usage: PokeBindings.ResponseUsage) {
        inputTokens = int(usage.inputTokens)
        outputTokens = int(usage.outputTokens)
        totalTokens = int(usage.totalTokens)
    }
}

/// One output item: a message (``role``, ``text``), a function call (``callID``, ``name``,
/// ``arguments``), or a kind this version does not know (see ``json``).
public struct ResponseOutputItem: Sendable, Hashable {
    /// The item's type.
    public let kind: Kind
    /// The item's id.
    public let id: String?
    /// `in_progress`, `completed`, ...
    public let status: String?
    /// A message's role.
    public let role: String?
    /// A message's text (its `output_text` parts).
    public let text: String?
    /// A function call's id, to answer it with.
    public let callID: String?
    /// A function call's function.
    public let name: String?
    /// A function call's arguments object, as JSON text.
    public let arguments: String?
    /// The item as received: send it back as an input item.
    public let json: JSONValue

    /// The types of item; open-ended, so a newer server's types still compare.
    public struct Kind: RawRepresentable, Sendable, Hashable {
        /// The type as the server sent it.
        public let rawValue: String
        /// A type by its server name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// `message`.
        public static let message = Kind(rawValue: "message")
        /// `function_call`.
        public static let functionCall = Kind(rawValue: "function_call")
    }

    init(_ item: PokeBindings.ResponseOutputItem) {
        kind = Kind(rawValue: item.kind)
        id = item.id
        status = item.status
        role = item.role
        text = item.text
        callID = item.callId
        name = item.name
        arguments = item.arguments
        json = jsonValue(item.json)
    }
}

/// A function call of the model, handed to the tool handler of
/// ``Responses/runTools(input:tools:model:instructions:reasoningEffort:extra:maxRounds:handler:)``.
public struct FunctionCall: Sendable, Hashable {
    /// The function to run.
    public let name: String
    /// The call's id.
    public let callID: String
    /// Its arguments as sent: a JSON object, as text.
    public let rawArguments: String

    /// A call (for tests of tool handlers).
    public init(name: String, callID: String, rawArguments: String) {
        self.name = name
        self.callID = callID
        self.rawArguments = rawArguments
    }

    /// The arguments as JSON (arguments that are not JSON are a `.string`).
    public var arguments: JSONValue { jsonValue(rawArguments) }

    /// The arguments decoded as your own `Decodable` type.
    public func arguments<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(rawArguments.utf8))
    }
}

/// What a tool loop produced.
public struct ToolRunResult: Sendable, Hashable {
    /// The last response: the one that asked for no function call.
    public let response: Response
    /// The whole conversation, as input items (to go on from).
    public let history: [JSONValue]
    /// Requests made.
    public let rounds: Int

    init(_ run: PokeBindings.ToolRunResult) {
        response = Response(run.response)
        history = jsonValue(run.historyJson).arrayValue ?? []
        rounds = Int(run.rounds)
    }
}
