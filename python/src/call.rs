//! `Call`: a prepared call (arguments converted, nothing sent), run blocking with `.wait()` or
//! awaited. One Rust method serves both flavours of each Python method: `Pokee` calls
//! `.wait()`, `AsyncPokee` (an `async def`) awaits it, so nothing starts until then.

use crate::runtime::{Make, awaitable, block};
use pyo3::prelude::*;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

/// How a call runs: blocking on the calling thread, or as an asyncio future.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Blocking,
    Async,
}

type Run = Box<dyn FnOnce(Python<'_>, Mode) -> PyResult<Py<PyAny>> + Send>;

/// A call ready to run once, blocking (`wait()`) or awaited (`await call`).
#[pyclass(frozen, module = "poke._poke")]
pub(crate) struct Call(Mutex<Option<Run>>);

impl Call {
    /// A call whose run is `run` (it gets the mode, and returns the value or the future).
    pub(crate) fn new(
        run: impl FnOnce(Python<'_>, Mode) -> PyResult<Py<PyAny>> + Send + 'static,
    ) -> Self {
        Self(Mutex::new(Some(Box::new(run))))
    }

    /// The usual call: `start` builds the future for the mode (callbacks need to know where
    /// they will run), `make` turns its value into a Python object where the GIL is held.
    pub(crate) fn of<T, F>(
        start: impl FnOnce(Python<'_>, Mode) -> PyResult<F> + Send + 'static,
        make: Make<T>,
    ) -> Self
    where
        T: Send + 'static,
        F: Future<Output = poke::Result<T>> + Send + 'static,
    {
        Self::new(move |py, mode| {
            let fut = start(py, mode)?;
            match mode {
                Mode::Blocking => {
                    let value = block(py, fut)?;
                    make(py, value)
                }
                Mode::Async => Ok(awaitable(py, fut, make)?.unbind()),
            }
        })
    }

    fn take(&self, mode: Mode, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let run = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("a call runs only once"))?;
        run(py, mode)
    }
}

#[pymethods]
impl Call {
    /// Runs the call on this thread with the GIL released and returns its value.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.take(Mode::Blocking, py)
    }

    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.take(Mode::Async, py)?
            .into_bound(py)
            .call_method0(pyo3::intern!(py, "__await__"))
    }
}
