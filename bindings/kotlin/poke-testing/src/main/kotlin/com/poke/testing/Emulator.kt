package com.poke.testing

import com.poke.native
import com.poke.parseArray
import com.poke.parseObject
import com.poke.toSeconds
import java.time.Instant
import kotlin.time.Duration
import kotlin.time.DurationUnit
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import com.poke.testing.ffi.Emulator as FfiEmulator
import com.poke.testing.ffi.EmulatorRequest as FfiEmulatorRequest

/**
 * An in-process emulator of the Poke developer API and the Pokee Enterprise sessions API, on a
 * free port of 127.0.0.1, for the tests of code that uses `com.poke:poke`: it keeps state like
 * the real services, records every request, injects faults and has a clock of its own.
 *
 * ```kotlin
 * Emulator().use { emulator ->
 *     PokeClient(apiKey = "pk_test", baseUrl = emulator.pokeApiUrl).use { it.sendMessage("hi") }
 *     assertEquals("""{"message":"hi"}""", emulator.requests().single().body)
 * }
 * ```
 *
 * Magic words in a session message shape the scripted agent's turn: `events=N`, `pace_ms=N`,
 * `tool=NAME`, `error=TEXT`, and "presentation" for the long deck-building turn.
 *
 * @param apiKey the only key accepted (others get 401); without it, any non-empty key is.
 */
public class Emulator @JvmOverloads constructor(apiKey: String? = null) : AutoCloseable {
    private val inner: FfiEmulator = native { FfiEmulator(apiKey) }

    /** The root URL, e.g. `http://127.0.0.1:41234`. */
    public val url: String = inner.url()

    /** The `baseUrl` for a `PokeClient` (`url` + `/api/v1`). */
    public val pokeApiUrl: String = inner.pokeApiUrl()

    /** The `baseUrl` for a `PokeeClient`. */
    public val pokeeApiUrl: String = inner.pokeeApiUrl()

    /** Every API request received so far, in arrival order. */
    public fun requests(): List<RecordedRequest> = inner.requests().map { it.toPublic() }

    /** Forgets the requests received so far. */
    public fun clearRequests(): Unit = inner.clearRequests()

    /**
     * Installs a fault in the emulator's JSON format and returns its id, e.g.
     * `{"path": "/api/v1/inbound/api-message", "status": 429, "headers": {"Retry-After": "3"}}`
     * or `{"path": "/api/v1/inbound/api-message", "stall_ms": 2000}`. A fault affects `times`
     * matching requests (default 1: with the default retries, a single 429 is retried and the
     * call succeeds). A `*` in `path` matches any run of characters; `method` narrows it;
     * `delay_ms` waits and then lets the real handler answer, `stall_ms` holds the request and
     * closes without an answer, `reset` resets the connection, `body` replaces the answer's
     * body; `drop_after_events` cuts a turn's stream. All fields: the emulator's
     * `tests/emulator/README.md`.
     *
     * @throws IllegalArgumentException when [json] is not a valid fault.
     */
    public fun addFault(json: String): Long = native { inner.addFaultJson(json) }.toLong()

    /** [addFault] with the fault as a JSON object. */
    public fun addFault(fault: JsonObject): Long = addFault(fault.toString())

    /** Removes the fault [id]; returns whether it was still active. */
    public fun removeFault(id: Long): Boolean = inner.removeFault(id.toULong())

    /** Removes every fault. */
    public fun clearFaults(): Unit = inner.clearFaults()

    /** The bodies of the messages sent to the Poke API, oldest first. */
    public fun messages(): JsonArray = parseArray(native { inner.messagesJson() })

    /** Every webhook fired, as `{"triggerId": …, "data": …}`. */
    public fun webhookFires(): JsonArray = parseArray(native { inner.webhookFiresJson() })

    /** Moves the sessions API's clock forward and applies what expires (TTLs, idle timeouts). */
    public fun advanceClock(by: Duration) {
        val secs = by.toSeconds("by")
        native { inner.advanceClock(secs) }
    }

    /** [advanceClock] for Java. */
    public fun advanceClock(by: java.time.Duration): Unit = advanceClock(by.toKotlinDuration())

    /** Stops (`true`) or restarts the passing of real time on the sessions API's clock. */
    public fun freezeClock(frozen: Boolean): Unit = inner.freezeClock(frozen)

    /** The sessions API's clock. */
    public fun clockNow(): Instant {
        val secs = inner.clockNow()
        val whole = kotlin.math.floor(secs)
        return Instant.ofEpochSecond(whole.toLong(), ((secs - whole) * 1e9).toLong())
    }

    /** Every live session, with the emulator's own fields (`current_response_id`, ...). */
    public fun sessions(): JsonArray = parseArray(native { inner.sessionsJson() })

    /** Every resumable turn (`response_id`, `session_id`, `status`, `events`, ...). */
    public fun turns(): JsonArray = parseArray(native { inner.turnsJson() })

    /** Queues a turn script (the emulator's format) for the next turn of [sessionId]. */
    public fun scriptTurn(sessionId: String, script: JsonObject) {
        native { inner.scriptTurnJson(sessionId, script.toString()) }
    }

    /**
     * Queues a stateless-response script (the emulator's format: `output`, `outcome`, `pace_ms`,
     * `sleep_ms`, `usage`) for the next `POST /v1/responses`.
     */
    public fun scriptResponse(script: JsonObject) {
        native { inner.scriptResponseJson(script.toString()) }
    }

    /** Every installed skill with its files. */
    public fun skills(): JsonArray = parseArray(native { inner.skillsJson() })

    /** The sessions API settings (`pace_ms`, limits, timeouts, credits, ...). */
    public fun sessionsConfig(): JsonObject = parseObject(native { inner.sessionsConfigJson() })

    /** Replaces the sessions API settings; fields missing from [config] take their defaults. */
    public fun setSessionsConfig(config: JsonObject) {
        native { inner.setSessionsConfigJson(config.toString()) }
    }

    /** The real time the scripted agent waits between two events (zero: as fast as it can). */
    public fun setTurnPace(pace: Duration) {
        pace.toSeconds("pace")
        inner.setTurnPaceMs(pace.toLong(DurationUnit.MILLISECONDS).toULong())
    }

    /** [setTurnPace] for Java. */
    public fun setTurnPace(pace: java.time.Duration): Unit = setTurnPace(pace.toKotlinDuration())

    /** The bytes of the workspace file at [path], or `null`. */
    public fun workspaceFile(path: String): ByteArray? = inner.workspaceFile(path)

    /** Writes a workspace file directly (test setup), creating its directories. */
    public fun putWorkspaceFile(path: String, data: ByteArray) {
        native { inner.putWorkspaceFile(path, data) }
    }

    /**
     * Starts an MCP callback chain that ends after [maxCallbacks] accepted posts (`null`: only a
     * post without `hasMore` ends it).
     */
    @JvmOverloads
    public fun newCallbackChain(maxCallbacks: Int? = null): CallbackTarget {
        require(maxCallbacks == null || maxCallbacks >= 0) { "maxCallbacks must not be negative" }
        val chain = inner.newCallbackChain(maxCallbacks?.toUInt())
        return CallbackTarget(chain.url, chain.token)
    }

    /** Every callback chain with the posts it accepted. */
    public fun callbackChains(): JsonArray = parseArray(native { inner.callbackChainsJson() })

    /** Forgets everything: requests, faults, sessions, turns, files, settings; real time again. */
    public fun reset(): Unit = inner.reset()

    /** Stops the server (open connections are dropped) and frees it. */
    override fun close() {
        inner.shutdown()
        inner.close()
    }

    override fun toString(): String = "Emulator(url=$url)"
}

/**
 * One request as the emulator received it.
 *
 * @property method the HTTP method, e.g. `POST`.
 * @property path the path without the query, e.g. `/api/v1/inbound/api-message`.
 * @property target the path and query exactly as sent.
 * @property headers the headers, names in lower case.
 * @property body the body as text.
 */
public data class RecordedRequest(
    val method: String,
    val path: String,
    val target: String,
    val headers: Map<String, List<String>>,
    val body: String,
) {
    /** The first value of header [name] (any case), or `null`. */
    public fun header(name: String): String? = headers[name.lowercase()]?.firstOrNull()
}

/**
 * Where to post the callbacks of one emulated MCP tool call.
 *
 * @property url the callback URL.
 * @property token the first callback's token.
 */
public data class CallbackTarget(val url: String, val token: String)

private fun FfiEmulatorRequest.toPublic(): RecordedRequest = RecordedRequest(
    method = method,
    path = path,
    target = target,
    headers = headers.groupBy({ it.name.lowercase() }, { it.value }),
    body = body,
)
