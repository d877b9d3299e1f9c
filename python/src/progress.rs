//! Python progress callbacks for core calls that report progress.
//!
//! The core calls its progress closure from inside the operation (sometimes under its own
//! lock), so the closure handed to it only queues the report. The task that awaits the
//! operation pops the reports and calls the Python callable with the GIL taken and no Rust
//! lock held: directly for blocking calls (on the caller's thread), and through
//! `loop.call_soon_threadsafe` for asyncio calls, so the callback runs on the event loop's
//! thread like any other asyncio callback. If the callable raises, the operation is dropped
//! (which aborts it and removes any partial download) and the exception is raised to the
//! caller unchanged.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use tokio::sync::{mpsc, oneshot};

/// A user callback and where it must run.
pub(crate) struct Callback {
    func: Py<PyAny>,
    /// The running event loop, for callbacks of asyncio calls.
    event_loop: Option<Py<PyAny>>,
}

impl Callback {
    /// `on_progress=`: None stays None, anything else must be callable. With `on_loop`, the
    /// current thread's running event loop is captured to run it on.
    pub(crate) fn from_arg(
        py: Python<'_>,
        value: Option<Bound<'_, PyAny>>,
        on_loop: bool,
    ) -> PyResult<Option<Self>> {
        let func = match value {
            None => return Ok(None),
            Some(v) if v.is_none() => return Ok(None),
            Some(v) if v.is_callable() => v.unbind(),
            Some(_) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "on_progress must be callable or None",
                ));
            }
        };
        let event_loop = if on_loop {
            Some(
                py.import("asyncio")?
                    .getattr("get_running_loop")?
                    .call0()?
                    .unbind(),
            )
        } else {
            None
        };
        Ok(Some(Self { func, event_loop }))
    }

    /// Calls the function with `args`, on the event loop when there is one.
    async fn call(&self, args: Py<PyTuple>) -> PyResult<()> {
        let Some(event_loop) = &self.event_loop else {
            return Python::attach(|py| self.func.bind(py).call1(args.bind(py)).map(drop));
        };
        let (tx, rx) = oneshot::channel();
        Python::attach(|py| {
            let job = OnLoop {
                func: self.func.clone_ref(py),
                args,
                done: Mutex::new(Some(tx)),
            };
            event_loop
                .bind(py)
                .call_method1("call_soon_threadsafe", (job,))
                .map(drop)
        })?;
        rx.await.unwrap_or_else(|_| {
            Err(crate::errors::poke_error(
                "the event loop closed before running the progress callback",
            ))
        })
    }
}

/// One callback run, scheduled on an event loop; reports its outcome back.
#[pyclass(frozen)]
struct OnLoop {
    func: Py<PyAny>,
    args: Py<PyTuple>,
    done: Mutex<Option<oneshot::Sender<PyResult<()>>>>,
}

#[pymethods]
impl OnLoop {
    fn __call__(&self, py: Python<'_>) {
        let outcome = self.func.bind(py).call1(self.args.bind(py)).map(drop);
        let done = self
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(tx) = done {
            // The waiting call may be gone (cancelled): then nobody needs the outcome.
            let _ = tx.send(outcome);
        }
    }
}

/// The sending half, moved into the core's progress closure; a no-op without a callback.
pub(crate) struct Reports<M>(Option<mpsc::UnboundedSender<M>>);

impl<M> Reports<M> {
    pub(crate) fn send(&self, report: M) {
        if let Some(tx) = &self.0 {
            // The receiver only goes away with the awaiting task, when nobody cares anymore.
            let _ = tx.send(report);
        }
    }
}

/// The receiving half with the callback.
pub(crate) struct Pump<M> {
    inner: Option<(Callback, mpsc::UnboundedReceiver<M>)>,
}

/// A report channel for `callback` (None: reports are dropped at once).
pub(crate) fn channel<M>(callback: Option<Callback>) -> (Reports<M>, Pump<M>) {
    match callback {
        Some(cb) => {
            let (tx, rx) = mpsc::unbounded_channel();
            (
                Reports(Some(tx)),
                Pump {
                    inner: Some((cb, rx)),
                },
            )
        }
        None => (Reports(None), Pump { inner: None }),
    }
}

impl<M: Send + 'static> Pump<M> {
    /// Awaits `op`, calling the callback with `args(py, report)` for each report as it comes
    /// and for the ones still queued when `op` ends; an exception from the callback ends `op`
    /// and is returned as is.
    pub(crate) async fn run<T, F, A>(self, op: F, args: A) -> PyResult<T>
    where
        F: Future<Output = poke::Result<T>>,
        A: Fn(Python<'_>, M) -> PyResult<Py<PyTuple>>,
    {
        let Some((cb, mut rx)) = self.inner else {
            return op.await.map_err(to_py_err);
        };
        let mut op = std::pin::pin!(op);
        loop {
            tokio::select! {
                biased;
                Some(m) = rx.recv() => {
                    let a = Python::attach(|py| args(py, m))?;
                    cb.call(a).await?;
                }
                result = &mut op => {
                    while let Ok(m) = rx.try_recv() {
                        let a = Python::attach(|py| args(py, m))?;
                        cb.call(a).await?;
                    }
                    return result.map_err(to_py_err);
                }
            }
        }
    }
}
