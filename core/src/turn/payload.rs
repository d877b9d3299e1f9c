//! A turn event's payload as a Rust type, one variant per documented event (spec §4.2).

use super::event::{TurnEvent, TurnEventKind};
use serde_json::{Map, Value};

/// What a turn event says, typed by its name. An event this version does not know, or a known
/// event whose payload lacks a documented field, is kept whole in [`EventPayload::Other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventPayload {
    /// `message.created`: always first.
    #[non_exhaustive]
    MessageCreated {
        /// The response id, for [`crate::Session::resume`] and [`crate::Session::cancel`].
        response_id: String,
    },
    /// `text.start`: a block of answer text opens.
    TextStart,
    /// `text.delta`: the next piece of the answer.
    #[non_exhaustive]
    TextDelta {
        /// The text.
        content: String,
    },
    /// `text.stop`.
    TextStop,
    /// `thinking.start`: a block of reasoning trace opens.
    ThinkingStart,
    /// `thinking.delta`: the next piece of the reasoning trace.
    #[non_exhaustive]
    ThinkingDelta {
        /// The text.
        content: String,
    },
    /// `thinking.stop`.
    ThinkingStop,
    /// `tool_use.start`: the agent calls one of its own tools.
    #[non_exhaustive]
    ToolUseStart {
        /// Matches the `tool_result` that follows.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// `tool_use.input_delta`: the tool's arguments, streamed.
    #[non_exhaustive]
    ToolUseInputDelta {
        /// The next piece of the arguments.
        content: String,
    },
    /// `tool_use.executing`: the final input, about to run.
    #[non_exhaustive]
    ToolUseExecuting {
        /// Matches `tool_use.start`.
        id: String,
        /// The tool's name.
        name: String,
        /// Its arguments.
        input: Value,
    },
    /// `tool_use.stop`.
    ToolUseStop,
    /// `tool_result`: a tool's output.
    #[non_exhaustive]
    ToolResult {
        /// Matches `tool_use.start` (or the `call_id` of a client tool call).
        id: String,
        /// The output as the server sent it.
        content: Value,
        /// True when the tool failed.
        is_error: bool,
    },
    /// `tool_call.requested`: the agent wants one of the session's client tools; answer with
    /// [`crate::Session::submit_tool_result`].
    #[non_exhaustive]
    ToolCallRequested {
        /// Names the answer.
        call_id: String,
        /// The tool's name.
        name: String,
        /// Its arguments, a JSON document as text (`OpenAI`'s shape).
        arguments: String,
    },
    /// `message.completed`: success, the last event.
    #[non_exhaustive]
    MessageCompleted {
        /// Token counts, as the server sent them.
        usage: Option<Map<String, Value>>,
    },
    /// `message.error`: failure, the last event.
    #[non_exhaustive]
    MessageError {
        /// What went wrong.
        error: String,
    },
    /// `message.cancelled`: cancelled, the last event.
    MessageCancelled,
    /// Any other event, or a known one in a shape this version does not expect.
    #[non_exhaustive]
    Other {
        /// The event name.
        event: String,
        /// The payload as JSON (the raw text as a JSON string when it is not JSON).
        data: Value,
    },
}

fn text(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl EventPayload {
    /// Types an event by its name and payload.
    pub(crate) fn of(event: &TurnEvent) -> Self {
        let data = event.data();
        let typed = match event.kind() {
            TurnEventKind::MessageCreated => {
                text(data, "id").map(|response_id| Self::MessageCreated { response_id })
            }
            TurnEventKind::TextStart => Some(Self::TextStart),
            TurnEventKind::TextDelta => {
                text(data, "content").map(|content| Self::TextDelta { content })
            }
            TurnEventKind::TextStop => Some(Self::TextStop),
            TurnEventKind::ThinkingStart => Some(Self::ThinkingStart),
            TurnEventKind::ThinkingDelta => {
                text(data, "content").map(|content| Self::ThinkingDelta { content })
            }
            TurnEventKind::ThinkingStop => Some(Self::ThinkingStop),
            TurnEventKind::ToolUseStart => text(data, "id")
                .zip(text(data, "name"))
                .map(|(id, name)| Self::ToolUseStart { id, name }),
            TurnEventKind::ToolUseInputDelta => {
                text(data, "content").map(|content| Self::ToolUseInputDelta { content })
            }
            TurnEventKind::ToolUseExecuting => {
                text(data, "id")
                    .zip(text(data, "name"))
                    .map(|(id, name)| Self::ToolUseExecuting {
                        id,
                        name,
                        input: data.get("input").cloned().unwrap_or(Value::Null),
                    })
            }
            TurnEventKind::ToolUseStop => Some(Self::ToolUseStop),
            TurnEventKind::ToolResult => text(data, "id").map(|id| Self::ToolResult {
                id,
                content: data.get("content").cloned().unwrap_or(Value::Null),
                is_error: data
                    .get("is_error")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            TurnEventKind::ToolCallRequested => {
                let arguments = match data.get("arguments") {
                    Some(Value::String(s)) => Some(s.clone()),
                    // Some servers send the arguments as an object: keep them as JSON text.
                    Some(other) => Some(other.to_string()),
                    None => None,
                };
                text(data, "call_id")
                    .zip(text(data, "name"))
                    .zip(arguments)
                    .map(|((call_id, name), arguments)| Self::ToolCallRequested {
                        call_id,
                        name,
                        arguments,
                    })
            }
            TurnEventKind::MessageCompleted => Some(Self::MessageCompleted {
                usage: data.get("usage").and_then(Value::as_object).cloned(),
            }),
            TurnEventKind::MessageError => Some(Self::MessageError {
                error: text(data, "error").unwrap_or_default(),
            }),
            TurnEventKind::MessageCancelled => Some(Self::MessageCancelled),
            // A stateless response's events are typed by `ResponseEvent`, not as turn payloads.
            TurnEventKind::ResponseCreated
            | TurnEventKind::ResponseCompleted
            | TurnEventKind::ResponseFailed
            | TurnEventKind::ResponseCancelled
            | TurnEventKind::ResponseIncomplete
            | TurnEventKind::Other(_) => None,
        };
        typed.unwrap_or_else(|| Self::Other {
            event: event.event.clone(),
            data: data.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(event: &str, data: &str) -> EventPayload {
        TurnEvent::new(Some("1".into()), event, data).payload()
    }

    #[test]
    fn documented_events_are_typed() {
        assert_eq!(
            payload(
                "message.created",
                r#"{"id":"msg_1","status":"in_progress"}"#
            ),
            EventPayload::MessageCreated {
                response_id: "msg_1".into()
            }
        );
        assert_eq!(
            payload("text.delta", r#"{"content":"NVIDIA ","sequence_number":3}"#),
            EventPayload::TextDelta {
                content: "NVIDIA ".into()
            }
        );
        assert_eq!(
            payload(
                "tool_call.requested",
                r#"{"call_id":"call_1","name":"get_weather","arguments":"{\"location\":\"Paris\"}"}"#
            ),
            EventPayload::ToolCallRequested {
                call_id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Paris"}"#.into()
            }
        );
        assert_eq!(
            payload(
                "tool_result",
                r#"{"id":"t1","content":[1],"is_error":true}"#
            ),
            EventPayload::ToolResult {
                id: "t1".into(),
                content: json!([1]),
                is_error: true
            }
        );
        assert_eq!(
            payload("message.completed", r#"{"usage":{"total_tokens":9}}"#),
            EventPayload::MessageCompleted {
                usage: json!({"total_tokens": 9}).as_object().cloned()
            }
        );
        assert_eq!(
            payload("message.error", r#"{"error":"boom"}"#),
            EventPayload::MessageError {
                error: "boom".into()
            }
        );
        assert_eq!(payload("text.stop", "{}"), EventPayload::TextStop);
        assert_eq!(
            payload("message.cancelled", "{}"),
            EventPayload::MessageCancelled
        );
    }

    #[test]
    fn unknown_or_misshapen_events_keep_their_json() {
        assert_eq!(
            payload("brand.new", r#"{"x":1}"#),
            EventPayload::Other {
                event: "brand.new".into(),
                data: json!({"x": 1})
            }
        );
        // A text.delta without its content is not silently an empty delta.
        assert_eq!(
            payload("text.delta", r#"{"text":"moved"}"#),
            EventPayload::Other {
                event: "text.delta".into(),
                data: json!({"text": "moved"})
            }
        );
        assert_eq!(
            payload("text.delta", "not json"),
            EventPayload::Other {
                event: "text.delta".into(),
                data: json!("not json")
            }
        );
    }
}
