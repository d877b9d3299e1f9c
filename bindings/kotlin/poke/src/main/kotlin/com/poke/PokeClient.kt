package com.poke

import java.io.IOException
import java.io.InterruptedIOException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean
import kotlinx.serialization.json.JsonElement
import com.poke.ffi.HostLanguage as FfiHostLanguage
import com.poke.ffi.PokeClient as FfiPokeClient
import com.poke.ffi.PokeClientOptions as FfiPokeClientOptions
import com.poke.ffi.RequestOptions as FfiRequestOptions

/**
 * A client of the Poke developer API: send a message to your Poke, create and fire webhooks.
 *
 * ```kotlin
 * PokeClient(apiKey = System.getenv("POKE_API_KEY")).use { poke ->
 *     val reply = poke.sendMessage("Summarize my unread emails")
 *     println(reply.message)
 * }
 * ```
 *
 * A value left `null` comes from the environment (`POKE_API_KEY`, `POKE_API`), then the
 * credentials file of `poke login`, then the defaults (`https://poke.com/api/v1`, 2 retries,
 * connect 5 s, total 60 s). Failed calls throw a [PokeException]; retries of connection
 * failures, 429 and 5xx answers (honouring `Retry-After`) happen inside each call.
 *
 * Every call is a `suspend` function; cancelling the coroutine cancels the request. Java callers
 * use the `…Blocking` variants (on the calling thread) or the `…Async` ones (a
 * `CompletableFuture`). One client per application is enough: calls share its connections.
 * Close it when done (`use {}` / try-with-resources).
 *
 * @param apiKey the API key.
 * @param baseUrl the API's base URL, e.g. an emulator's `pokeApiUrl`. It is not checked here
 *   (as in the official SDKs): a URL that is not `http(s)` fails each call with an
 *   [IllegalArgumentException].
 * @param timeouts time bounds of every call.
 * @param maxRetries retries after a failed attempt (0: a single attempt).
 * @throws IllegalArgumentException when no API key can be found or a value is invalid.
 */
public class PokeClient @JvmOverloads constructor(
    apiKey: String? = null,
    baseUrl: String? = null,
    timeouts: Timeouts? = null,
    maxRetries: Int? = null,
) : AutoCloseable {
    private val inner: FfiPokeClient
    private val closed = AtomicBoolean()

    init {
        nativeThreadsAttached
        val options = FfiPokeClientOptions(
            apiKey = apiKey,
            baseUrl = baseUrl,
            timeouts = timeouts?.toFfi(),
            maxRetries = maxRetries?.toCount("maxRetries"),
            language = FfiHostLanguage.KOTLIN,
        )
        inner = native { FfiPokeClient(options) }
        inner.setBlockingInterruption(ThreadInterruption)
    }

    /** The base URL in use, without a trailing slash. */
    public val baseUrl: String = inner.baseUrl()

    private inline fun <T> call(block: (FfiPokeClient) -> T): T {
        check(!closed.get()) { "the client is closed" }
        return native { block(inner) }
    }

    /**
     * A `…Blocking` call: it runs on the calling thread (no coroutine, no hand-off), and
     * interrupting that thread stops it with an [InterruptedIOException] (the thread stays
     * interrupted), as OkHttp's `execute()` does.
     */
    private inline fun <T> callBlocking(options: RequestOptions?, block: (FfiPokeClient) -> T): T {
        check(!closed.get()) { "the client is closed" }
        return try {
            // Options go on a client of their own: a call without lowers none (each lowered
            // value costs JNA an allocation and a call into Rust).
            if (options == null) native { block(inner) } else native { inner.withOptions(options.toFfi()) }.use { native { block(it) } }
        } catch (e: PokeInternalException) {
            if (Thread.currentThread().isInterrupted) throw InterruptedIOException("interrupted").apply { initCause(e) }
            throw e
        }
    }

    /**
     * Sends [message] to your Poke (`POST /inbound/api-message`).
     *
     * @throws PokeException when the call fails.
     */
    public suspend fun sendMessage(message: String, options: RequestOptions? = null): SendMessageResult {
        val ffiOptions = options?.toFfi()
        val reply = call { it.sendMessage(message, ffiOptions) }
        return SendMessageResult(reply.success, reply.message, reply.requestId, parseObject(reply.rawJson))
    }

    /**
     * Creates a webhook trigger: when [condition] happens, Poke does [action]. Fire it with
     * [sendWebhook].
     *
     * @throws PokeException when the call fails.
     */
    public suspend fun createWebhook(condition: String, action: String, options: RequestOptions? = null): Webhook {
        val ffiOptions = options?.toFfi()
        val hook = call { it.createWebhook(condition, action, ffiOptions) }
        return Webhook(hook.triggerId, hook.webhookUrl, hook.webhookToken, hook.requestId)
    }

    /**
     * Fires [webhook] with [data] (any JSON).
     *
     * @throws PokeException when the call fails.
     */
    public suspend fun sendWebhook(webhook: Webhook, data: JsonElement, options: RequestOptions? = null): WebhookReply =
        sendWebhook(webhook.url, webhook.token, data, options)

    /**
     * Fires the webhook at [url] with its [token] and [data] (any JSON); an empty token sends
     * the API key instead.
     *
     * @throws PokeException when the call fails.
     */
    public suspend fun sendWebhook(
        url: String,
        token: String,
        data: JsonElement,
        options: RequestOptions? = null,
    ): WebhookReply {
        val ffiOptions = options?.toFfi()
        val reply = call { it.sendWebhook(url, token, data.toString(), ffiOptions) }
        return WebhookReply(reply.status.toInt(), parseJson(reply.json), reply.requestId)
    }

    /**
     * [sendMessage] for Java, on the calling thread (no coroutine); interrupting that thread stops
     * the call with an [InterruptedIOException].
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun sendMessageBlocking(message: String, options: RequestOptions? = null): SendMessageResult {
        val reply = callBlocking(options) { it.sendMessageBlocking(message) }
        return SendMessageResult(reply.success, reply.message, reply.requestId, parseObject(reply.rawJson))
    }

    /** [sendMessage] for Java, as a future; cancelling it cancels the call. */
    @JvmOverloads
    public fun sendMessageAsync(message: String, options: RequestOptions? = null): CompletableFuture<SendMessageResult> =
        future { sendMessage(message, options) }

    /**
     * [createWebhook] for Java, on the calling thread (no coroutine); interrupting that thread stops
     * the call with an [InterruptedIOException].
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun createWebhookBlocking(condition: String, action: String, options: RequestOptions? = null): Webhook {
        val hook = callBlocking(options) { it.createWebhookBlocking(condition, action) }
        return Webhook(hook.triggerId, hook.webhookUrl, hook.webhookToken, hook.requestId)
    }

    /** [createWebhook] for Java, as a future. */
    @JvmOverloads
    public fun createWebhookAsync(
        condition: String,
        action: String,
        options: RequestOptions? = null,
    ): CompletableFuture<Webhook> = future { createWebhook(condition, action, options) }

    /**
     * [sendWebhook] for Java, on the calling thread (no coroutine); interrupting that thread stops
     * the call with an [InterruptedIOException].
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun sendWebhookBlocking(webhook: Webhook, data: JsonElement, options: RequestOptions? = null): WebhookReply {
        val reply = callBlocking(options) { it.sendWebhookBlocking(webhook.url, webhook.token, data.toString()) }
        return WebhookReply(reply.status.toInt(), parseJson(reply.json), reply.requestId)
    }

    /** [sendWebhook] for Java, as a future. */
    @JvmOverloads
    public fun sendWebhookAsync(
        webhook: Webhook,
        data: JsonElement,
        options: RequestOptions? = null,
    ): CompletableFuture<WebhookReply> = future { sendWebhook(webhook, data, options) }

    /** Frees the client and its connections; calls made after it throw [IllegalStateException]. */
    override fun close() {
        if (closed.compareAndSet(false, true)) inner.close()
    }

    /** Shows the base URL only, never the key. */
    override fun toString(): String = "PokeClient(baseUrl=$baseUrl)"
}

private fun RequestOptions.toFfi(): FfiRequestOptions = FfiRequestOptions(
    timeouts = timeouts?.toFfi(),
    maxRetries = maxRetries?.toCount("maxRetries"),
    idempotencyKey = idempotencyKey,
)
