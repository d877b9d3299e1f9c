package com.poke

/**
 * Receives the progress of a file upload or download, after every chunk. It runs on a native
 * thread between two reads: keep it short (copy the numbers, post them to your UI thread). A
 * listener that throws ends the transfer with that throwable (a download then leaves no file).
 */
public fun interface TransferListener {
    /** [doneBytes] transferred so far, out of [totalBytes] when the size is known (else -1). */
    public fun onProgress(doneBytes: Long, totalBytes: Long)
}

/**
 * Receives the session records that [Session.waitIdle] reads: the first one, then each one that
 * differs from the one before; the last is the idle record `waitIdle` returns. It runs on a
 * native thread; a listener that throws ends the wait with that throwable.
 */
public fun interface SessionListener {
    /** One changed record. */
    public fun onUpdate(session: SessionRecord)
}

/** Receives the events of a turn, one at a time and in order ([Turn.collectBlocking]). */
public fun interface TurnEventListener {
    /** One event; throwing stops the collection (and closes the stream) with that throwable. */
    public fun onEvent(event: TurnEvent)
}

/** Receives the events of a streamed response, one at a time and in order ([ResponseStream.collectBlocking]). */
public fun interface ResponseEventListener {
    /** One event; throwing stops the collection (and closes the stream) with that throwable. */
    public fun onEvent(event: ResponseEvent)
}
