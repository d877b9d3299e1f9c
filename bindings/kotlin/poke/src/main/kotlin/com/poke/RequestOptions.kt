package com.poke

/**
 * Per-call settings of a [PokeClient] call; `null` keeps the client's own.
 *
 * @property timeouts replaces the client's time bounds for this call.
 * @property maxRetries replaces the client's retry count for this call (0: a single attempt).
 * @property idempotencyKey the `Idempotency-Key` to send (else a fresh one, the same on every retry).
 */
public class RequestOptions @JvmOverloads constructor(
    public val timeouts: Timeouts? = null,
    public val maxRetries: Int? = null,
    public val idempotencyKey: String? = null,
) {
    init {
        require(maxRetries == null || maxRetries >= 0) { "maxRetries must not be negative (got $maxRetries)" }
    }

    override fun equals(other: Any?): Boolean =
        other is RequestOptions && timeouts == other.timeouts && maxRetries == other.maxRetries &&
            idempotencyKey == other.idempotencyKey

    override fun hashCode(): Int = listOf(timeouts, maxRetries, idempotencyKey).hashCode()

    override fun toString(): String =
        "RequestOptions(timeouts=$timeouts, maxRetries=$maxRetries, idempotencyKey=$idempotencyKey)"
}
