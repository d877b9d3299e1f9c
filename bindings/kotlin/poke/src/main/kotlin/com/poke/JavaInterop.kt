// How the Java variants of the suspend functions run: `…Blocking` on the calling thread,
// `…Async` as a CompletableFuture (cancelling the future cancels the call).
package com.poke

import java.io.InterruptedIOException
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.future.future
import kotlinx.coroutines.runBlocking

/** The futures' scope: a failed call fails its future only. */
private val futures = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineName("poke"))

/**
 * Runs a suspend call for a `…Blocking` variant. Interrupting the thread cancels the call and
 * throws [InterruptedIOException] with the thread's interrupt flag still set, as OkHttp's
 * `execute()` and the Poke calls do (`runBlocking` alone throws an `InterruptedException`,
 * which Java code cannot catch from a method that does not declare it, and clears the flag);
 * a thread interrupted before the call sends nothing.
 */
internal fun <T> blocking(block: suspend CoroutineScope.() -> T): T {
    if (Thread.currentThread().isInterrupted) throw InterruptedIOException("interrupted")
    return try {
        runBlocking(block = block)
    } catch (e: InterruptedException) {
        Thread.currentThread().interrupt()
        throw InterruptedIOException("interrupted").apply { initCause(e) }
    }
}

internal fun <T> future(block: suspend CoroutineScope.() -> T): CompletableFuture<T> = futures.future(block = block)
