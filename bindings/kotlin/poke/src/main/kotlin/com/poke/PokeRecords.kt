package com.poke

import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject

/**
 * The answer to [PokeClient.sendMessage].
 *
 * @property success true when Poke accepted the message for processing.
 * @property message the server's human-readable status, when it sent one.
 * @property requestId the `x-request-id` response header.
 * @property json the whole answer as received.
 */
public data class SendMessageResult(
    val success: Boolean,
    val message: String?,
    val requestId: String?,
    val json: JsonObject,
)

/**
 * A webhook trigger made by [PokeClient.createWebhook]: keep [url] and [token] to fire it later
 * with [PokeClient.sendWebhook]. Prints without its token.
 *
 * @property triggerId the trigger's id.
 * @property url the absolute URL to post to.
 * @property token the bearer token for [url] (a secret).
 * @property requestId the `x-request-id` header of the answer that created it.
 */
public data class Webhook(
    val triggerId: String,
    val url: String,
    val token: String,
    val requestId: String?,
) {
    override fun toString(): String = "Webhook(triggerId=$triggerId, url=$url, token=****, requestId=$requestId)"
}

/**
 * The answer to [PokeClient.sendWebhook].
 *
 * @property status the HTTP status (2xx).
 * @property json the answer as received.
 * @property requestId the `x-request-id` response header.
 */
public data class WebhookReply(
    val status: Int,
    val json: JsonElement,
    val requestId: String?,
)
