// Conversions between the facade's Swift types and the generated layer's (seconds as Double,
// Unix times, unsigned integers, JSON text, URL strings). Conversions only: every decision
// (defaults, retries, validation of what the server could accept) stays in the core.
import Foundation
internal import PokeBindings

extension Duration {
    /// The duration in seconds, for the generated layer (which takes `Double` seconds).
    var inSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }

    /// A duration from seconds the core reported.
    static func fromSeconds(_ seconds: Double) -> Duration {
        let nanoseconds = (seconds * 1e9).rounded()
        guard nanoseconds.isFinite, let exact = Int64(exactly: nanoseconds) else {
            return nanoseconds < 0 ? .zero : .seconds(Int64.max)
        }
        return .nanoseconds(exact)
    }

    /// A duration from milliseconds the core reported.
    static func fromMilliseconds(_ milliseconds: UInt64) -> Duration {
        .milliseconds(Int64(clamping: milliseconds))
    }
}

extension Date {
    /// A Unix time the core reported.
    init(unixSeconds: Double) {
        self.init(timeIntervalSince1970: unixSeconds)
    }
}

/// A count from the core as `Int` (saturating: sizes and counts never come near `Int.max`).
func int(_ value: UInt64) -> Int {
    Int(clamping: value)
}

/// A non-negative count for the generated layer, or an `invalidInput` error naming `argument`.
func unsigned32(_ value: Int?, argument: String) throws -> UInt32? {
    guard let value else { return nil }
    guard let converted = UInt32(exactly: value) else {
        throw PokeError.invalidArgument(argument, "must be between 0 and \(UInt32.max), not \(value)")
    }
    return converted
}

/// Whole seconds for the generated layer, or an `invalidInput` error naming `argument`.
func wholeSeconds(_ value: Duration?, argument: String) throws -> UInt64? {
    guard let value else { return nil }
    guard value >= .zero else {
        throw PokeError.invalidArgument(argument, "must not be negative")
    }
    return UInt64(value.components.seconds)
}

/// A URL the core resolved or the server sent; the core checked it parses.
func parsedURL(_ text: String) -> URL {
    URL(string: text) ?? URL(fileURLWithPath: text)
}

/// The local path of a file URL, or an `invalidInput` error naming `argument`.
func path(of fileURL: URL, argument: String) throws -> String {
    guard fileURL.isFileURL else {
        throw PokeError.invalidArgument(argument, "must be a file URL, not \(fileURL.absoluteString)")
    }
    return fileURL.path
}

extension PokeBindings.Timeouts {
    init(_ timeouts: Timeouts) {
        self.init(
            connectSecs: timeouts.connect?.inSeconds,
            totalSecs: timeouts.total?.inSeconds,
            readSecs: timeouts.read?.inSeconds
        )
    }
}
