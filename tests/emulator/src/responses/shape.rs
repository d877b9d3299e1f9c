//! The JSON of a stateless response, in OpenAI's Responses shapes (spec §2.18, §2.20): the
//! response object, its output items and usage.

use serde_json::{Value, json};

/// What every snapshot of one response repeats.
pub(crate) struct Header {
    pub(crate) id: String,
    pub(crate) created_at: f64,
    pub(crate) model: String,
    pub(crate) instructions: Option<String>,
    pub(crate) tools: Vec<Value>,
    pub(crate) effort: Option<String>,
}

impl Header {
    /// The response object with `status`, the `output` so far, and `usage`/`error` when set.
    pub(crate) fn response(
        &self,
        status: &str,
        output: &[Value],
        usage: Option<Value>,
        error: Option<Value>,
    ) -> Value {
        json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "model": self.model,
            "status": status,
            "output": output,
            "usage": usage,
            "error": error,
            "incomplete_details": null,
            "instructions": self.instructions,
            "tools": self.tools,
            "tool_choice": "auto",
            "parallel_tool_calls": true,
            "reasoning": {"effort": self.effort, "summary": null},
            "metadata": {},
        })
    }
}

/// An assistant message item holding one `output_text` part (none while it is being added).
pub(crate) fn message(id: &str, status: &str, text: Option<&str>) -> Value {
    let content = match text {
        Some(text) => json!([output_text(text)]),
        None => json!([]),
    };
    json!({
        "id": id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

/// An `output_text` content part.
pub(crate) fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": []})
}

/// A `function_call` item.
pub(crate) fn function_call(
    id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
    status: &str,
) -> Value {
    json!({
        "id": id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    })
}

/// The `usage` object; reasoning effort above `minimal` reports some reasoning tokens.
pub(crate) fn usage(input: u64, output: u64, reasoning: u64) -> Value {
    json!({
        "input_tokens": input,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input + output,
    })
}

/// The error object of a failed response.
pub(crate) fn error(message: &str) -> Value {
    json!({"code": "server_error", "message": message})
}
