package com.poke

import kotlinx.serialization.json.JsonElement

/**
 * One event of a streamed response, with OpenAI's fields.
 *
 * @property id the event's id (its sequence number as text).
 * @property type the event's type as sent, e.g. `response.output_text.delta`.
 * @property kind [type] as an enum, [ResponseEventKind.OTHER] for types this version does not know.
 * @property sequenceNumber `sequence_number`.
 * @property itemId the item the event is about.
 * @property outputIndex the item's place in the output.
 * @property contentIndex the part's place in the item.
 * @property delta the next piece of text or arguments (the `.delta` events).
 * @property text the whole text of a part (`response.output_text.done`).
 * @property arguments the whole arguments of a call, as text (`response.function_call_arguments.done`).
 * @property item the item of `response.output_item.added` / `.done`.
 * @property response the snapshot of the lifecycle events (created, in progress, terminal).
 * @property errorMessage why the response failed (`response.failed`).
 * @property isTerminal true for the event that ends the stream.
 * @property data the payload (a non-JSON payload becomes a JSON string).
 * @property raw the payload exactly as received.
 */
public data class ResponseEvent(
    val id: String?,
    val type: String,
    val kind: ResponseEventKind,
    val sequenceNumber: Long?,
    val itemId: String?,
    val outputIndex: Int?,
    val contentIndex: Int?,
    val delta: String?,
    val text: String?,
    val arguments: String?,
    val item: ResponseOutputItem?,
    val response: Response?,
    val errorMessage: String?,
    val isTerminal: Boolean,
    val data: JsonElement,
    val raw: String,
)

/** The event types of a streamed response. */
public enum class ResponseEventKind {
    /** `response.created`: always first; [ResponseEvent.response] has the id. */
    CREATED,

    /** `response.in_progress`. */
    IN_PROGRESS,

    /** `response.output_item.added`. */
    OUTPUT_ITEM_ADDED,

    /** `response.output_item.done`: [ResponseEvent.item] is the whole item. */
    OUTPUT_ITEM_DONE,

    /** `response.content_part.added`. */
    CONTENT_PART_ADDED,

    /** `response.content_part.done`. */
    CONTENT_PART_DONE,

    /** `response.output_text.delta`: [ResponseEvent.delta] is the next piece of text. */
    OUTPUT_TEXT_DELTA,

    /** `response.output_text.done`. */
    OUTPUT_TEXT_DONE,

    /** `response.function_call_arguments.delta`. */
    FUNCTION_CALL_ARGUMENTS_DELTA,

    /** `response.function_call_arguments.done`. */
    FUNCTION_CALL_ARGUMENTS_DONE,

    /** `response.completed`: success, the last event. */
    COMPLETED,

    /** `response.failed`: failure, the last event; see [ResponseEvent.errorMessage]. */
    FAILED,

    /** `response.cancelled`: cancelled, the last event. */
    CANCELLED,

    /** `response.incomplete`: stopped early, the last event. */
    INCOMPLETE,

    /** A type this version does not know; [ResponseEvent.type] has its name. */
    OTHER,
}
