//! `on_progress=` callables as the receivers of the core's progress delivery
//! (`poke::progress`), which runs them with no lock held and stops the operation when they
//! raise (the exception then propagates unchanged).
//!
//! A blocking call's callback runs on the calling thread (which drives the call); an asyncio
//! call's on the event loop's thread, like any asyncio callback, reached through the loop's
//! waker, so no runtime thread calls into Python.

use crate::runtime::LoopWaker;
use poke::binding::progress::{Delivery, Reporter};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::future::Future;
use std::sync::Arc;

/// Makes a callback's arguments from one report.
pub(crate) type Args<M> = fn(Python<'_>, M) -> PyResult<Py<PyTuple>>;

/// A user callback, and the loop it runs on for asyncio calls.
pub(crate) struct Callback {
    func: Arc<Py<PyAny>>,
    on_loop: Option<LoopWaker>,
}

impl Callback {
    /// `on_progress=`: None stays None, anything else must be callable. With `on_loop`, it
    /// runs on the current thread's running event loop.
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
        let on_loop = if on_loop {
            let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
            Some(LoopWaker::of(py, &event_loop)?)
        } else {
            None
        };
        Ok(Some(Self {
            func: Arc::new(func),
            on_loop,
        }))
    }

    /// Calls the function with the arguments of `report`.
    async fn call<M: Send + 'static>(&self, report: M, args: Args<M>) -> PyResult<()> {
        let func = self.func.clone();
        let Some(waker) = &self.on_loop else {
            return Python::attach(|py| func.bind(py).call1(args(py, report)?.bind(py)).map(drop));
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        waker.run(Box::new(move |py| {
            let outcome = args(py, report).and_then(|a| func.bind(py).call1(a.bind(py)).map(drop));
            // The waiting call may be gone (cancelled): then nobody needs the outcome.
            let _ = tx.send(outcome);
        }));
        rx.await.unwrap_or_else(|_| {
            Err(crate::errors::poke_error(
                "the event loop closed before running the progress callback",
            ))
        })
    }
}

/// Runs the operation `op` makes, handing its reports to `callback` (when there is one).
pub(crate) async fn run<T, M, F, Fut>(
    callback: Option<Callback>,
    op: F,
    args: Args<M>,
) -> poke::Result<T>
where
    M: Send + 'static,
    F: FnOnce(Reporter<M>) -> Fut,
    Fut: Future<Output = poke::Result<T>>,
{
    let (reporter, delivery): (Reporter<M>, Delivery<M>) =
        poke::binding::progress::channel(callback.is_some());
    let op = op(reporter);
    match callback {
        None => delivery.run(op, |_| async { Ok::<(), PyErr>(()) }).await,
        Some(cb) => {
            let cb = &cb;
            delivery.run(op, move |m| cb.call(m, args)).await
        }
    }
}
