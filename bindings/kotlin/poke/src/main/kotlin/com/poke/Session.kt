package com.poke

import java.io.IOException
import java.util.UUID
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.channelFlow
import kotlinx.serialization.json.JsonElement
import com.poke.ffi.PokeException as FfiException
import com.poke.ffi.SessionRecord as FfiSessionRecord
import com.poke.ffi.WaitOptions as FfiWaitOptions
import com.poke.ffi.WaitProgressListener as FfiWaitProgressListener

/**
 * A session of the sessions API: send it messages ([send]), follow its turns, read and write
 * its workspace [files]. Made by [PokeeClient.createSession], [PokeeClient.getSession] and
 * [PokeeClient.listSessions]; two `Session`s with the same [id] are equal.
 *
 * @property record the session as the server reported it when this object was made; [refresh]
 *   reads it again.
 */
public class Session internal constructor(
    private val client: PokeeClient,
    public val record: SessionRecord,
) {
    /** The session id, e.g. `sess_a86118c06688`. */
    public val id: String get() = record.id

    /** The session's workspace files. */
    public val files: SessionFiles = SessionFiles(client, record.id)

    /** Reads the session again (busy flag, status, progress metadata). */
    public suspend fun refresh(): Session = client.getSession(id)

    /** Destroys the session; its workspace files stay. */
    public suspend fun delete() {
        native { client.ffi().deleteSession(id) }
    }

    /**
     * A turn that sends [message] when its events are first collected (see [Turn]).
     *
     * @param idempotencyKey the `Idempotency-Key` to send: the same key sent again replays the
     *   turn instead of starting another one. Without it the turn makes one (a random UUID), so
     *   a collection that starts over after a failure or a cancel never starts a second turn.
     */
    @JvmOverloads
    public fun send(message: String, idempotencyKey: String? = null): Turn =
        Turn(client, id, Turn.Origin.Send(message, idempotencyKey ?: UUID.randomUUID().toString()))

    /**
     * The events of an earlier turn, after [lastEventId] (from its first event without it), e.g.
     * after the app restarted or after [PokeStreamException].
     */
    @JvmOverloads
    public fun resume(responseId: String, lastEventId: String? = null): Turn =
        Turn(client, id, Turn.Origin.Resume(responseId, lastEventId))

    /** Asks the server to stop the turn [responseId]; its events then end with `message.cancelled`. */
    public suspend fun cancelTurn(responseId: String): CancelResult = client.cancelTurn(id, responseId)

    /**
     * Answers a `tool_call.requested` event of the running turn with [output] (usually a JSON
     * string); the turn then goes on.
     */
    public suspend fun submitToolResult(callId: String, output: JsonElement): ToolResultAck {
        val ack = native { client.ffi().submitToolResult(id, callId, output.toString()) }
        return ToolResultAck(ack.callId, ack.status)
    }

    /**
     * Polls the session until it is not busy and returns that record. [listener] gets the first
     * record read, then each one that differs from the one before (the agent's progress
     * metadata, for example); the last is the idle record returned.
     *
     * @throws PokeTimeoutException when [WaitOptions.deadline] passes first.
     */
    public suspend fun waitIdle(options: WaitOptions? = null, listener: SessionListener? = null): SessionRecord {
        val ffiOptions = options?.let {
            FfiWaitOptions(
                pollIntervalSecs = it.pollInterval?.toSeconds("pollInterval"),
                maxIntervalSecs = it.maxInterval?.toSeconds("maxInterval"),
                deadlineSecs = it.deadline?.toSeconds("deadline"),
            )
        }
        val failure = ListenerFailure()
        val adapter = listener?.let { WaitListener(it, failure) }
        return native(failure) { client.ffi().waitIdle(id, ffiOptions, adapter) }.toPublic()
    }

    /**
     * [waitIdle] as a flow: the records the listener would get, ending with the idle one. Cold:
     * each collection polls anew; cancelling the collector stops polling.
     */
    public fun idleUpdates(options: WaitOptions? = null): Flow<SessionRecord> = channelFlow {
        waitIdle(options) { trySend(it) }
    }.buffer(Channel.UNLIMITED)

    /** [refresh] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun refreshBlocking(): Session = blocking { refresh() }

    /** [refresh] for Java, as a future. */
    public fun refreshAsync(): CompletableFuture<Session> = future { refresh() }

    /** [delete] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun deleteBlocking(): Unit = blocking { delete() }

    /** [delete] for Java, as a future. */
    public fun deleteAsync(): CompletableFuture<Void?> = future { delete(); null }

    /** [cancelTurn] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun cancelTurnBlocking(responseId: String): CancelResult = blocking { cancelTurn(responseId) }

    /** [cancelTurn] for Java, as a future. */
    public fun cancelTurnAsync(responseId: String): CompletableFuture<CancelResult> = future { cancelTurn(responseId) }

    /** [submitToolResult] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun submitToolResultBlocking(callId: String, output: JsonElement): ToolResultAck =
        blocking { submitToolResult(callId, output) }

    /** [submitToolResult] for Java, as a future. */
    public fun submitToolResultAsync(callId: String, output: JsonElement): CompletableFuture<ToolResultAck> =
        future { submitToolResult(callId, output) }

    /** [waitIdle] for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun waitIdleBlocking(options: WaitOptions? = null, listener: SessionListener? = null): SessionRecord =
        blocking { waitIdle(options, listener) }

    /** [waitIdle] for Java, as a future; cancelling it stops polling. */
    @JvmOverloads
    public fun waitIdleAsync(options: WaitOptions? = null, listener: SessionListener? = null): CompletableFuture<SessionRecord> =
        future { waitIdle(options, listener) }

    override fun equals(other: Any?): Boolean = other is Session && other.id == id

    override fun hashCode(): Int = id.hashCode()

    override fun toString(): String = "Session(id=$id)"
}

/** A [SessionListener] as the generated interface; what it throws is kept for the caller. */
private class WaitListener(
    private val listener: SessionListener,
    private val failure: ListenerFailure,
) : FfiWaitProgressListener {
    override fun onProgress(session: FfiSessionRecord) {
        try {
            listener.onUpdate(session.toPublic())
        } catch (t: Throwable) {
            failure.thrown = t
            throw FfiException.Internal("the listener threw: $t")
        }
    }
}
