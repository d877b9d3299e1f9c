package com.poke

import java.io.IOException
import java.nio.file.Path
import kotlin.time.Duration
import kotlin.time.toJavaDuration

/**
 * A call failed on the network, at the server, or while reading its answer. Every subclass is
 * an [IOException], as with OkHttp: Java callers of the blocking methods catch it once.
 *
 * [message] is written for people (the same words in every poke SDK) and never contains the
 * API key or a webhook token. Arguments the SDK can never send (a `..` path, a negative
 * duration, a missing API key) throw [IllegalArgumentException] instead, before anything is sent;
 * a call on a closed client throws [IllegalStateException].
 */
public sealed class PokeException(message: String, cause: Throwable? = null) : IOException(message, cause) {
    /** The HTTP status when the server answered, else `null`. */
    public open val status: Int? get() = null
}

/**
 * The server answered with an error status (4xx, 5xx).
 *
 * @property status the HTTP status code.
 * @property kind what the status means, for `when` branches.
 * @property code the short error name of a JSON error body (`"Unauthorized"`), when it has one.
 * @property requestId the `x-request-id` response header: quote it when reporting a problem.
 * @property retryAfter how long the server asked to wait before retrying (`Retry-After`).
 * @property headers the response headers, names in lower case.
 * @property body the response body (text, cut after a few KiB).
 */
public class PokeApiException(
    message: String,
    override val status: Int,
    public val kind: ApiErrorKind,
    public val code: String?,
    public val requestId: String?,
    public val retryAfter: Duration?,
    public val headers: Map<String, List<String>>,
    public val body: String?,
) : PokeException(message) {
    /** [retryAfter] as a `java.time.Duration` (what Java sees as `getRetryAfter()`). */
    @get:JvmName("getRetryAfter")
    public val javaRetryAfter: java.time.Duration? get() = retryAfter?.toJavaDuration()

    /** The first value of response header [name] (any case), or `null`. */
    public fun header(name: String): String? = headers[name.lowercase()]?.firstOrNull()
}

/**
 * No answer came: the connection was refused or reset, DNS or TLS failed, or the server closed
 * the connection. [cause] is the underlying failure (a `java.net.ConnectException` when no
 * connection could be made).
 *
 * @property maybeSent false when the request surely never reached the server (safe to repeat).
 */
public class PokeConnectionException(
    message: String,
    public val maybeSent: Boolean,
    cause: Throwable?,
) : PokeException(message, cause)

/**
 * A time bound of the call expired.
 *
 * @property phase which bound: connecting, waiting for data, or the whole call.
 * @property limit the bound that expired.
 */
public class PokeTimeoutException(
    message: String,
    public val phase: TimeoutPhase,
    public val limit: Duration,
) : PokeException(message) {
    /** [limit] as a `java.time.Duration` (what Java sees as `getLimit()`). */
    @get:JvmName("getLimit")
    public val javaLimit: java.time.Duration get() = limit.toJavaDuration()
}

/**
 * A turn's event stream broke and could not be resumed automatically.
 *
 * @property lastEventId the id of the last event delivered: pass it to [Session.resume].
 */
public class PokeStreamException(message: String, public val lastEventId: String?) : PokeException(message)

/** A successful answer whose body could not be read as the API documents it. */
public class PokeDecodeException(message: String, override val status: Int) : PokeException(message)

/**
 * An answer larger than the client accepts.
 *
 * @property limitBytes the cap, in bytes.
 */
public class PokeResponseTooLargeException(message: String, public val limitBytes: Long) : PokeException(message)

/**
 * A local file could not be read or written (an upload's source, a download's destination).
 *
 * @property path the file.
 */
public class PokeFileException(message: String, public val path: Path) : PokeException(message)

/**
 * [Responses.runTools] still got function calls after its last allowed round.
 *
 * @property rounds the requests made.
 */
public class PokeToolRoundsException(message: String, public val rounds: Int) : PokeException(message)

/** A failure this version of the SDK does not classify (a bug, or a newer native library). */
public class PokeInternalException(message: String) : PokeException(message)

/** What an error status means; [OTHER] for statuses without their own entry. */
public enum class ApiErrorKind {
    /** 400. */
    BAD_REQUEST,

    /** 401: the API key is wrong or revoked. */
    UNAUTHORIZED,

    /** 402: out of credits. */
    PAYMENT_REQUIRED,

    /** 403: the key may not do this. */
    FORBIDDEN,

    /** 404. */
    NOT_FOUND,

    /** 409: e.g. a message sent while the session runs a turn. */
    CONFLICT,

    /** 413. */
    PAYLOAD_TOO_LARGE,

    /** 416. */
    RANGE_NOT_SATISFIABLE,

    /** 422. */
    UNPROCESSABLE_ENTITY,

    /** 429: slow down; see [PokeApiException.retryAfter]. */
    RATE_LIMITED,

    /** 500 and above. */
    SERVER,

    /** Any other status. */
    OTHER,
}

/** Which time bound expired. */
public enum class TimeoutPhase {
    /** Making the connection ([Timeouts.connect]). */
    CONNECT,

    /** Waiting for more data on an open answer ([Timeouts.read], or a stream's idle bound). */
    READ,

    /** The whole call, retries included ([Timeouts.total]), or a wait's deadline. */
    TOTAL,
}
