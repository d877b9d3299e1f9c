// How the Java variants of the suspend functions run: `…Blocking` on the calling thread,
// `…Async` as a CompletableFuture (cancelling the future cancels the call).
package com.poke

import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.future.future
import kotlinx.coroutines.runBlocking

/** The futures' scope: a failed call fails its future only. */
private val futures = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineName("poke"))

internal fun <T> blocking(block: suspend CoroutineScope.() -> T): T = runBlocking(block = block)

internal fun <T> future(block: suspend CoroutineScope.() -> T): CompletableFuture<T> = futures.future(block = block)
