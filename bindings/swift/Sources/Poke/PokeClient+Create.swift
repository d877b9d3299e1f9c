// Hand-written: the generated bindings are shared with Kotlin and cannot name their host
// language; this fills it in, so requests say `User-Agent: poke-swift/<version> (<OS>)`.
import Foundation

extension PokeClient {
    /// A client for the Poke API. Missing values come from `POKE_API_KEY` / `POKE_API` / the
    /// `poke login` credentials file, then the core's defaults.
    public static func create(
        apiKey: String? = nil,
        baseUrl: String? = nil,
        timeouts: Timeouts? = nil,
        maxRetries: UInt32? = nil
    ) throws -> PokeClient {
        try PokeClient(options: PokeClientOptions(
            apiKey: apiKey,
            baseUrl: baseUrl,
            timeouts: timeouts,
            maxRetries: maxRetries,
            language: .swift
        ))
    }
}

extension PokeeClient {
    /// A client for the Pokee Enterprise sessions API. Missing values come from `POKEE_KEY` /
    /// `POKEE_API`, then the core's defaults.
    public static func create(options: PokeeClientOptions = PokeeClientOptions()) throws -> PokeeClient {
        try PokeeClient(options: PokeeClientOptions(
            apiKey: options.apiKey,
            baseUrl: options.baseUrl,
            timeouts: options.timeouts,
            maxRetries: options.maxRetries,
            language: .swift,
            streamReadIdleSecs: options.streamReadIdleSecs,
            transferReadIdleSecs: options.transferReadIdleSecs,
            resume: options.resume
        ))
    }
}

// uniffi 0.32 gives `PokeError` `description` / `debugDescription` (Rust's Display / Debug)
// without declaring the protocols; declaring them makes "\(error)" print the message.
extension PokeError: CustomStringConvertible, CustomDebugStringConvertible {}
