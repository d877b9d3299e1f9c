package com.poke

import com.poke.testing.Emulator
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * The shared scenarios of skills and stateless responses (tests/scenarios/scenarios.json),
 * named `scenario_<id>` like those of ScenarioTest, written against the public facade.
 */
class StatelessScenarioTest {
    private lateinit var emulator: Emulator

    @BeforeEach
    fun start() {
        emulator = Emulator()
    }

    @AfterEach
    fun stop() {
        emulator.close()
    }

    private fun pokee() = PokeeClient(
        apiKey = "pk_scenario",
        baseUrl = emulator.pokeeApiUrl,
        streams = StreamOptions(resumeDelay = 50.milliseconds),
    )

    @Test
    fun scenario_skills_lifecycle(): Unit = runBlocking {
        pokee().use { c ->
            val dir = skillDir("SKILL.md" to "# Greeter\nSay hello.\n", "scripts/hello.py" to "print('hello')\n")
            val progress = CopyOnWriteArrayList<Pair<Long, Long>>()
            val installed = c.skills.install("greeter", dir) { done, total -> progress += done to total }
            assertEquals(listOf("SKILL.md", "scripts/hello.py"), installed.files)
            val last = progress.last()
            assertEquals(last.second, last.first)
            assertTrue(last.first > 0)
            assertEquals(listOf("greeter"), c.skills.list().map { it.name })

            val replaced = c.skills.install("greeter", zipOf("SKILL.md" to "# Greeter v2".toByteArray()))
            assertEquals(listOf("SKILL.md"), replaced.files)
            val stored = emulator.skills().single().jsonObject.toString()
            assertTrue(!stored.contains("hello.py"), stored)
            val before = emulator.skills()
            val refused = thrownBy<PokeApiException> {
                c.skills.install("greeter", zipOf("SKILL.md" to "x".toByteArray(), "../outside.txt" to "x".toByteArray()))
            }
            assertEquals(ApiErrorKind.BAD_REQUEST, refused.kind)
            assertEquals(before, emulator.skills())

            val sent = emulator.requests().size
            val bad = thrownBy<IllegalArgumentException> { c.skills.install("Bad Name", zipOf("SKILL.md" to "x".toByteArray())) }
            assertTrue(bad.message!!.contains("name"), bad.message)
            assertEquals(sent, emulator.requests().size)

            c.skills.delete("greeter")
            assertEquals(ApiErrorKind.NOT_FOUND, thrownBy<PokeApiException> { c.skills.delete("greeter") }.kind)
        }
    }

    @Test
    fun scenario_stateless_stream_resume(): Unit = runBlocking {
        emulator.addFault("""{"method":"POST","path":"/v1/responses","drop_after_events":5}""")
        pokee().use { c ->
            val stream = c.responses.stream(ResponseParams(input = "stream me events=30"))
            val events = stream.events.toList()
            assertEquals((0L until 30L).toList(), events.map { it.sequenceNumber })
            val text = events.filter { it.kind == ResponseEventKind.OUTPUT_TEXT_DELTA }.mapNotNull { it.delta }.joinToString("")
            assertEquals(ResponseEventKind.COMPLETED, events.last().kind)
            assertTrue(events.last().isTerminal)
            assertEquals(text, events.last().response!!.outputText)
            assertEquals("29", stream.lastEventId)
            val post = emulator.requests().single { it.path == "/v1/responses" && it.method == "POST" }
            assertEquals(stream.idempotencyKey, post.header("idempotency-key"))
            val resume = emulator.requests().first { it.path.endsWith("/events") }
            assertEquals("/v1/responses/${stream.responseId}/events", resume.path)
            assertTrue(resume.path.startsWith("/v1/responses/resp_"))
            assertEquals("4", resume.header("last-event-id"))
        }
    }

    @Test
    fun scenario_tool_loop(): Unit = runBlocking {
        val seen = CopyOnWriteArrayList<ToolCall>()
        pokee().use { c ->
            val tool = FunctionTool(
                name = "get_weather",
                parameters = buildJsonObject {
                    put("type", "object")
                    putJsonObject("properties") { putJsonObject("location") { put("type", "string") } }
                    putJsonArray("required") { add(JsonPrimitive("location")) }
                },
            )
            val params = ResponseParams(input = "What is the weather in Paris? tool=get_weather", tools = listOf(tool))
            val run = c.responses.runTools(params) { call ->
                seen += call
                "sunny, 21C"
            }
            assertEquals(2, run.rounds)
            assertTrue(run.response.outputText.contains("sunny, 21C"), run.response.outputText)
            val call = seen.single()
            assertEquals("get_weather", call.name)
            assertEquals(buildJsonObject { put("location", "Paris") }, call.arguments)
            val bodies = emulator.requests().filter { it.path == "/v1/responses" }.map { Json.parseToJsonElement(it.body).jsonObject }
            assertEquals(2, bodies.size)
            val history = bodies[1]["input"]!!.jsonArray.map { it.jsonObject }
            assertEquals("user", history[0]["role"]!!.jsonPrimitive.content)
            assertEquals("function_call", history[1]["type"]!!.jsonPrimitive.content)
            assertEquals("function_call_output", history[2]["type"]!!.jsonPrimitive.content)
            assertEquals("sunny, 21C", history[2]["output"]!!.jsonPrimitive.content)
            assertEquals(history[1]["call_id"], history[2]["call_id"])
            assertEquals(call.callId, history[2]["call_id"]!!.jsonPrimitive.content)
            assertEquals(run.history.size, history.size + 1)
        }
    }
}
