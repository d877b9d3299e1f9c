package com.poke

import kotlinx.serialization.json.JsonElement

/**
 * Runs the functions of [Responses.runTools], once per function call the model makes.
 *
 * ```kotlin
 * pokee.responses.runTools(params) { call -> weather(call.arguments.jsonObject["location"]) }
 * ```
 *
 * It runs on a native worker thread, where blocking is fine. Throwing stops the loop: runTools
 * throws that throwable.
 */
public fun interface ToolHandler {
    /** Runs [call] and returns its output text (often JSON), sent back to the model. */
    public fun call(call: ToolCall): String
}

/**
 * One function call of the model.
 *
 * @property name the function.
 * @property arguments its arguments (text that is not JSON becomes a JSON string).
 * @property argumentsText the arguments exactly as the model wrote them.
 * @property callId the call's id.
 */
public data class ToolCall(val name: String, val arguments: JsonElement, val argumentsText: String, val callId: String)
