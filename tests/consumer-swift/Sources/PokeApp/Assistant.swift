import Foundation
import Poke

/// What an app builds on the SDK: ask the agent a question in a fresh session and collect
/// the text of its answer as it streams.
public struct Assistant: Sendable {
    let pokee: PokeeClient

    public init(apiKey: String, baseURL: URL) throws {
        pokee = try PokeeClient(apiKey: apiKey, baseURL: baseURL)
    }

    /// The agent's answer to `question`; `onText` sees each piece as it arrives.
    public func ask(_ question: String, onText: @Sendable (String) -> Void = { _ in }) async throws -> String {
        let session = try await pokee.createSession()
        defer { Task { try? await session.delete() } }
        let turn = try await session.send(question)
        var answer = ""
        for try await event in turn.events() {
            switch event.kind {
            case .textDelta:
                let piece = event.content ?? ""
                answer += piece
                onText(piece)
            case .messageError:
                throw AssistantError.failed(event.errorMessage ?? "unknown error")
            default:
                break
            }
        }
        return answer
    }
}

extension Assistant {
    /// A stateless answer to `question` that may look up the weather through `forecast`.
    public func weatherAnswer(
        _ question: String, forecast: @escaping @Sendable (String) async throws -> String
    ) async throws -> String {
        struct Place: Decodable { let location: String }
        let tool = FunctionTool(
            name: "get_weather", description: "The weather of a city.",
            parameters: ["type": "object", "properties": ["location": ["type": "string"]], "required": ["location"]]
        )
        let run = try await pokee.responses.runTools(input: .text(question), tools: [tool]) { call in
            try await forecast(try call.arguments(as: Place.self).location)
        }
        return run.response.outputText
    }
}

public enum AssistantError: Error, Equatable {
    case failed(String)
}

/// A screen's model: downloads a workspace file and shows its progress on the main actor.
@MainActor
public final class DownloadModel {
    public private(set) var fraction = 0.0
    public private(set) var savedBytes: Int?

    public init() {}

    public func download(_ path: String, of session: Session, to file: URL) async throws {
        savedBytes = try await session.download(path, to: file) { progress in
            Task { @MainActor in self.fraction = max(self.fraction, progress.fractionCompleted ?? 0) }
        }
        fraction = 1
    }
}
