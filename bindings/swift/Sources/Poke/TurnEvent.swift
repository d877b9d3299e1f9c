import Foundation
internal import PokeBindings

/// One event of a turn.
public struct TurnEvent: Sendable, Hashable {
    /// The event's id (its sequence number as text), absent in old-format streams.
    public let id: String?
    /// The event's name as sent, e.g. `text.delta`.
    public let name: String
    /// The event's type.
    public let kind: Kind
    /// The next piece of text (text, thinking and tool-input deltas).
    public let content: String?
    /// The error message of a `message.error`.
    public let errorMessage: String?
    /// The sequence number.
    public let sequenceNumber: Int?
    /// True for the event that ends the turn (completed, error, cancelled).
    public let isTerminal: Bool
    /// The payload exactly as received.
    public let rawData: String
    let dataJSON: String

    /// The payload as JSON (a payload that is not JSON is a `.string`).
    public var data: JSONValue { jsonValue(dataJSON) }

    /// The payload decoded as your own `Decodable` type.
    public func data<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(dataJSON.utf8))
    }

    /// The event types of a turn.
    public enum Kind: Sendable, Hashable {
        /// `message.created`: always first; `data["id"]` is the response id.
        case messageCreated
        /// `text.start`.
        case textStart
        /// `text.delta`: ``TurnEvent/content`` is the next piece of text.
        case textDelta
        /// `text.stop`.
        case textStop
        /// `thinking.start`.
        case thinkingStart
        /// `thinking.delta`: ``TurnEvent/content`` is the next piece of the reasoning trace.
        case thinkingDelta
        /// `thinking.stop`.
        case thinkingStop
        /// `tool_use.start`: the agent calls one of its own tools.
        case toolUseStart
        /// `tool_use.input_delta`: streamed tool arguments.
        case toolUseInputDelta
        /// `tool_use.executing`: final input, about to run.
        case toolUseExecuting
        /// `tool_use.stop`.
        case toolUseStop
        /// `tool_result`: the output of a tool.
        case toolResult
        /// `tool_call.requested`: answer with ``Session/submitToolResult(callID:output:)``.
        case toolCallRequested
        /// `message.completed`: success, the last event.
        case messageCompleted
        /// `message.error`: failure, the last event.
        case messageError
        /// `message.cancelled`: cancelled, the last event.
        case messageCancelled
        /// A type this version does not know; ``TurnEvent/name`` has its name.
        case other
    }

    init(_ event: PokeBindings.TurnEvent) {
        id = event.id
        name = event.event
        kind = Kind(event.kind)
        content = event.content
        errorMessage = event.error
        sequenceNumber = event.sequenceNumber.map(int)
        isTerminal = event.isTerminal
        rawData = event.raw
        dataJSON = event.dataJson
    }
}

extension TurnEvent.Kind {
    init(_ kind: TurnEventKind) {
        switch kind {
        case .messageCreated: self = .messageCreated
        case .textStart: self = .textStart
        case .textDelta: self = .textDelta
        case .textStop: self = .textStop
        case .thinkingStart: self = .thinkingStart
        case .thinkingDelta: self = .thinkingDelta
        case .thinkingStop: self = .thinkingStop
        case .toolUseStart: self = .toolUseStart
        case .toolUseInputDelta: self = .toolUseInputDelta
        case .toolUseExecuting: self = .toolUseExecuting
        case .toolUseStop: self = .toolUseStop
        case .toolResult: self = .toolResult
        case .toolCallRequested: self = .toolCallRequested
        case .messageCompleted: self = .messageCompleted
        case .messageError: self = .messageError
        case .messageCancelled: self = .messageCancelled
        case .other: self = .other
        }
    }
}
