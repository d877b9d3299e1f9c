package com.poke

import kotlin.time.Duration
import kotlin.time.toJavaDuration
import kotlin.time.toKotlinDuration

/**
 * Time bounds of a call; `null` keeps the default (connect 5 s, total 60 s, no read bound).
 *
 * ```kotlin
 * PokeClient(apiKey = key, timeouts = Timeouts(total = 10.seconds))
 * ```
 *
 * From Java: `new Timeouts(null, null, Duration.ofSeconds(10))` or `Timeouts.ofTotal(...)`.
 *
 * @property connect bound on making the connection.
 * @property read bound on any silence while an answer is read.
 * @property total bound on the whole call, retries and their waits included.
 */
public class Timeouts(
    public val connect: Duration? = null,
    public val read: Duration? = null,
    public val total: Duration? = null,
) {
    /** The same bounds as `java.time.Duration`s, for Java. */
    public constructor(
        connect: java.time.Duration?,
        read: java.time.Duration?,
        total: java.time.Duration?,
    ) : this(connect?.toKotlinDuration(), read?.toKotlinDuration(), total?.toKotlinDuration())

    /** [connect] for Java (`getConnect()`). */
    @get:JvmName("getConnect")
    public val javaConnect: java.time.Duration? get() = connect?.toJavaDuration()

    /** [read] for Java (`getRead()`). */
    @get:JvmName("getRead")
    public val javaRead: java.time.Duration? get() = read?.toJavaDuration()

    /** [total] for Java (`getTotal()`). */
    @get:JvmName("getTotal")
    public val javaTotal: java.time.Duration? get() = total?.toJavaDuration()

    override fun equals(other: Any?): Boolean =
        other is Timeouts && connect == other.connect && read == other.read && total == other.total

    override fun hashCode(): Int = listOf(connect, read, total).hashCode()

    override fun toString(): String = "Timeouts(connect=$connect, read=$read, total=$total)"

    public companion object {
        /** Only a bound on the whole call. */
        @JvmStatic
        public fun ofTotal(total: java.time.Duration): Timeouts = Timeouts(null, null, total)
    }
}
