// The native library's threads call into the JVM (a call's completion, progress listeners).
// JNA attaches such a thread for each callback and detaches it after, and every attachment makes
// a new java.lang.Thread: one per call. Registered once before any call, this initializer keeps
// each native thread attached (as a daemon) from its first callback until it exits.
package com.poke

import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native
import com.poke.ffi.uniffiCallbackInterfaceTransferProgressListener
import com.poke.ffi.uniffiCallbackInterfaceWaitProgressListener
import com.poke.ffi.uniffiRustFutureContinuationCallbackImpl

private val attachOnce = CallbackThreadInitializer(true, false, "poke-native")

/**
 * Call before the first call into the library: JNA reads a callback's initializer when the
 * callback is first handed to native code (the listener tables are handed over when the library
 * loads), so registering later would not take effect.
 */
internal val nativeThreadsAttached: Unit by lazy {
    val callbacks = listOf(
        uniffiRustFutureContinuationCallbackImpl,
        uniffiCallbackInterfaceWaitProgressListener.onProgress,
        uniffiCallbackInterfaceWaitProgressListener.uniffiFree,
        uniffiCallbackInterfaceWaitProgressListener.uniffiClone,
        uniffiCallbackInterfaceTransferProgressListener.onProgress,
        uniffiCallbackInterfaceTransferProgressListener.uniffiFree,
        uniffiCallbackInterfaceTransferProgressListener.uniffiClone,
    )
    for (callback in callbacks) {
        Native.setCallbackThreadInitializer(callback, attachOnce)
    }
}
