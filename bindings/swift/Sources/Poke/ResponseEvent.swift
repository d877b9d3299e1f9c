import Foundation
internal import PokeBindings

/// One event of a streamed response, with OpenAI's fields.
public struct ResponseEvent: Sendable, Hashable {
    /// The event's id (its sequence number as text).
    public let id: String?
    /// The event's name as sent, e.g. `response.output_text.delta`.
    public let name: String
    /// The event's type.
    public let kind: Kind
    /// `sequence_number`.
    public let sequenceNumber: Int?
    /// The item the event is about.
    public let itemID: String?
    /// The item's place in the output.
    public let outputIndex: Int?
    /// The part's place in the item.
    public let contentIndex: Int?
    /// The next piece of text or arguments (the `.delta` events).
    public let delta: String?
    /// The whole text of a part (`response.output_text.done`).
    public let text: String?
    /// The whole arguments of a call (`response.function_call_arguments.done`).
    public let arguments: String?
    /// The item of `response.output_item.added` and `.done`.
    public let item: ResponseOutputItem?
    /// The response as it stands, on the lifecycle events (created, in progress, terminal).
    public let response: Response?
    /// Why the response failed (`response.failed`).
    public let errorMessage: String?
    /// True for the event that ends the stream.
    public let isTerminal: Bool
    /// The payload exactly as received.
    public let rawData: String

    /// The payload as JSON (a payload that is not JSON is a `.string`).
    public var data: JSONValue { jsonValue(rawData) }

    /// The payload decoded as your own `Decodable` type.
    public func data<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(rawData.utf8))
    }

    /// The event types of a streamed response.
    public enum Kind: Sendable, Hashable {
        /// `response.created`: always first; ``ResponseEvent/response`` has the id.
        case created
        /// `response.in_progress`.
        case inProgress
        /// `response.output_item.added`.
        case outputItemAdded
        /// `response.output_item.done`.
        case outputItemDone
        /// `response.content_part.added`.
        case contentPartAdded
        /// `response.content_part.done`.
        case contentPartDone
        /// `response.output_text.delta`: ``ResponseEvent/delta`` is the next piece of text.
        case outputTextDelta
        /// `response.output_text.done`.
        case outputTextDone
        /// `response.function_call_arguments.delta`.
        case functionCallArgumentsDelta
        /// `response.function_call_arguments.done`.
        case functionCallArgumentsDone
        /// `response.completed`: success, the last event.
        case completed
        /// `response.failed`: failure, the last event.
        case failed
        /// `response.cancelled`: cancelled, the last event.
        case cancelled
        /// `response.incomplete`: cut short, the last event.
        case incomplete
        /// A type this version does not know; ``ResponseEvent/name`` has its name.
        case other
    }

    init(_ event: PokeBindings.ResponseEvent) {
        id = event.id
        name = event.event
        kind = Kind(event.kind)
        sequenceNumber = event.sequenceNumber.map(int)
        itemID = event.itemId
        outputIndex = event.outputIndex.map(int)
        contentIndex = event.contentIndex.map(int)
        delta = event.delta
        text = event.text
        arguments = event.arguments
        item = event.item.map(ResponseOutputItem.init)
        response = event.response.map(Response.init)
        errorMessage = event.errorMessage
        isTerminal = event.isTerminal
        rawData = event.raw
    }
}

extension ResponseEvent.Kind {
    init(_ kind: ResponseEventKind) {
        switch kind {
        case .created: self = .created
        case .inProgress: self = .inProgress
        case .outputItemAdded: self = .outputItemAdded
        case .outputItemDone: self = .outputItemDone
        case .contentPartAdded: self = .contentPartAdded
        case .contentPartDone: self = .contentPartDone
        case .outputTextDelta: self = .outputTextDelta
        case .outputTextDone: self = .outputTextDone
        case .functionCallArgumentsDelta: self = .functionCallArgumentsDelta
        case .functionCallArgumentsDone: self = .functionCallArgumentsDone
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        case .incomplete: self = .incomplete
        case .other: self = .other
        }
    }
}
