//! `Turn` and `AsyncTurn`: a turn's events as an iterator (or async iterator) over the core's
//! `TurnStream`, which resumes dropped connections and drops replayed ids by itself.
//!
//! A task on the shared runtime reads the stream ahead (parsing included) and hands events
//! over in batches through a bounded channel, so Python only picks up ready events: `next()`
//! releases the GIL, and `__anext__` goes through the event loop, only when none is ready.

use crate::event::{Event, Parts};
use crate::records::{CancelResult, ReplayNotice, quote};
use crate::runtime::awaitable;
use crate::sessions::{Call, blocking, later};
use futures_util::FutureExt;
use poke::{TurnHandle, TurnStream};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tokio::sync::mpsc;

/// Most events in one batch handed over by the read-ahead task.
const BATCH: usize = 256;

/// Batches in flight between the read-ahead task and Python; with [`BATCH`], this bounds
/// the events read ahead.
const FEED_DEPTH: usize = 4;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where the stream is, as of the last event handed to Python, so that reading it never
/// waits for a `next()` in progress on another thread or task.
#[derive(Default, Clone)]
struct Snapshot {
    response_id: Option<String>,
    last_event_id: Option<String>,
    finished: bool,
}

impl Snapshot {
    fn of(stream: &TurnStream) -> Self {
        Self {
            response_id: stream.response_id(),
            last_event_id: stream.last_event_id(),
            finished: stream.is_finished(),
        }
    }
}

/// The stream's position after an event read ahead.
enum Position {
    /// The usual case, recorded without copying: the event's own id is the last event id,
    /// it is final if the event is terminal, and the response id did not change.
    FromEvent,
    /// Anything else, in full.
    Full(Snapshot),
}

/// Events read ahead together: their strings in one buffer, each with the stream's position
/// after it (see `crate::event` for why one buffer).
struct Batch {
    text: String,
    events: Vec<(Parts, Position)>,
}

impl Batch {
    fn new() -> Self {
        Self {
            text: String::with_capacity(BATCH * 128),
            events: Vec::with_capacity(BATCH),
        }
    }

    fn len(&self) -> usize {
        self.events.len()
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The batch as sent: its text no larger than needed, since every `Event` of it keeps the
    /// text alive (a slow stream sends batches of one event).
    fn sealed(mut self) -> Self {
        if self.text.capacity() > 2 * self.text.len() {
            self.text.shrink_to_fit();
        }
        self
    }
}

/// What the read-ahead task hands over.
enum Fed {
    /// Events in order.
    Events(Batch),
    /// The stream failed; the position where it stopped.
    Failed(poke::Error, Snapshot),
    /// The stream ended (terminal event delivered, or closed).
    End(Snapshot),
}

/// Python's side of the read-ahead task.
struct Feed {
    rx: tokio::sync::Mutex<mpsc::Receiver<Fed>>,
    task: tokio::task::AbortHandle,
}

/// What a read finds among the events already handed over.
enum Next {
    Event(Event),
    Failed(poke::Error),
    End,
    /// Nothing yet: wait for the read-ahead task.
    Empty,
}

/// The state shared by `Turn` and `AsyncTurn`.
pub(crate) struct TurnInner {
    /// The stream until the first read starts the read-ahead task, which takes it.
    stream: Mutex<Option<TurnStream>>,
    handle: TurnHandle,
    snapshot: Mutex<Snapshot>,
    /// Events received from the read-ahead task and not yet handed to Python.
    ready: Mutex<VecDeque<(Event, Position)>>,
    /// How the stream ended, once received; delivered after the ready events.
    outcome: Mutex<Option<Result<Snapshot, (poke::Error, Snapshot)>>>,
    /// Set once the end (or a failure) has been received and delivered.
    ended: AtomicBool,
    feed: OnceLock<Feed>,
    /// Asyncio reads waiting for an event, oldest first.
    waiters: Mutex<VecDeque<Waiter>>,
    session_id: String,
    idempotency_key: Option<String>,
    replayed: Option<poke::ReplayNotice>,
}

impl Drop for TurnInner {
    fn drop(&mut self) {
        if let Some(feed) = self.feed.get() {
            feed.task.abort();
        }
    }
}

/// Reads the stream ahead of Python, in batches of the events already received.
async fn read_ahead(mut stream: TurnStream, tx: mpsc::Sender<Fed>) {
    // The response id as of the last position sent, to spot a change.
    let mut response_id = stream.response_id();
    let mut batch = Batch::new();
    loop {
        // Wait for the network only while the batch is empty: a batch carries what is
        // already here.
        let next = if batch.is_empty() {
            Some(stream.next_event().await)
        } else {
            stream.next_event().now_or_never()
        };
        let event = match next {
            Some(Ok(Some(event))) => event,
            None => {
                let full = std::mem::replace(&mut batch, Batch::new());
                if tx.send(Fed::Events(full.sealed())).await.is_err() {
                    return;
                }
                continue;
            }
            Some(end) => {
                if !batch.is_empty() && tx.send(Fed::Events(batch.sealed())).await.is_err() {
                    return;
                }
                let snapshot = Snapshot::of(&stream);
                let _ = match end {
                    Err(e) => tx.send(Fed::Failed(e, snapshot)).await,
                    Ok(_) => tx.send(Fed::End(snapshot)).await,
                };
                return;
            }
        };
        let position = stream.with_position(|rid, last, finished| {
            if rid == response_id.as_deref()
                && last == event.id.as_deref()
                && finished == event.is_terminal()
            {
                Position::FromEvent
            } else {
                response_id = rid.map(str::to_owned);
                Position::Full(Snapshot {
                    response_id: response_id.clone(),
                    last_event_id: last.map(str::to_owned),
                    finished,
                })
            }
        });
        let parts = Parts::append(&mut batch.text, &event);
        // Freed here, on the thread that allocated it.
        drop(event);
        batch.events.push((parts, position));
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Batch::new());
            if tx.send(Fed::Events(full.sealed())).await.is_err() {
                return;
            }
        }
    }
}

impl TurnInner {
    pub(crate) fn new(session_id: String, stream: TurnStream) -> Self {
        Self {
            handle: stream.handle(),
            snapshot: Mutex::new(Snapshot::of(&stream)),
            ready: Mutex::new(VecDeque::new()),
            outcome: Mutex::new(None),
            ended: AtomicBool::new(false),
            feed: OnceLock::new(),
            waiters: Mutex::new(VecDeque::new()),
            idempotency_key: stream.idempotency_key().map(str::to_owned),
            replayed: stream.replayed().cloned(),
            session_id: stream.session_id().map_or(session_id, str::to_owned),
            stream: Mutex::new(Some(stream)),
        }
    }

    fn snapshot(&self) -> Snapshot {
        lock(&self.snapshot).clone()
    }

    fn set_snapshot(&self, snapshot: Snapshot) {
        *lock(&self.snapshot) = snapshot;
    }

    /// The read-ahead task's receiving end, starting the task on first use.
    fn feed(&self) -> PyResult<&Feed> {
        let rt = crate::runtime::runtime()?;
        Ok(self.feed.get_or_init(|| {
            let (tx, rx) = mpsc::channel(FEED_DEPTH);
            let task = match lock(&self.stream).take() {
                Some(stream) => rt.spawn(read_ahead(stream, tx)),
                // Unreachable (the stream is taken once, here); a closed feed reads as the end.
                None => rt.spawn(async {}),
            };
            Feed {
                rx: tokio::sync::Mutex::new(rx),
                task: task.abort_handle(),
            }
        }))
    }

    /// Files what the read-ahead task sent (`None`: it stopped, so the stream is over).
    fn accept(&self, fed: Option<Fed>) {
        match fed {
            Some(Fed::Events(batch)) => {
                let text = Arc::new(batch.text);
                let events = batch.events.into_iter();
                lock(&self.ready).extend(events.map(|(parts, p)| (Event::new(&text, parts), p)));
            }
            Some(Fed::Failed(e, snapshot)) => *lock(&self.outcome) = Some(Err((e, snapshot))),
            Some(Fed::End(snapshot)) => *lock(&self.outcome) = Some(Ok(snapshot)),
            None => {
                let mut outcome = lock(&self.outcome);
                if outcome.is_none() {
                    *outcome = Some(Ok(self.snapshot()));
                }
            }
        }
    }

    /// Takes what a read returns among what was handed over, without waiting: the ready
    /// events first, then the end or failure (once), then the end again.
    fn pop(&self) -> Next {
        // The end is only delivered once nothing is ready, so this check comes first; it
        // also keeps a batch that arrives after `close()` from being read.
        if self.ended.load(Ordering::Acquire) {
            return Next::End;
        }
        if let Some(event) = self.take_ready() {
            return Next::Event(event);
        }
        let mut ready = lock(&self.ready);
        // Checked under the lock that filling holds too, so no batch slips in between.
        if let Some((event, position)) = ready.pop_front() {
            drop(ready);
            self.apply(&event, position);
            return Next::Event(event);
        }
        let outcome = lock(&self.outcome).take();
        drop(ready);
        match outcome {
            None => Next::Empty,
            Some(outcome) => {
                self.ended.store(true, Ordering::Release);
                match outcome {
                    Ok(snapshot) => {
                        self.set_snapshot(snapshot);
                        Next::End
                    }
                    Err((e, snapshot)) => {
                        self.set_snapshot(snapshot);
                        Next::Failed(e)
                    }
                }
            }
        }
    }

    /// [`TurnInner::pop`], also taking a batch the read-ahead task has already sent.
    fn pop_now(&self) -> PyResult<Next> {
        let next = self.pop();
        if !matches!(next, Next::Empty) {
            return Ok(next);
        }
        if let Ok(mut rx) = self.feed()?.rx.try_lock() {
            match rx.try_recv() {
                Ok(fed) => self.accept(Some(fed)),
                Err(mpsc::error::TryRecvError::Disconnected) => self.accept(None),
                Err(mpsc::error::TryRecvError::Empty) => return Ok(Next::Empty),
            }
            drop(rx);
            return Ok(self.pop());
        }
        Ok(Next::Empty)
    }

    /// Waits until the read-ahead task sends something (or another reader received it).
    /// Cancel-safe: what is received is filed before this returns.
    async fn fill(&self) {
        let Some(feed) = self.feed.get() else {
            return;
        };
        let mut rx = feed.rx.lock().await;
        if !lock(&self.ready).is_empty() || lock(&self.outcome).is_some() {
            return;
        }
        if self.ended.load(Ordering::Acquire) {
            return;
        }
        let fed = rx.recv().await;
        self.accept(fed);
    }

    /// The next event for a blocking read, `None` at the end (terminal event delivered, or
    /// closed); the GIL is released only while no event is ready.
    fn next_blocking(self: &Arc<Self>, py: Python<'_>) -> PyResult<Option<Event>> {
        loop {
            match self.pop_now()? {
                Next::Event(event) => return Ok(Some(event)),
                Next::End => return Ok(None),
                Next::Failed(e) => return Err(crate::errors::to_py_err(e)),
                Next::Empty => {
                    let inner = self.clone();
                    crate::runtime::wait(py, async move {
                        inner.fill().await;
                        Ok(())
                    })?;
                }
            }
        }
    }

    /// An event received earlier from the read-ahead task, if any.
    fn take_ready(&self) -> Option<Event> {
        let (event, position) = lock(&self.ready).pop_front()?;
        self.apply(&event, position);
        Some(event)
    }

    /// Moves the position to just after `event`.
    fn apply(&self, event: &Event, position: Position) {
        match position {
            Position::Full(snapshot) => self.set_snapshot(snapshot),
            Position::FromEvent => {
                let mut s = lock(&self.snapshot);
                if let Some(id) = event.id_str() {
                    match s.last_event_id.as_mut() {
                        Some(last) => {
                            last.clear();
                            last.push_str(id);
                        }
                        None => s.last_event_id = Some(id.to_owned()),
                    }
                }
                s.finished = event.terminal();
            }
        }
    }

    /// Stops reading: the stream closes and events read ahead are dropped.
    fn close(&self) {
        self.handle.close();
        self.ended.store(true, Ordering::Release);
        if let Some(feed) = self.feed.get() {
            feed.task.abort();
        }
        lock(&self.ready).clear();
    }

    /// Server-side cancel through the core's turn handle, so it never waits for a `next()`
    /// in progress.
    fn cancel_call(&self) -> PyResult<Call<CancelResult>> {
        let handle = self.handle.clone();
        Ok(Box::pin(async move {
            handle
                .cancel()
                .await
                .map(CancelResult::from)
                .map_err(crate::errors::to_py_err)
        }))
    }

    fn repr(&self, py: Python<'_>, class: &str) -> String {
        let s = self.snapshot();
        let opt = |v: Option<String>| v.map_or("None".into(), |v| quote(py, &v));
        format!(
            "{class}(session_id={}, response_id={}, last_event_id={}, finished={})",
            quote(py, &self.session_id),
            opt(s.response_id),
            opt(s.last_event_id),
            if s.finished { "True" } else { "False" },
        )
    }
}

// --- `__anext__`
//
// A ready event comes back at once in an already-completed awaitable. Otherwise the read
// waits in a queue; the wait runs on the runtime and the answers are handed out on the loop
// thread, in `Drain`, oldest read first: events received for a future cancelled meanwhile
// stay ready for the next read, so none is lost.

/// An awaitable that is already done: `await` returns its value (or raises its error)
/// without suspending.
#[pyclass(frozen)]
struct Ready(Mutex<Option<PyResult<Py<PyAny>>>>);

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Finishes the `await` at once: a value travels in `StopIteration`, as a generator's
    /// return value does.
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = lock(&self.0).take().unwrap_or_else(|| Ok(py.None()))?;
        Err(PyStopIteration::new_err((value,)))
    }
}

/// What `__anext__` settles a future with, or raises at once.
fn answer(py: Python<'_>, next: Next) -> PyResult<Py<PyAny>> {
    match next {
        Next::Event(event) => Ok(Py::new(py, event)?.into_any()),
        Next::Failed(e) => Err(crate::errors::to_py_err(e)),
        Next::End | Next::Empty => Err(PyStopAsyncIteration::new_err(())),
    }
}

/// A read waiting for an event: its future, the loop that owns it, and that loop's bridge
/// (how a runtime thread gets work onto the loop without touching Python).
struct Waiter {
    future: Py<PyAny>,
    event_loop: Py<PyAny>,
    bridge: Option<Arc<crate::runtime::Shared>>,
}

/// Settles waiting reads in the order they were made, on the loop thread, with what has
/// arrived; then waits again if some are left. Cancelled reads are skipped (their events stay
/// ready for the next read).
#[pyclass(frozen)]
struct Drain(Arc<TurnInner>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        drain(py, &self.0);
    }
}

/// See [`Drain`].
fn drain(py: Python<'_>, inner: &Arc<TurnInner>) {
    loop {
        let front = lock(&inner.waiters).front().map(|w| w.future.clone_ref(py));
        let Some(future) = front else {
            return;
        };
        let future = future.bind(py);
        let done = future
            .call_method0(pyo3::intern!(py, "done"))
            .and_then(|d| d.is_truthy())
            .unwrap_or(true);
        if !done {
            let next = match inner.pop_now() {
                Ok(Next::Empty) => break,
                Ok(next) => answer(py, next),
                Err(e) => Err(e),
            };
            crate::runtime::settle(py, future, next);
        }
        lock(&inner.waiters).pop_front();
    }
    if let Err(e) = wait_then_drain(py, inner) {
        e.write_unraisable(py, None);
    }
}

/// Waits on the runtime for the read-ahead task, then runs [`Drain`] on the loop of the
/// oldest waiting read.
fn wait_then_drain(py: Python<'_>, inner: &Arc<TurnInner>) -> PyResult<()> {
    let Some((event_loop, bridge)) = lock(&inner.waiters)
        .front()
        .map(|w| (w.event_loop.clone_ref(py), w.bridge.clone()))
    else {
        return Ok(());
    };
    let rt = crate::runtime::runtime()?;
    let inner = inner.clone();
    if let Some(bridge) = bridge {
        rt.spawn(async move {
            inner.fill().await;
            bridge.run(Box::new(move |py| drain(py, &inner)));
        });
        return Ok(());
    }
    // Loops that cannot watch a socket: hand over through `call_soon_threadsafe`.
    rt.spawn(async move {
        inner.fill().await;
        // Taking the GIL may wait: do it off the runtime's worker threads.
        let _ = tokio::task::spawn_blocking(move || {
            Python::attach(|py| {
                // A closed loop refuses the job: nothing is waiting for it any more.
                let _ = event_loop
                    .bind(py)
                    .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (Drain(inner),));
            })
        })
        .await;
    });
    Ok(())
}

/// `__anext__`: a ready event in a completed awaitable when no earlier read is waiting,
/// else a future settled in order from the loop.
fn next_awaitable<'py>(py: Python<'py>, inner: &Arc<TurnInner>) -> PyResult<Bound<'py, PyAny>> {
    if lock(&inner.waiters).is_empty() {
        match inner.pop_now()? {
            Next::Empty => {}
            next => {
                let value = answer(py, next);
                return Ok(Bound::new(py, Ready(Mutex::new(Some(value))))?.into_any());
            }
        }
    }
    let event_loop = py
        .import(pyo3::intern!(py, "asyncio"))?
        .call_method0(pyo3::intern!(py, "get_running_loop"))?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let bridge = crate::runtime::loop_bridge(py, &event_loop)?;
    let first = {
        let mut waiters = lock(&inner.waiters);
        waiters.push_back(Waiter {
            future: future.clone().unbind(),
            bridge,
            event_loop: event_loop.unbind(),
        });
        waiters.len() == 1
    };
    // Later reads queue behind the first, whose wait drains them all.
    if first {
        wait_then_drain(py, inner)?;
    }
    Ok(future)
}

/// Events of one turn; iterate it (`for event in turn`), best inside `with turn:`.
#[pyclass(frozen, module = "poke")]
pub(crate) struct Turn {
    inner: Arc<TurnInner>,
}

/// Events of one turn for asyncio; `async for event in turn`, best inside `async with turn:`.
#[pyclass(frozen, module = "poke")]
pub(crate) struct AsyncTurn {
    inner: Arc<TurnInner>,
}

impl From<TurnInner> for Turn {
    fn from(inner: TurnInner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

impl From<TurnInner> for AsyncTurn {
    fn from(inner: TurnInner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

macro_rules! turn_class {
    ($ty:ident, $ret:ty, $run:ident, { $($protocol:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($protocol)*

            /// The turn's response id (`X-Response-Id`, else `message.created`'s `data.id`).
            #[getter]
            fn response_id(&self) -> Option<String> {
                self.inner.snapshot().response_id
            }

            /// The id of the last event delivered, for a manual `session.resume(...)`.
            #[getter]
            fn last_event_id(&self) -> Option<String> {
                self.inner.snapshot().last_event_id
            }

            /// True once the terminal event was delivered.
            #[getter]
            fn is_finished(&self) -> bool {
                self.inner.snapshot().finished
            }

            #[getter]
            fn session_id(&self) -> &str {
                &self.inner.session_id
            }

            /// The `Idempotency-Key` the message was sent with (None for a resumed stream).
            #[getter]
            fn idempotency_key(&self) -> Option<&str> {
                self.inner.idempotency_key.as_deref()
            }

            /// Set when an idempotent re-send found the turn long finished: no events follow.
            #[getter]
            fn replayed(&self) -> Option<ReplayNotice> {
                self.inner.replayed.clone().map(ReplayNotice::from)
            }

            /// Stops reading now (a pending read ends too); the turn keeps running on the
            /// server. Use `cancel()` to stop it there.
            fn close(&self) {
                self.inner.close()
            }

            /// Asks the server to cancel the turn; the events then end with
            /// `message.cancelled`.
            fn cancel<'py>(&self, py: Python<'py>) -> PyResult<$ret> {
                $run(py, self.inner.cancel_call()?)
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                self.inner.repr(py, stringify!($ty))
            }
        }
    };
}

turn_class!(Turn, Py<PyAny>, blocking, {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next event (blocking, GIL released); `StopIteration` after the terminal event.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Event>> {
        self.inner.next_blocking(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
        self.inner.close()
    }
});

turn_class!(AsyncTurn, Bound<'py, PyAny>, later, {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Awaitable next event; `StopAsyncIteration` after the terminal event.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        next_awaitable(py, &self.inner)
    }

    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, async move { Ok(slf) })
    }

    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _t: &Bound<'py, PyAny>,
        _v: &Bound<'py, PyAny>,
        _tb: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.inner.close();
        awaitable(py, async { Ok(crate::sessions::Nothing) })
    }

    /// Awaitable form of `close()`.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.close();
        awaitable(py, async { Ok(crate::sessions::Nothing) })
    }
});
