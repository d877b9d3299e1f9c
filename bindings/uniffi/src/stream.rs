//! `Turn`: one turn's event stream, pulled with an async `next()` (null at the end).
//!
//! The core's `TurnReader` reads ahead, resumes drops, deduplicates, orders events and keeps
//! what a cancelled tracked read received; this object only converts its events. Hand-written
//! sugar turns it into a Kotlin `Flow` and a Swift `AsyncSequence`.

use crate::error::PokeError;
use crate::sessions::json_text;
use std::sync::Arc;

/// The event types of a turn; anything newer is `Other` (its name is in `TurnEvent.event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TurnEventKind {
    /// `message.created`: always first; `data.id` is the response id.
    MessageCreated,
    /// `text.start`.
    TextStart,
    /// `text.delta`: `content` is the next piece of text.
    TextDelta,
    /// `text.stop`.
    TextStop,
    /// `thinking.start`.
    ThinkingStart,
    /// `thinking.delta`: `content` is the next piece of the reasoning trace.
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
    /// `tool_call.requested`: answer with `PokeeClient.submitToolResult`.
    ToolCallRequested,
    /// `message.completed`: success, terminal.
    MessageCompleted,
    /// `message.error`: failure, terminal.
    MessageError,
    /// `message.cancelled`: cancelled, terminal.
    MessageCancelled,
    /// An event type this version does not know.
    Other,
}

impl From<poke::TurnEventKind> for TurnEventKind {
    fn from(kind: poke::TurnEventKind) -> Self {
        use poke::TurnEventKind as K;
        match kind {
            K::MessageCreated => Self::MessageCreated,
            K::TextStart => Self::TextStart,
            K::TextDelta => Self::TextDelta,
            K::TextStop => Self::TextStop,
            K::ThinkingStart => Self::ThinkingStart,
            K::ThinkingDelta => Self::ThinkingDelta,
            K::ThinkingStop => Self::ThinkingStop,
            K::ToolUseStart => Self::ToolUseStart,
            K::ToolUseInputDelta => Self::ToolUseInputDelta,
            K::ToolUseExecuting => Self::ToolUseExecuting,
            K::ToolUseStop => Self::ToolUseStop,
            K::ToolResult => Self::ToolResult,
            K::ToolCallRequested => Self::ToolCallRequested,
            K::MessageCompleted => Self::MessageCompleted,
            K::MessageError => Self::MessageError,
            K::MessageCancelled => Self::MessageCancelled,
            _ => Self::Other,
        }
    }
}

/// One event of a turn.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TurnEvent {
    /// The event's `id:` (its sequence number as text), absent in old-format streams.
    pub id: Option<String>,
    /// The event name, e.g. `text.delta`.
    pub event: String,
    /// The event's type.
    pub kind: TurnEventKind,
    /// The payload as JSON (a non-JSON payload becomes a JSON string).
    pub data_json: String,
    /// The payload exactly as received.
    pub raw: String,
    /// `data.content` when it is a string (text, thinking and tool-input deltas).
    pub content: Option<String>,
    /// `data.error` when it is a string (`message.error`).
    pub error: Option<String>,
    /// `data.sequence_number`, else the id read as a number.
    pub sequence_number: Option<u64>,
    /// True for the event that ends the turn (completed, error, cancelled).
    pub is_terminal: bool,
}

impl From<poke::TurnEvent> for TurnEvent {
    fn from(ev: poke::TurnEvent) -> Self {
        Self {
            kind: ev.kind().into(),
            content: ev.content().map(str::to_owned),
            error: ev.error().map(str::to_owned),
            sequence_number: ev.sequence_number(),
            is_terminal: ev.is_terminal(),
            data_json: json_text(ev.data()),
            id: ev.id,
            event: ev.event,
            raw: ev.raw,
        }
    }
}

/// Answer of a turn cancel: `cancelling` (202) or `already_complete` (200).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CancelResult {
    /// The turn's response id, when the server includes it.
    pub response_id: Option<String>,
    /// Open status string.
    pub status: String,
}

impl From<poke::CancelResult> for CancelResult {
    fn from(c: poke::CancelResult) -> Self {
        Self {
            response_id: c.response_id,
            status: c.status,
        }
    }
}

/// The server's answer to an idempotent re-send whose events were already evicted: the turn
/// finished long ago and its stream yields nothing.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReplayNotice {
    /// The original turn's response id.
    pub response_id: String,
    /// `replayed`.
    pub status: String,
    /// The server's explanation.
    pub note: Option<String>,
}

/// The events of one turn, resumed automatically after a drop; each event exactly once and
/// in order. `next()` returns null after the terminal event or after `close()`.
///
/// Kotlin: `turn.asFlow()`; Swift: `for try await event in turn.events()`. The core reads
/// ahead (`poke::binding::TurnReader`), so a `next()` only waits when no event is ready.
#[derive(uniffi::Object)]
pub struct Turn {
    reader: poke::binding::TurnReader<TurnEvent>,
    session_id: String,
    replayed: Option<ReplayNotice>,
}

impl poke::binding::ReadEvent for TurnEvent {
    fn event_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn ends_turn(&self) -> bool {
        self.is_terminal
    }
}

impl Turn {
    pub(crate) fn new(
        stream: poke::TurnStream,
        session_id: String,
    ) -> Result<Arc<Self>, PokeError> {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle,
            Err(_) => poke::binding::runtime::shared()?.handle().clone(),
        };
        let replayed = stream.replayed().map(|n| ReplayNotice {
            response_id: n.response_id.clone(),
            status: n.status.clone(),
            note: n.note.clone(),
        });
        let convert =
            Box::new(|batch: Vec<poke::TurnEvent>| batch.into_iter().map(Into::into).collect());
        Ok(Arc::new(Self {
            reader: poke::binding::TurnReader::new(stream, runtime, convert),
            session_id,
            replayed,
        }))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Turn {
    /// The next event, or null once the turn is over (or the stream was closed).
    pub async fn next(&self) -> Result<Option<TurnEvent>, PokeError> {
        Ok(self.reader.next().await?)
    }

    /// `next()` for readers that can be cancelled after the event left the stream but before
    /// they received it (a Kotlin coroutine cancelled while the result is on its way). The
    /// event stays unconfirmed under `read_id` until `confirm_read(read_id)`; meanwhile the
    /// next read (tracked or not) takes it over, so a cancelled read loses nothing and two
    /// overlapping readers never both get it. `asFlow()` does this; direct callers rarely need it.
    pub async fn next_tracked(&self, read_id: u64) -> Result<Option<TurnEvent>, PokeError> {
        Ok(self.reader.next_tracked(read_id).await?)
    }

    /// Claims the event of `next_tracked(read_id)`: true if it is still this read's, false if
    /// another read took it over meanwhile (then it must not be used).
    pub fn confirm_read(&self, read_id: u64) -> bool {
        self.reader.confirm(read_id)
    }

    /// The turn's response id (`X-Response-Id`, else `message.created`'s `data.id`).
    pub fn response_id(&self) -> Option<String> {
        self.reader.position().response_id
    }

    /// The id of the last event delivered, for a manual `PokeeClient.resume`.
    pub fn last_event_id(&self) -> Option<String> {
        self.reader.position().last_event_id
    }

    /// The session this turn runs in.
    pub fn session_id(&self) -> String {
        self.session_id.clone()
    }

    /// The `Idempotency-Key` the turn was started with (null for a resumed stream).
    pub fn idempotency_key(&self) -> Option<String> {
        self.reader.idempotency_key().map(str::to_owned)
    }

    /// Set when the server answered an idempotent re-send with "replayed".
    pub fn replayed(&self) -> Option<ReplayNotice> {
        self.replayed.clone()
    }

    /// Stops reading now (a pending `next()` returns null); the turn keeps running on the
    /// server. Kotlin calls this `closeStream()`, because `close()` frees the object there.
    pub fn close(&self) {
        self.reader.close();
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult, PokeError> {
        Ok(self.reader.handle().cancel().await?.into())
    }
}

#[cfg(test)]
#[path = "tests/stream.rs"]
mod tests;
