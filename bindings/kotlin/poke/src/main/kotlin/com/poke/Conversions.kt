// Conversions between the public Kotlin types and the generated ones (com.poke.ffi): the only
// place that knows both. Values are checked here so that a bad argument is reported in Kotlin
// terms before anything reaches the native library.
package com.poke

import java.time.Instant
import kotlin.time.Duration
import kotlin.time.DurationUnit
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import com.poke.ffi.Timeouts as FfiTimeouts

/** Seconds for the native side; [name] is the argument's Kotlin name for the error. */
internal fun Duration.toSeconds(name: String): Double {
    require(isFinite() && !isNegative()) { "$name must be a finite, non-negative duration (got $this)" }
    return toDouble(DurationUnit.SECONDS)
}

/** Whole seconds for the native side. */
internal fun Duration.toWholeSeconds(name: String): ULong {
    require(isFinite() && !isNegative()) { "$name must be a finite, non-negative duration (got $this)" }
    return inWholeSeconds.toULong()
}

internal fun Int.toCount(name: String): UInt {
    require(this >= 0) { "$name must not be negative (got $this)" }
    return toUInt()
}

/** Unix seconds (with a fraction) as an [Instant]. */
internal fun Double.toInstant(): Instant {
    val whole = kotlin.math.floor(this)
    return Instant.ofEpochSecond(whole.toLong(), ((this - whole) * 1e9).toLong())
}

/** A count the native side reports as unsigned; never near [Long.MAX_VALUE] in practice. */
internal fun ULong.toLongExact(): Long = if (this > Long.MAX_VALUE.toULong()) Long.MAX_VALUE else toLong()

internal fun parseJson(text: String): JsonElement = Json.parseToJsonElement(text)

internal fun parseObject(text: String): JsonObject = parseJson(text).jsonObject

internal fun parseArray(text: String): JsonArray = parseJson(text).jsonArray

internal fun Timeouts.toFfi(): FfiTimeouts = FfiTimeouts(
    connectSecs = connect?.toSeconds("timeouts.connect"),
    totalSecs = total?.toSeconds("timeouts.total"),
    readSecs = read?.toSeconds("timeouts.read"),
)
