//! One event of a streamed stateless response, in `OpenAI`'s Responses names (spec §2.20).

use super::response::{OutputItem, Response, ResponseError};
use crate::turn::TurnEvent;
use serde_json::Value;

/// The event types of a streamed response; unknown names are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseEventKind {
    /// `response.created`: first; `response` is the snapshot, `id` the response id.
    Created,
    /// `response.in_progress`.
    InProgress,
    /// `response.output_item.added`: `item` starts at `output_index`.
    OutputItemAdded,
    /// `response.output_item.done`: `item` is complete.
    OutputItemDone,
    /// `response.content_part.added`.
    ContentPartAdded,
    /// `response.content_part.done`.
    ContentPartDone,
    /// `response.output_text.delta`: `delta` is the next piece of text.
    OutputTextDelta,
    /// `response.output_text.done`: `text` is the whole text of the part.
    OutputTextDone,
    /// `response.function_call_arguments.delta`: `delta` is the next piece of arguments.
    FunctionCallArgumentsDelta,
    /// `response.function_call_arguments.done`: `arguments` are complete.
    FunctionCallArgumentsDone,
    /// `response.completed`: success, terminal; `response` has the output and usage.
    Completed,
    /// `response.failed`: failure, terminal; see [`ResponseEvent::error`].
    Failed,
    /// `response.cancelled`: cancelled through E21, terminal.
    Cancelled,
    /// `response.incomplete`: stopped early, terminal.
    Incomplete,
    /// Any other event name, kept verbatim.
    Other(String),
}

impl ResponseEventKind {
    /// Classifies an event name.
    pub fn parse(name: &str) -> Self {
        match name {
            "response.created" => Self::Created,
            "response.in_progress" => Self::InProgress,
            "response.output_item.added" => Self::OutputItemAdded,
            "response.output_item.done" => Self::OutputItemDone,
            "response.content_part.added" => Self::ContentPartAdded,
            "response.content_part.done" => Self::ContentPartDone,
            "response.output_text.delta" => Self::OutputTextDelta,
            "response.output_text.done" => Self::OutputTextDone,
            "response.function_call_arguments.delta" => Self::FunctionCallArgumentsDelta,
            "response.function_call_arguments.done" => Self::FunctionCallArgumentsDone,
            "response.completed" => Self::Completed,
            "response.failed" => Self::Failed,
            "response.cancelled" => Self::Cancelled,
            "response.incomplete" => Self::Incomplete,
            other => Self::Other(other.to_owned()),
        }
    }

    /// True for the events that end the stream.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::Incomplete
        )
    }
}

/// One event of a streamed response; the payload's typed fields through accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseEvent(TurnEvent);

impl From<TurnEvent> for ResponseEvent {
    fn from(event: TurnEvent) -> Self {
        Self(event)
    }
}

impl ResponseEvent {
    /// The event's `id:` (its sequence number as text).
    pub fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }

    /// The event's name: the SSE `event:`, else the payload's `type`.
    pub fn name(&self) -> &str {
        match self.0.event.as_str() {
            "" | "message" => self.str_field("type").unwrap_or(&self.0.event),
            name => name,
        }
    }

    /// The event's type.
    pub fn kind(&self) -> ResponseEventKind {
        ResponseEventKind::parse(self.name())
    }

    /// True when this event ends the stream.
    pub fn is_terminal(&self) -> bool {
        self.kind().is_terminal()
    }

    /// The payload exactly as received.
    pub fn raw(&self) -> &str {
        &self.0.raw
    }

    /// The payload parsed as JSON.
    pub fn data(&self) -> &Value {
        self.0.data()
    }

    /// The event as the turn machinery reads it.
    pub fn as_turn_event(&self) -> &TurnEvent {
        &self.0
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.data().get(key).and_then(Value::as_str)
    }

    fn index(&self, key: &str) -> Option<u64> {
        self.data().get(key).and_then(Value::as_u64)
    }

    /// `sequence_number`, else the id read as a number.
    pub fn sequence_number(&self) -> Option<u64> {
        self.0.sequence_number()
    }

    /// The item the event is about (`item_id`).
    pub fn item_id(&self) -> Option<&str> {
        self.str_field("item_id")
    }

    /// The item's place in the output (`output_index`).
    pub fn output_index(&self) -> Option<u64> {
        self.index("output_index")
    }

    /// The part's place in the item (`content_index`).
    pub fn content_index(&self) -> Option<u64> {
        self.index("content_index")
    }

    /// The next piece of text or arguments (`delta` of the `.delta` events).
    pub fn delta(&self) -> Option<&str> {
        self.str_field("delta")
    }

    /// The whole text of a part (`response.output_text.done`).
    pub fn text(&self) -> Option<&str> {
        self.str_field("text")
    }

    /// The whole arguments of a call (`response.function_call_arguments.done`).
    pub fn arguments(&self) -> Option<&str> {
        self.str_field("arguments")
    }

    /// The item of `response.output_item.added` / `.done`.
    pub fn item(&self) -> Option<OutputItem> {
        self.data().get("item").cloned().map(OutputItem::from_value)
    }

    /// The response snapshot of the lifecycle events (created, in progress, terminal).
    pub fn response(&self) -> Option<Response> {
        serde_json::from_value(self.data().get("response")?.clone()).ok()
    }

    /// The response id: the lifecycle events' `id`, else their snapshot's.
    pub fn response_id(&self) -> Option<&str> {
        self.str_field("id").or_else(|| {
            self.data()
                .get("response")
                .and_then(|r| r.get("id"))
                .and_then(Value::as_str)
        })
    }

    /// Why the response failed: `response.error`, else a top-level `error`.
    pub fn error(&self) -> Option<ResponseError> {
        let data = self.data();
        let error = data
            .get("response")
            .and_then(|r| r.get("error"))
            .filter(|e| !e.is_null())
            .or_else(|| data.get("error").filter(|e| !e.is_null()))?;
        match error {
            Value::String(message) => Some(ResponseError {
                code: None,
                message: message.clone(),
            }),
            other => serde_json::from_value(other.clone()).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_of_events() {
        let delta = ResponseEvent::from(TurnEvent::new(
            Some("4".into()),
            "response.output_text.delta",
            r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","sequence_number":4}"#,
        ));
        assert_eq!(delta.kind(), ResponseEventKind::OutputTextDelta);
        assert_eq!(delta.delta(), Some("Hi"));
        assert_eq!(delta.item_id(), Some("msg_1"));
        assert_eq!(
            (delta.output_index(), delta.content_index()),
            (Some(0), Some(0))
        );
        assert_eq!(delta.sequence_number(), Some(4));
        assert!(!delta.is_terminal());

        let failed = ResponseEvent::from(TurnEvent::new(
            None,
            "message",
            r#"{"type":"response.failed","id":"resp_1","response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"}}}"#,
        ));
        assert_eq!(failed.name(), "response.failed");
        assert!(failed.is_terminal());
        assert_eq!(failed.error().map(|e| e.message).as_deref(), Some("boom"));
        assert_eq!(
            failed.response().map(|r| r.status).as_deref(),
            Some("failed")
        );
        assert_eq!(failed.response_id(), Some("resp_1"));
        let spec_form = ResponseEvent::from(TurnEvent::new(
            None,
            "response.failed",
            r#"{"id":"resp_1","error":"overloaded"}"#,
        ));
        assert_eq!(
            spec_form.error().map(|e| e.message).as_deref(),
            Some("overloaded")
        );
    }
}
