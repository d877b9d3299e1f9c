// The one place the generated layer's error becomes the facade's: `PokeError` with Swift
// names, or `CancellationError` for a cancelled call.
import Foundation
internal import PokeBindings

/// Runs a call into the generated layer, converting what it throws.
func bridge<T>(_ call: () throws -> T) throws -> T {
    do {
        return try call()
    } catch {
        throw converted(error)
    }
}

/// Runs an async call into the generated layer, converting what it throws. The generated
/// layer cancels the Rust future when the calling `Task` is cancelled (scripts/swift-bindings.py)
/// and throws `CancellationError`, which passes through unchanged.
func bridge<T>(_ call: () async throws -> T) async throws -> T {
    do {
        return try await call()
    } catch {
        throw converted(error)
    }
}

/// The facade's error for anything the generated layer throws.
package func converted(_ error: any Error) -> any Error {
    guard let error = error as? PokeBindings.PokeError else {
        // CancellationError, and a progress handler's own error (see ProgressRelay).
        return error
    }
    return PokeError(error) ?? CancellationError()
}

extension PokeError {
    /// The facade's case for the generated error; nil for `Cancelled` (a `CancellationError`).
    init?(_ error: PokeBindings.PokeError) {
        switch error {
        case let .Api(msg, status, kind, code, requestId, retryAfterMs, body, _):
            self = .api(APIError(
                message: msg, statusCode: Int(status), kind: APIError.Kind(kind), code: code,
                requestID: requestId, retryAfter: retryAfterMs.map(Duration.fromMilliseconds),
                body: body
            ))
        case let .Connection(msg, maybeSent, _):
            self = .connection(ConnectionError(message: msg, mayHaveBeenSent: maybeSent))
        case let .Timeout(msg, phase, afterMs):
            self = .timeout(TimeoutError(
                message: msg, phase: TimeoutError.Phase(phase),
                limit: afterMs == 0 ? nil : Duration.fromMilliseconds(afterMs)
            ))
        case let .Decode(msg, status):
            self = .decode(DecodeError(message: msg, statusCode: Int(status)))
        case let .ResponseTooLarge(msg, limitBytes):
            self = .responseTooLarge(ResponseTooLargeError(message: msg, limit: int(limitBytes)))
        case let .MissingApiKey(msg):
            self = .missingAPIKey(MissingAPIKeyError(message: msg))
        case let .Config(msg):
            self = .configuration(ConfigurationError(message: msg))
        case let .InvalidInput(msg, field):
            let argument = swiftArgument(field)
            self = .invalidInput(InvalidInputError(
                message: renamed(msg, from: field, to: argument), argument: argument
            ))
        case let .Stream(msg, lastEventId):
            self = .stream(StreamError(message: msg, lastEventID: lastEventId))
        case let .File(msg, path):
            self = .file(FileError(message: msg, fileURL: URL(fileURLWithPath: path)))
        case let .ToolRounds(msg, rounds):
            self = .toolRounds(ToolRoundsError(message: msg, rounds: Int(rounds)))
        case .Cancelled:
            return nil
        case let .Internal(msg):
            self = .unexpected(UnexpectedError(message: msg))
        }
    }
}

extension PokeError.APIError.Kind {
    init(_ kind: ApiErrorKind) {
        switch kind {
        case .badRequest: self = .badRequest
        case .unauthorized: self = .unauthorized
        case .paymentRequired: self = .paymentRequired
        case .forbidden: self = .forbidden
        case .notFound: self = .notFound
        case .conflict: self = .conflict
        case .payloadTooLarge: self = .payloadTooLarge
        case .rangeNotSatisfiable: self = .rangeNotSatisfiable
        case .unprocessableEntity: self = .unprocessableEntity
        case .rateLimited: self = .rateLimited
        case .server: self = .server
        case .other: self = .other
        }
    }
}

extension PokeError.TimeoutError.Phase {
    init(_ phase: TimeoutPhase) {
        switch phase {
        case .connect: self = .connect
        case .readIdle: self = .read
        case .total: self = .total
        }
    }
}

/// Argument names of the generated layer (and the core) whose Swift name is not their
/// lowerCamelCase form.
private let renamedArguments: [String: String] = [
    "dest": "destination",
    "secs": "duration",
    "token": "token",
    "resume.max_attempts_without_progress": "resumePolicy.maxAttemptsWithoutProgress",
    "resume.initial_delay_secs": "resumePolicy.initialDelay",
    "resume.max_delay_secs": "resumePolicy.maxDelay",
    "wait.poll_interval_secs": "pollInterval",
    "wait.max_interval_secs": "maxInterval",
    "wait.deadline_secs": "deadline",
]

/// The Swift name of an argument the core or the generated layer names: `metadata_json` is
/// `metadata`, `timeouts.total_secs` is `timeouts.total`, `response_id` is `responseID`.
func swiftArgument(_ field: String) -> String {
    if let name = renamedArguments[field] { return name }
    return field.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
        var words = part.split(separator: "_").map(String.init)
        if let last = words.last, ["json", "secs"].contains(last), words.count > 1 { words.removeLast() }
        return words.enumerated().map { index, word in
            if word == "id" || word == "url" { return index == 0 ? word : word.uppercased() }
            return index == 0 ? word : word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }.joined(separator: ".")
}

/// The core's `invalid <field>: <reason>` with the field's Swift name.
private func renamed(_ message: String, from field: String, to argument: String) -> String {
    let prefix = "invalid \(field):"
    guard field != argument, message.hasPrefix(prefix) else { return message }
    return "invalid \(argument):" + message.dropFirst(prefix.count)
}
