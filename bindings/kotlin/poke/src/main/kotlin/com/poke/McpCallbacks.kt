package com.poke

import java.io.IOException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.time.Duration
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.JsonElement
import com.poke.ffi.CallbackChain as FfiCallbackChain
import com.poke.ffi.CallbackLimits as FfiCallbackLimits
import com.poke.ffi.CallbackSender as FfiCallbackSender
import com.poke.ffi.ChainStep as FfiChainStep
import com.poke.ffi.HostLanguage as FfiHostLanguage
import com.poke.ffi.HttpHeader as FfiHttpHeader
import com.poke.ffi.extractCallbackContext as ffiExtractCallbackContext

/**
 * Bounds of a [CallbackSender]; `null` keeps the default (5 posts, 2 minutes in all, 1 s first
 * backoff after a 429, `retryAfterMs` honoured up to 60 s, 30 s per post).
 */
public class CallbackLimits(
    public val maxAttempts: Int? = null,
    public val maxTotal: Duration? = null,
    public val defaultBackoff: Duration? = null,
    public val maxRetryAfter: Duration? = null,
    public val postTimeout: Duration? = null,
) {
    /** The same bounds with `java.time.Duration`s, for Java (`null`: the default). */
    public constructor(
        maxAttempts: Int?,
        maxTotal: java.time.Duration?,
        defaultBackoff: java.time.Duration?,
        maxRetryAfter: java.time.Duration?,
        postTimeout: java.time.Duration?,
    ) : this(
        maxAttempts,
        maxTotal?.toKotlinDuration(),
        defaultBackoff?.toKotlinDuration(),
        maxRetryAfter?.toKotlinDuration(),
        postTimeout?.toKotlinDuration(),
    )

    internal fun toFfi(): FfiCallbackLimits = FfiCallbackLimits(
        maxAttempts = maxAttempts?.toCount("maxAttempts"),
        maxTotalSecs = maxTotal?.toSeconds("maxTotal"),
        defaultBackoffSecs = defaultBackoff?.toSeconds("defaultBackoff"),
        maxRetryAfterSecs = maxRetryAfter?.toSeconds("maxRetryAfter"),
        postTimeoutSecs = postTimeout?.toSeconds("postTimeout"),
    )

    override fun equals(other: Any?): Boolean = other is CallbackLimits && fields() == other.fields()

    override fun hashCode(): Int = fields().hashCode()

    override fun toString(): String =
        "CallbackLimits(maxAttempts=$maxAttempts, maxTotal=$maxTotal, defaultBackoff=$defaultBackoff, " +
            "maxRetryAfter=$maxRetryAfter, postTimeout=$postTimeout)"

    private fun fields() = listOf(maxAttempts, maxTotal, defaultBackoff, maxRetryAfter, postTimeout)
}

/**
 * Posts the callbacks of MCP tool calls to Poke, over one connection pool (share one per
 * application). A 429 is retried within [CallbackLimits].
 */
public class CallbackSender @JvmOverloads constructor(limits: CallbackLimits? = null) : AutoCloseable {
    private val closed = AtomicBoolean()
    internal val inner: FfiCallbackSender

    init {
        nativeThreadsAttached
        val ffiLimits = limits?.toFfi()
        inner = native { FfiCallbackSender(FfiHostLanguage.KOTLIN, ffiLimits) }
    }

    /** Frees the sender; chains made from it keep working until they are closed. */
    override fun close() {
        if (closed.compareAndSet(false, true)) inner.close()
    }
}

/**
 * One tool call's callbacks: posts `{content, hasMore}` to the callback URL Poke sent with the
 * call, each with the token the previous answer chained (`nextToken`).
 *
 * ```kotlin
 * val ctx = CallbackContext.fromHeaders(requestHeaders) ?: return
 * CallbackChain(sender, ctx.url!!, ctx.token!!).use { chain ->
 *     chain.send(JsonPrimitive("working on it"), hasMore = true)
 *     chain.send(buildJsonObject { put("result", 42) }, hasMore = false)
 * }
 * ```
 */
public class CallbackChain(sender: CallbackSender, url: String, token: String) : AutoCloseable {
    private val inner: FfiCallbackChain = native { FfiCallbackChain(sender.inner, url, token) }
    private val closed = AtomicBoolean()

    /**
     * Posts [content]; with [hasMore], an answer without `nextToken` ends the chain. After a
     * [ChainStep.Stop], later sends post nothing and return `Stop` again.
     */
    public suspend fun send(content: JsonElement, hasMore: Boolean): ChainStep {
        check(!closed.get()) { "the chain is closed" }
        return when (val step = native { inner.send(content.toString(), hasMore) }) {
            is FfiChainStep.Continue -> ChainStep.Continue
            is FfiChainStep.Stop -> ChainStep.Stop(step.failure)
        }
    }

    /** [send] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun sendBlocking(content: JsonElement, hasMore: Boolean): ChainStep = blocking { send(content, hasMore) }

    /** [send] for Java, as a future. */
    public fun sendAsync(content: JsonElement, hasMore: Boolean): CompletableFuture<ChainStep> =
        future { send(content, hasMore) }

    override fun close() {
        if (closed.compareAndSet(false, true)) inner.close()
    }
}

/** Whether a [CallbackChain] goes on after a post. */
public sealed interface ChainStep {
    /** Keep sending: the next post uses the chained token. */
    public data object Continue : ChainStep

    /** The chain is over: the server ended it ([failure] is `null`) or a post failed. */
    public data class Stop(val failure: String?) : ChainStep
}

/**
 * The callback URL and token Poke sends with an MCP tool call (`X-Poke-Callback-Url`,
 * `X-Poke-Callback-Token`). Prints without its token.
 */
public data class CallbackContext(val token: String?, val url: String?) {
    override fun toString(): String = "CallbackContext(token=${token?.let { "****" }}, url=$url)"

    public companion object {
        /** Reads the context from request [headers] (any case); `null` when neither is there. */
        @JvmStatic
        public fun fromHeaders(headers: Map<String, String>): CallbackContext? {
            nativeThreadsAttached
            val list = headers.map { (name, value) -> FfiHttpHeader(name, value) }
            return ffiExtractCallbackContext(list)?.let { CallbackContext(it.callbackToken, it.callbackUrl) }
        }
    }
}
