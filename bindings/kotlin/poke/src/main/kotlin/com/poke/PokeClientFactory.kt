// Hand-written: the generated bindings are shared with Swift and cannot name their host
// language; this fills it in, so requests say `User-Agent: poke-kotlin/<version> (<OS>)`.
package com.poke

/**
 * A client for the Poke API. Missing values come from `POKE_API_KEY` / `POKE_API` / the
 * `poke login` credentials file, then the core's defaults. Close it (or `use {}`) when done.
 */
fun PokeClient.Companion.create(
    apiKey: String? = null,
    baseUrl: String? = null,
    timeouts: Timeouts? = null,
    maxRetries: UInt? = null,
): PokeClient = PokeClient(
    PokeClientOptions(
        apiKey = apiKey,
        baseUrl = baseUrl,
        timeouts = timeouts,
        maxRetries = maxRetries,
        language = HostLanguage.KOTLIN,
    ),
)

/**
 * A client for the Pokee Enterprise sessions API. Missing values come from `POKEE_KEY` /
 * `POKEE_API`, then the core's defaults. Close it (or `use {}`) when done.
 */
fun PokeeClient.Companion.create(options: PokeeClientOptions = PokeeClientOptions()): PokeeClient =
    PokeeClient(options.copy(language = HostLanguage.KOTLIN))
