//! `_ResponsesCore`: the stateless endpoints (E19–E21) and the tool loop for
//! `client.responses` of `poke._sessions`.

use crate::args;
use crate::call::{Call, Mode};
use crate::pokee::PokeeCore;
use crate::records::CancelResult;
use crate::response_records::{Response, ToolRun};
use crate::response_stream::ResponseStreamCore;
use crate::tools::Dispatch;
use poke::{CreateResponse, PokeeClient};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;

/// The stateless-response calls of one client (built from its `_PokeeCore`).
#[pyclass(frozen, module = "poke._poke", name = "_ResponsesCore")]
pub(crate) struct ResponsesCore {
    core: Py<PokeeCore>,
}

fn into_py<T: for<'a> IntoPyObject<'a>>(py: Python<'_>, value: T) -> PyResult<Py<PyAny>> {
    value.into_py_any(py)
}

impl ResponsesCore {
    fn client(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
        idempotency_key: Option<String>,
    ) -> PyResult<PokeeClient> {
        let opts = args::call_options(timeout, max_retries, idempotency_key)?;
        Ok(self.core.bind(py).get().client.with_options(opts))
    }
}

/// The request from its dict (`input`, `model`, `instructions`, `tools`, `reasoning`, other
/// OpenAI fields); a value that cannot be sent raises before anything is.
fn request(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<CreateResponse> {
    args::json(py, "request", value)
}

#[pymethods]
impl ResponsesCore {
    #[new]
    fn new(core: Py<PokeeCore>) -> Self {
        Self { core }
    }

    #[pyo3(signature = (request, timeout=None, max_retries=None))]
    fn create(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let req = self::request(py, request)?;
        let c = self.client(py, timeout, max_retries, None)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.create_response(&req).await.map(Response::from) }),
            into_py,
        ))
    }

    #[pyo3(signature = (request, idempotency_key=None, timeout=None, max_retries=None))]
    fn stream(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        idempotency_key: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let req = self::request(py, request)?;
        let c = self.client(py, timeout, max_retries, idempotency_key)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let stream = c.stream_response(&req).await?;
                    ResponseStreamCore::new(stream)
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (response_id, last_event_id=None, timeout=None, max_retries=None))]
    fn resume(
        &self,
        py: Python<'_>,
        response_id: String,
        last_event_id: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.client(py, timeout, max_retries, None)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let stream = c
                        .resume_response(&response_id, last_event_id.as_deref())
                        .await?;
                    ResponseStreamCore::new(stream)
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (response_id, timeout=None, max_retries=None))]
    fn cancel(
        &self,
        py: Python<'_>,
        response_id: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.client(py, timeout, max_retries, None)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    c.cancel_response(&response_id)
                        .await
                        .map(CancelResult::from)
                })
            },
            into_py,
        ))
    }

    /// The tool loop of the core; `dispatch(name, arguments, call_id)` runs a function and
    /// returns its output text (or a coroutine of it, awaited on the loop).
    #[pyo3(signature = (request, dispatch, max_rounds=None, timeout=None, max_retries=None))]
    fn run(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        dispatch: Bound<'_, PyAny>,
        max_rounds: Option<u32>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let req = self::request(py, request)?;
        let c = self.client(py, timeout, max_retries, None)?;
        let dispatch = dispatch.unbind();
        let rounds = max_rounds.unwrap_or(poke::DEFAULT_MAX_ROUNDS);
        let start = move |py: Python<'_>, mode| {
            let dispatch = Dispatch::new(py, dispatch.into_bound(py), mode == Mode::Async)?;
            Ok(async move {
                let dispatch = &dispatch;
                let run = c
                    .run_tools(&req, rounds, |call| dispatch.call(call))
                    .await?;
                Ok(ToolRun(run))
            })
        };
        Ok(Call::of(start, into_py))
    }
}
