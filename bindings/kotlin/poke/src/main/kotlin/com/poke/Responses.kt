package com.poke

import java.io.IOException
import java.util.UUID
import java.util.concurrent.CompletableFuture
import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonPrimitive
import com.poke.ffi.CreateResponseParams as FfiCreateResponseParams
import com.poke.ffi.FunctionToolSpec as FfiFunctionToolSpec
import com.poke.ffi.PokeException as FfiException
import com.poke.ffi.Response as FfiResponse
import com.poke.ffi.ResponseEvent as FfiResponseEvent
import com.poke.ffi.ResponseEventKind as FfiResponseEventKind
import com.poke.ffi.ResponseOutputItem as FfiResponseOutputItem
import com.poke.ffi.ToolHandler as FfiToolHandler

/**
 * Stateless responses ([PokeeClient.responses]): one OpenAI-Responses-shaped call, answered whole
 * ([create]) or streamed ([stream]), and the function-tool loop ([runTools]).
 *
 * ```kotlin
 * val reply = pokee.responses.create(ResponseParams(input = "Hello"))
 * println(reply.outputText)
 * ```
 *
 * Bad parameters (too many tools, a name too long, input items that are not JSON) throw
 * [IllegalArgumentException] before anything is sent.
 */
public class Responses internal constructor(private val client: PokeeClient) {
    /**
     * One call (`POST /v1/responses`), answered whole. A response that failed comes back with
     * status `failed` and its [Response.errorMessage].
     */
    public suspend fun create(params: ResponseParams): Response {
        val ffiParams = params.toFfi()
        return native { client.ffi().createResponse(ffiParams) }.toPublic()
    }

    /**
     * The same call streamed: a cold [ResponseStream] whose first collection posts the request.
     *
     * @param idempotencyKey the `Idempotency-Key` sent on every attempt; a random UUID when `null`.
     *   The same key with a different request throws [PokeApiException] (422) when collected.
     */
    @JvmOverloads
    public fun stream(params: ResponseParams, idempotencyKey: String? = null): ResponseStream =
        ResponseStream(client, ResponseStream.Origin.Create(params, idempotencyKey ?: UUID.randomUUID().toString()))

    /**
     * The events of response [responseId] after [lastEventId] (from the start when `null`), as a
     * cold stream; only its creator may read them ([ApiErrorKind.NOT_FOUND] otherwise, when
     * collected).
     */
    @JvmOverloads
    public fun resume(responseId: String, lastEventId: String? = null): ResponseStream =
        ResponseStream(client, ResponseStream.Origin.Resume(responseId, lastEventId))

    /**
     * Cancels a streamed response: [CancelResult.status] is `cancelling` or `already_complete`.
     *
     * @throws PokeApiException with [ApiErrorKind.NOT_FOUND] for an unknown or foreign id.
     */
    public suspend fun cancel(responseId: String): CancelResult {
        val c = native { client.ffi().cancelResponse(responseId) }
        return CancelResult(c.responseId, c.status)
    }

    /**
     * Runs the function-tool loop: sends [params], runs each function call through [handler],
     * sends the outputs with the whole history, and stops at a reply with no call.
     *
     * @param maxRounds the most requests to make (10 when `null`).
     * @throws PokeToolRoundsException when the model still calls functions after [maxRounds].
     */
    public suspend fun runTools(params: ResponseParams, maxRounds: Int? = null, handler: ToolHandler): ToolRun {
        val ffiParams = params.toFfi()
        val rounds = maxRounds?.toCount("maxRounds")
        val failure = ListenerFailure()
        val run = native(failure) { client.ffi().runTools(ffiParams, ToolAdapter(handler, failure), rounds) }
        return ToolRun(run.response.toPublic(), parseArray(run.historyJson), run.rounds.toInt())
    }

    /** [create] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun createBlocking(params: ResponseParams): Response = blocking { create(params) }

    /** [create] for Java, as a future. */
    public fun createAsync(params: ResponseParams): CompletableFuture<Response> = future { create(params) }

    /** [cancel] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun cancelBlocking(responseId: String): CancelResult = blocking { cancel(responseId) }

    /** [cancel] for Java, as a future. */
    public fun cancelAsync(responseId: String): CompletableFuture<CancelResult> = future { cancel(responseId) }

    /** [runTools] for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun runToolsBlocking(params: ResponseParams, maxRounds: Int? = null, handler: ToolHandler): ToolRun =
        blocking { runTools(params, maxRounds, handler) }

    /** [runTools] for Java, as a future. */
    @JvmOverloads
    public fun runToolsAsync(params: ResponseParams, maxRounds: Int? = null, handler: ToolHandler): CompletableFuture<ToolRun> =
        future { runTools(params, maxRounds, handler) }

    override fun toString(): String = "Responses(baseUrl=${client.baseUrl})"
}

/** A [ToolHandler] as the generated interface; what it throws is kept for the caller. */
private class ToolAdapter(private val handler: ToolHandler, private val failure: ListenerFailure) : FfiToolHandler {
    override fun call(name: String, arguments: String, callId: String): String =
        try {
            handler.call(ToolCall(name, lenientJson(arguments), arguments, callId))
        } catch (t: Throwable) {
            failure.thrown = t
            throw FfiException.Internal("the tool handler threw: $t")
        }
}

/** [text] as JSON, or as a JSON string when it is not JSON (a model may write anything). */
private fun lenientJson(text: String): JsonElement =
    try {
        parseJson(text)
    } catch (e: SerializationException) {
        JsonPrimitive(text)
    }

internal fun ResponseParams.toFfi(): FfiCreateResponseParams = FfiCreateResponseParams(
    input = input,
    inputJson = inputItems?.toString(),
    model = model,
    instructions = instructions,
    tools = tools.map { FfiFunctionToolSpec(it.name, it.description, it.parameters?.toString(), it.strict) },
    reasoningEffort = reasoningEffort,
    extraJson = extra?.toString(),
)

internal fun FfiResponse.toPublic(): Response = Response(
    id = id,
    status = status,
    model = model,
    createdAt = createdAt?.toInstant(),
    output = output.map { it.toPublic() },
    outputText = outputText,
    usage = usage?.let { ResponseUsage(it.inputTokens.toLongExact(), it.outputTokens.toLongExact(), it.totalTokens.toLongExact()) },
    errorMessage = errorMessage,
    json = parseObject(json),
)

private fun FfiResponseOutputItem.toPublic(): ResponseOutputItem = ResponseOutputItem(
    kind = kind,
    id = id,
    status = status,
    role = role,
    text = text,
    callId = callId,
    name = name,
    arguments = arguments?.let { lenientJson(it) },
    json = parseObject(json),
)

internal fun FfiResponseEvent.toPublic(): ResponseEvent = ResponseEvent(
    id = id,
    type = event,
    kind = kind.toPublic(),
    sequenceNumber = sequenceNumber?.toLongExact(),
    itemId = itemId,
    outputIndex = outputIndex?.toLongExact()?.toInt(),
    contentIndex = contentIndex?.toLongExact()?.toInt(),
    delta = delta,
    text = text,
    arguments = arguments,
    item = item?.toPublic(),
    response = response?.toPublic(),
    errorMessage = errorMessage,
    isTerminal = isTerminal,
    data = lenientJson(raw),
    raw = raw,
)

private fun FfiResponseEventKind.toPublic(): ResponseEventKind = when (this) {
    FfiResponseEventKind.CREATED -> ResponseEventKind.CREATED
    FfiResponseEventKind.IN_PROGRESS -> ResponseEventKind.IN_PROGRESS
    FfiResponseEventKind.OUTPUT_ITEM_ADDED -> ResponseEventKind.OUTPUT_ITEM_ADDED
    FfiResponseEventKind.OUTPUT_ITEM_DONE -> ResponseEventKind.OUTPUT_ITEM_DONE
    FfiResponseEventKind.CONTENT_PART_ADDED -> ResponseEventKind.CONTENT_PART_ADDED
    FfiResponseEventKind.CONTENT_PART_DONE -> ResponseEventKind.CONTENT_PART_DONE
    FfiResponseEventKind.OUTPUT_TEXT_DELTA -> ResponseEventKind.OUTPUT_TEXT_DELTA
    FfiResponseEventKind.OUTPUT_TEXT_DONE -> ResponseEventKind.OUTPUT_TEXT_DONE
    FfiResponseEventKind.FUNCTION_CALL_ARGUMENTS_DELTA -> ResponseEventKind.FUNCTION_CALL_ARGUMENTS_DELTA
    FfiResponseEventKind.FUNCTION_CALL_ARGUMENTS_DONE -> ResponseEventKind.FUNCTION_CALL_ARGUMENTS_DONE
    FfiResponseEventKind.COMPLETED -> ResponseEventKind.COMPLETED
    FfiResponseEventKind.FAILED -> ResponseEventKind.FAILED
    FfiResponseEventKind.CANCELLED -> ResponseEventKind.CANCELLED
    FfiResponseEventKind.INCOMPLETE -> ResponseEventKind.INCOMPLETE
    FfiResponseEventKind.OTHER -> ResponseEventKind.OTHER
}
