// A user's test: the quickstart and one streamed turn against the in-process emulator of
// com.poke:poke-testing, plus where each piece came from (the installed jars, nothing else).
package com.example

import com.poke.PokeClient
import com.poke.TurnEventKind
import com.poke.testing.Emulator
import com.sun.jna.Platform
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class QuickstartTest {
    private fun jarOf(type: Class<*>): String = type.protectionDomain.codeSource.location.path

    @Test
    fun quickstartRunsAgainstTheEmulator(): Unit = runBlocking {
        Emulator(apiKey = "pk_consumer").use { emu ->
            val result = quickstart("pk_consumer", emu.pokeApiUrl)
            assertEquals(QuickstartResult(true, "Message sent successfully", 200), result)
            assertEquals("""[{"message":"Summarize my unread emails"}]""", emu.messages().toString())
            val agent = emu.requests().first().header("user-agent")
            assertTrue(agent!!.startsWith("poke-kotlin/0.3.0"), agent)
        }
    }

    @Test
    fun oneSessionTurnStreamsToTheEnd(): Unit = runBlocking {
        Emulator(apiKey = "pk_consumer").use { emu ->
            val events = streamOneTurn("pk_consumer", emu.pokeeApiUrl, "hello events=12 pace_ms=0")
            assertEquals((0..11).map { it.toString() }, events.map { it.id })
            assertEquals(TurnEventKind.MESSAGE_CREATED, events.first().kind)
            assertEquals(TurnEventKind.MESSAGE_COMPLETED, events.last().kind)
        }
    }

    @Test
    fun everythingComesFromTheInstalledJars() {
        // Resolved by coordinates from the local repository run.sh made.
        assertTrue(jarOf(PokeClient::class.java).endsWith("/com/poke/poke/0.3.0/poke-0.3.0.jar"), jarOf(PokeClient::class.java))
        assertTrue(
            jarOf(Emulator::class.java).endsWith("/com/poke/poke-testing/0.3.0/poke-testing-0.3.0.jar"),
            jarOf(Emulator::class.java),
        )
        // JNA found both libraries inside those jars: nobody told it where to look.
        assertNull(System.getProperty("jna.library.path"))
        assertNull(System.getenv("LD_LIBRARY_PATH")?.takeIf { "poke" in it })
        // The app's jar has no emulator.
        assertThrows<ClassNotFoundException> { Class.forName("com.poke.ffi.Emulator") }
        val mainJar = java.util.zip.ZipFile(jarOf(PokeClient::class.java))
        mainJar.use { jar ->
            val library = "${Platform.RESOURCE_PREFIX}/${System.mapLibraryName("poke_ffi")}"
            assertTrue(jar.getEntry(library) != null, library)
            assertTrue(jar.entries().toList().none { "emulator" in it.name.lowercase() || "testing" in it.name })
        }
    }
}
