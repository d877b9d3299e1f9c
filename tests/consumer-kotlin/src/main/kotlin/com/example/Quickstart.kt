// A user's code: the README's quickstart and one streamed session turn, with com.poke only.
package com.example

import com.poke.PokeClient
import com.poke.PokeeClient
import com.poke.TurnEvent
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put

/** What the quickstart's three calls answered. */
data class QuickstartResult(val sent: Boolean, val reply: String?, val webhookStatus: Int)

/** Sends a message, creates a webhook and fires it (the README's quickstart). */
suspend fun quickstart(apiKey: String, baseUrl: String): QuickstartResult =
    PokeClient(apiKey = apiKey, baseUrl = baseUrl).use { poke ->
        val reply = poke.sendMessage("Summarize my unread emails")
        val webhook = poke.createWebhook(
            condition = "When a deploy fails",
            action = "Send me a summary of the error",
        )
        val fired = poke.sendWebhook(webhook, buildJsonObject {
            put("event", "deploy_failed")
            put("repo", "my-app")
        })
        QuickstartResult(reply.success, reply.message, fired.status)
    }

/** Opens a session, sends `message` and reads the turn's events to the end. */
suspend fun streamOneTurn(apiKey: String, baseUrl: String, message: String): List<TurnEvent> =
    PokeeClient(apiKey = apiKey, baseUrl = baseUrl).use { pokee ->
        val session = pokee.createSession()
        session.send(message).events.toList()
    }

/** Against the real APIs: POKE_API_KEY / POKE_API. */
fun main() = runBlocking {
    println(quickstart(System.getenv("POKE_API_KEY") ?: "", System.getenv("POKE_API") ?: "https://poke.com/api/v1"))
}
