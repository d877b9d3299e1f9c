package com.poke

import com.poke.testing.Emulator
import java.lang.management.ManagementFactory
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

/**
 * 2,000 sequential calls create no threads: the native threads that complete calls are
 * attached to the JVM once, not once per call (which made one java.lang.Thread per call).
 * Counts of threads, never time.
 */
class ThreadCountTest {
    private lateinit var emulator: Emulator
    private lateinit var client: PokeClient
    private val threads = ManagementFactory.getThreadMXBean()

    @BeforeEach
    fun start() {
        emulator = Emulator()
        client = PokeClient(apiKey = "pk_threads", baseUrl = emulator.pokeApiUrl, maxRetries = 0)
    }

    @AfterEach
    fun stop() {
        client.close()
        emulator.close()
    }

    /** Runs [calls] after a warm-up and returns (live before, live after, threads started meanwhile). */
    private fun measure(calls: () -> Unit): Triple<Int, Int, Long> {
        calls() // the first calls attach the few native threads, once
        val liveBefore = threads.threadCount
        val startedBefore = threads.totalStartedThreadCount
        calls()
        return Triple(liveBefore, threads.threadCount, threads.totalStartedThreadCount - startedBefore)
    }

    private fun check(what: String, counts: Triple<Int, Int, Long>) {
        val (before, after, started) = counts
        println("threads, $what: live $before before, $after after 2,000 calls; $started started meanwhile")
        // Flat: at most a couple of threads that a pool may start lazily, never one per call.
        assertTrue(started <= 4, "$started threads started during 2,000 calls ($what)")
        assertTrue(after - before <= 4, "live threads went from $before to $after ($what)")
    }

    @Test
    fun suspendCalls() {
        check("suspend", measure { runBlocking { repeat(2_000) { client.sendMessage("hi") } } })
        assertEquals(4_000, emulator.messages().size)
    }

    @Test
    fun blockingCalls() {
        check("blocking", measure { repeat(2_000) { client.sendMessageBlocking("hi") } })
    }

    @Test
    fun futures() {
        check("futures", measure { repeat(2_000) { client.sendMessageAsync("hi").get() } })
    }
}
