//! Turn streams: SSE events of one session turn, resumed automatically after a drop.
//!
//! The server keeps every event of a turn in a buffer, so the connection is only an
//! accelerator: when it ends before a terminal event (EOF, read-idle timeout, network error),
//! the stream waits, reconnects to the events endpoint with `Last-Event-ID`, drops ids it has
//! already delivered, and carries on. The caller sees each event once, in order.

use crate::error::{Error, Result, TimeoutPhase};
use crate::sessions::{CancelResult, PokeeClient, ReplayNotice};
use crate::sse::{SseDecoder, SseEvent};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A response body as a stream of chunks.
pub(crate) type ByteStream = BoxStream<'static, Result<Bytes>>;

/// Largest event (or single line) held while decoding; a bigger one ends the stream rather
/// than letting a broken server grow memory without bound.
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

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
            Self::Other(name) => name,
        }
    }

    /// True for the events that end a turn: completed, error, cancelled.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::MessageCompleted | Self::MessageError | Self::MessageCancelled
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

/// When and how often a dropped turn stream is resumed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResumePolicy {
    /// Reconnects in a row that deliver nothing new before giving up; `0` never resumes.
    pub max_attempts_without_progress: u32,
    /// First backoff delay; doubled on each reconnect without progress.
    pub initial_delay: Duration,
    /// Largest backoff delay.
    pub max_delay: Duration,
    /// Lower bound applied to a server's `retry:` or `Retry-After` hint.
    pub min_server_retry: Duration,
    /// Upper bound applied to a server's `retry:` or `Retry-After` hint.
    pub max_server_retry: Duration,
    /// How many recent event ids are remembered to drop replays.
    pub dedupe_capacity: usize,
}

impl Default for ResumePolicy {
    fn default() -> Self {
        Self {
            max_attempts_without_progress: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            min_server_retry: Duration::from_millis(500),
            max_server_retry: Duration::from_secs(60),
            dedupe_capacity: 1024,
        }
    }
}

impl ResumePolicy {
    /// A policy that never reconnects: a drop ends the stream with [`Error::Stream`].
    pub fn never() -> Self {
        Self {
            max_attempts_without_progress: 0,
            ..Self::default()
        }
    }

    /// The wait before reconnect number `step` (0-based since the last progress): the server's
    /// hint clamped to `[min_server_retry, max_server_retry]`, else
    /// `min(initial · 2^step, max) · (1 − 0.25·jitter)` for a jitter draw in `[0, 1)`.
    pub fn delay(&self, step: u32, server_hint: Option<Duration>, jitter: f64) -> Duration {
        if let Some(hint) = server_hint {
            return hint.clamp(
                self.min_server_retry,
                self.max_server_retry.max(self.min_server_retry),
            );
        }
        let base = self
            .initial_delay
            .saturating_mul(1u32 << step.min(20))
            .min(self.max_delay);
        base.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
    }
}

/// A bounded memory of delivered event ids, so a replayed event reaches the caller only once.
#[derive(Debug, Clone)]
pub struct SeenIds {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
    /// Highest numeric id delivered: Pokee ids count up by one per event, so a numeric id at
    /// or below it is a replay even once the bounded set has forgotten it.
    max_numeric: Option<u64>,
}

impl SeenIds {
    /// Remembers up to `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
            max_numeric: None,
        }
    }

    /// Records `id`; returns false when it was seen before (a replay to drop).
    pub fn insert(&mut self, id: &str) -> bool {
        if let Ok(n) = id.parse::<u64>() {
            // A numeric id is judged by `max_numeric` alone (see `contains`), so it never
            // needs a place in the set: the usual stream costs no allocation here.
            if self.max_numeric.is_some_and(|max| n <= max) {
                return false;
            }
            self.max_numeric = Some(n);
            return true;
        }
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }

    /// True when `id` would be dropped as a replay.
    pub fn contains(&self, id: &str) -> bool {
        match id.parse::<u64>() {
            Ok(n) => self.max_numeric.is_some_and(|max| n <= max),
            Err(_) => self.set.contains(id),
        }
    }
}

/// Stops a [`TurnStream`] from any thread without waiting for it; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(CancellationToken);

impl CancelHandle {
    /// Stops reading now: a pending `next()` returns `None` and the connection is dropped.
    /// The turn keeps running on the server; use [`TurnStream::cancel`] to stop it there.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// What opening an event stream produced.
pub(crate) enum Opened {
    /// An SSE body.
    Events {
        body: ByteStream,
        response_id: Option<String>,
    },
    /// `204 No Content`: the server says there is nothing more to read.
    NoContent,
    /// A JSON "replayed" answer: the turn finished and its events are gone.
    Replayed(ReplayNotice),
}

/// Reopens a turn's event stream after a drop.
pub(crate) trait Reconnect: Send + Sync {
    /// Opens the stream after `last_event_id` (from the start when `None`).
    fn reconnect(
        &self,
        response_id: Option<String>,
        last_event_id: Option<String>,
    ) -> BoxFuture<'static, Result<Opened>>;
}

/// Where a stream is, shared between the reading task and the accessors.
#[derive(Debug, Default)]
struct Shared {
    response_id: Option<String>,
    last_event_id: Option<String>,
    finished: bool,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A panic elsewhere cannot leave these plain fields half-written.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A cloneable view of a [`TurnStream`]: its position and its controls, without the stream.
#[derive(Clone)]
pub struct TurnHandle {
    shared: Arc<Mutex<Shared>>,
    cancel: CancelHandle,
    control: Option<TurnControl>,
}

impl fmt::Debug for TurnHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnHandle")
            .field("response_id", &self.response_id())
            .field("last_event_id", &self.last_event_id())
            .finish_non_exhaustive()
    }
}

impl TurnHandle {
    /// The turn's response id, once the server has sent it.
    pub fn response_id(&self) -> Option<String> {
        lock(&self.shared).response_id.clone()
    }

    /// The id of the last event delivered.
    pub fn last_event_id(&self) -> Option<String> {
        lock(&self.shared).last_event_id.clone()
    }

    /// True once the terminal event was delivered.
    pub fn is_finished(&self) -> bool {
        lock(&self.shared).finished
    }

    /// The session this turn runs in, when the stream came from a client.
    pub fn session_id(&self) -> Option<&str> {
        self.control.as_ref().map(|c| c.session_id.as_str())
    }

    /// Stops the stream's reading now; the turn keeps running on the server.
    pub fn close(&self) {
        self.cancel.cancel();
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult> {
        let control = self.control.as_ref().ok_or_else(|| Error::InvalidInput {
            field: "turn",
            reason: "this stream is not attached to a client".into(),
        })?;
        let rid = self.response_id().ok_or_else(|| Error::InvalidInput {
            field: "response_id",
            reason: "the server has not sent the turn's response id yet".into(),
        })?;
        control.client.cancel(&control.session_id, &rid).await
    }
}

/// The client and session a stream belongs to, for [`TurnStream::cancel`].
#[derive(Clone)]
pub(crate) struct TurnControl {
    pub client: PokeeClient,
    pub session_id: String,
}

/// Everything needed to start a [`TurnStream`].
pub(crate) struct TurnSetup {
    /// The first body, or `None` to start by reconnecting.
    pub body: Option<ByteStream>,
    pub response_id: Option<String>,
    /// Position to resume after, for a stream opened with a known `Last-Event-ID`.
    pub last_event_id: Option<String>,
    pub reconnect: Option<Arc<dyn Reconnect>>,
    pub policy: ResumePolicy,
    pub read_idle: Option<Duration>,
    pub control: Option<TurnControl>,
    pub idempotency_key: Option<String>,
    pub replayed: Option<ReplayNotice>,
}

/// The events of one turn, resumed automatically; a `Stream` of `Result<TurnEvent>`.
///
/// It ends after the terminal event (`message.completed`, `message.error`,
/// `message.cancelled`), after [`TurnStream::close`], or with [`Error::Stream`] when resuming
/// is impossible or keeps failing.
pub struct TurnStream {
    /// `None` once the stream is over: dropping the driver drops its connection.
    inner: Option<Reading>,
    shared: Arc<Mutex<Shared>>,
    cancel: CancelHandle,
    control: Option<TurnControl>,
    idempotency_key: Option<String>,
    replayed: Option<ReplayNotice>,
}

impl fmt::Debug for TurnStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.shared);
        f.debug_struct("TurnStream")
            .field("response_id", &s.response_id)
            .field("last_event_id", &s.last_event_id)
            .field("finished", &s.finished)
            .field("closed", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl TurnStream {
    pub(crate) fn new(setup: TurnSetup) -> Self {
        let cancel = CancelHandle::default();
        let mut seen = SeenIds::new(setup.policy.dedupe_capacity);
        let position = setup.last_event_id.filter(|id| !id.is_empty());
        if let Some(id) = &position {
            seen.insert(id);
        }
        let shared = Arc::new(Mutex::new(Shared {
            response_id: setup.response_id,
            last_event_id: position.clone(),
            finished: false,
        }));
        let done = setup.replayed.is_some();
        let driver = Driver {
            decoder: SseDecoder::resumed(position.clone().unwrap_or_default(), None),
            processed_id: position.clone().unwrap_or_default(),
            body: setup.body,
            queue: VecDeque::new(),
            seen,
            position,
            shared: shared.clone(),
            reconnect: setup.reconnect,
            policy: setup.policy,
            read_idle: setup.read_idle,
            cancel: cancel.0.clone(),
            server_hint: None,
            attempts: 0,
            backoff_step: 0,
            delivered_any: false,
            problem: "the stream ended before a terminal event".into(),
            done,
        };
        Self {
            inner: Some(Reading::Idle(Box::new(driver))),
            shared,
            cancel,
            control: setup.control,
            idempotency_key: setup.idempotency_key,
            replayed: setup.replayed,
        }
    }

    /// A cloneable handle to this turn's position and controls, usable while another task
    /// is waiting in [`TurnStream::next_event`].
    pub fn handle(&self) -> TurnHandle {
        TurnHandle {
            shared: self.shared.clone(),
            cancel: self.cancel.clone(),
            control: self.control.clone(),
        }
    }

    /// The turn's response id (`X-Response-Id`, else `message.created`'s `data.id`).
    pub fn response_id(&self) -> Option<String> {
        lock(&self.shared).response_id.clone()
    }

    /// The session this turn runs in, when the stream came from a client.
    pub fn session_id(&self) -> Option<&str> {
        self.control.as_ref().map(|c| c.session_id.as_str())
    }

    /// The id of the last event delivered (id-only blocks count), for a manual resume.
    pub fn last_event_id(&self) -> Option<String> {
        lock(&self.shared).last_event_id.clone()
    }

    /// Reads the position without copying it: `f(response_id, last_event_id, finished)`.
    pub fn with_position<R>(&self, f: impl FnOnce(Option<&str>, Option<&str>, bool) -> R) -> R {
        let s = lock(&self.shared);
        f(
            s.response_id.as_deref(),
            s.last_event_id.as_deref(),
            s.finished,
        )
    }

    /// The `Idempotency-Key` the turn was started with; re-sending the same message with it
    /// replays the turn instead of starting a new one.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// True once the terminal event was delivered.
    pub fn is_finished(&self) -> bool {
        lock(&self.shared).finished
    }

    /// Set when the server answered an idempotent re-send with "replayed": the turn finished
    /// long ago and its events are gone, so this stream yields nothing.
    pub fn replayed(&self) -> Option<&ReplayNotice> {
        self.replayed.as_ref()
    }

    /// A handle that closes this stream from elsewhere.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Stops reading now; the turn keeps running on the server.
    pub fn close(&self) {
        self.cancel.cancel();
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult> {
        self.handle().cancel().await
    }

    /// The next event, `Ok(None)` at the end: the same as `StreamExt::next`, shaped for
    /// bindings.
    pub async fn next_event(&mut self) -> Result<Option<TurnEvent>> {
        self.next().await.transpose()
    }
}

impl Stream for TurnStream {
    type Item = Result<TurnEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.cancel.is_cancelled() {
            // Dropping the driver drops the connection at once.
            self.inner = None;
            return Poll::Ready(None);
        }
        loop {
            match self.inner.take() {
                None => return Poll::Ready(None),
                Some(Reading::Idle(mut driver)) => {
                    if let Some(event) = driver.next_ready() {
                        self.inner = Some(Reading::Idle(driver));
                        return Poll::Ready(Some(Ok(event)));
                    }
                    self.inner = Some(Reading::Waiting(Box::pin(async move {
                        let item = driver.next().await;
                        (item, driver)
                    })));
                }
                Some(Reading::Waiting(mut read)) => match read.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.inner = Some(Reading::Waiting(read));
                        return Poll::Pending;
                    }
                    Poll::Ready((None, _)) => return Poll::Ready(None),
                    Poll::Ready((Some(item), driver)) => {
                        self.inner = Some(Reading::Idle(driver));
                        return Poll::Ready(Some(item));
                    }
                },
            }
        }
    }
}

/// The driver between reads, or inside one that may wait for the network. Events already
/// decoded are handed out from `Idle` with no future at all: one event costs no allocation and
/// no move of the driver, which matters at a million events a second.
enum Reading {
    Idle(Box<Driver>),
    Waiting(BoxFuture<'static, (Option<Result<TurnEvent>>, Box<Driver>)>),
}

enum Read {
    Chunk(Bytes),
    End,
    Failed(Error),
    Idle(Duration),
    Cancelled,
}

enum Step {
    Continue,
    Yield(Option<Result<TurnEvent>>),
}

/// The reading loop behind a [`TurnStream`].
struct Driver {
    body: Option<ByteStream>,
    decoder: SseDecoder,
    queue: VecDeque<SseEvent>,
    seen: SeenIds,
    /// The resume position: last delivered id, or an id-only block after it.
    position: Option<String>,
    /// The decoder's committed id after the last event taken from the queue, to spot id-only
    /// blocks that follow it.
    processed_id: String,
    shared: Arc<Mutex<Shared>>,
    reconnect: Option<Arc<dyn Reconnect>>,
    policy: ResumePolicy,
    read_idle: Option<Duration>,
    cancel: CancellationToken,
    /// `Retry-After` of a failed reconnect, used for the next wait only.
    server_hint: Option<Duration>,
    /// Reconnects since the last progress.
    attempts: u32,
    backoff_step: u32,
    delivered_any: bool,
    /// Why the current connection ended, for the final error.
    problem: String,
    done: bool,
}

impl Driver {
    /// The next event if one is decoded already: `next` without waiting.
    fn next_ready(&mut self) -> Option<TurnEvent> {
        if self.done {
            return None;
        }
        self.deliver_queued()
    }

    async fn next(&mut self) -> Option<Result<TurnEvent>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(event) = self.deliver_queued() {
                return Some(Ok(event));
            }
            self.adopt_id_only_position();
            if self.body.is_some() {
                match self.read().await {
                    Read::Chunk(bytes) => {
                        let events = self.decoder.feed(&bytes);
                        self.queue.extend(events);
                        if self.decoder.buffered_len() > MAX_EVENT_BYTES {
                            return Some(Err(
                                self.fail(format!("an event exceeded {MAX_EVENT_BYTES} bytes"))
                            ));
                        }
                    }
                    Read::End => {
                        self.interrupted("the stream ended before a terminal event".into())
                    }
                    Read::Failed(e) => self.interrupted(e.to_string()),
                    Read::Idle(after) => self.interrupted(
                        Error::Timeout {
                            phase: TimeoutPhase::ReadIdle,
                            after,
                        }
                        .to_string(),
                    ),
                    Read::Cancelled => return self.stop(),
                }
            } else {
                match self.reconnect_step().await {
                    Step::Continue => {}
                    Step::Yield(item) => return item,
                }
            }
        }
    }

    /// Pops decoded events, dropping replays, and returns the first new one.
    fn deliver_queued(&mut self) -> Option<TurnEvent> {
        while let Some(ev) = self.queue.pop_front() {
            self.processed_id.clone_from(&ev.last_event_id);
            if let Some(id) = ev.id.as_deref().filter(|id| !id.is_empty()) {
                if !self.seen.insert(id) {
                    tracing::debug!(target: "poke", id, "dropping replayed event");
                    continue;
                }
            }
            if !ev.last_event_id.is_empty() {
                match self.position.as_mut() {
                    Some(p) => p.clone_from(&ev.last_event_id),
                    None => self.position = Some(ev.last_event_id.clone()),
                }
            }
            self.progress();
            self.delivered_any = true;
            let event = TurnEvent::from(ev);
            let terminal = event.is_terminal();
            {
                let mut s = lock(&self.shared);
                s.last_event_id.clone_from(&self.position);
                if s.response_id.is_none() && event.kind() == TurnEventKind::MessageCreated {
                    s.response_id = event
                        .data()
                        .get("id")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned);
                }
                s.finished |= terminal;
            }
            if terminal {
                self.done = true;
                self.body = None;
            }
            return Some(event);
        }
        None
    }

    /// An id-only block after the last event moves the position without delivering anything.
    fn adopt_id_only_position(&mut self) {
        let current = self.decoder.last_event_id();
        if current == self.processed_id {
            return;
        }
        self.processed_id = current.to_owned();
        if !current.is_empty() && self.seen.insert(current) {
            self.position = Some(current.to_owned());
            lock(&self.shared).last_event_id = Some(current.to_owned());
            self.progress();
        }
    }

    fn progress(&mut self) {
        self.attempts = 0;
        self.backoff_step = 0;
    }

    async fn read(&mut self) -> Read {
        let Some(body) = self.body.as_mut() else {
            return Read::End;
        };
        let idle = self.read_idle;
        let next = body.next();
        let timed = async move {
            match idle {
                Some(d) => tokio::time::timeout(d, next).await.map_err(|_| d),
                None => Ok(next.await),
            }
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Read::Cancelled,
            r = timed => match r {
                Ok(Some(Ok(bytes))) => Read::Chunk(bytes),
                Ok(Some(Err(e))) => Read::Failed(e),
                Ok(None) => Read::End,
                Err(after) => Read::Idle(after),
            },
        }
    }

    fn interrupted(&mut self, reason: String) {
        tracing::debug!(target: "poke", reason = %reason, "turn stream interrupted");
        self.body = None;
        // A half-received block is discarded, as the SSE rules require at end of stream.
        self.problem = reason;
    }

    fn stop(&mut self) -> Option<Result<TurnEvent>> {
        self.done = true;
        self.body = None;
        None
    }

    fn fail(&mut self, reason: String) -> Error {
        self.done = true;
        self.body = None;
        Error::Stream {
            reason,
            last_event_id: self.position.clone(),
        }
    }

    async fn reconnect_step(&mut self) -> Step {
        let Some(reconnect) = self.reconnect.clone() else {
            let reason = format!("{}; this stream cannot be resumed", self.problem);
            return Step::Yield(Some(Err(self.fail(reason))));
        };
        if self.delivered_any && self.position.is_none() {
            // Without ids a reconnect would replay from the start with nothing to dedupe by.
            let reason = format!(
                "{}; the stream carries no event ids to resume from",
                self.problem
            );
            return Step::Yield(Some(Err(self.fail(reason))));
        }
        if self.attempts >= self.policy.max_attempts_without_progress {
            let reason = format!(
                "{} (gave up after {} reconnects without progress)",
                self.problem, self.attempts
            );
            return Step::Yield(Some(Err(self.fail(reason))));
        }
        let hint = self.server_hint.take().or(self.decoder.retry());
        let delay = self.policy.delay(self.backoff_step, hint, fastrand::f64());
        self.backoff_step = self.backoff_step.saturating_add(1);
        self.attempts += 1;
        let response_id = lock(&self.shared).response_id.clone();
        tracing::info!(
            target: "poke",
            response_id = response_id.as_deref().unwrap_or(""),
            last_event_id = self.position.as_deref().unwrap_or(""),
            attempt = self.attempts,
            delay_ms = delay.as_millis() as u64,
            reason = %self.problem,
            "resuming turn stream"
        );
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Step::Yield(self.stop()),
            _ = tokio::time::sleep(delay) => {}
        }
        let opening = reconnect.reconnect(response_id, self.position.clone());
        let opened = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Step::Yield(self.stop()),
            r = opening => r,
        };
        match opened {
            Ok(Opened::Events { body, response_id }) => {
                if let Some(rid) = response_id {
                    let mut s = lock(&self.shared);
                    if s.response_id.is_none() {
                        s.response_id = Some(rid);
                    }
                }
                let position = self.position.clone().unwrap_or_default();
                self.decoder = SseDecoder::resumed(position.clone(), self.decoder.retry());
                self.processed_id = position;
                self.queue.clear();
                self.body = Some(body);
                Step::Continue
            }
            Ok(Opened::NoContent) => {
                let reason = "the server answered 204 No Content: it has no more events for \
                              this turn"
                    .to_owned();
                Step::Yield(Some(Err(self.fail(reason))))
            }
            Ok(Opened::Replayed(_)) => {
                let reason = "the turn finished and its events are no longer kept".to_owned();
                Step::Yield(Some(Err(self.fail(reason))))
            }
            Err(e) if is_transient(&e) => {
                self.server_hint = e.api().and_then(|a| a.retry_after);
                self.problem = e.to_string();
                Step::Continue
            }
            Err(e) => {
                let reason = format!("resuming was refused: {e}");
                Step::Yield(Some(Err(self.fail(reason))))
            }
        }
    }
}

/// Failures worth another reconnect; everything else (204, 401, 403, 404, 410, other 4xx,
/// bad input) would fail the same way again.
fn is_transient(e: &Error) -> bool {
    match e {
        Error::Connection { .. } | Error::Timeout { .. } => true,
        Error::Api(api) => matches!(api.status, 408 | 429) || api.status >= 500,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn sse(id: u64, event: &str) -> String {
        format!("id: {id}\nevent: {event}\ndata: {{\"sequence_number\": {id}}}\n\n")
    }

    /// A turn of `n` events: created, deltas, completed.
    fn turn(n: u64) -> Vec<String> {
        (0..n)
            .map(|i| {
                let name = if i == 0 {
                    "message.created"
                } else if i + 1 == n {
                    "message.completed"
                } else {
                    "text.delta"
                };
                sse(i, name)
            })
            .collect()
    }

    /// A body made of `parts`, optionally failing at the end instead of closing cleanly.
    fn body(parts: Vec<Vec<u8>>, fail: bool) -> ByteStream {
        let mut items: Vec<Result<Bytes>> = parts.into_iter().map(|p| Ok(Bytes::from(p))).collect();
        if fail {
            items.push(Err(Error::Connection {
                reason: "reset".into(),
                maybe_sent: true,
            }));
        }
        futures_util::stream::iter(items).boxed()
    }

    /// A body that sends `parts` and then never sends anything again.
    fn stalling(parts: Vec<Vec<u8>>) -> ByteStream {
        futures_util::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from(p))))
            .chain(futures_util::stream::pending())
            .boxed()
    }

    type Script = Mutex<VecDeque<Result<Opened>>>;

    /// A scripted event source: each reconnect takes the next answer and records its position.
    struct Fake {
        script: Script,
        calls: Mutex<Vec<Option<String>>>,
        count: AtomicUsize,
    }

    impl Fake {
        fn new(script: Vec<Result<Opened>>) -> Arc<Self> {
            Arc::new(Self {
                script: Mutex::new(script.into()),
                calls: Mutex::new(Vec::new()),
                count: AtomicUsize::new(0),
            })
        }
        fn calls(&self) -> Vec<Option<String>> {
            self.calls.lock().map(|c| c.clone()).unwrap_or_default()
        }
    }

    impl Reconnect for Fake {
        fn reconnect(
            &self,
            _response_id: Option<String>,
            last_event_id: Option<String>,
        ) -> BoxFuture<'static, Result<Opened>> {
            self.count.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut c) = self.calls.lock() {
                c.push(last_event_id);
            }
            let next = self
                .script
                .lock()
                .ok()
                .and_then(|mut s| s.pop_front())
                .unwrap_or_else(|| {
                    Err(Error::Connection {
                        reason: "script exhausted".into(),
                        maybe_sent: false,
                    })
                });
            Box::pin(async move { next })
        }
    }

    fn events(body: ByteStream) -> Result<Opened> {
        Ok(Opened::Events {
            body,
            response_id: None,
        })
    }

    fn fast() -> ResumePolicy {
        ResumePolicy {
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            min_server_retry: Duration::from_millis(1),
            max_server_retry: Duration::from_millis(4),
            ..ResumePolicy::default()
        }
    }

    fn stream(first: ByteStream, fake: Arc<Fake>, policy: ResumePolicy) -> TurnStream {
        TurnStream::new(TurnSetup {
            body: Some(first),
            response_id: Some("msg_1".into()),
            last_event_id: None,
            reconnect: Some(fake),
            policy,
            read_idle: Some(Duration::from_secs(60)),
            control: None,
            idempotency_key: None,
            replayed: None,
        })
    }

    async fn ids(s: &mut TurnStream) -> (Vec<String>, Option<Error>) {
        let mut out = Vec::new();
        while let Some(item) = s.next().await {
            match item {
                Ok(ev) => out.push(ev.id.unwrap_or_default()),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    fn expected(n: u64) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn drops_and_replays_deliver_each_id_once_in_order() {
        let t = turn(10);
        let bytes = |r: std::ops::Range<usize>| t[r].concat().into_bytes();
        // First connection: events 0..4 then a reset in the middle of event 4.
        let mut first = bytes(0..4);
        first.extend_from_slice(&t[4].as_bytes()[..7]);
        // Second: replays 2..6 (duplicates 2 and 3), then ends cleanly without a terminal.
        // Third: replays 5..10 with 1-byte chunks and CRLF line endings.
        let third: Vec<Vec<u8>> = t[5..10]
            .concat()
            .replace('\n', "\r\n")
            .into_bytes()
            .into_iter()
            .map(|b| vec![b])
            .collect();
        let fake = Fake::new(vec![
            events(body(vec![bytes(2..6)], false)),
            events(body(third, false)),
        ]);
        let mut s = stream(body(vec![first], true), fake.clone(), fast());
        let (got, err) = ids(&mut s).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, expected(10));
        assert_eq!(fake.calls(), vec![Some("3".into()), Some("5".into())]);
        assert!(s.is_finished());
        assert_eq!(s.last_event_id().as_deref(), Some("9"));
    }

    #[tokio::test(start_paused = true)]
    async fn read_idle_timeout_triggers_resume() {
        let t = turn(4);
        let fake = Fake::new(vec![events(body(
            vec![t[1..4].concat().into_bytes()],
            false,
        ))]);
        let mut s = stream(
            stalling(vec![t[0].clone().into_bytes()]),
            fake.clone(),
            fast(),
        );
        let (got, err) = ids(&mut s).await;
        assert!(err.is_none());
        assert_eq!(got, expected(4));
        assert_eq!(fake.calls(), vec![Some("0".into())]);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_n_reconnects_without_progress() {
        let t = turn(6);
        let empty = || events(body(vec![], false));
        let fake = Fake::new((0..10).map(|_| empty()).collect());
        let policy = ResumePolicy {
            max_attempts_without_progress: 3,
            ..fast()
        };
        let mut s = stream(
            body(vec![t[0..2].concat().into_bytes()], false),
            fake.clone(),
            policy,
        );
        let (got, err) = ids(&mut s).await;
        assert_eq!(got, expected(2));
        match err {
            Some(Error::Stream {
                last_event_id,
                reason,
            }) => {
                assert_eq!(last_event_id.as_deref(), Some("1"));
                assert!(reason.contains("3 reconnects"), "{reason}");
            }
            other => panic!("expected a stream error, got {other:?}"),
        }
        assert_eq!(fake.count.load(Ordering::SeqCst), 3);
        assert!(s.next().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn progress_resets_the_attempt_budget() {
        let t = turn(8);
        // Each reconnect yields exactly one new event then drops: never two in a row empty.
        let script = (1..8)
            .map(|i| events(body(vec![t[i].clone().into_bytes()], true)))
            .collect();
        let fake = Fake::new(script);
        let policy = ResumePolicy {
            max_attempts_without_progress: 1,
            ..fast()
        };
        let mut s = stream(body(vec![t[0].clone().into_bytes()], true), fake, policy);
        let (got, err) = ids(&mut s).await;
        assert!(err.is_none());
        assert_eq!(got, expected(8));
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_answers_stop_resuming() {
        for (answer, needle) in [
            (Ok(Opened::NoContent), "204"),
            (
                Err(Error::Api(Box::new(crate::api_error::build(
                    crate::api_error::Flavor::Pokee,
                    404,
                    vec![],
                    br#"{"error":"not_found","message":"evicted"}"#,
                    None,
                )))),
                "404",
            ),
        ] {
            let t = turn(4);
            let fake = Fake::new(vec![answer]);
            let mut s = stream(
                body(vec![t[0].clone().into_bytes()], true),
                fake.clone(),
                fast(),
            );
            let (got, err) = ids(&mut s).await;
            assert_eq!(got, expected(1));
            match err {
                Some(Error::Stream {
                    reason,
                    last_event_id,
                }) => {
                    assert!(reason.contains(needle), "{reason}");
                    assert_eq!(last_event_id.as_deref(), Some("0"));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(fake.count.load(Ordering::SeqCst), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_reconnect_failures_are_retried() {
        let t = turn(3);
        let api503 = Err(Error::Api(Box::new(crate::api_error::build(
            crate::api_error::Flavor::Pokee,
            503,
            vec![],
            b"",
            Some(Duration::from_millis(2)),
        ))));
        let refused = Err(Error::Connection {
            reason: "refused".into(),
            maybe_sent: false,
        });
        let fake = Fake::new(vec![
            api503,
            refused,
            events(body(vec![t[1..3].concat().into_bytes()], false)),
        ]);
        let mut s = stream(
            body(vec![t[0].clone().into_bytes()], true),
            fake.clone(),
            fast(),
        );
        let (got, err) = ids(&mut s).await;
        assert!(err.is_none());
        assert_eq!(got, expected(3));
        assert_eq!(fake.calls(), vec![Some("0".into()); 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn id_only_block_moves_the_resume_position() {
        let t = turn(5);
        let mut first = t[0..2].concat();
        first.push_str("id: 2\n\n");
        let fake = Fake::new(vec![events(body(
            vec![t[3..5].concat().into_bytes()],
            false,
        ))]);
        let mut s = stream(body(vec![first.into_bytes()], false), fake.clone(), fast());
        let (got, err) = ids(&mut s).await;
        assert!(err.is_none());
        assert_eq!(got, vec!["0", "1", "3", "4"]);
        assert_eq!(fake.calls(), vec![Some("2".into())]);
    }

    #[tokio::test(start_paused = true)]
    async fn streams_without_ids_are_not_resumed_after_delivery() {
        let first = "event: message.created\ndata: {}\n\n".as_bytes().to_vec();
        let fake = Fake::new(vec![]);
        let mut s = stream(body(vec![first], true), fake.clone(), fast());
        let (got, err) = ids(&mut s).await;
        assert_eq!(got.len(), 1);
        assert!(matches!(
            err,
            Some(Error::Stream {
                last_event_id: None,
                ..
            })
        ));
        assert_eq!(fake.count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn close_stops_a_pending_read_at_once() {
        let t = turn(3);
        let fake = Fake::new(vec![]);
        let mut s = stream(
            stalling(vec![t[0].clone().into_bytes()]),
            fake.clone(),
            fast(),
        );
        let first = s.next().await;
        assert!(matches!(first, Some(Ok(_))));
        let handle = s.cancel_handle();
        let reader = tokio::spawn(async move {
            let next = s.next().await;
            (next.is_none(), s)
        });
        tokio::task::yield_now().await;
        handle.cancel();
        let (ended, s) = reader.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(ended);
        assert!(!s.is_finished());
        assert_eq!(fake.count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn message_created_supplies_a_missing_response_id() {
        let raw = "id: 0\nevent: message.created\ndata: {\"id\": \"msg_abc\"}\n\n";
        let mut s = TurnStream::new(TurnSetup {
            body: Some(body(vec![raw.as_bytes().to_vec()], false)),
            response_id: None,
            last_event_id: None,
            reconnect: None,
            policy: fast(),
            read_idle: None,
            control: None,
            idempotency_key: None,
            replayed: None,
        });
        assert!(matches!(s.next().await, Some(Ok(_))));
        assert_eq!(s.response_id().as_deref(), Some("msg_abc"));
        // No reconnect source: the drop is reported with the position reached.
        assert!(matches!(
            s.next().await,
            Some(Err(Error::Stream { last_event_id: Some(ref id), .. })) if id == "0"
        ));
    }

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
    }

    #[test]
    fn seen_ids_are_bounded_and_numeric_replays_stay_dropped() {
        let mut seen = SeenIds::new(2);
        assert!(seen.insert("a"));
        assert!(seen.insert("b"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("c"));
        // "a" fell out of the bounded set.
        assert!(seen.insert("a"));
        let mut seen = SeenIds::new(2);
        for i in 0..10 {
            assert!(seen.insert(&i.to_string()));
        }
        assert!(!seen.insert("0"));
        assert!(seen.contains("3"));
        assert!(!seen.contains("11"));
        assert!(seen.insert("10"));
        // Numeric ids never crowd text ids out of the bounded set.
        assert!(seen.insert("x"));
        assert!(seen.insert("11"));
        assert!(!seen.insert("x"));
    }

    #[test]
    fn delay_table() {
        let p = ResumePolicy::default();
        assert_eq!(p.delay(0, None, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(1, None, 0.0), Duration::from_secs(1));
        assert_eq!(p.delay(4, None, 0.0), Duration::from_secs(8));
        assert_eq!(p.delay(5, None, 0.0), Duration::from_secs(10));
        assert_eq!(p.delay(40, None, 0.0), Duration::from_secs(10));
        assert_eq!(p.delay(0, None, 1.0), Duration::from_millis(375));
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(10)), 0.9),
            Duration::from_millis(500)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(5)), 0.9),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(600)), 0.9),
            Duration::from_secs(60)
        );
    }
}
