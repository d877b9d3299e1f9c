//! `Poke` (blocking) and `_AsyncPokeCore` (asyncio futures for `poke.AsyncPoke`'s coroutines)
//! over one core client. The blocking calls run on the core's lanes: the calling thread drives
//! each call itself, with the GIL released.

use crate::args::{self, call_options};
use crate::convert::to_json_arg;
use crate::errors::to_py_err;
use crate::runtime::{awaitable, block, interrupted};
use poke::binding::Lanes;
use poke::binding::SdkLang;
use poke::{CallOptions, JsonResponse, Secret};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Reply = Pin<Box<dyn Future<Output = poke::Result<JsonResponse>> + Send>>;

/// A call whose arguments are converted, waiting for the client that will send it.
type Prepared = Box<dyn FnOnce(poke::Client) -> Reply + Send>;

/// A successful reply with its HTTP details, for `client.with_raw_response.<call>(...)`.
#[pyclass(frozen, module = "poke")]
pub(crate) struct RawResponse(JsonResponse);

#[pymethods]
impl RawResponse {
    /// The HTTP status.
    #[getter]
    fn status_code(&self) -> u16 {
        self.0.status
    }

    /// The `x-request-id` header, when the server sent one.
    #[getter]
    fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The response headers (names lower-cased).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.0.headers() {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// The body exactly as received.
    #[getter]
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body as the call returns it (a `dict`).
    fn parse(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        crate::convert::from_json(py, &self.0.body)
    }

    fn __repr__(&self) -> String {
        format!("<RawResponse [{}]>", self.0.status)
    }
}

fn reply(py: Python<'_>, resp: JsonResponse, raw: bool) -> PyResult<Py<PyAny>> {
    if raw {
        return Ok(Py::new(py, RawResponse(resp))?.into_any());
    }
    crate::convert::from_json(py, &resp.body)
}

/// The state shared by `Poke` and `AsyncPoke`, and how each call is prepared.
struct Core {
    client: poke::Client,
    lanes: Lanes<poke::Client>,
}

impl Core {
    fn new(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Self> {
        let mut builder = poke::Client::builder().sdk(SdkLang::Python, env!("CARGO_PKG_VERSION"));
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(t) = args::timeouts(timeout)? {
            builder = builder.timeouts(t);
        }
        if let Some(n) = args::retries(max_retries)? {
            builder = builder.max_retries(n);
        }
        Ok(Self {
            client: builder.build().map_err(to_py_err)?,
            lanes: Lanes::new(),
        })
    }

    /// Runs a prepared call on a lane of the core, blocking with the GIL released.
    fn blocking(&self, py: Python<'_>, prepared: Prepared, raw: bool) -> PyResult<Py<PyAny>> {
        // After `close()` the closed client gives the core's own error.
        if self.lanes.is_closed() {
            let resp = block(py, prepared(self.client.clone()))?;
            return reply(py, resp, raw);
        }
        crate::logging::refresh(py)?;
        let resp = py.detach(|| self.lanes.run(&self.client, prepared, interrupted));
        crate::logging::flush(py)?;
        reply(py, resp?.map_err(to_py_err)?, raw)
    }

    /// Returns an asyncio future of the prepared call, sent on the shared runtime.
    fn later<'py>(
        &self,
        py: Python<'py>,
        prepared: Prepared,
        raw: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = prepared(self.client.clone());
        if raw {
            awaitable(py, fut, |py, resp| reply(py, resp, true))
        } else {
            awaitable(py, fut, |py, resp| reply(py, resp, false))
        }
    }

    /// Refuses later calls and drops the idle lanes with their connections.
    fn close(&self) {
        self.lanes.close();
        self.client.close();
    }

    fn send_message(message: crate::convert::JsonArg, opts: CallOptions) -> Prepared {
        Box::new(move |client: poke::Client| -> Reply {
            Box::pin(async move { client.send_message_with(&message, &opts).await })
        })
    }

    fn create_webhook(
        condition: crate::convert::JsonArg,
        action: crate::convert::JsonArg,
        opts: CallOptions,
    ) -> Prepared {
        Box::new(move |client: poke::Client| -> Reply {
            Box::pin(async move { client.create_webhook_with(&condition, &action, &opts).await })
        })
    }

    fn send_webhook(
        webhook_url: String,
        webhook_token: Option<String>,
        data: crate::convert::JsonArg,
        opts: CallOptions,
    ) -> Prepared {
        let token = webhook_token.map(Secret::new);
        Box::new(move |client: poke::Client| -> Reply {
            Box::pin(async move {
                client
                    .send_webhook_with(&webhook_url, token.as_ref(), &data, &opts)
                    .await
            })
        })
    }

    fn headers<'py>(&self, py: Python<'py>, token: Option<String>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.client.headers(token.as_deref()) {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
}

/// The calls of `poke.Poke` (blocking, a drop-in for the official `poke.Poke`).
#[pyclass(frozen, subclass, module = "poke._poke", name = "_PokeCore")]
pub(crate) struct Poke {
    core: Arc<Core>,
}

/// The calls of `poke.AsyncPoke`, as asyncio futures its coroutines await.
#[pyclass(frozen, subclass, module = "poke._poke", name = "_AsyncPokeCore")]
pub(crate) struct AsyncPokeCore {
    core: Arc<Core>,
}

/// `Poke`'s calls with a raw reply (`with_raw_response`).
#[pyclass(frozen, module = "poke._poke", name = "_RawPoke")]
pub(crate) struct RawPoke {
    core: Arc<Core>,
}

/// `AsyncPoke`'s calls with a raw reply.
#[pyclass(frozen, module = "poke._poke", name = "_RawAsyncPokeCore")]
pub(crate) struct RawAsyncPokeCore {
    core: Arc<Core>,
}

/// The three calls, generated once per way of running them (`$run`: `blocking` or `later`)
/// and of replying (`$raw`: the decoded body, or a `RawResponse`).
macro_rules! calls {
    ($ty:ident, $ret:ty, $run:ident, $send:literal, $create:literal, $fire:literal, $raw:expr) => {
        calls!($ty, $ret, $run, $send, $create, $fire, $raw, {});
    };
    ($ty:ident, $ret:ty, $run:ident, $send:literal, $create:literal, $fire:literal, $raw:expr, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($extra)*

            /// Sends `{"message": message}` to your Poke agent.
            #[pyo3(name = $send, signature = (message, *, timeout=None, max_retries=None, idempotency_key=None))]
            fn send_message<'py>(
                &self,
                py: Python<'py>,
                message: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<i64>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                let prepared = Core::send_message(to_json_arg(py, message)?, opts);
                self.core.$run(py, prepared, $raw)
            }

            /// Creates a webhook trigger; returns `triggerId`, `webhookUrl`, `webhookToken`.
            #[pyo3(name = $create, signature = (*, condition, action, timeout=None, max_retries=None, idempotency_key=None))]
            fn create_webhook<'py>(
                &self,
                py: Python<'py>,
                condition: &Bound<'py, PyAny>,
                action: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<i64>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                let (c, a) = (to_json_arg(py, condition)?, to_json_arg(py, action)?);
                self.core.$run(py, Core::create_webhook(c, a, opts), $raw)
            }

            /// Fires a webhook with `data` as the JSON body.
            #[pyo3(name = $fire, signature = (*, webhook_url, webhook_token, data, timeout=None, max_retries=None, idempotency_key=None))]
            #[allow(clippy::too_many_arguments)]
            fn send_webhook<'py>(
                &self,
                py: Python<'py>,
                webhook_url: String,
                webhook_token: Option<String>,
                data: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<i64>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                let prepared = Core::send_webhook(webhook_url, webhook_token, to_json_arg(py, data)?, opts);
                self.core.$run(py, prepared, $raw)
            }
        }
    };
}

/// What both client classes share: construction, the 0.2.1 private helpers, closing.
macro_rules! client_class {
    ($ty:ident, $raw:ident, $ret:ty, $run:ident, $send:literal, $create:literal, $fire:literal) => {
        calls!($ty, $ret, $run, $send, $create, $fire, false, {
            #[new]
            #[pyo3(signature = (*, api_key=None, base_url=None, timeout=None, max_retries=None))]
            fn new(
                api_key: Option<String>,
                base_url: Option<String>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<i64>,
            ) -> PyResult<Self> {
                Ok(Self {
                    core: Arc::new(Core::new(api_key, base_url, timeout, max_retries)?),
                })
            }

            /// The same calls, each returning a `RawResponse` (status, headers, request id).
            fn _raw_calls(&self) -> $raw {
                $raw {
                    core: self.core.clone(),
                }
            }

            /// The headers the official SDK builds (`Authorization`, `Content-Type`, `User-Agent`).
            #[pyo3(signature = (token=None))]
            fn _headers<'py>(
                &self,
                py: Python<'py>,
                token: Option<String>,
            ) -> PyResult<Bound<'py, PyDict>> {
                self.core.headers(py, token)
            }

            #[getter]
            fn _api_key(&self) -> String {
                self.core.client.api_key().expose().to_owned()
            }

            #[getter]
            fn _base_url(&self) -> String {
                self.core.client.base_url().to_owned()
            }

            /// True once `close()` was called.
            #[getter]
            fn _closed(&self) -> bool {
                self.core.lanes.is_closed()
            }

            /// Closes the client; later calls raise `PokeError`.
            fn close(&self) {
                self.core.close()
            }
        });
    };
}

client_class!(
    Poke,
    RawPoke,
    Py<PyAny>,
    blocking,
    "send_message",
    "create_webhook",
    "send_webhook"
);
client_class!(
    AsyncPokeCore,
    RawAsyncPokeCore,
    Bound<'py, PyAny>,
    later,
    "_send_message",
    "_create_webhook",
    "_send_webhook"
);
calls!(
    RawPoke,
    Py<PyAny>,
    blocking,
    "send_message",
    "create_webhook",
    "send_webhook",
    true
);
calls!(
    RawAsyncPokeCore,
    Bound<'py, PyAny>,
    later,
    "_send_message",
    "_create_webhook",
    "_send_webhook",
    true
);

/// `_resolve_api_key(api_key)` of 0.2.1.
#[pyfunction]
#[pyo3(signature = (api_key=None))]
pub(crate) fn resolve_api_key(api_key: Option<String>) -> PyResult<String> {
    poke::binding::resolve_api_key(api_key.as_deref())
        .map(|k| k.expose().to_owned())
        .map_err(to_py_err)
}

/// `_resolve_base_url(base_url)` of 0.2.1.
#[pyfunction]
#[pyo3(signature = (base_url=None))]
pub(crate) fn resolve_base_url(base_url: Option<String>) -> String {
    poke::binding::resolve_base_url(base_url.as_deref())
}

/// The token of the `poke login` credentials file, or `None`.
#[pyfunction]
pub(crate) fn load_credentials_token() -> Option<String> {
    poke::binding::load_credentials_token()
}
