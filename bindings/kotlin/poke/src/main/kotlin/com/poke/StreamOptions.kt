package com.poke

import kotlin.time.Duration
import kotlin.time.toKotlinDuration

/**
 * How a [PokeeClient] reads long answers (turn streams, file transfers) and resumes a turn
 * stream that dropped; `null` keeps the default.
 *
 * ```kotlin
 * PokeeClient(apiKey = key, baseUrl = url, streams = StreamOptions(resumeDelay = 200.milliseconds))
 * ```
 *
 * @property turnIdle a turn stream silent this long is treated as dropped and resumed (60 s).
 * @property transferIdle a file transfer silent this long fails (30 s).
 * @property maxResumesWithoutProgress reconnects in a row that deliver nothing new before the
 *   flow gives up with [PokeStreamException] (5; 0 never resumes).
 * @property resumeDelay the first wait before a reconnect (0.5 s), doubling on each attempt.
 * @property maxResumeDelay the longest wait before a reconnect (10 s).
 */
public class StreamOptions(
    public val turnIdle: Duration? = null,
    public val transferIdle: Duration? = null,
    public val maxResumesWithoutProgress: Int? = null,
    public val resumeDelay: Duration? = null,
    public val maxResumeDelay: Duration? = null,
) {
    /** The same options with `java.time.Duration`s, for Java (`null`: the default). */
    public constructor(
        turnIdle: java.time.Duration?,
        transferIdle: java.time.Duration?,
        maxResumesWithoutProgress: Int?,
        resumeDelay: java.time.Duration?,
        maxResumeDelay: java.time.Duration?,
    ) : this(
        turnIdle?.toKotlinDuration(),
        transferIdle?.toKotlinDuration(),
        maxResumesWithoutProgress,
        resumeDelay?.toKotlinDuration(),
        maxResumeDelay?.toKotlinDuration(),
    )

    override fun equals(other: Any?): Boolean = other is StreamOptions && fields() == other.fields()

    override fun hashCode(): Int = fields().hashCode()

    override fun toString(): String =
        "StreamOptions(turnIdle=$turnIdle, transferIdle=$transferIdle, " +
            "maxResumesWithoutProgress=$maxResumesWithoutProgress, resumeDelay=$resumeDelay, " +
            "maxResumeDelay=$maxResumeDelay)"

    private fun fields() = listOf(turnIdle, transferIdle, maxResumesWithoutProgress, resumeDelay, maxResumeDelay)
}

/**
 * How [Session.waitIdle] polls; `null` keeps the default (1 s, doubling to 10 s, no deadline).
 *
 * @property pollInterval the first wait between two reads.
 * @property maxInterval the wait doubles up to this.
 * @property deadline give up with [PokeTimeoutException] after this long.
 */
public class WaitOptions(
    public val pollInterval: Duration? = null,
    public val maxInterval: Duration? = null,
    public val deadline: Duration? = null,
) {
    /** The same options with `java.time.Duration`s, for Java (`null`: the default). */
    public constructor(
        pollInterval: java.time.Duration?,
        maxInterval: java.time.Duration?,
        deadline: java.time.Duration?,
    ) : this(pollInterval?.toKotlinDuration(), maxInterval?.toKotlinDuration(), deadline?.toKotlinDuration())

    override fun equals(other: Any?): Boolean =
        other is WaitOptions && pollInterval == other.pollInterval && maxInterval == other.maxInterval &&
            deadline == other.deadline

    override fun hashCode(): Int = listOf(pollInterval, maxInterval, deadline).hashCode()

    override fun toString(): String = "WaitOptions(pollInterval=$pollInterval, maxInterval=$maxInterval, deadline=$deadline)"
}
