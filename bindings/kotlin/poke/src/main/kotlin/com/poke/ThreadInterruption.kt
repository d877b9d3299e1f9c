// What the native library asks while a `…Blocking` call waits (every 100 ms): that call runs on
// the calling thread, so this answers whether that thread was interrupted.
package com.poke

import com.poke.ffi.BlockingInterruption

internal object ThreadInterruption : BlockingInterruption {
    override fun isInterrupted(): Boolean = Thread.currentThread().isInterrupted
}
