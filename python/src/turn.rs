//! `Turn` and `AsyncTurn`: a turn's events as an iterator (or async iterator) over the core's
//! `TurnReader`, which reads ahead, resumes dropped connections, drops replayed ids, and keeps
//! what a cancelled read received for the next read.

use crate::call::Call;
use crate::errors::to_py_err;
use crate::event::Event;
use crate::records::{CancelResult, ReplayNotice, quote};
use crate::runtime::{AbortOnDone, LoopWaker, block, runtime, settle};
use poke::TurnStream;
use poke::binding::{Next, Ticket, TurnReader};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::{PyClass, PyClassInitializer};
use std::sync::{Arc, Mutex, PoisonError};

/// A turn as the sessions client returns it; `Turn(core)` or `AsyncTurn(core)` reads it.
#[pyclass(frozen, module = "poke._poke", name = "_TurnCore")]
pub(crate) struct TurnCore(Arc<TurnInner>);

impl TurnCore {
    pub(crate) fn new(session_id: String, stream: TurnStream) -> poke::Result<Self> {
        Ok(Self(Arc::new(TurnInner::new(session_id, stream)?)))
    }
}

/// The state shared by `Turn` and `AsyncTurn` (events `Event`), and by the stateless
/// response streams (events `ResponseEvent`).
pub(crate) struct TurnInner<E = Event> {
    reader: TurnReader<E>,
    session_id: String,
}

impl TurnInner {
    pub(crate) fn new(session_id: String, stream: TurnStream) -> poke::Result<Self> {
        let rt = poke::binding::runtime::shared()?;
        let session_id = stream.session_id().map_or(session_id, str::to_owned);
        Ok(Self {
            reader: TurnReader::new(stream, rt.handle().clone(), Box::new(crate::event::batch)),
            session_id,
        })
    }
}

/// What a reader's events must be: readable by the core's reader, and Python objects.
pub(crate) trait PyEvent:
    poke::binding::ReadEvent + Clone + PyClass + Sync + Into<PyClassInitializer<Self>>
{
}

impl<E: poke::binding::ReadEvent + Clone + PyClass + Sync + Into<PyClassInitializer<E>>> PyEvent
    for E
{
}

impl<E: PyEvent> TurnInner<E> {
    /// A reader of `stream` converting its batches with `convert`; `label` is what `repr`
    /// shows as `session_id`.
    pub(crate) fn with_convert(
        label: String,
        stream: TurnStream,
        convert: poke::binding::Convert<E>,
    ) -> poke::Result<Self> {
        let rt = poke::binding::runtime::shared()?;
        Ok(Self {
            reader: TurnReader::new(stream, rt.handle().clone(), convert),
            session_id: label,
        })
    }

    pub(crate) fn reader(&self) -> &TurnReader<E> {
        &self.reader
    }

    /// The next event for a blocking read, `None` at the end; the GIL is released only
    /// while no event is ready, and Ctrl-C during that wait loses nothing.
    pub(crate) fn next_blocking(&self, py: Python<'_>) -> PyResult<Option<E>> {
        loop {
            match self.reader.try_next() {
                Next::Event(event) => return Ok(Some(event)),
                Next::End => return Ok(None),
                Next::Failed(e) => return Err(to_py_err(e)),
                Next::Empty => {
                    let reader = self.reader.clone();
                    block(py, async move {
                        reader.wait().await;
                        Ok(())
                    })?;
                    // A Ctrl-C that came during the wait is raised now, before an event is
                    // taken: CPython raises a pending interrupt as a call returns, which would
                    // drop the event returned with it.
                    py.check_signals()?;
                }
            }
        }
    }

    /// `__anext__`: a ready event in a completed awaitable when no earlier read waits, else
    /// an asyncio future settled on the loop's thread, reads served in the order made.
    pub(crate) fn next_awaitable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let now = match self.reader.try_next_in_order() {
            Some(Next::Event(event)) => Some(Py::new(py, event).map(Py::into_any)),
            Some(Next::End) => Some(Err(PyStopAsyncIteration::new_err(()))),
            Some(Next::Failed(e)) => Some(Err(to_py_err(e))),
            Some(Next::Empty) | None => None,
        };
        if let Some(value) = now {
            // Raised on `await`, as a coroutine would.
            return Ok(Bound::new(py, Ready::new(value))?.into_any());
        }
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        let future = event_loop.call_method0("create_future")?;
        let waker = LoopWaker::of(py, &event_loop)?;
        let reader = self.reader.clone();
        let ticket = reader.ticket();
        let target = Arc::new(future.clone().unbind());
        let task = runtime()?.spawn(async move {
            let outcome = reader.next_in_order(&ticket).await;
            waker.run(Box::new(move |py| {
                settle_read(py, &target, &reader, ticket, outcome)
            }));
        });
        future.call_method1(
            "add_done_callback",
            (AbortOnDone::task(task.abort_handle()),),
        )?;
        Ok(future)
    }

    pub(crate) fn close(&self) {
        self.reader.close();
    }

    pub(crate) fn repr(&self, py: Python<'_>, class: &str) -> String {
        let p = self.reader.position();
        let opt = |v: Option<String>| v.map_or("None".into(), |v| quote(py, &v));
        format!(
            "{class}(session_id={}, response_id={}, last_event_id={}, finished={})",
            quote(py, &self.session_id),
            opt(p.response_id),
            opt(p.last_event_id),
            if p.finished { "True" } else { "False" },
        )
    }
}

/// On the loop's thread: hands a read's event to its future if it still waits. A read
/// cancelled meanwhile leaves its event unconfirmed, so the next read gets it; dropping the
/// ticket (here, after the hand-over) lets the next read go.
fn settle_read<E: PyEvent>(
    py: Python<'_>,
    future: &Py<PyAny>,
    reader: &TurnReader<E>,
    ticket: Ticket<E>,
    outcome: poke::Result<Option<E>>,
) {
    let future = future.bind(py);
    let waiting = future
        .call_method0("done")
        .and_then(|d| d.is_truthy())
        .is_ok_and(|done| !done);
    if waiting {
        let value = match outcome {
            Ok(Some(event)) if reader.confirm(ticket.number()) => {
                Py::new(py, event).map(Py::into_any)
            }
            Ok(Some(_)) => Err(crate::errors::poke_error(
                "internal error: a read lost its event",
            )),
            Ok(None) => Err(PyStopAsyncIteration::new_err(())),
            Err(e) => Err(to_py_err(e)),
        };
        settle(py, future, value);
    }
    drop(ticket);
}

/// An awaitable that is already done: `await` returns its value (or raises its error)
/// without suspending.
#[pyclass(frozen)]
pub(crate) struct Ready(Mutex<Option<PyResult<Py<PyAny>>>>);

impl Ready {
    pub(crate) fn new(value: PyResult<Py<PyAny>>) -> Self {
        Self(Mutex::new(Some(value)))
    }
}

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
        let value = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Ok(py.None()))?;
        Err(PyStopIteration::new_err((value,)))
    }
}

/// Events of one turn; iterate it (`for event in turn`), best inside `with turn:`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct Turn {
    inner: Arc<TurnInner>,
}

/// Events of one turn for asyncio; `async for event in turn`, best inside `async with turn:`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct AsyncTurn {
    inner: Arc<TurnInner>,
}

macro_rules! turn_class {
    ($ty:ident, { $($protocol:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            fn new(core: &TurnCore) -> Self {
                Self {
                    inner: core.0.clone(),
                }
            }

            $($protocol)*

            /// The turn's response id (`X-Response-Id`, else `message.created`'s `data.id`).
            #[getter]
            fn response_id(&self) -> Option<String> {
                self.inner.reader.position().response_id
            }

            /// The id of the last event delivered, for a manual `session.resume(...)`.
            #[getter]
            fn last_event_id(&self) -> Option<String> {
                self.inner.reader.position().last_event_id
            }

            /// True once the terminal event was delivered.
            #[getter]
            fn is_finished(&self) -> bool {
                self.inner.reader.position().finished
            }

            #[getter]
            fn session_id(&self) -> &str {
                &self.inner.session_id
            }

            /// The `Idempotency-Key` the message was sent with (None for a resumed stream).
            #[getter]
            fn idempotency_key(&self) -> Option<&str> {
                self.inner.reader.idempotency_key()
            }

            /// Set when an idempotent re-send found the turn long finished: no events follow.
            #[getter]
            fn replayed(&self) -> Option<ReplayNotice> {
                self.inner.reader.replayed().cloned().map(ReplayNotice::from)
            }

            /// Stops reading now (a pending read ends too); the turn keeps running on the
            /// server. Use `cancel()` to stop it there.
            fn close(&self) {
                self.inner.close()
            }

            /// Asks the server to cancel the turn (a call to run or await).
            fn _cancel(&self) -> Call {
                let handle = self.inner.reader.handle().clone();
                Call::of(
                    move |_, _| Ok(async move { handle.cancel().await.map(CancelResult::from) }),
                    |py, r: CancelResult| Ok(Py::new(py, r)?.into_any()),
                )
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                self.inner.repr(py, stringify!($ty))
            }
        }
    };
}

turn_class!(Turn, {
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

turn_class!(AsyncTurn, {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Awaitable next event; `StopAsyncIteration` after the terminal event.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.next_awaitable(py)
    }
});
