//! `ByteStream` and `AsyncByteStream`: a download's bytes as an iterator (or async iterator)
//! over the core's `ByteReader`, which reads a few blocks ahead (bounded memory), resumes a
//! dropped connection with a `Range` request, and keeps what a cancelled wait received.

use crate::errors::to_py_err;
use crate::runtime::{AbortOnDone, LoopWaker, block, runtime, settle};
use crate::turn::Ready;
use poke::binding::{Block, ByteReader, NextBlock};
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::{Arc, Mutex, PoisonError};

/// A download as `_PokeeCore.iter_bytes` returns it; `ByteStream(core)` or
/// `AsyncByteStream(core)` reads it.
#[pyclass(frozen, module = "poke._poke", name = "_ByteStreamCore")]
pub(crate) struct ByteStreamCore(Arc<Inner>);

impl ByteStreamCore {
    pub(crate) fn new(path: String, reader: ByteReader) -> Self {
        Self(Arc::new(Inner {
            reader,
            path,
            waiting: Mutex::new(None),
        }))
    }
}

struct Inner {
    reader: ByteReader,
    path: String,
    /// The future of the last `__anext__` that had to wait: while it is pending, another
    /// read is refused, as an async generator refuses it, so blocks go out in the order
    /// reads were made.
    waiting: Mutex<Option<Py<PyAny>>>,
}

/// One `bytes` object of a block (its only copy on the Python side).
fn to_bytes<'py>(py: Python<'py>, block: &Block) -> PyResult<Bound<'py, PyBytes>> {
    match block.chunks() {
        [one] => Ok(PyBytes::new(py, one)),
        _ => PyBytes::new_with(py, block.len(), |out| {
            block.copy_to(out);
            Ok(())
        }),
    }
}

impl Inner {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Option<Py<PyAny>>> {
        // Holds a plain reference that a panic elsewhere cannot leave half-written.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next block for a blocking read, `None` at the end; the GIL is released only
    /// while nothing is ready, and Ctrl-C during that wait loses nothing.
    fn next_blocking<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        loop {
            match self.reader.try_next() {
                NextBlock::Block(b) => return to_bytes(py, &b).map(Some),
                NextBlock::End => return Ok(None),
                NextBlock::Failed(e) => return Err(to_py_err(e)),
                NextBlock::Empty => {
                    let reader = self.reader.clone();
                    block(py, async move {
                        reader.wait().await;
                        Ok(())
                    })?;
                    // A Ctrl-C that came during the wait is raised now, before a block is
                    // taken: CPython raises a pending interrupt as a call returns, which would
                    // drop the block returned with it.
                    py.check_signals()?;
                }
            }
        }
    }

    /// `__anext__`: a ready block in a completed awaitable, else an asyncio future settled
    /// on the loop's thread, which takes the block only if the future still waits (so a
    /// cancelled read leaves it for the next one).
    fn next_awaitable<'py>(self: &Arc<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Not called under the lock: Python code may let another thread run.
        let pending = self.waiting().as_ref().map(|p| p.clone_ref(py));
        if let Some(pending) = pending
            && !pending.bind(py).call_method0("done")?.is_truthy()?
        {
            return Err(PyRuntimeError::new_err(
                "anext(): another read of this stream is already waiting",
            ));
        }
        let now = match self.reader.try_next() {
            NextBlock::Block(b) => Some(to_bytes(py, &b).map(|b| b.into_any().unbind())),
            NextBlock::End => Some(Err(PyStopAsyncIteration::new_err(()))),
            NextBlock::Failed(e) => Some(Err(to_py_err(e))),
            NextBlock::Empty => None,
        };
        if let Some(value) = now {
            return Ok(Bound::new(py, Ready::new(value))?.into_any());
        }
        let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
        let future = event_loop.call_method0("create_future")?;
        let waker = LoopWaker::of(py, &event_loop)?;
        let inner = self.clone();
        let target = Arc::new(future.clone().unbind());
        let reader = self.reader.clone();
        let task = runtime()?.spawn(async move {
            reader.wait().await;
            waker.run(Box::new(move |py| inner.settle_read(py, &target)));
        });
        future.call_method1(
            "add_done_callback",
            (AbortOnDone::task(task.abort_handle()),),
        )?;
        *self.waiting() = Some(future.clone().unbind());
        Ok(future)
    }

    /// On the loop's thread, once a wait ended: hands the next block to the future if it
    /// still waits.
    fn settle_read(&self, py: Python<'_>, future: &Py<PyAny>) {
        let future = future.bind(py);
        let waiting = future
            .call_method0("done")
            .and_then(|d| d.is_truthy())
            .is_ok_and(|done| !done);
        if !waiting {
            return;
        }
        let value = match self.reader.try_next() {
            NextBlock::Block(b) => to_bytes(py, &b).map(|b| b.into_any().unbind()),
            NextBlock::End => Err(PyStopAsyncIteration::new_err(())),
            NextBlock::Failed(e) => Err(to_py_err(e)),
            // Only one read waits at a time and a wait ends with something to read.
            NextBlock::Empty => Err(crate::errors::poke_error(
                "internal error: a read found nothing after its wait",
            )),
        };
        settle(py, future, value);
    }
}

/// A file's bytes as they arrive: iterate it (`for chunk in stream`), best inside `with`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct ByteStream {
    inner: Arc<Inner>,
}

/// A file's bytes for asyncio: `async for chunk in stream`, best inside `async with`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct AsyncByteStream {
    inner: Arc<Inner>,
}

macro_rules! byte_stream_class {
    ($ty:ident, { $($protocol:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            fn new(core: &ByteStreamCore) -> Self {
                Self {
                    inner: core.0.clone(),
                }
            }

            $($protocol)*

            /// The size the server announced, once the response arrived (None before, or
            /// when it sent none).
            #[getter]
            fn content_length(&self) -> Option<u64> {
                self.inner.reader.content_length()
            }

            /// Bytes handed out so far.
            #[getter]
            fn bytes_read(&self) -> u64 {
                self.inner.reader.delivered()
            }

            /// Stops the download now and frees its connection; later reads end.
            fn close(&self) {
                self.inner.reader.close()
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                format!(
                    "{}(path={}, bytes_read={})",
                    stringify!($ty),
                    crate::records::quote(py, &self.inner.path),
                    self.inner.reader.delivered()
                )
            }
        }
    };
}

byte_stream_class!(ByteStream, {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next chunk (blocking, GIL released); `StopIteration` after the last byte.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.inner.next_blocking(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
        self.inner.reader.close()
    }
});

byte_stream_class!(AsyncByteStream, {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Awaitable next chunk; `StopAsyncIteration` after the last byte.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.next_awaitable(py)
    }
});
