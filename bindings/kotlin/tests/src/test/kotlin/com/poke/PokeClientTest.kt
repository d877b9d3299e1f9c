package com.poke

import com.poke.testing.Emulator
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.net.ServerSocket

/**
 * The Kotlin package against the in-process emulator: every async method, every error
 * class, and what reaches the wire. Behaviour is asserted, never timing.
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
        maxRetries: UInt? = 0u,
        timeouts: Timeouts? = null,
        baseUrl: String = emulator.pokeApiUrl(),
    ) = PokeClient.create(apiKey = apiKey, baseUrl = baseUrl, timeouts = timeouts, maxRetries = maxRetries)

    /** Runs [block], which must throw a [PokeException] of type [T]. */
    private inline fun <reified T : PokeException> failing(crossinline block: suspend () -> Unit): T =
        assertThrows<T> { runBlocking { block() } }

    @Test
    fun sendMessageRoundTrip() = runBlocking {
        client().use { c ->
            val result = c.sendMessage("hello from kotlin")
            assertTrue(result.success)
            assertEquals("Message sent successfully", result.message)
            assertTrue(result.rawJson.contains("\"success\":true"), result.rawJson)
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
        assertEquals("""[{"message":"hello from kotlin"}]""", emulator.messagesJson())
        assertTrue(emulator.requestsJson().contains(messagePath))
    }

    @Test
    fun webhookCreateAndFire() = runBlocking {
        client().use { c ->
            val hook = c.createWebhook("when it rains", "remind me to take an umbrella")
            assertTrue(hook.triggerId.startsWith("trg_"), hook.triggerId)
            assertEquals(emulator.url() + "/api/v1/inbound/webhook", hook.webhookUrl)
            assertTrue(hook.webhookToken.startsWith("whk_"))
            assertFalse(hook.toString().contains(hook.webhookToken), hook.toString())

            val reply = c.sendWebhook(hook.webhookUrl, hook.webhookToken, """{"event":"rain","mm":3}""")
            assertEquals(200.toUShort(), reply.status)
            assertTrue(reply.json.contains("\"success\":true"), reply.json)

            val (create, fire) = emulator.requests()
            assertEquals("/api/v1/api-keys/webhook", create.path)
            assertEquals(
                """{"condition":"when it rains","action":"remind me to take an umbrella"}""",
                create.body,
            )
            assertEquals("Bearer ${hook.webhookToken}", fire.header("authorization"))
            assertEquals("""{"event":"rain","mm":3}""", fire.body)
            val fires = emulator.webhookFiresJson()
            assertTrue(fires.contains(""""triggerId":"${hook.triggerId}""""), fires)
            assertTrue(fires.contains(""""data":{"event":"rain","mm":3}"""), fires)
        }
    }

    @Test
    fun wrongKeyIs401() {
        Emulator(apiKey = "pk_right").use { strict ->
            client(apiKey = "pk_wrong", baseUrl = strict.pokeApiUrl()).use { c ->
                val e = failing<PokeException.Api> { c.sendMessage("hi") }
                assertEquals(401.toUShort(), e.status)
                assertEquals(ApiErrorKind.UNAUTHORIZED, e.kind)
                assertEquals("Invalid API key. Get a new one at https://poke.com/kitchen/api-keys", e.msg)
                assertEquals(e.msg, e.toString())
                assertEquals("Unauthorized", e.code)
                assertNull(e.retryAfterMs)
            }
            client(apiKey = "pk_right", baseUrl = strict.pokeApiUrl()).use { c ->
                assertTrue(runBlocking { c.sendMessage("hi") }.success)
            }
        }
    }

    @Test
    fun forbiddenCarriesRequestId() {
        emulator.addFaultJson(
            """{"path":"$messagePath","status":403,"headers":{"x-request-id":"req_403"},"body":"{}"}""",
        )
        client().use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(403.toUShort(), e.status)
            assertEquals(ApiErrorKind.FORBIDDEN, e.kind)
            assertEquals("API key doesn't have permission for this action", e.msg)
            assertEquals("req_403", e.requestId)
        }
    }

    @Test
    fun rateLimitedCarriesRetryAfter() {
        emulator.addFaultJson(
            """{"path":"$messagePath","status":429,"headers":{"Retry-After":"7","x-request-id":"req_429"}}""",
        )
        client(maxRetries = 0u).use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(429.toUShort(), e.status)
            assertEquals(ApiErrorKind.RATE_LIMITED, e.kind)
            assertEquals("Rate limited. Please slow down and retry.", e.msg)
            assertEquals(7000.toULong(), e.retryAfterMs)
            assertEquals("req_429", e.requestId)
        }
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun serverErrorUsesTheBodyText() {
        emulator.addFaultJson("""{"path":"$messagePath","status":500,"body":"{\"error\":\"boom\"}"}""")
        client().use { c ->
            val e = failing<PokeException.Api> { c.sendMessage("hi") }
            assertEquals(500.toUShort(), e.status)
            assertEquals(ApiErrorKind.SERVER, e.kind)
            assertEquals("Poke API error (500): boom", e.msg)
            assertEquals("Poke API error (500): boom", e.toString())
            assertEquals("""{"error":"boom"}""", e.body)
        }
    }

    @Test
    fun coreRetriesA429WithTheSameIdempotencyKey() = runBlocking {
        emulator.addFaultJson("""{"path":"$messagePath","status":429,"headers":{"retry-after-ms":"20"}}""")
        client(maxRetries = 2u).use { c ->
            val result = c.sendMessage("again", RequestOptions(idempotencyKey = "idem-kotlin-1"))
            assertTrue(result.success)
        }
        val (first, second) = emulator.requests()
        assertEquals("idem-kotlin-1", first.header("idempotency-key"))
        assertEquals("idem-kotlin-1", second.header("idempotency-key"))
        assertEquals("1", second.header("x-poke-retry-count"))
    }

    @Test
    fun connectionRefused() {
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        client(baseUrl = "http://127.0.0.1:$port/api/v1").use { c ->
            val e = failing<PokeException.Connection> { c.sendMessage("hi") }
            assertTrue(e.msg.startsWith("Network error: "), e.msg)
            assertFalse(e.maybeSent)
        }
    }

    @Test
    fun crlfInTheKeyFailsBeforeAnythingIsSent() {
        client(apiKey = "pk_bad\r\nX-Evil: 1").use { c ->
            val e = failing<PokeException.InvalidInput> { c.sendMessage("hi") }
            assertEquals("token", e.field)
            assertFalse(e.msg.contains("X-Evil"), e.msg)
            assertFalse(e.toString().contains("pk_bad"), e.toString())
        }
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun stalledServerTimesOut() {
        emulator.addFaultJson("""{"path":"$messagePath","stall_ms":3000}""")
        client(timeouts = Timeouts(totalSecs = 0.3)).use { c ->
            val e = failing<PokeException.Timeout> { c.sendMessage("hi") }
            assertEquals(TimeoutPhase.TOTAL, e.phase)
            assertEquals(300.toULong(), e.afterMs)
            assertEquals("Request timed out after 0.3s (total)", e.msg)
        }
        // A POST that may have been processed is not repeated.
        assertEquals(1, emulator.requests().size)
    }

    @Test
    fun cancellingTheCoroutineDropsTheCall() = runBlocking {
        emulator.addFaultJson("""{"path":"$messagePath","stall_ms":3000}""")
        client().use { c ->
            assertNull(withTimeoutOrNull(200) { c.sendMessage("stalled") })
            // The client is still usable, and the next call is answered normally.
            assertTrue(c.sendMessage("after").success)
        }
        assertEquals("""[{"message":"after"}]""", emulator.messagesJson())
    }

    @Test
    fun invalidArgumentsAreRejectedLocally() {
        client().use { c ->
            val notJson = failing<PokeException.InvalidInput> { c.sendWebhook(emulator.url(), "t", "{nope") }
            assertEquals("data_json", notJson.field)
            val badTimeout = assertThrows<PokeException.InvalidInput> {
                client(timeouts = Timeouts(totalSecs = -1.0))
            }
            assertEquals("timeouts.total_secs", badTimeout.field)
        }
        val badFault = assertThrows<PokeException.InvalidInput> { emulator.addFaultJson("""{"status":429}""") }
        assertEquals("fault", badFault.field)
        assertTrue(emulator.requests().isEmpty())
    }

    @Test
    fun missingKeyIsItsOwnError() {
        // surefire clears POKE_API_KEY and points XDG_CONFIG_HOME at an empty directory.
        val e = assertThrows<PokeException.MissingApiKey> { PokeClient.create(baseUrl = emulator.pokeApiUrl()) }
        assertTrue(e.msg.startsWith("no API key found") && e.msg.contains("POKE_API_KEY"), e.msg)
    }

    @Test
    fun secretsNeverPrint() {
        val options = PokeClientOptions(apiKey = "pk_canary_kotlin", baseUrl = emulator.pokeApiUrl())
        assertFalse(options.toString().contains("pk_canary"), options.toString())
        PokeClient(options).use { c ->
            assertEquals("PokeClient(base_url=${emulator.pokeApiUrl()})", c.toString())
        }
        Emulator(apiKey = "pk_other").use { strict ->
            PokeClient(options.copy(baseUrl = strict.pokeApiUrl(), maxRetries = 0u)).use { c ->
                val e = failing<PokeException.Api> { c.sendMessage("hi") }
                for (text in listOf(e.toString(), e.message.orEmpty(), e.body.orEmpty())) {
                    assertFalse(text.contains("pk_canary"), text)
                }
            }
        }
    }
}
