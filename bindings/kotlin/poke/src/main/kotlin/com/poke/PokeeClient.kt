package com.poke

import java.io.IOException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.JsonObject
import com.poke.ffi.BulkDeleteFilter as FfiBulkDeleteFilter
import com.poke.ffi.CreateSessionParams as FfiCreateSessionParams
import com.poke.ffi.FileAccess as FfiFileAccess
import com.poke.ffi.HostLanguage as FfiHostLanguage
import com.poke.ffi.PokeeClient as FfiPokeeClient
import com.poke.ffi.PokeeClientOptions as FfiPokeeClientOptions
import com.poke.ffi.ResumeOptions as FfiResumeOptions
import com.poke.ffi.SessionRecord as FfiSessionRecord

/**
 * A client of the Pokee Enterprise sessions API: sessions, their turns and workspace files.
 *
 * ```kotlin
 * PokeeClient(apiKey = System.getenv("POKEE_KEY"), baseUrl = "https://acme.enterprise.pokee.ai").use { pokee ->
 *     val session = pokee.createSession()
 *     session.send("Build the quarterly deck").events.collect { println(it.type) }
 *     session.files.download("output/deck.pptx", Path.of("deck.pptx"))
 * }
 * ```
 *
 * A value left `null` comes from the environment (`POKEE_KEY`, `POKEE_API`), then the defaults
 * (2 retries, connect 5 s, total 60 s per call). Failed calls throw a [PokeException].
 *
 * Every call is a `suspend` function (cancelling the coroutine cancels the request); Java
 * callers use the `…Blocking` and `…Async` variants. Interrupting a thread in a `…Blocking`
 * call cancels it with an `InterruptedIOException` (the thread stays interrupted); cancelling
 * an `…Async` future cancels its call. One client per application is enough; close it when
 * done.
 *
 * @param apiKey the API key.
 * @param baseUrl the deployment's base URL (e.g. an emulator's `pokeeApiUrl`).
 * @param timeouts time bounds of each call that answers with JSON.
 * @param maxRetries retries after a failed attempt (0: a single attempt).
 * @param streams how turn streams and file transfers are read and resumed.
 * @throws IllegalArgumentException when no API key or base URL can be found, or a value is invalid.
 */
public class PokeeClient @JvmOverloads constructor(
    apiKey: String? = null,
    baseUrl: String? = null,
    timeouts: Timeouts? = null,
    maxRetries: Int? = null,
    streams: StreamOptions? = null,
) : AutoCloseable {
    private val inner: FfiPokeeClient
    private val closed = AtomicBoolean()

    init {
        nativeThreadsAttached
        val options = FfiPokeeClientOptions(
            apiKey = apiKey,
            baseUrl = baseUrl,
            timeouts = timeouts?.toFfi(),
            maxRetries = maxRetries?.toCount("maxRetries"),
            language = FfiHostLanguage.KOTLIN,
            streamReadIdleSecs = streams?.turnIdle?.toSeconds("streams.turnIdle"),
            transferReadIdleSecs = streams?.transferIdle?.toSeconds("streams.transferIdle"),
            resume = streams?.let {
                FfiResumeOptions(
                    maxAttemptsWithoutProgress = it.maxResumesWithoutProgress?.toCount("streams.maxResumesWithoutProgress"),
                    initialDelaySecs = it.resumeDelay?.toSeconds("streams.resumeDelay"),
                    maxDelaySecs = it.maxResumeDelay?.toSeconds("streams.maxResumeDelay"),
                )
            },
        )
        inner = native { FfiPokeeClient(options) }
    }

    /** The base URL in use, without a trailing slash. */
    public val baseUrl: String = inner.baseUrl()

    /** The tenant's custom skills. */
    public val skills: Skills = Skills(this)

    /** Stateless responses and the function-tool loop. */
    public val responses: Responses = Responses(this)

    /** The generated client, for the classes of this package; refused once closed. */
    internal fun ffi(): FfiPokeeClient {
        check(!closed.get()) { "the client is closed" }
        return inner
    }

    /** `GET /health` (no key needed): the server's answer. */
    public suspend fun health(): JsonObject = parseObject(native { ffi().health() })

    /**
     * Creates a session.
     *
     * @throws PokeException when the call fails (409 when the tenant has too many sessions).
     */
    public suspend fun createSession(params: SessionParams = SessionParams()): Session {
        val ffiParams = params.toFfi()
        return Session(this, native { ffi().createSession(ffiParams) }.toPublic())
    }

    /**
     * Reads the session [id], e.g. one kept from an earlier run.
     *
     * @throws PokeApiException with [ApiErrorKind.NOT_FOUND] when it does not exist (anymore).
     */
    public suspend fun getSession(id: String): Session = Session(this, native { ffi().getSession(id) }.toPublic())

    /** Lists the tenant's sessions. */
    public suspend fun listSessions(): List<Session> =
        native { ffi().listSessions() }.map { Session(this, it.toPublic()) }

    /**
     * Destroys every session matching both filters (every session without them) and returns how
     * many were destroyed; their workspace files stay.
     *
     * @param idleOnly only sessions that are not running a turn.
     * @param olderThan only sessions inactive for at least this long (whole seconds).
     */
    public suspend fun deleteSessions(idleOnly: Boolean = false, olderThan: Duration? = null): Long {
        val filter = FfiBulkDeleteFilter(idleOnly, olderThan?.toWholeSeconds("olderThan"))
        return native { ffi().deleteSessions(filter) }.deleted.toLongExact()
    }

    /** Rate-limit usage and credit balance. */
    public suspend fun usage(): Usage {
        val u = native { ffi().usage() }
        return Usage(
            callerId = u.callerId,
            windows = u.windows.map {
                UsageWindow(
                    bucket = it.bucket,
                    name = it.name,
                    length = it.durationSeconds?.toLongExact()?.seconds,
                    turns = it.turns?.toLongExact(),
                    maxTurns = it.maxTurns?.toLongExact(),
                    tokens = it.tokens?.toLongExact(),
                    maxTokens = it.maxTokens?.toLongExact(),
                    enabled = it.enabled,
                )
            },
            creditsEnabled = u.creditsEnabled,
            creditsMode = u.creditsMode,
            creditsBalance = u.creditsBalance,
            json = parseObject(u.json),
        )
    }

    internal suspend fun cancelTurn(sessionId: String, responseId: String): CancelResult {
        val c = native { ffi().cancelTurn(sessionId, responseId) }
        return CancelResult(c.responseId, c.status)
    }

    /** [health] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun healthBlocking(): JsonObject = blocking { health() }

    /** [health] for Java, as a future. */
    public fun healthAsync(): CompletableFuture<JsonObject> = future { health() }

    /** [createSession] for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun createSessionBlocking(params: SessionParams = SessionParams()): Session = blocking { createSession(params) }

    /** [createSession] for Java, as a future. */
    @JvmOverloads
    public fun createSessionAsync(params: SessionParams = SessionParams()): CompletableFuture<Session> =
        future { createSession(params) }

    /** [getSession] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun getSessionBlocking(id: String): Session = blocking { getSession(id) }

    /** [getSession] for Java, as a future. */
    public fun getSessionAsync(id: String): CompletableFuture<Session> = future { getSession(id) }

    /** [listSessions] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun listSessionsBlocking(): List<Session> = blocking { listSessions() }

    /** [listSessions] for Java, as a future. */
    public fun listSessionsAsync(): CompletableFuture<List<Session>> = future { listSessions() }

    /** [deleteSessions] for Java, blocking the calling thread (`olderThan` may be null). */
    @Throws(IOException::class)
    public fun deleteSessionsBlocking(idleOnly: Boolean, olderThan: java.time.Duration?): Long =
        blocking { deleteSessions(idleOnly, olderThan?.toKotlinDuration()) }

    /** [deleteSessions] for Java, as a future (`olderThan` may be null). */
    public fun deleteSessionsAsync(idleOnly: Boolean, olderThan: java.time.Duration?): CompletableFuture<Long> =
        future { deleteSessions(idleOnly, olderThan?.toKotlinDuration()) }

    /** [usage] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun usageBlocking(): Usage = blocking { usage() }

    /** [usage] for Java, as a future. */
    public fun usageAsync(): CompletableFuture<Usage> = future { usage() }

    /** Frees the client and its connections; calls made after it throw [IllegalStateException]. */
    override fun close() {
        if (closed.compareAndSet(false, true)) inner.close()
    }

    /** Shows the base URL only, never the key. */
    override fun toString(): String = "PokeeClient(baseUrl=$baseUrl)"
}

private fun SessionParams.toFfi(): FfiCreateSessionParams = FfiCreateSessionParams(
    persistent = persistent,
    ttlSecs = ttl?.toWholeSeconds("ttl"),
    metadataJson = metadata?.toString(),
    fileAccess = fileAccess?.let { FfiFileAccess(it.read, it.write) },
    model = model,
    toolsJson = tools?.toString(),
)

internal fun FfiSessionRecord.toPublic(): SessionRecord = SessionRecord(
    id = id,
    createdAt = createdAt?.toInstant(),
    lastActivity = lastActivity?.toInstant(),
    isBusy = isBusy,
    persistent = persistent,
    ttl = ttlSecs?.toLongExact()?.seconds,
    status = status,
    metadata = parseObject(metadataJson),
    fileAccess = fileAccess?.let { FileAccess(it.read, it.write) },
    model = model,
    tools = toolsJson?.let { parseArray(it) },
    json = parseObject(json),
)
