import Foundation

/// Everything that can go wrong in a call, one case per kind of failure, each carrying the
/// details of that kind.
///
/// The human message is the error's `localizedDescription`, `description` and ``message``; it
/// never contains the API key, a webhook token or the response body. A call whose `Task` is
/// cancelled throws `CancellationError` instead.
///
/// ```swift
/// do {
///     try await poke.sendMessage("Hello")
/// } catch PokeError.api(let error) where error.kind == .rateLimited {
///     print("retry in \(error.retryAfter ?? .seconds(1))")
/// } catch {
///     print(error.localizedDescription)
/// }
/// ```
public enum PokeError: Error, Sendable, Hashable {
    /// The server answered with a non-2xx status.
    case api(APIError)
    /// The connection failed: refused, DNS, TLS, reset, closed without a reply.
    case connection(ConnectionError)
    /// A time bound expired.
    case timeout(TimeoutError)
    /// A 2xx response whose body could not be decoded.
    case decode(DecodeError)
    /// A response larger than the client accepts.
    case responseTooLarge(ResponseTooLargeError)
    /// No API key was given and none was found in the environment.
    case missingAPIKey(MissingAPIKeyError)
    /// The client's configuration is invalid (for example a malformed base URL).
    case configuration(ConfigurationError)
    /// An argument the server could never accept; nothing was sent.
    case invalidInput(InvalidInputError)
    /// A turn's event stream ended before its last event and could not be resumed.
    case stream(StreamError)
    /// A local file could not be read or written.
    case file(FileError)
    /// A failure this version does not know how to classify; please report it.
    case unexpected(UnexpectedError)
    /// A tool loop still got function calls after its last allowed round.
    case toolRounds(ToolRoundsError)

    /// The human-readable message, the same as `localizedDescription`.
    public var message: String {
        switch self {
        case .api(let e): e.message
        case .connection(let e): e.message
        case .timeout(let e): e.message
        case .decode(let e): e.message
        case .responseTooLarge(let e): e.message
        case .missingAPIKey(let e): e.message
        case .configuration(let e): e.message
        case .invalidInput(let e): e.message
        case .stream(let e): e.message
        case .file(let e): e.message
        case .unexpected(let e): e.message
        case .toolRounds(let e): e.message
        }
    }
}

extension PokeError {
    /// A non-2xx answer.
    public struct APIError: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
        /// The message (the official SDK's wording for the Poke API).
        public let message: String
        /// The HTTP status code.
        public let statusCode: Int
        /// What the status means, for branching.
        public let kind: Kind
        /// The `error` short name of a JSON error body, when it has one.
        public let code: String?
        /// The `x-request-id` response header, for support requests.
        public let requestID: String?
        /// How long the server asked to wait before retrying.
        public let retryAfter: Duration?
        /// The response body (capped at a few KiB). Never part of the message.
        public let body: String?

        /// Creates the details of an API error.
        public init(
            message: String, statusCode: Int, kind: Kind, code: String? = nil,
            requestID: String? = nil, retryAfter: Duration? = nil, body: String? = nil
        ) {
            self.message = message
            self.statusCode = statusCode
            self.kind = kind
            self.code = code
            self.requestID = requestID
            self.retryAfter = retryAfter
            self.body = body
        }

        public var description: String { message }

        public var debugDescription: String {
            "APIError(statusCode: \(statusCode), kind: \(kind), requestID: \(requestID ?? "nil"), "
                + "message: \(message.debugDescription))"
        }

        /// The classes of status callers branch on.
        public enum Kind: Sendable, Hashable {
            /// 400.
            case badRequest
            /// 401: the API key is wrong.
            case unauthorized
            /// 402.
            case paymentRequired
            /// 403: the key may not do this.
            case forbidden
            /// 404.
            case notFound
            /// 409 (for example a message sent while the session is busy).
            case conflict
            /// 413.
            case payloadTooLarge
            /// 416.
            case rangeNotSatisfiable
            /// 422.
            case unprocessableEntity
            /// 429: see ``APIError/retryAfter``.
            case rateLimited
            /// 500 and above.
            case server
            /// Any other status.
            case other
        }
    }

    /// A failed connection.
    public struct ConnectionError: Sendable, Hashable, CustomStringConvertible {
        /// The message (`Network error: ...`).
        public let message: String
        /// False when the request cannot have reached the server (safe to send again).
        public let mayHaveBeenSent: Bool
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, mayHaveBeenSent: Bool) {
            self.message = message
            self.mayHaveBeenSent = mayHaveBeenSent
        }
        public var description: String { message }
    }

    /// An expired time bound.
    public struct TimeoutError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// Which bound expired.
        public let phase: Phase
        /// The bound that expired, when known.
        public let limit: Duration?
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, phase: Phase, limit: Duration?) {
            self.message = message
            self.phase = phase
            self.limit = limit
        }
        public var description: String { message }

        /// The time bounds of a call (see ``Timeouts``).
        public enum Phase: Sendable, Hashable {
            /// Establishing the connection.
            case connect
            /// Waiting for more bytes of an open response.
            case read
            /// The whole call, retries included.
            case total
        }
    }

    /// A 2xx response whose body could not be decoded.
    public struct DecodeError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// The HTTP status of the response.
        public let statusCode: Int
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, statusCode: Int) {
            self.message = message
            self.statusCode = statusCode
        }
        public var description: String { message }
    }

    /// A response larger than the client accepts.
    public struct ResponseTooLargeError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// The cap, in bytes.
        public let limit: Int
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, limit: Int) {
            self.message = message
            self.limit = limit
        }
        public var description: String { message }
    }

    /// No API key in the arguments or the environment.
    public struct MissingAPIKeyError: Sendable, Hashable, CustomStringConvertible {
        /// The message, naming where a key is looked for.
        public let message: String
        /// Creates the details of this error (for tests of error handling).
        public init(message: String) {
            self.message = message
        }
        public var description: String { message }
    }

    /// An invalid client configuration.
    public struct ConfigurationError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// Creates the details of this error (for tests of error handling).
        public init(message: String) {
            self.message = message
        }
        public var description: String { message }
    }

    /// An argument the server could never accept; nothing was sent.
    public struct InvalidInputError: Sendable, Hashable, CustomStringConvertible {
        /// The message (`invalid <argument>: <reason>`, never the offending value).
        public let message: String
        /// The argument, by its Swift name (`metadata`, `timeouts.total`, `path`, ...).
        public let argument: String
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, argument: String) {
            self.message = message
            self.argument = argument
        }
        public var description: String { message }
    }

    /// A turn's event stream that ended early and could not be resumed.
    public struct StreamError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// The id of the last event delivered, to resume by hand (``Session/resume(responseID:after:)``).
        public let lastEventID: String?
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, lastEventID: String?) {
            self.message = message
            self.lastEventID = lastEventID
        }
        public var description: String { message }
    }

    /// A local file that could not be read or written.
    public struct FileError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// The file.
        public let fileURL: URL
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, fileURL: URL) {
            self.message = message
            self.fileURL = fileURL
        }
        public var description: String { message }
    }

    /// A tool loop that reached its bound on rounds
    /// (``Responses/runTools(input:tools:model:instructions:reasoningEffort:extra:maxRounds:handler:)``).
    public struct ToolRoundsError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// The requests made.
        public let rounds: Int
        /// Creates the details of this error (for tests of error handling).
        public init(message: String, rounds: Int) {
            self.message = message
            self.rounds = rounds
        }
        public var description: String { message }
    }

    /// A failure this version cannot classify.
    public struct UnexpectedError: Sendable, Hashable, CustomStringConvertible {
        /// The message.
        public let message: String
        /// Creates the details of this error (for tests of error handling).
        public init(message: String) {
            self.message = message
        }
        public var description: String { message }
    }
}

extension PokeError: LocalizedError {
    /// The human-readable message.
    public var errorDescription: String? { message }
}

extension PokeError: CustomNSError {
    /// `Poke.PokeError`.
    public static var errorDomain: String { "Poke.PokeError" }

    /// One code per case, stable across versions: 1 `api` ... 11 `unexpected`, 12 `toolRounds`.
    public var errorCode: Int {
        switch self {
        case .api: 1
        case .connection: 2
        case .timeout: 3
        case .decode: 4
        case .responseTooLarge: 5
        case .missingAPIKey: 6
        case .configuration: 7
        case .invalidInput: 8
        case .stream: 9
        case .file: 10
        case .unexpected: 11
        case .toolRounds: 12
        }
    }

    /// The message (`NSLocalizedDescriptionKey`), plus `NSFilePathErrorKey` for file errors and
    /// `PokeStatusCode` / `PokeRequestID` for API errors.
    public var errorUserInfo: [String: Any] {
        var info: [String: Any] = [NSLocalizedDescriptionKey: message]
        switch self {
        case .api(let e):
            info["PokeStatusCode"] = e.statusCode
            if let id = e.requestID { info["PokeRequestID"] = id }
        case .file(let e):
            info[NSFilePathErrorKey] = e.fileURL.path
        default:
            break
        }
        return info
    }
}

extension PokeError: CustomStringConvertible, CustomDebugStringConvertible {
    /// The human-readable message.
    public var description: String { message }

    /// The case and its message (no body, no secret).
    public var debugDescription: String {
        switch self {
        case .api(let e): "PokeError.api(\(e.debugDescription))"
        case .connection: "PokeError.connection(\(message.debugDescription))"
        case .timeout(let e): "PokeError.timeout(\(e.phase), \(message.debugDescription))"
        case .decode: "PokeError.decode(\(message.debugDescription))"
        case .responseTooLarge: "PokeError.responseTooLarge(\(message.debugDescription))"
        case .missingAPIKey: "PokeError.missingAPIKey(\(message.debugDescription))"
        case .configuration: "PokeError.configuration(\(message.debugDescription))"
        case .invalidInput(let e): "PokeError.invalidInput(\(e.argument), \(message.debugDescription))"
        case .stream: "PokeError.stream(\(message.debugDescription))"
        case .file: "PokeError.file(\(message.debugDescription))"
        case .unexpected: "PokeError.unexpected(\(message.debugDescription))"
        case .toolRounds(let e): "PokeError.toolRounds(\(e.rounds), \(message.debugDescription))"
        }
    }
}

extension PokeError {
    /// An argument the facade could not convert, worded as the core words its own.
    static func invalidArgument(_ argument: String, _ reason: String) -> PokeError {
        .invalidInput(InvalidInputError(message: "invalid \(argument): \(reason)", argument: argument))
    }
}
