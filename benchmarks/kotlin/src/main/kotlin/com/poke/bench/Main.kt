// 2,000 sequential send-message calls: the Kotlin SDK (suspend and blocking) against OkHttp,
// against the same in-process emulator, in one process, rounds taking turns. Prints calls/s per
// client (median of the rounds) and the ratio to OkHttp. A benchmark, not a test: nothing is
// asserted.
package com.poke.bench

import com.poke.PokeClient
import com.poke.testing.Emulator
import java.lang.management.ManagementFactory
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody

private const val KEY = "pk_bench"

/** One way of making [calls] sequential calls. */
private class Client(val name: String, val run: (calls: Int) -> Unit)

fun main(args: Array<String>) {
    val calls = option(args, "--calls", 2_000)
    val rounds = option(args, "--rounds", 7)
    Emulator(apiKey = KEY).use { emulator ->
        PokeClient(apiKey = KEY, baseUrl = emulator.pokeApiUrl, maxRetries = 0).use { poke ->
            val okhttp = OkHttpClient()
            val url = "${emulator.pokeApiUrl}/inbound/api-message"
            val json = "application/json".toMediaType()
            val clients = listOf(
                Client("poke suspend (runBlocking)") { n -> runBlocking { repeat(n) { check(poke.sendMessage("hi").success) } } },
                Client("poke blocking (Java)") { n -> repeat(n) { check(poke.sendMessageBlocking("hi").success) } },
                Client("OkHttp execute()") { n ->
                    repeat(n) {
                        // What the SDK does: a JSON body, the key, a JSON answer decoded.
                        val body = buildJsonObject { put("message", JsonPrimitive("hi")) }.toString().toRequestBody(json)
                        val request = Request.Builder().url(url)
                            .header("Authorization", "Bearer $KEY")
                            .header("User-Agent", "okhttp-bench")
                            .post(body)
                            .build()
                        okhttp.newCall(request).execute().use { response ->
                            check(response.isSuccessful)
                            val answer = Json.parseToJsonElement(response.body.string()).jsonObject
                            check(answer["success"] == JsonPrimitive(true))
                        }
                    }
                },
            )
            System.err.println("warm-up: $calls calls per client, twice")
            repeat(2) { clients.forEach { it.run(calls) } }
            val rates = clients.associate { it.name to mutableListOf<Double>() }
            val threads = ManagementFactory.getThreadMXBean()
            val started = threads.totalStartedThreadCount
            for (round in 1..rounds) {
                // Take turns, in a different order each round.
                for (client in clients.shuffled(java.util.Random(round.toLong()))) {
                    emulator.clearRequests()
                    val t0 = System.nanoTime()
                    client.run(calls)
                    val seconds = (System.nanoTime() - t0) / 1e9
                    rates.getValue(client.name) += calls / seconds
                }
                System.err.println("round $round/$rounds done")
            }
            val startedDuring = threads.totalStartedThreadCount - started
            okhttp.dispatcher.executorService.shutdown()
            okhttp.connectionPool.evictAll()

            val okRate = median(rates.getValue("OkHttp execute()"))
            println("## $calls sequential calls, median of $rounds rounds (same emulator, one JVM)")
            println()
            println("| client | calls/s | µs/call | ratio to OkHttp |")
            println("|---|---:|---:|---:|")
            for (client in clients) {
                val rate = median(rates.getValue(client.name))
                println("| ${client.name} | %.0f | %.1f | %.2fx |".format(rate, 1e6 / rate, rate / okRate))
            }
            println()
            println("threads started during the measured rounds: $startedDuring")
            println("machine: ${Runtime.getRuntime().availableProcessors()} CPUs, ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}")
        }
    }
}

private fun median(values: List<Double>): Double = values.sorted().let { s ->
    if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2
}

private fun option(args: Array<String>, name: String, default: Int): Int {
    val i = args.indexOf(name)
    return if (i >= 0 && i + 1 < args.size) args[i + 1].toInt() else default
}
