package com.poke

import java.time.Instant
import kotlin.time.Duration
import kotlin.time.toJavaDuration
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject

/**
 * A session as the server last reported it.
 *
 * @property id the session id, e.g. `sess_a86118c06688`.
 * @property createdAt when it was created.
 * @property lastActivity when a turn last started or ended.
 * @property isBusy true while a turn runs.
 * @property persistent whether the session outlives its idle timer (until its [ttl]).
 * @property ttl the bound on the session's lifetime.
 * @property status `ready`, `busy`, or a newer status.
 * @property metadata free-form metadata, including the progress keys the agent writes.
 * @property fileAccess the workspace paths the session may read and write (all when `null`).
 * @property model the model, when the server reports it.
 * @property tools the client tools (OpenAI-shape function definitions), when reported.
 * @property json the whole record, fields this version does not know included.
 */
public data class SessionRecord(
    val id: String,
    val createdAt: Instant?,
    val lastActivity: Instant?,
    val isBusy: Boolean,
    val persistent: Boolean,
    val ttl: Duration?,
    val status: String,
    val metadata: JsonObject,
    val fileAccess: FileAccess?,
    val model: String?,
    val tools: JsonArray?,
    val json: JsonObject,
) {
    /** [ttl] for Java (`getTtl()`). */
    @get:JvmName("getTtl")
    val javaTtl: java.time.Duration? get() = ttl?.toJavaDuration()
}

/**
 * Which workspace paths a session may read and write; `""` is the whole workspace.
 *
 * @property read readable roots, workspace-relative.
 * @property write writable roots (writing implies reading).
 */
public data class FileAccess @JvmOverloads constructor(
    val read: List<String> = emptyList(),
    val write: List<String> = emptyList(),
)

/**
 * What [PokeeClient.createSession] asks for; `null` leaves the server's default.
 *
 * ```kotlin
 * pokee.createSession(SessionParams(persistent = true, ttl = 4.hours,
 *     metadata = buildJsonObject { put("project", "acme") }))
 * ```
 *
 * Java: `SessionParams.builder().persistent(true).ttl(Duration.ofHours(4)).build()`.
 *
 * @property persistent keep the session until its [ttl] instead of 5 minutes after a turn.
 * @property ttl the bound on the session's lifetime, in whole seconds (server default 4 h).
 * @property metadata free-form metadata, returned on every read.
 * @property fileAccess the session's file scope; the whole workspace when `null`.
 * @property model a model of the server's catalog, fixed for the session's life.
 * @property tools client tools as OpenAI-shape function definitions.
 */
public class SessionParams(
    public val persistent: Boolean? = null,
    public val ttl: Duration? = null,
    public val metadata: JsonObject? = null,
    public val fileAccess: FileAccess? = null,
    public val model: String? = null,
    public val tools: JsonArray? = null,
) {
    override fun equals(other: Any?): Boolean = other is SessionParams && fields() == other.fields()

    override fun hashCode(): Int = fields().hashCode()

    override fun toString(): String =
        "SessionParams(persistent=$persistent, ttl=$ttl, metadata=$metadata, fileAccess=$fileAccess, " +
            "model=$model, tools=$tools)"

    private fun fields() = listOf(persistent, ttl, metadata, fileAccess, model, tools)

    /** Builds [SessionParams] from Java. */
    public class Builder {
        private var persistent: Boolean? = null
        private var ttl: Duration? = null
        private var metadata: JsonObject? = null
        private var fileAccess: FileAccess? = null
        private var model: String? = null
        private var tools: JsonArray? = null

        /** See [SessionParams.persistent]. */
        public fun persistent(persistent: Boolean): Builder = apply { this.persistent = persistent }

        /** See [SessionParams.ttl]. */
        public fun ttl(ttl: java.time.Duration): Builder = apply { this.ttl = ttl.toKotlinDuration() }

        /** See [SessionParams.metadata]. */
        public fun metadata(metadata: JsonObject): Builder = apply { this.metadata = metadata }

        /** See [SessionParams.fileAccess]. */
        public fun fileAccess(fileAccess: FileAccess): Builder = apply { this.fileAccess = fileAccess }

        /** See [SessionParams.model]. */
        public fun model(model: String): Builder = apply { this.model = model }

        /** See [SessionParams.tools]. */
        public fun tools(tools: JsonArray): Builder = apply { this.tools = tools }

        /** The parameters set so far. */
        public fun build(): SessionParams = SessionParams(persistent, ttl, metadata, fileAccess, model, tools)
    }

    public companion object {
        /** A [Builder], for Java. */
        @JvmStatic
        public fun builder(): Builder = Builder()
    }
}

/**
 * The answer to a turn cancel.
 *
 * @property responseId the turn's response id, when the server includes it.
 * @property status `cancelling` (the turn will end with `message.cancelled`) or
 *   `already_complete`.
 */
public data class CancelResult(val responseId: String?, val status: String)

/**
 * The answer to [Session.submitToolResult].
 *
 * @property callId the call answered.
 * @property status `accepted` on success.
 */
public data class ToolResultAck(val callId: String?, val status: String)

/**
 * The server's answer to a message re-sent with the same idempotency key after the original
 * turn's events were forgotten: the turn finished long ago and its stream has no events.
 *
 * @property responseId the original turn's response id.
 * @property status `replayed`.
 * @property note the server's explanation.
 */
public data class ReplayNotice(val responseId: String, val status: String, val note: String?)

/**
 * Rate-limit windows and credit balance ([PokeeClient.usage]).
 *
 * @property callerId who the counters belong to.
 * @property windows every window, of every bucket.
 * @property creditsEnabled whether credits are tracked.
 * @property creditsMode `soft` (recorded only) or `hard` (turns fail with 402 on a low balance).
 * @property creditsBalance the remaining balance.
 * @property json the whole answer.
 */
public data class Usage(
    val callerId: String?,
    val windows: List<UsageWindow>,
    val creditsEnabled: Boolean?,
    val creditsMode: String?,
    val creditsBalance: Double?,
    val json: JsonObject,
)

/**
 * Usage within one rolling rate-limit window.
 *
 * @property bucket `session_turn`, `response`, ...; `null` in the older flat shape.
 * @property name `hour`, `day`, ...
 * @property length the window's length.
 * @property turns turns counted.
 * @property maxTurns the turn cap.
 * @property tokens tokens counted.
 * @property maxTokens the token cap.
 * @property enabled whether the window is enforced.
 */
public data class UsageWindow(
    val bucket: String?,
    val name: String,
    val length: Duration?,
    val turns: Long?,
    val maxTurns: Long?,
    val tokens: Long?,
    val maxTokens: Long?,
    val enabled: Boolean?,
) {
    /** [length] for Java (`getLength()`). */
    @get:JvmName("getLength")
    val javaLength: java.time.Duration? get() = length?.toJavaDuration()
}
