//! `Turn`: one turn's event stream, pulled with an async `next()` (null at the end).
//!
//! The core's `TurnStream` resumes drops, deduplicates and orders events; this object only
//! puts it behind a lock so Kotlin and Swift can share it. The lock is held while `next()`
//! waits for the network, so everything else goes through the core's `TurnHandle`.
//! Hand-written sugar turns it into a Kotlin `Flow` and a Swift `AsyncThrowingStream`.

use crate::error::PokeError;
use crate::sessions::json_text;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
/// Kotlin: `turn.asFlow()`; Swift: `for try await event in turn.events()`. One reader at a
/// time: concurrent `next()` calls wait for each other.
#[derive(uniffi::Object)]
pub struct Turn {
    stream: tokio::sync::Mutex<poke::TurnStream>,
    /// Events of tracked reads not yet confirmed, oldest first, by read id: the next read
    /// takes the oldest over (its reader was cancelled, or lost it to a concurrent read).
    in_flight: Mutex<VecDeque<(u64, TurnEvent)>>,
    handle: poke::TurnHandle,
    session_id: String,
    idempotency_key: Option<String>,
    replayed: Option<ReplayNotice>,
}

impl Turn {
    pub(crate) fn new(stream: poke::TurnStream, session_id: String) -> Arc<Self> {
        Arc::new(Self {
            handle: stream.handle(),
            session_id,
            idempotency_key: stream.idempotency_key().map(str::to_owned),
            replayed: stream.replayed().map(|n| ReplayNotice {
                response_id: n.response_id.clone(),
                status: n.status.clone(),
                note: n.note.clone(),
            }),
            stream: tokio::sync::Mutex::new(stream),
            in_flight: Mutex::default(),
        })
    }

    /// The next event: the oldest unconfirmed one of a tracked read (it left the stream
    /// first), else the stream's next; `tracked` records it under that read id.
    async fn read(&self, tracked: Option<u64>) -> Result<Option<TurnEvent>, PokeError> {
        let mut stream = self.stream.lock().await;
        let unconfirmed = lock(&self.in_flight).pop_front().map(|(_, event)| event);
        let event = match unconfirmed {
            Some(event) => Some(event),
            None => stream.next_event().await?.map(Into::into),
        };
        if let (Some(read_id), Some(event)) = (tracked, &event) {
            lock(&self.in_flight).push_back((read_id, event.clone()));
        }
        Ok(event)
    }
}

/// A poisoned lock only means another thread panicked mid-update of a plain map; the data is
/// still consistent, so keep going rather than panic across the FFI boundary.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[uniffi::export(async_runtime = "tokio")]
impl Turn {
    /// The next event, or null once the turn is over (or the stream was closed).
    pub async fn next(&self) -> Result<Option<TurnEvent>, PokeError> {
        self.read(None).await
    }

    /// `next()` for readers that can be cancelled after the event left the stream but before
    /// they received it (a Kotlin coroutine cancelled while the result is on its way). The
    /// event stays unconfirmed under `read_id` until `confirm_read(read_id)`; meanwhile the
    /// next read (tracked or not) takes it over, so a cancelled read loses nothing and two
    /// overlapping readers never both get it. `asFlow()` does this; direct callers rarely need it.
    pub async fn next_tracked(&self, read_id: u64) -> Result<Option<TurnEvent>, PokeError> {
        self.read(Some(read_id)).await
    }

    /// Claims the event of `next_tracked(read_id)`: true if it is still this read's, false if
    /// another read took it over meanwhile (then it must not be used).
    pub fn confirm_read(&self, read_id: u64) -> bool {
        let mut in_flight = lock(&self.in_flight);
        match in_flight.iter().position(|(id, _)| *id == read_id) {
            Some(at) => in_flight.remove(at).is_some(),
            None => false,
        }
    }

    /// The turn's response id (`X-Response-Id`, else `message.created`'s `data.id`).
    pub fn response_id(&self) -> Option<String> {
        self.handle.response_id()
    }

    /// The id of the last event delivered, for a manual `PokeeClient.resume`.
    pub fn last_event_id(&self) -> Option<String> {
        self.handle.last_event_id()
    }

    /// The session this turn runs in.
    pub fn session_id(&self) -> String {
        self.session_id.clone()
    }

    /// The `Idempotency-Key` the turn was started with (null for a resumed stream).
    pub fn idempotency_key(&self) -> Option<String> {
        self.idempotency_key.clone()
    }

    /// Set when the server answered an idempotent re-send with "replayed".
    pub fn replayed(&self) -> Option<ReplayNotice> {
        self.replayed.clone()
    }

    /// Stops reading now (a pending `next()` returns null); the turn keeps running on the
    /// server. Kotlin calls this `closeStream()`, because `close()` frees the object there.
    pub fn close(&self) {
        self.handle.close();
        // What a cancelled read left behind is not handed out after the end either.
        lock(&self.in_flight).clear();
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult, PokeError> {
        Ok(self.handle.cancel().await?.into())
    }
}

#[cfg(test)]
#[path = "tests/stream.rs"]
mod tests;
