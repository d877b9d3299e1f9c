// 2,000 sequential send-message calls: the Kotlin SDK (suspend and blocking) against OkHttp
// (blocking `execute()`, and `enqueue` awaited in a coroutine),
// against the same in-process emulator, in one process, rounds taking turns. Prints calls/s per
// client (median of the rounds) and the ratio to OkHttp. With `--url`, the same clients against
// a server already running, one JSON line each (benchmarks/langs.py). A benchmark, not a test:
// nothing is asserted.
package com.poke.bench

import com.poke.PokeClient
import com.poke.testing.Emulator
import java.lang.management.ManagementFactory
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import java.io.IOException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.MediaType
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response

private const val KEY = "pk_bench"
private const val MESSAGE = "Summarize my unread emails from today and tell me which ones need a reply"

/** One way of making [calls] sequential calls. */
private class Client(val name: String, val run: (calls: Int) -> Unit)

/** The clients of one run: the SDK's suspend and blocking calls, and OkHttp doing the same. */
private fun clients(poke: PokeClient, url: String, key: String): Pair<List<Client>, OkHttpClient> {
    val okhttp = OkHttpClient()
    val json = "application/json".toMediaType()
    return listOf(
        Client("poke suspend (runBlocking)") { n -> runBlocking { repeat(n) { check(poke.sendMessage(MESSAGE).success) } } },
        Client("poke blocking (Java)") { n -> repeat(n) { check(poke.sendMessageBlocking(MESSAGE).success) } },
        Client("OkHttp execute()") { n ->
            repeat(n) {
                okhttp.newCall(request(url, key, json)).execute().use { response ->
                    check(response.isSuccessful)
                    checkAnswer(response.body.string())
                }
            }
        },
        // OkHttp's asynchronous call awaited in a coroutine (as Retrofit's suspend functions do):
        // the like-for-like peer of the SDK's suspend calls.
        Client("OkHttp enqueue (suspend)") { n ->
            runBlocking {
                repeat(n) {
                    val text = suspendCancellableCoroutine { cont ->
                        val call = okhttp.newCall(request(url, key, json))
                        cont.invokeOnCancellation { call.cancel() }
                        call.enqueue(object : Callback {
                            override fun onFailure(call: Call, e: IOException) = cont.resumeWithException(e)
                            override fun onResponse(call: Call, response: Response) {
                                val body = response.use { check(it.isSuccessful); it.body.string() }
                                cont.resume(body)
                            }
                        })
                    }
                    checkAnswer(text)
                }
            }
        },
    ) to okhttp
}

/** What the SDK sends: a JSON body, the key. */
private fun request(url: String, key: String, json: MediaType): Request {
    val body = buildJsonObject { put("message", JsonPrimitive(MESSAGE)) }.toString().toRequestBody(json)
    return Request.Builder().url(url)
        .header("Authorization", "Bearer $key")
        .header("User-Agent", "okhttp-bench")
        .post(body)
        .build()
}

/** What the SDK does with the answer: decodes the JSON and reads `success`. */
private fun checkAnswer(text: String) {
    val answer = Json.parseToJsonElement(text).jsonObject
    check(answer["success"] == JsonPrimitive(true))
}

fun main(args: Array<String>) {
    val url = args.indexOf("--url").takeIf { it >= 0 && it + 1 < args.size }?.let { args[it + 1] }
    if (url != null) return external(url, args)
    val calls = option(args, "--calls", 2_000)
    val rounds = option(args, "--rounds", 7)
    Emulator(apiKey = KEY).use { emulator ->
        PokeClient(apiKey = KEY, baseUrl = emulator.pokeApiUrl, maxRetries = 0).use { poke ->
            val (all, okhttp) = clients(poke, "${emulator.pokeApiUrl}/inbound/api-message", KEY)
            val clients = all.filter { only(args, it) || it.name == "OkHttp execute()" }
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

/**
 * `--url URL` (a Poke API base URL, e.g. benchmarks/langs.py's server): each client calls it
 * for `--warmup` seconds, then for `--duration`, one after the other in this JVM; one JSON line
 * per client (calls/s, process CPU µs per call), as benchmarks/worker.py prints.
 */
private fun external(baseUrl: String, args: Array<String>) {
    val (warmup, duration) = seconds(args, "--warmup", 2.0) to seconds(args, "--duration", 2.0)
    PokeClient(apiKey = "bench-key", baseUrl = baseUrl, maxRetries = 0).use { poke ->
        val (all, okhttp) = clients(poke, "$baseUrl/inbound/api-message", "bench-key")
        val clients = all.filter { only(args, it) }
        val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean
        for (client in clients) {
            val warmEnd = System.nanoTime() + (warmup * 1e9).toLong()
            while (System.nanoTime() < warmEnd) client.run(100)
            var calls = 0
            val cpu0 = os.processCpuTime
            val t0 = System.nanoTime()
            val end = t0 + (duration * 1e9).toLong()
            while (System.nanoTime() < end) {
                client.run(100)
                calls += 100
            }
            val secs = (System.nanoTime() - t0) / 1e9
            val cpuUs = (os.processCpuTime - cpu0) / 1e3 / calls
            println("""{"client": "${client.name}", "calls": $calls, "seconds": $secs, "per_s": ${calls / secs}, "cpu_us_per_call": $cpuUs}""")
        }
        okhttp.dispatcher.executorService.shutdown()
        okhttp.connectionPool.evictAll()
    }
}

/** `--only WORD`: true for the clients whose name has WORD (a profile of one of them). */
private fun only(args: Array<String>, client: Client): Boolean {
    val i = args.indexOf("--only")
    return i < 0 || i + 1 >= args.size || args[i + 1] in client.name
}

private fun seconds(args: Array<String>, name: String, default: Double): Double {
    val i = args.indexOf(name)
    return if (i >= 0 && i + 1 < args.size) args[i + 1].toDouble() else default
}

private fun median(values: List<Double>): Double = values.sorted().let { s ->
    if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2
}

private fun option(args: Array<String>, name: String, default: Int): Int {
    val i = args.indexOf(name)
    return if (i >= 0 && i + 1 < args.size) args[i + 1].toInt() else default
}
