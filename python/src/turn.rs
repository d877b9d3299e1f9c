//! `Turn` and `AsyncTurn`: a turn's events as an iterator (or async iterator) over the core's
//! `TurnStream`, which resumes dropped connections and drops replayed ids by itself.

use crate::records::{CancelResult, Event, ReplayNotice, quote};
use crate::runtime::{awaitable, wait};
use crate::sessions::{Call, blocking, later};
use futures_util::FutureExt;
use poke::{TurnHandle, TurnStream};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Most events fetched by one blocking read beyond the one it returns.
const BATCH: usize = 256;

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

/// The stream and an event read from it that Python never received (its `__anext__` was
/// cancelled just as the event arrived); the next read returns that event first.
struct Reader {
    stream: TurnStream,
    pending: Option<(poke::TurnEvent, Snapshot)>,
}

impl Reader {
    async fn next(&mut self) -> poke::Result<Option<(poke::TurnEvent, Snapshot)>> {
        if let Some(item) = self.pending.take() {
            return Ok(Some(item));
        }
        let event = self.stream.next_event().await?;
        Ok(event.map(|ev| (ev, Snapshot::of(&self.stream))))
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

/// What the read-ahead task hands to blocking reads.
enum Fed {
    /// Events in order, each with the stream's position after it.
    Events(Vec<(Event, Position)>),
    /// The stream failed; the position where it stopped.
    Failed(poke::Error, Snapshot),
    /// The stream ended (terminal event delivered, or closed).
    End(Snapshot),
}

/// Batches in flight between the read-ahead task and blocking reads; with [`BATCH`], this
/// bounds the events read ahead.
const FEED_DEPTH: usize = 4;

/// Blocking reads' side of the read-ahead task: it parses the stream on the runtime while
/// Python handles the events already delivered.
struct Feed {
    rx: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Fed>>,
    task: tokio::task::AbortHandle,
}

/// The state shared by `Turn` and `AsyncTurn`.
pub(crate) struct TurnInner {
    reader: Arc<tokio::sync::Mutex<Reader>>,
    handle: TurnHandle,
    snapshot: Mutex<Snapshot>,
    /// Events received from the read-ahead task and not yet handed to Python.
    ready: Mutex<VecDeque<(Event, Position)>>,
    /// Started by the first blocking read (never for asyncio turns).
    feed: std::sync::OnceLock<Feed>,
    /// Set once blocking reads have seen the end of the stream (or its failure).
    ended: AtomicBool,
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

/// Reads the stream ahead of blocking reads, in batches of the events already received.
async fn read_ahead(reader: Arc<tokio::sync::Mutex<Reader>>, tx: tokio::sync::mpsc::Sender<Fed>) {
    let mut reader = reader.lock_owned().await;
    // The response id as of the last position sent, to spot a change.
    let mut response_id = reader.stream.response_id();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        // Wait for the network only while the batch is empty: a batch carries what is
        // already here.
        let next = match reader.pending.take() {
            Some((event, _)) => Some(Ok(Some(event))),
            None if batch.is_empty() => Some(reader.stream.next_event().await),
            None => reader.stream.next_event().now_or_never(),
        };
        let event = match next {
            Some(Ok(Some(event))) => event,
            None if !batch.is_empty() => {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(Fed::Events(full)).await.is_err() {
                    return;
                }
                continue;
            }
            end => {
                if !batch.is_empty() && tx.send(Fed::Events(batch)).await.is_err() {
                    return;
                }
                let snapshot = Snapshot::of(&reader.stream);
                let _ = match end {
                    Some(Err(e)) => tx.send(Fed::Failed(e, snapshot)).await,
                    _ => tx.send(Fed::End(snapshot)).await,
                };
                return;
            }
        };
        let position = reader.stream.with_position(|rid, last, finished| {
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
        batch.push((Event::from(event), position));
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(Fed::Events(full)).await.is_err() {
                return;
            }
        }
    }
}

/// An event on its way to an asyncio future. It keeps the reader locked until Python takes
/// it; if the future was cancelled meanwhile (so the event is never converted), dropping it
/// puts the event back for the next read instead of losing it.
pub(crate) struct Delivery {
    guard: Option<tokio::sync::OwnedMutexGuard<Reader>>,
    item: Option<(poke::TurnEvent, Snapshot)>,
    inner: Arc<TurnInner>,
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let (Some(item), Some(guard)) = (self.item.take(), self.guard.as_mut()) {
            guard.pending = Some(item);
        }
    }
}

impl<'py> IntoPyObject<'py> for Delivery {
    type Target = Event;
    type Output = Bound<'py, Event>;
    type Error = PyErr;

    fn into_pyobject(mut self, py: Python<'py>) -> PyResult<Bound<'py, Event>> {
        let Some((event, snapshot)) = self.item.take() else {
            return Err(crate::errors::poke_error(
                "internal error: event already taken",
            ));
        };
        self.inner.set_snapshot(snapshot);
        self.guard = None;
        Bound::new(py, Event::from(event))
    }
}

impl TurnInner {
    pub(crate) fn new(session_id: String, stream: TurnStream) -> Self {
        Self {
            handle: stream.handle(),
            snapshot: Mutex::new(Snapshot::of(&stream)),
            ready: Mutex::new(VecDeque::new()),
            feed: std::sync::OnceLock::new(),
            ended: AtomicBool::new(false),
            idempotency_key: stream.idempotency_key().map(str::to_owned),
            replayed: stream.replayed().cloned(),
            session_id: stream.session_id().map_or(session_id, str::to_owned),
            reader: Arc::new(tokio::sync::Mutex::new(Reader {
                stream,
                pending: None,
            })),
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_snapshot(&self, snapshot: Snapshot) {
        *self.snapshot.lock().unwrap_or_else(PoisonError::into_inner) = snapshot;
    }

    /// The read-ahead task's receiving end, starting the task on first use.
    fn feed(&self) -> PyResult<&Feed> {
        let rt = crate::runtime::runtime()?;
        Ok(self.feed.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::channel(FEED_DEPTH);
            let task = rt.spawn(read_ahead(self.reader.clone(), tx)).abort_handle();
            Feed {
                rx: tokio::sync::Mutex::new(rx),
                task,
            }
        }))
    }

    /// Files what the read-ahead task sent: events go to `ready` (in order, since the
    /// receiver is locked meanwhile); the end and failures update the position.
    fn accept(&self, fed: Option<Fed>) -> poke::Result<()> {
        match fed {
            Some(Fed::Events(events)) => {
                lock(&self.ready).extend(events);
                Ok(())
            }
            Some(Fed::Failed(e, snapshot)) => {
                self.set_snapshot(snapshot);
                self.ended.store(true, Ordering::Release);
                Err(e)
            }
            Some(Fed::End(snapshot)) => {
                self.set_snapshot(snapshot);
                self.ended.store(true, Ordering::Release);
                Ok(())
            }
            None => {
                self.ended.store(true, Ordering::Release);
                Ok(())
            }
        }
    }

    /// The next event for a blocking read, `None` at the end (terminal event delivered, or
    /// closed). Events come from the read-ahead task; the GIL is released only when none
    /// has arrived yet.
    fn next_blocking(self: &Arc<Self>, py: Python<'_>) -> PyResult<Option<Event>> {
        loop {
            if let Some(event) = self.take_ready() {
                return Ok(Some(event));
            }
            // Events received before the end are served first, so the end is final here.
            if self.ended.load(Ordering::Acquire) {
                return Ok(None);
            }
            let feed = self.feed()?;
            if let Ok(mut rx) = feed.rx.try_lock() {
                match rx.try_recv() {
                    Ok(fed) => {
                        let outcome = self.accept(Some(fed));
                        drop(rx);
                        outcome.map_err(crate::errors::to_py_err)?;
                        continue;
                    }
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                        self.ended.store(true, Ordering::Release);
                        continue;
                    }
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {}
                }
            }
            let inner = self.clone();
            wait(py, async move {
                let Some(feed) = inner.feed.get() else {
                    return Ok(());
                };
                let mut rx = feed.rx.lock().await;
                // Another thread may have received while this one waited for the lock.
                if !lock(&inner.ready).is_empty() || inner.ended.load(Ordering::Acquire) {
                    return Ok(());
                }
                let fed = rx.recv().await;
                inner.accept(fed)
            })?;
        }
    }

    /// An event received earlier from the read-ahead task, if any.
    fn take_ready(&self) -> Option<Event> {
        let (event, position) = lock(&self.ready).pop_front()?;
        match position {
            Position::Full(snapshot) => self.set_snapshot(snapshot),
            Position::FromEvent => {
                let mut s = lock(&self.snapshot);
                if let Some(id) = &event.0.id {
                    match s.last_event_id.as_mut() {
                        Some(last) => last.clone_from(id),
                        None => s.last_event_id = Some(id.clone()),
                    }
                }
                s.finished = event.0.is_terminal();
            }
        }
        Some(event)
    }

    /// Stops reading: the stream closes and events read ahead are dropped.
    fn close(&self) {
        self.handle.close();
        if let Some(feed) = self.feed.get() {
            feed.task.abort();
        }
        lock(&self.ready).clear();
    }

    /// The next event for an asyncio read; `StopAsyncIteration` at the end.
    fn next_delivery(self: &Arc<Self>) -> Call<Delivery> {
        let inner = self.clone();
        Box::pin(async move {
            let mut reader = inner.reader.clone().lock_owned().await;
            match reader.next().await {
                Ok(Some(item)) => Ok(Delivery {
                    guard: Some(reader),
                    item: Some(item),
                    inner,
                }),
                Ok(None) => {
                    inner.set_snapshot(Snapshot::of(&reader.stream));
                    Err(PyStopAsyncIteration::new_err(()))
                }
                Err(e) => {
                    inner.set_snapshot(Snapshot::of(&reader.stream));
                    Err(crate::errors::to_py_err(e))
                }
            }
        })
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

// --- `__anext__`: an asyncio future completed on its own loop thread
//
// The general `awaitable` path checks for cancellation on another thread before it hands the
// value to the loop, so a read cancelled in between would lose its event. Here the check and
// the hand-over both happen on the loop thread, in `Complete`: a cancelled future's event goes
// back to the reader (see `Delivery`), and the next read returns it.

/// Sets the outcome on the future, or drops it when the future is already done (cancelled).
#[pyclass(frozen)]
struct Complete {
    future: Py<PyAny>,
    outcome: Mutex<Option<PyResult<Delivery>>>,
}

#[pymethods]
impl Complete {
    fn __call__(&self, py: Python<'_>) {
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(outcome) = outcome else {
            return;
        };
        let future = self.future.bind(py);
        let done = future
            .call_method0(pyo3::intern!(py, "done"))
            .and_then(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            // Dropping a delivery puts its event back for the next read.
            drop(outcome);
            return;
        }
        let set = match outcome.and_then(|d| d.into_pyobject(py)) {
            Ok(event) => future.call_method1(pyo3::intern!(py, "set_result"), (event,)),
            Err(e) => future.call_method1(pyo3::intern!(py, "set_exception"), (e.value(py),)),
        };
        if let Err(e) = set {
            e.write_unraisable(py, Some(future));
        }
    }
}

/// Aborts the read task once its future is done (a no-op unless it was cancelled).
#[pyclass(frozen)]
struct AbortRead(tokio::task::AbortHandle);

#[pymethods]
impl AbortRead {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

/// Hands the read's outcome to the loop; if the task ends without one (a panic), says so.
struct Completion {
    future: Option<Py<PyAny>>,
    event_loop: Py<PyAny>,
}

impl Completion {
    fn finish(&mut self, outcome: PyResult<Delivery>) {
        let Some(future) = self.future.take() else {
            return;
        };
        Python::attach(|py| {
            let job = Complete {
                future,
                outcome: Mutex::new(Some(outcome)),
            };
            // A closed loop refuses the job; dropping it returns the event to the reader.
            let _ = self
                .event_loop
                .bind(py)
                .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (job,));
        });
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        // Without a panic, an unfinished completion means the task was aborted, which only
        // happens once its future is done: nothing to report then.
        if self.future.is_some() && std::thread::panicking() {
            self.finish(Err(crate::errors::poke_error(
                "internal error: the read task ended without a result",
            )));
        }
    }
}

fn next_event_future<'py>(py: Python<'py>, read: Call<Delivery>) -> PyResult<Bound<'py, PyAny>> {
    let rt = crate::runtime::runtime()?;
    let event_loop = py
        .import(pyo3::intern!(py, "asyncio"))?
        .call_method0(pyo3::intern!(py, "get_running_loop"))?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let mut completion = Completion {
        future: Some(future.clone().unbind()),
        event_loop: event_loop.unbind(),
    };
    let task = rt.spawn(async move {
        let outcome = read.await;
        // Taking the GIL may wait: do it off the runtime's worker threads.
        let _ = tokio::task::spawn_blocking(move || completion.finish(outcome)).await;
    });
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortRead(task.abort_handle()),),
    )?;
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
        next_event_future(py, self.inner.next_delivery())
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
