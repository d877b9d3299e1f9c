package com.poke

import com.poke.testing.Emulator
import java.net.ServerSocket
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * The Poke API client against the in-process emulator: every call, every exception class and
 * what reaches the wire. Behaviour is asserted, never timing.
 */
class PokeClientTest {
    private lateinit var emulator: Emulator
    private val messagePath = "/api/v1/inbound/api-message"

    @BeforeEach
    fun start() {
        emulator = Emulator()
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun client(
        apiKey: String = "pk_test_kotlin",
        maxRetries: Int? = 0,
        timeouts: Timeouts? = null,
        baseUrl: String = emulator.pokeApiUrl,
    ) = PokeClient(apiKey = apiKey, baseUrl = baseUrl, timeouts = timeouts, maxRetries = maxRetries)

    @Test
    fun sendMessageRoundTrip(): Unit = runBlocking {
        client().use { c ->
            val result = c.sendMessage("hello from kotlin")
            assertTrue(result.success)
            assertEquals("Message sent successfully", result.message)
            assertEquals(JsonPrimitive(true), result.json["success"])
        }
        val req = emulator.requests().single()
        assertEquals("POST", req.method)
        assertEquals(messagePath, req.path)
        assertEquals("""{"message":"hello from kotlin"}""", req.body)
        assertEquals("Bearer pk_test_kotlin", req.header("Authorization"))
        assertEquals("application/json", req.header("content-type"))
        val ua = req.header("user-agent")
        assertNotNull(ua)
        assertTrue(ua!!.startsWith("poke-kotlin/0.3.0 ("), ua)
        assertNotNull(req.header("idempotency-key"))
        assertNull(req.header("x-poke-retry-count"))
        assertEquals(listOf(buildJsonObject { put("message", "hello from kotlin") }), emulator.messages())
    }

    @Test
    fun webhookCreateAndFire(): Unit = runBlocking {
        client().use { c ->
            val hook = c.createWebhook("when it rains", "remind me to take an umbrella")
            assertTrue(hook.triggerId.startsWith("trg_"), hook.triggerId)
            assertEquals(emulator.url + "/api/v1/inbound/webhook", hook.url)
            assertTrue(hook.token.startsWith("whk_"))
            assertFalse(hook.toString().contains(hook.token), hook.toString())

            val reply = c.sendWebhook(hook, buildJsonObject { put("event", "rain"); put("mm", 3) })
            assertEquals(200, reply.status)
            assertTrue(reply.json.toString().contains("\"success\":true"), reply.json.toString())

            val (create, fire) = emulator.requests()
            assertEquals("/api/v1/api-keys/webhook", create.path)
            assertEquals("""{"condition":"when it rains","action":"remind me to take an umbrella"}""", create.body)
            assertEquals("Bearer ${hook.token}", fire.header("authorization"))
            assertEquals("""{"event":"rain","mm":3}""", fire.body)
            val fires = emulator.webhookFires().toString()
            assertTrue(fires.contains(""""triggerId":"${hook.triggerId}""""), fires)
            assertTrue(fires.contains(""""data":{"event":"rain","mm":3}"""), fires)
        }
    }

    @Test
    fun wrongKeyIs401(): Unit = runBlocking {
        Emulator(apiKey = "pk_right").use { strict ->
            client(apiKey = "pk_wrong", baseUrl = strict.pokeApiUrl).use { c ->
                val e = thrownBy<PokeApiException> { c.sendMessage("hi") }
                assertEquals(401, e.status)
                assertEquals(ApiErrorKind.UNAUTHORIZED, e.kind)
                assertEquals("Invalid API key. Get a new one at https://poke.com/kitchen/api-keys", e.message)
                assertEquals("com.poke.PokeApiException: ${e.message}", e.toString())
                assertEquals("Unauthorized", e.code)
                assertNull(e.retryAfter)
                assertNull(e.cause)
            }
            client(apiKey = "pk_right", baseUrl = strict.pokeApiUrl).use { c ->
                assertTrue(c.sendMessage("hi").success)
            }
        }
    }

    @Test
    fun forbiddenCarriesRequestIdAndHeaders(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":403,"headers":{"x-request-id":"req_403","X-Extra":"a"},"body":"{}"}""")
        client().use { c ->
            val e = thrownBy<PokeApiException> { c.sendMessage("hi") }
            assertEquals(403, e.status)
            assertEquals(ApiErrorKind.FORBIDDEN, e.kind)
            assertEquals("API key doesn't have permission for this action", e.message)
            assertEquals("req_403", e.requestId)
            assertEquals(listOf("a"), e.headers["x-extra"])
            assertEquals("a", e.header("X-EXTRA"))
        }
    }

    @Test
    fun rateLimitedCarriesRetryAfter(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":429,"headers":{"Retry-After":"7","x-request-id":"req_429"}}""")
        client(maxRetries = 0).use { c ->
            val e = thrownBy<PokeApiException> { c.sendMessage("hi") }
            assertEquals(429, e.status)
            assertEquals(ApiErrorKind.RATE_LIMITED, e.kind)
            assertEquals("Rate limited. Please slow down and retry.", e.message)
            assertEquals(7.seconds, e.retryAfter)
            assertEquals(java.time.Duration.ofSeconds(7), e.javaRetryAfter)
            assertEquals("req_429", e.requestId)
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun serverErrorUsesTheBodyText(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":500,"body":"{\"error\":\"boom\"}"}""")
        client().use { c ->
            val e = thrownBy<PokeApiException> { c.sendMessage("hi") }
            assertEquals(500, e.status)
            assertEquals(ApiErrorKind.SERVER, e.kind)
            assertEquals("Poke API error (500): boom", e.message)
            assertEquals("""{"error":"boom"}""", e.body)
            // Every SDK failure is an IOException (a compile-time fact, kept as one).
            val io: java.io.IOException = e
            assertEquals(e.message, io.message)
        }
    }

    @Test
    fun coreRetriesA429WithTheSameIdempotencyKey(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":429,"headers":{"retry-after-ms":"20"}}""")
        client(maxRetries = 2).use { c ->
            val result = c.sendMessage("again", RequestOptions(idempotencyKey = "idem-kotlin-1"))
            assertTrue(result.success)
        }
        val (first, second) = emulator.requests()
        assertEquals("idem-kotlin-1", first.header("idempotency-key"))
        assertEquals("idem-kotlin-1", second.header("idempotency-key"))
        assertEquals("1", second.header("x-poke-retry-count"))
    }

    @Test
    fun perCallOptionsReplaceTheClients(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","status":503,"times":1}""")
        client(maxRetries = 0).use { c ->
            // The client says no retries; this call allows one.
            assertTrue(c.sendMessage("retry me", RequestOptions(maxRetries = 1)).success)
        }
        assertEquals(2, emulator.requests().size)
    }

    @Test
    fun blockingCallsTakePerCallOptionsToo() {
        emulator.addFault("""{"path":"$messagePath","status":503,"times":1}""")
        client(maxRetries = 0).use { c ->
            // Retries and the idempotency key of this call only, then the client's own again.
            val options = RequestOptions(maxRetries = 1, idempotencyKey = "idem-blocking-1")
            assertTrue(c.sendMessageBlocking("retry me", options).success)
            val (first, second) = emulator.requests()
            assertEquals("idem-blocking-1", first.header("idempotency-key"))
            assertEquals("idem-blocking-1", second.header("idempotency-key"))
            emulator.addFault("""{"path":"$messagePath","status":503,"times":1}""")
            assertEquals(503, thrownBy<PokeApiException> { c.sendMessageBlocking("no retry") }.status)
            // A per-call time bound applies to its call only.
            emulator.addFault("""{"path":"$messagePath","delay_ms":1000,"times":2}""")
            val hurried = RequestOptions(timeouts = Timeouts.ofTotal(java.time.Duration.ofMillis(200)))
            assertEquals(TimeoutPhase.TOTAL, thrownBy<PokeTimeoutException> { c.sendMessageBlocking("late", hurried) }.phase)
            assertTrue(c.sendMessageBlocking("patient").success)
        }
    }

    @Test
    fun connectionRefused(): Unit = runBlocking {
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        client(baseUrl = "http://127.0.0.1:$port/api/v1").use { c ->
            val e = thrownBy<PokeConnectionException> { c.sendMessage("hi") }
            assertTrue(e.message!!.startsWith("Network error: "), e.message)
            assertFalse(e.maybeSent)
            val cause = e.cause
            assertTrue(cause is java.net.ConnectException, "$cause")
            assertTrue(e.message!!.endsWith(cause!!.message!!), "${e.message} / ${cause.message}")
        }
    }

    @Test
    fun crlfInTheKeyFailsBeforeAnythingIsSent(): Unit = runBlocking {
        client(apiKey = "pk_bad\r\nX-Evil: 1").use { c ->
            val e = thrownBy<IllegalArgumentException> { c.sendMessage("hi") }
            assertTrue(e.message!!.startsWith("invalid token"), e.message)
            assertFalse(e.message!!.contains("X-Evil"), e.message)
            assertFalse(e.toString().contains("pk_bad"), e.toString())
        }
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun stalledServerTimesOut(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","stall_ms":3000}""")
        client(timeouts = Timeouts(total = 300.milliseconds)).use { c ->
            val e = thrownBy<PokeTimeoutException> { c.sendMessage("hi") }
            assertEquals(TimeoutPhase.TOTAL, e.phase)
            assertEquals(300.milliseconds, e.limit)
            assertEquals("Request timed out after 0.3s (total)", e.message)
        }
        // A POST that may have been processed is not repeated.
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun cancellingTheCoroutineDropsTheCall(): Unit = runBlocking {
        emulator.addFault("""{"path":"$messagePath","stall_ms":3000}""")
        client().use { c ->
            assertNull(withTimeoutOrNull(200) { c.sendMessage("stalled") })
            // The client is still usable, and the next call is answered normally.
            assertTrue(c.sendMessage("after").success)
        }
        assertEquals(listOf(buildJsonObject { put("message", "after") }), emulator.messages())
    }

    @Test
    fun invalidArgumentsAreRejectedLocally() {
        val timeout = thrownBy<IllegalArgumentException> { client(timeouts = Timeouts(total = (-1).seconds)) }
        assertEquals("timeouts.total must be a finite, non-negative duration (got -1s)", timeout.message)
        val retries = thrownBy<IllegalArgumentException> { client(maxRetries = -1) }
        assertEquals("maxRetries must not be negative (got -1)", retries.message)
        val badFault = thrownBy<IllegalArgumentException> { emulator.addFault("""{"status":429}""") }
        assertTrue(badFault.message!!.startsWith("invalid fault"), badFault.message)
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun missingKeyIsAnArgumentError() {
        // surefire clears POKE_API_KEY and points XDG_CONFIG_HOME at an empty directory.
        val e = thrownBy<IllegalArgumentException> { PokeClient(baseUrl = emulator.pokeApiUrl) }
        assertTrue(e.message!!.startsWith("no API key found") && e.message!!.contains("POKE_API_KEY"), e.message)
    }

    @Test
    fun closedClientsRefuseCalls(): Unit = runBlocking {
        val c = client()
        c.close()
        c.close() // twice is fine
        val e = thrownBy<IllegalStateException> { c.sendMessage("hi") }
        assertEquals("the client is closed", e.message)
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun secretsNeverPrint(): Unit = runBlocking {
        PokeClient(apiKey = "pk_canary_kotlin", baseUrl = emulator.pokeApiUrl).use { c ->
            assertEquals("PokeClient(baseUrl=${emulator.pokeApiUrl})", c.toString())
        }
        Emulator(apiKey = "pk_other").use { strict ->
            PokeClient(apiKey = "pk_canary_kotlin", baseUrl = strict.pokeApiUrl, maxRetries = 0).use { c ->
                val e = thrownBy<PokeApiException> { c.sendMessage("hi") }
                for (text in listOf(e.toString(), e.message.orEmpty(), e.body.orEmpty(), e.headers.toString())) {
                    assertFalse(text.contains("pk_canary"), text)
                }
            }
        }
    }
}
