//! The reading loop of a turn: decode, drop replays, resume after a drop, stop on close.
//!
//! The server keeps every event of a turn in a buffer, so the connection is only an
//! accelerator: when it ends before a terminal event (EOF, read-idle timeout, network error),
//! the stream waits, reconnects to the events endpoint with `Last-Event-ID`, drops ids it has
//! already delivered, and carries on. The caller sees each event once, in order.

use super::dedupe::SeenIds;
use super::event::{TurnEvent, TurnEventKind};
use super::handle::{CancelHandle, Shared, TurnControl, TurnHandle, lock};
use super::open::{Opened, Reconnect};
use super::policy::ResumePolicy;
use super::sse::{SseDecoder, SseEvent};
use crate::error::{Error, Result, TimeoutPhase};
use crate::http::ByteStream;
use crate::sessions::{CancelResult, ReplayNotice};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{Stream, StreamExt};
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Largest event (or single line) held while decoding; a bigger one ends the stream rather
/// than letting a broken server grow memory without bound.
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

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
        // A first body opened at a caller's position is a resume too.
        let resumed_quiet = position.is_some();
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
            resumed_quiet,
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

    /// The session this turn runs in, when the stream came from a client (none for a
    /// stateless response).
    pub fn session_id(&self) -> Option<&str> {
        self.control.as_ref().and_then(|c| c.session_id.as_deref())
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

    /// True once the terminal event was delivered, or when a stream resumed from the turn's
    /// last event found the turn already over.
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
    /// The current connection was opened with a position and has brought nothing new yet.
    resumed_quiet: bool,
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
                    Read::End if self.resumed_quiet && !self.delivered_any => {
                        // A resume at or past the terminal event of a finished turn gets a
                        // 200 with no events (spec E8); a live turn keeps the connection open.
                        // Only trusted before this stream delivered anything: a server that
                        // stops after a non-terminal event it sent is resumed as a cut.
                        lock(&self.shared).finished = true;
                        return self.stop();
                    }
                    Read::End => {
                        self.interrupted("the stream ended before a terminal event".into());
                    }
                    Read::Failed(e) => self.interrupted(e.to_string()),
                    Read::Idle(after) => {
                        self.interrupted(Error::timeout(TimeoutPhase::ReadIdle, after).to_string());
                    }
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
                if s.response_id.is_none()
                    && matches!(
                        event.kind(),
                        TurnEventKind::MessageCreated | TurnEventKind::ResponseCreated
                    )
                {
                    // A stateless response's id is also in `data.response.id` (OpenAI's place).
                    let data = event.data();
                    s.response_id = data
                        .get("id")
                        .or_else(|| data.get("response").and_then(|r| r.get("id")))
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
        self.resumed_quiet = false;
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
            () = self.cancel.cancelled() => Read::Cancelled,
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
        let delay = self
            .policy
            .delay(self.backoff_step, hint, crate::ids::jitter());
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
            () = self.cancel.cancelled() => return Step::Yield(self.stop()),
            () = tokio::time::sleep(delay) => {}
        }
        let opening = reconnect.reconnect(response_id, self.position.clone());
        let opened = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Step::Yield(self.stop()),
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
                self.resumed_quiet = self.position.is_some();
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
#[path = "stream_tests.rs"]
mod tests;
