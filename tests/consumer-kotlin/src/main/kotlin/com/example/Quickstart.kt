// A user's code: the README's quickstart and one streamed session turn, with com.poke only.
package com.example

import com.poke.PokeClient
import com.poke.PokeeClient
import com.poke.PokeeClientOptions
import com.poke.TurnEvent
import com.poke.asFlow
import com.poke.create
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

/** What the quickstart's three calls answered. */
data class QuickstartResult(val sent: Boolean, val reply: String?, val webhookStatus: Int)

/** Sends a message, creates a webhook and fires it (the README's quickstart). */
suspend fun quickstart(apiKey: String, baseUrl: String): QuickstartResult =
    PokeClient.create(apiKey = apiKey, baseUrl = baseUrl).use { client ->
        val reply = client.sendMessage("Summarize my unread emails")
        val webhook = client.createWebhook(
            condition = "When a deploy fails",
            action = "Send me a summary of the error",
        )
        val fired = client.sendWebhook(
            webhookUrl = webhook.webhookUrl,
            webhookToken = webhook.webhookToken,
            dataJson = """{"event":"deploy_failed","repo":"my-app"}""",
        )
        QuickstartResult(reply.success, reply.message, fired.status.toInt())
    }

/** Opens a session, sends `message` and reads the turn's events to the end. */
suspend fun streamOneTurn(apiKey: String, baseUrl: String, message: String): List<TurnEvent> =
    PokeeClient.create(PokeeClientOptions(apiKey = apiKey, baseUrl = baseUrl)).use { client ->
        val session = client.createSession()
        client.sendMessage(session.id, message).use { turn -> turn.asFlow().toList() }
    }

/** Against the real APIs: POKE_API_KEY / POKE_API and POKEE_KEY / POKEE_API. */
fun main() = runBlocking {
    println(quickstart(System.getenv("POKE_API_KEY") ?: "", System.getenv("POKE_API") ?: "https://poke.com/api/v1"))
}
