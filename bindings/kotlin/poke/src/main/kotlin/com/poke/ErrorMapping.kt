// The generated error (com.poke.ffi.PokeException, a field dump) as the public exceptions: one
// `when`, the message the core wrote, unsigned values as Int/Long, milliseconds as Duration.
package com.poke

import java.io.IOException
import java.net.ConnectException
import java.nio.file.Path
import kotlin.time.Duration.Companion.milliseconds
import com.poke.ffi.ApiErrorKind as FfiApiErrorKind
import com.poke.ffi.PokeException as FfiException
import com.poke.ffi.TimeoutPhase as FfiTimeoutPhase

/**
 * Runs a call of the generated code, turning its error into the public one. When a listener of
 * the call threw, that throwable is what the caller gets, as if the listener had run inline.
 */
internal inline fun <T> native(listener: ListenerFailure? = null, block: () -> T): T =
    try {
        block()
    } catch (e: FfiException) {
        throw listener?.thrown ?: e.toPublic()
    }

/** The throwable a listener threw during a call, kept for the caller. */
internal class ListenerFailure {
    @Volatile
    var thrown: Throwable? = null
}

internal fun FfiException.toPublic(): Throwable = when (this) {
    is FfiException.Api -> PokeApiException(
        message = msg,
        status = status.toInt(),
        kind = kind.toPublic(),
        code = code,
        requestId = requestId,
        retryAfter = retryAfterMs?.toLongExact()?.milliseconds,
        headers = headers.groupBy({ it.name.lowercase() }, { it.value }),
        body = body,
    )
    is FfiException.Connection ->
        PokeConnectionException(msg, maybeSent, if (maybeSent) IOException(reason) else ConnectException(reason))
    is FfiException.Timeout -> PokeTimeoutException(msg, phase.toPublic(), afterMs.toLongExact().milliseconds)
    is FfiException.Stream -> PokeStreamException(msg, lastEventId)
    is FfiException.Decode -> PokeDecodeException(msg, status.toInt())
    is FfiException.ResponseTooLarge -> PokeResponseTooLargeException(msg, limitBytes.toLongExact())
    is FfiException.File -> PokeFileException(msg, Path.of(path))
    is FfiException.InvalidInput -> IllegalArgumentException(msg)
    is FfiException.MissingApiKey -> IllegalArgumentException(msg)
    is FfiException.Config -> IllegalArgumentException(msg)
    is FfiException.Cancelled -> PokeInternalException(msg)
    is FfiException.Internal -> PokeInternalException(msg)
    is FfiException.ToolRounds -> PokeToolRoundsException(msg, rounds.toInt())
}

private fun FfiApiErrorKind.toPublic(): ApiErrorKind = when (this) {
    FfiApiErrorKind.BAD_REQUEST -> ApiErrorKind.BAD_REQUEST
    FfiApiErrorKind.UNAUTHORIZED -> ApiErrorKind.UNAUTHORIZED
    FfiApiErrorKind.PAYMENT_REQUIRED -> ApiErrorKind.PAYMENT_REQUIRED
    FfiApiErrorKind.FORBIDDEN -> ApiErrorKind.FORBIDDEN
    FfiApiErrorKind.NOT_FOUND -> ApiErrorKind.NOT_FOUND
    FfiApiErrorKind.CONFLICT -> ApiErrorKind.CONFLICT
    FfiApiErrorKind.PAYLOAD_TOO_LARGE -> ApiErrorKind.PAYLOAD_TOO_LARGE
    FfiApiErrorKind.RANGE_NOT_SATISFIABLE -> ApiErrorKind.RANGE_NOT_SATISFIABLE
    FfiApiErrorKind.UNPROCESSABLE_ENTITY -> ApiErrorKind.UNPROCESSABLE_ENTITY
    FfiApiErrorKind.RATE_LIMITED -> ApiErrorKind.RATE_LIMITED
    FfiApiErrorKind.SERVER -> ApiErrorKind.SERVER
    FfiApiErrorKind.OTHER -> ApiErrorKind.OTHER
}

private fun FfiTimeoutPhase.toPublic(): TimeoutPhase = when (this) {
    FfiTimeoutPhase.CONNECT -> TimeoutPhase.CONNECT
    FfiTimeoutPhase.READ_IDLE -> TimeoutPhase.READ
    FfiTimeoutPhase.TOTAL -> TimeoutPhase.TOTAL
}
