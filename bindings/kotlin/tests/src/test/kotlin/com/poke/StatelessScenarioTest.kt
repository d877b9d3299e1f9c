package com.poke

import com.poke.testing.Emulator
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The shared scenarios of skills and stateless responses (tests/scenarios/scenarios.json),
 * named `scenario_<id>` like those of ScenarioTest.
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

    private fun pokee() = PokeeClient.create(
        PokeeClientOptions(
            apiKey = "pk_scenario",
            baseUrl = emulator.pokeeApiUrl(),
            resume = ResumeOptions(initialDelaySecs = 0.05),
        ),
    )

    private class Progress : TransferProgressListener {
        val calls = CopyOnWriteArrayList<Pair<ULong, ULong?>>()
        override fun onProgress(doneBytes: ULong, totalBytes: ULong?) {
            calls += doneBytes to totalBytes
        }
    }

    @Test
    fun scenario_skills_lifecycle() = runBlocking {
        pokee().use { c ->
            val dir = skillDir("SKILL.md" to "# Greeter\nSay hello.\n", "scripts/hello.py" to "print('hello')\n")
            val progress = Progress()
            val installed = c.installSkill("greeter", dir.toString(), progress)
            assertEquals(listOf("SKILL.md", "scripts/hello.py"), installed.files)
            val last = progress.calls.last()
            assertEquals(last.second, last.first)
            assertEquals(listOf("greeter"), c.listSkills().map { it.name })

            assertEquals(listOf("SKILL.md"), c.installSkillBytes("greeter", zipOf("SKILL.md" to "# v2".toByteArray())).files)
            val before = emulator.skillsJson()
            val refused = assertThrows<PokeException.Api> {
                runBlocking { c.installSkillBytes("greeter", zipOf("SKILL.md" to "x".toByteArray(), "../outside.txt" to "x".toByteArray())) }
            }
            assertEquals(ApiErrorKind.BAD_REQUEST, refused.kind)
            assertEquals(before, emulator.skillsJson())

            val sent = emulator.requests().size
            assertThrows<PokeException.InvalidInput> { runBlocking { c.installSkillBytes("Bad Name", zipOf("SKILL.md" to "x".toByteArray())) } }
            assertEquals(sent, emulator.requests().size)

            c.deleteSkill("greeter")
            assertEquals(ApiErrorKind.NOT_FOUND, assertThrows<PokeException.Api> { runBlocking { c.deleteSkill("greeter") } }.kind)
        }
    }

    @Test
    fun scenario_stateless_stream_resume() = runBlocking {
        emulator.addFaultJson("""{"method":"POST","path":"/v1/responses","drop_after_events":5}""")
        pokee().use { c ->
            c.streamResponse(CreateResponseParams(input = "stream me events=30")).use { stream ->
                val events = stream.asFlow().toList()
                assertEquals((0uL until 30uL).toList(), events.map { it.sequenceNumber })
                val text = events.mapNotNull { it.delta }.joinToString("")
                assertEquals(ResponseEventKind.COMPLETED, events.last().kind)
                assertEquals(text, events.last().response!!.outputText)
                val post = emulator.requests().single { it.path == "/v1/responses" }
                assertEquals(stream.idempotencyKey(), post.header("idempotency-key"))
            }
            val resume = emulator.requests().first { it.path.endsWith("/events") }
            assertTrue(resume.path.startsWith("/v1/responses/resp_"))
            assertEquals("4", resume.header("last-event-id"))
        }
    }

    @Test
    fun scenario_tool_loop() = runBlocking {
        val seen = CopyOnWriteArrayList<String>()
        val handler = object : ToolHandler {
            override fun call(name: String, arguments: String, callId: String): String {
                assertEquals("get_weather", name)
                seen += arguments
                return "sunny, 21C"
            }
        }
        pokee().use { c ->
            val tool = FunctionToolSpec(
                name = "get_weather",
                parametersJson = """{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}""",
            )
            val run = c.runTools(CreateResponseParams(input = "What is the weather in Paris? tool=get_weather", tools = listOf(tool)), handler)
            assertEquals(2u, run.rounds)
            assertTrue(run.response.outputText.contains("sunny, 21C"), run.response.outputText)
            assertEquals(listOf("""{"location":"Paris"}"""), seen.toList())
            val bodies = emulator.requests().filter { it.path == "/v1/responses" }.map { it.body }
            assertEquals(2, bodies.size)
            assertTrue(bodies[1].contains(""""type":"function_call_output""""), bodies[1])
            assertTrue(bodies[1].contains(""""output":"sunny, 21C""""), bodies[1])
        }
    }
}
