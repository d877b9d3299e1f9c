package com.poke

import kotlinx.serialization.json.JsonElement

/**
 * One event of a turn.
 *
 * @property id the event's id (its sequence number as text); `null` in old-format streams.
 * @property type the event's type as sent, e.g. `text.delta`.
 * @property kind [type] as an enum, [TurnEventKind.OTHER] for types this version does not know.
 * @property data the payload (a non-JSON payload becomes a JSON string).
 * @property raw the payload exactly as received.
 * @property content `data.content` when it is text (text, thinking and tool-input deltas).
 * @property error `data.error` when it is text (`message.error`).
 * @property sequenceNumber `data.sequence_number`, else the id read as a number.
 * @property isTerminal true for the event that ends the turn (completed, error, cancelled).
 */
public data class TurnEvent(
    val id: String?,
    val type: String,
    val kind: TurnEventKind,
    val data: JsonElement,
    val raw: String,
    val content: String?,
    val error: String?,
    val sequenceNumber: Long?,
    val isTerminal: Boolean,
)

/** The event types of a turn. */
public enum class TurnEventKind {
    /** `message.created`: always first; `data.id` is the response id. */
    MESSAGE_CREATED,

    /** `text.start`. */
    TEXT_START,

    /** `text.delta`: [TurnEvent.content] is the next piece of the answer. */
    TEXT_DELTA,

    /** `text.stop`. */
    TEXT_STOP,

    /** `thinking.start`. */
    THINKING_START,

    /** `thinking.delta`: [TurnEvent.content] is the next piece of the reasoning. */
    THINKING_DELTA,

    /** `thinking.stop`. */
    THINKING_STOP,

    /** `tool_use.start`: the agent calls one of its own tools. */
    TOOL_USE_START,

    /** `tool_use.input_delta`: streamed tool arguments. */
    TOOL_USE_INPUT_DELTA,

    /** `tool_use.executing`: final input, about to run. */
    TOOL_USE_EXECUTING,

    /** `tool_use.stop`. */
    TOOL_USE_STOP,

    /** `tool_result`: a tool's output. */
    TOOL_RESULT,

    /** `tool_call.requested`: answer it with [Session.submitToolResult]. */
    TOOL_CALL_REQUESTED,

    /** `message.completed`: success, the last event. */
    MESSAGE_COMPLETED,

    /** `message.error`: failure, the last event; see [TurnEvent.error]. */
    MESSAGE_ERROR,

    /** `message.cancelled`: cancelled, the last event. */
    MESSAGE_CANCELLED,

    /** A type this version does not know; [TurnEvent.type] has its name. */
    OTHER,
}
