package com.poke

import java.time.Instant
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject

/**
 * What [Responses.create], [Responses.stream] and [Responses.runTools] send.
 *
 * @property input one user message (or give [inputItems]).
 * @property inputItems the input items (OpenAI Responses items); wins over [input].
 * @property model the model (the tenant's default when `null`).
 * @property instructions system instructions.
 * @property tools functions the model may call (at most 128).
 * @property reasoningEffort `minimal`, `low`, `medium` or `high`.
 * @property extra other OpenAI Responses fields, sent as they are.
 */
public class ResponseParams(
    public val input: String? = null,
    public val inputItems: JsonArray? = null,
    public val model: String? = null,
    public val instructions: String? = null,
    public val tools: List<FunctionTool> = emptyList(),
    public val reasoningEffort: String? = null,
    public val extra: JsonObject? = null,
) {
    override fun equals(other: Any?): Boolean = other is ResponseParams && fields() == other.fields()

    override fun hashCode(): Int = fields().hashCode()

    override fun toString(): String =
        "ResponseParams(input=$input, inputItems=$inputItems, model=$model, instructions=$instructions, " +
            "tools=$tools, reasoningEffort=$reasoningEffort, extra=$extra)"

    private fun fields() = listOf(input, inputItems, model, instructions, tools, reasoningEffort, extra)

    /** Builds [ResponseParams] from Java. */
    public class Builder {
        private var input: String? = null
        private var inputItems: JsonArray? = null
        private var model: String? = null
        private var instructions: String? = null
        private var tools: List<FunctionTool> = emptyList()
        private var reasoningEffort: String? = null
        private var extra: JsonObject? = null

        /** See [ResponseParams.input]. */
        public fun input(input: String): Builder = apply { this.input = input }

        /** See [ResponseParams.inputItems]. */
        public fun inputItems(items: JsonArray): Builder = apply { this.inputItems = items }

        /** See [ResponseParams.model]. */
        public fun model(model: String): Builder = apply { this.model = model }

        /** See [ResponseParams.instructions]. */
        public fun instructions(instructions: String): Builder = apply { this.instructions = instructions }

        /** See [ResponseParams.tools]. */
        public fun tools(tools: List<FunctionTool>): Builder = apply { this.tools = tools }

        /** See [ResponseParams.reasoningEffort]. */
        public fun reasoningEffort(effort: String): Builder = apply { this.reasoningEffort = effort }

        /** See [ResponseParams.extra]. */
        public fun extra(extra: JsonObject): Builder = apply { this.extra = extra }

        /** The parameters set so far. */
        public fun build(): ResponseParams =
            ResponseParams(input, inputItems, model, instructions, tools, reasoningEffort, extra)
    }

    public companion object {
        /** A [Builder], for Java. */
        @JvmStatic
        public fun builder(): Builder = Builder()
    }
}

/**
 * A function the model may call.
 *
 * @property name the function's name (1 to 64 characters).
 * @property description what it does, for the model (at most 16 KiB).
 * @property parameters a JSON schema of its arguments object.
 * @property strict OpenAI's `strict` flag.
 */
public data class FunctionTool @JvmOverloads constructor(
    val name: String,
    val description: String? = null,
    val parameters: JsonObject? = null,
    val strict: Boolean? = null,
)

/**
 * A stateless response.
 *
 * @property id the response id (`resp_…`).
 * @property status `completed`, `failed`, `cancelled`, or anything newer.
 * @property model the model that answered.
 * @property createdAt when it was created.
 * @property output the output items, in order.
 * @property outputText the text of every message item, joined.
 * @property usage token counts, on completion.
 * @property errorMessage why it failed, when it did.
 * @property json the whole response (fields this version does not model included).
 */
public data class Response(
    val id: String,
    val status: String,
    val model: String?,
    val createdAt: Instant?,
    val output: List<ResponseOutputItem>,
    val outputText: String,
    val usage: ResponseUsage?,
    val errorMessage: String?,
    val json: JsonObject,
)

/**
 * One output item: a `message` ([role], [text]), a `function_call` ([callId], [name],
 * [arguments]), or anything newer (see [json]).
 *
 * @property kind `message`, `function_call`, or anything newer.
 * @property id the item's id.
 * @property status `in_progress`, `completed`, ...
 * @property role a message's role.
 * @property text a message's text (its `output_text` parts).
 * @property callId a function call's id.
 * @property name a function call's function.
 * @property arguments a function call's arguments (text that is not JSON becomes a JSON string).
 * @property json the item as sent (to send it back as an input item).
 */
public data class ResponseOutputItem(
    val kind: String,
    val id: String?,
    val status: String?,
    val role: String?,
    val text: String?,
    val callId: String?,
    val name: String?,
    val arguments: JsonElement?,
    val json: JsonObject,
)

/**
 * Token counts of a response.
 *
 * @property inputTokens prompt tokens.
 * @property outputTokens generated tokens.
 * @property totalTokens both.
 */
public data class ResponseUsage(val inputTokens: Long, val outputTokens: Long, val totalTokens: Long)

/**
 * What [Responses.runTools] produced.
 *
 * @property response the last response: the one that asked for no function call.
 * @property history the conversation as input items (to continue it).
 * @property rounds the requests made.
 */
public data class ToolRun(val response: Response, val history: JsonArray, val rounds: Int)
