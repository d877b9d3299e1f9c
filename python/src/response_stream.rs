//! `ResponseStream` and `AsyncResponseStream`: a streamed stateless response's typed events as
//! an iterator (or async iterator), over the same reader as turns (`TurnInner`): read ahead,
//! resumed through E20 after a drop, each event once, cancel-safe reads.

use crate::call::Call;
use crate::records::{CancelResult, ReplayNotice, quote};
use crate::response_event::{ResponseEvent, batch};
use crate::turn::TurnInner;
use pyo3::prelude::*;
use std::sync::Arc;

/// A streamed response as the responses client returns it; `ResponseStream(core)` or
/// `AsyncResponseStream(core)` reads it.
#[pyclass(frozen, module = "poke._poke", name = "_ResponseStreamCore")]
pub(crate) struct ResponseStreamCore(Arc<TurnInner<ResponseEvent>>);

impl ResponseStreamCore {
    pub(crate) fn new(stream: poke::ResponseStream) -> poke::Result<Self> {
        let inner =
            TurnInner::with_convert(String::new(), stream.into_turn_stream(), Box::new(batch))?;
        Ok(Self(Arc::new(inner)))
    }
}

/// The events of a streamed response; iterate it, best inside `with stream:`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct ResponseStream {
    inner: Arc<TurnInner<ResponseEvent>>,
}

/// The events of a streamed response for asyncio; `async for event in stream`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct AsyncResponseStream {
    inner: Arc<TurnInner<ResponseEvent>>,
}

macro_rules! stream_class {
    ($ty:ident, { $($protocol:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            fn new(core: &ResponseStreamCore) -> Self {
                Self {
                    inner: core.0.clone(),
                }
            }

            $($protocol)*

            /// The response id (`X-Response-Id`, else `response.created`'s).
            #[getter]
            fn response_id(&self) -> Option<String> {
                self.inner.reader().position().response_id
            }

            /// The id of the last event delivered, for a manual `responses.resume(...)`.
            #[getter]
            fn last_event_id(&self) -> Option<String> {
                self.inner.reader().position().last_event_id
            }

            /// True once the terminal event was delivered.
            #[getter]
            fn is_finished(&self) -> bool {
                self.inner.reader().position().finished
            }

            /// The `Idempotency-Key` the request was sent with (None for a resumed stream).
            #[getter]
            fn idempotency_key(&self) -> Option<&str> {
                self.inner.reader().idempotency_key()
            }

            /// Set when a re-sent request found the response long finished: no events follow.
            #[getter]
            fn replayed(&self) -> Option<ReplayNotice> {
                self.inner.reader().replayed().cloned().map(ReplayNotice::from)
            }

            /// Stops reading now (a pending read ends too); the response goes on on the
            /// server. Use `cancel()` to stop it there.
            fn close(&self) {
                self.inner.close()
            }

            /// Asks the server to cancel the response (a call to run or await).
            fn _cancel(&self) -> Call {
                let handle = self.inner.reader().handle().clone();
                Call::of(
                    move |_, _| Ok(async move { handle.cancel().await.map(CancelResult::from) }),
                    |py, r: CancelResult| Ok(Py::new(py, r)?.into_any()),
                )
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                let p = self.inner.reader().position();
                let opt = |v: Option<String>| v.map_or("None".into(), |v| quote(py, &v));
                format!(
                    "{}(response_id={}, last_event_id={}, finished={})",
                    stringify!($ty),
                    opt(p.response_id),
                    opt(p.last_event_id),
                    if p.finished { "True" } else { "False" },
                )
            }
        }
    };
}

stream_class!(ResponseStream, {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next event (blocking, GIL released); `StopIteration` after the terminal event.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<ResponseEvent>> {
        self.inner.next_blocking(py)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
        self.inner.close()
    }
});

stream_class!(AsyncResponseStream, {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Awaitable next event; `StopAsyncIteration` after the terminal event.
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.inner.next_awaitable(py)
    }
});
