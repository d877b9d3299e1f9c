//! One event of a turn, and the event types of a session turn (spec §4.2).

use super::sse::SseEvent;
use std::sync::OnceLock;

/// The event types of a session turn (spec §4.2); unknown names are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TurnEventKind {
    /// `message.created`: always first; `data.id` is the response id.
    MessageCreated,
    /// `text.start`.
    TextStart,
    /// `text.delta`: `data.content` is the next piece of text.
    TextDelta,
    /// `text.stop`.
    TextStop,
    /// `thinking.start`.
    ThinkingStart,
    /// `thinking.delta`: `data.content` is the next piece of the reasoning trace.
    ThinkingDelta,
    /// `thinking.stop`.
    ThinkingStop,
    /// `tool_use.start`: the agent calls one of its own tools.
    ToolUseStart,
    /// `tool_use.input_delta`: streamed tool arguments.
    ToolUseInputDelta,
    /// `tool_use.executing`: final input, about to run.
    ToolUseExecuting,
    /// `tool_use.stop`.
    ToolUseStop,
    /// `tool_result`: output of a tool.
    ToolResult,
    /// `tool_call.requested`: the agent wants a client tool; answer with `submit_tool_result`.
    ToolCallRequested,
    /// `message.completed`: success, terminal.
    MessageCompleted,
    /// `message.error`: failure, terminal.
    MessageError,
    /// `message.cancelled`: cancelled, terminal.
    MessageCancelled,
    /// `response.created`: first event of a stateless response stream; `data.id` is its id.
    ResponseCreated,
    /// `response.completed`: a stateless response succeeded, terminal.
    ResponseCompleted,
    /// `response.failed`: a stateless response failed, terminal.
    ResponseFailed,
    /// `response.cancelled`: a stateless response was cancelled, terminal.
    ResponseCancelled,
    /// `response.incomplete`: a stateless response stopped early (`OpenAI`'s name), terminal.
    ResponseIncomplete,
    /// Any other event name, kept verbatim.
    Other(String),
}

impl TurnEventKind {
    /// Classifies an event name.
    pub fn parse(name: &str) -> Self {
        match name {
            "message.created" => Self::MessageCreated,
            "text.start" => Self::TextStart,
            "text.delta" => Self::TextDelta,
            "text.stop" => Self::TextStop,
            "thinking.start" => Self::ThinkingStart,
            "thinking.delta" => Self::ThinkingDelta,
            "thinking.stop" => Self::ThinkingStop,
            "tool_use.start" => Self::ToolUseStart,
            "tool_use.input_delta" => Self::ToolUseInputDelta,
            "tool_use.executing" => Self::ToolUseExecuting,
            "tool_use.stop" => Self::ToolUseStop,
            "tool_result" => Self::ToolResult,
            "tool_call.requested" => Self::ToolCallRequested,
            "message.completed" => Self::MessageCompleted,
            "message.error" => Self::MessageError,
            "message.cancelled" => Self::MessageCancelled,
            "response.created" => Self::ResponseCreated,
            "response.completed" => Self::ResponseCompleted,
            "response.failed" => Self::ResponseFailed,
            "response.cancelled" => Self::ResponseCancelled,
            "response.incomplete" => Self::ResponseIncomplete,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire name of the event.
    pub fn as_str(&self) -> &str {
        match self {
            Self::MessageCreated => "message.created",
            Self::TextStart => "text.start",
            Self::TextDelta => "text.delta",
            Self::TextStop => "text.stop",
            Self::ThinkingStart => "thinking.start",
            Self::ThinkingDelta => "thinking.delta",
            Self::ThinkingStop => "thinking.stop",
            Self::ToolUseStart => "tool_use.start",
            Self::ToolUseInputDelta => "tool_use.input_delta",
            Self::ToolUseExecuting => "tool_use.executing",
            Self::ToolUseStop => "tool_use.stop",
            Self::ToolResult => "tool_result",
            Self::ToolCallRequested => "tool_call.requested",
            Self::MessageCompleted => "message.completed",
            Self::MessageError => "message.error",
            Self::MessageCancelled => "message.cancelled",
            Self::ResponseCreated => "response.created",
            Self::ResponseCompleted => "response.completed",
            Self::ResponseFailed => "response.failed",
            Self::ResponseCancelled => "response.cancelled",
            Self::ResponseIncomplete => "response.incomplete",
            Self::Other(name) => name,
        }
    }

    /// True for the events that end a stream: a turn's completed, error and cancelled, and a
    /// stateless response's completed, failed, cancelled and incomplete.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::MessageCompleted
                | Self::MessageError
                | Self::MessageCancelled
                | Self::ResponseCompleted
                | Self::ResponseFailed
                | Self::ResponseCancelled
                | Self::ResponseIncomplete
        )
    }
}

/// One event of a turn.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TurnEvent {
    /// The event's `id:` (its sequence number as text), absent in old-format streams.
    pub id: Option<String>,
    /// The event name, e.g. `text.delta`.
    pub event: String,
    /// The payload exactly as received.
    pub raw: String,
    /// `raw` parsed on first use: readers that only count, forward or re-parse events (the
    /// bindings build their own objects from `raw`) never pay for a `Value`.
    data: OnceLock<serde_json::Value>,
}

impl PartialEq for TurnEvent {
    fn eq(&self, other: &Self) -> bool {
        // `data` follows from `raw`, parsed or not.
        self.id == other.id && self.event == other.event && self.raw == other.raw
    }
}

impl TurnEvent {
    /// Builds an event from its wire parts; `raw` is parsed as JSON when `data()` is first read.
    pub fn new(id: Option<String>, event: impl Into<String>, raw: impl Into<String>) -> Self {
        Self {
            id,
            event: event.into(),
            raw: raw.into(),
            data: OnceLock::new(),
        }
    }

    /// The payload parsed as JSON, or the raw text as a JSON string when it is not JSON.
    pub fn data(&self) -> &serde_json::Value {
        self.data.get_or_init(|| {
            serde_json::from_str(&self.raw)
                .unwrap_or_else(|_| serde_json::Value::String(self.raw.clone()))
        })
    }

    /// The payload as a Rust type: `match event.payload() { EventPayload::TextDelta { content,
    /// .. } => ..., _ => ... }`.
    pub fn payload(&self) -> super::payload::EventPayload {
        super::payload::EventPayload::of(self)
    }

    /// The event's type.
    pub fn kind(&self) -> TurnEventKind {
        TurnEventKind::parse(&self.event)
    }

    /// True when this event ends the turn.
    pub fn is_terminal(&self) -> bool {
        self.kind().is_terminal()
    }

    /// `data.sequence_number`, else the id read as a number.
    pub fn sequence_number(&self) -> Option<u64> {
        self.data()
            .get("sequence_number")
            .and_then(serde_json::Value::as_u64)
            .or_else(|| self.id.as_deref().and_then(|id| id.trim().parse().ok()))
    }

    /// `data.content` when it is a string (text, thinking and tool-input deltas).
    pub fn content(&self) -> Option<&str> {
        self.data()
            .get("content")
            .and_then(serde_json::Value::as_str)
    }

    /// `data.error` when it is a string (`message.error`).
    pub fn error(&self) -> Option<&str> {
        self.data().get("error").and_then(serde_json::Value::as_str)
    }
}

impl From<SseEvent> for TurnEvent {
    fn from(ev: SseEvent) -> Self {
        Self::new(ev.id, ev.event, ev.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_non_json_events_are_kept() {
        let ev = TurnEvent::new(Some("4".into()), "brand.new", "not json");
        assert_eq!(ev.kind(), TurnEventKind::Other("brand.new".into()));
        assert_eq!(*ev.data(), serde_json::Value::String("not json".into()));
        assert_eq!(ev.sequence_number(), Some(4));
        let delta = TurnEvent::new(
            None,
            "text.delta",
            r#"{"content":"hi","sequence_number":7}"#,
        );
        assert_eq!(delta.content(), Some("hi"));
        assert_eq!(delta.sequence_number(), Some(7));
        for name in [
            "message.created",
            "text.start",
            "text.delta",
            "text.stop",
            "thinking.start",
            "thinking.delta",
            "thinking.stop",
            "tool_use.start",
            "tool_use.input_delta",
            "tool_use.executing",
            "tool_use.stop",
            "tool_result",
            "tool_call.requested",
            "message.completed",
            "message.error",
            "message.cancelled",
        ] {
            let kind = TurnEventKind::parse(name);
            assert_ne!(kind, TurnEventKind::Other(name.into()), "{name}");
            assert_eq!(kind.as_str(), name);
            assert_eq!(
                kind.is_terminal(),
                name.starts_with("message.") && name != "message.created"
            );
        }
        for (name, terminal) in [
            ("response.created", false),
            ("response.output_text.delta", false),
            ("response.completed", true),
            ("response.failed", true),
            ("response.cancelled", true),
            ("response.incomplete", true),
        ] {
            assert_eq!(TurnEventKind::parse(name).as_str(), name);
            assert_eq!(TurnEventKind::parse(name).is_terminal(), terminal, "{name}");
        }
    }
}
