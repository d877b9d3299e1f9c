//! `Poke` and `AsyncPoke`: the same calls, blocking or awaitable, over one core client.

use crate::convert::to_json_arg;
use crate::errors::{invalid_request, to_py_err};
use crate::runtime::{awaitable, block, interrupted, ready};
use poke::blocking::Lanes;
use poke::{CallOptions, JsonResponse, SdkLang, Secret};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::future::Future;
use std::time::Duration;

/// Time bounds: `Timeout(total)` or `Timeout(total, connect=5.0, read=None)`, in seconds.
#[pyclass(frozen, module = "poke", eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub(crate) struct Timeout {
    #[pyo3(get)]
    total: Option<f64>,
    #[pyo3(get)]
    connect: f64,
    #[pyo3(get)]
    read: Option<f64>,
}

#[pymethods]
impl Timeout {
    #[new]
    #[pyo3(signature = (total=60.0, *, connect=5.0, read=None))]
    fn new(total: Option<f64>, connect: f64, read: Option<f64>) -> PyResult<Self> {
        for v in [total, Some(connect), read].into_iter().flatten() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid_request(
                    "timeouts must be finite, non-negative seconds",
                ));
            }
        }
        Ok(Self {
            total,
            connect,
            read,
        })
    }

    fn __repr__(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("None".to_owned(), |v| v.to_string());
        format!(
            "Timeout(total={}, connect={}, read={})",
            opt(self.total),
            self.connect,
            opt(self.read)
        )
    }
}

impl Timeout {
    fn to_core(&self) -> poke::Timeouts {
        poke::Timeouts::none()
            .with_connect(Duration::from_secs_f64(self.connect))
            .with_read(self.read.map(Duration::from_secs_f64))
            .with_total(self.total.map(Duration::from_secs_f64))
    }
}

/// Accepts seconds (a number) or a `Timeout`.
fn timeouts_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<poke::Timeouts>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(t) = value.extract::<Timeout>() {
        return Ok(Some(t.to_core()));
    }
    let secs: f64 = value
        .extract()
        .map_err(|_| invalid_request("timeout must be a number of seconds or a poke.Timeout"))?;
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(invalid_request(
            "timeout must be finite, non-negative seconds",
        ));
    }
    Ok(Some(poke::Timeouts::total_secs(secs)))
}

fn call_options(
    timeout: Option<&Bound<'_, PyAny>>,
    max_retries: Option<u32>,
    idempotency_key: Option<String>,
) -> PyResult<CallOptions> {
    Ok(CallOptions {
        timeouts: timeouts_arg(timeout)?,
        max_retries,
        idempotency_key,
    })
}

/// The state shared by `Poke` and `AsyncPoke`, and how each call is prepared.
struct Core {
    client: poke::Client,
    lanes: Lanes<poke::Client>,
}

type Call = std::pin::Pin<Box<dyn Future<Output = poke::Result<JsonResponse>> + Send>>;

/// A call whose arguments are converted, waiting for the client that will send it.
type Prepared = Box<dyn FnOnce(poke::Client) -> Call + Send>;

impl Core {
    fn new(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<u32>,
    ) -> PyResult<Self> {
        let timeouts = timeouts_arg(timeout)?;
        let client = Self::builder(api_key, base_url, timeouts, max_retries)
            .build()
            .map_err(to_py_err)?;
        Ok(Self {
            client,
            lanes: Lanes::new(),
        })
    }

    fn builder(
        api_key: Option<String>,
        base_url: Option<String>,
        timeouts: Option<poke::Timeouts>,
        max_retries: Option<u32>,
    ) -> poke::ClientBuilder {
        let mut builder = poke::Client::builder().sdk(SdkLang::Python, env!("CARGO_PKG_VERSION"));
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(t) = timeouts {
            builder = builder.timeouts(t);
        }
        if let Some(n) = max_retries {
            builder = builder.max_retries(n);
        }
        builder
    }

    /// A lane's client: the same settings and slots, a connection pool of its own.
    fn lane_client(&self) -> poke::Result<poke::Client> {
        self.client.with_own_pool()
    }

    /// Runs a prepared call on a lane of the core, blocking with the GIL released.
    fn blocking(&self, py: Python<'_>, prepared: Prepared) -> PyResult<Py<PyAny>> {
        // After `close()` the closed client gives the core's own error.
        if self.lanes.is_closed() {
            let resp = block(py, prepared(self.client.clone()))?;
            return crate::convert::from_json(py, &resp.body);
        }
        let make = || self.lane_client();
        crate::logging::refresh(py);
        let resp = py.detach(|| self.lanes.run(make, prepared, interrupted));
        crate::logging::flush(py);
        let resp = resp?.map_err(to_py_err)?;
        crate::convert::from_json(py, &resp.body)
    }

    /// Returns an asyncio future of the prepared call, sent on the shared runtime.
    fn later<'py>(&self, py: Python<'py>, prepared: Prepared) -> PyResult<Bound<'py, PyAny>> {
        awaitable(
            py,
            prepared(self.client.clone()),
            |py, resp: JsonResponse| crate::convert::from_json(py, &resp.body),
        )
    }

    /// Refuses later calls and drops the idle lanes with their connections (a call in
    /// flight finishes; its lane is dropped after).
    fn close(&self) {
        self.lanes.close();
        self.client.close();
    }

    fn send_message(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
        opts: CallOptions,
    ) -> PyResult<Prepared> {
        let message = to_json_arg(py, message)?;
        Ok(Box::new(move |client: poke::Client| -> Call {
            Box::pin(async move { client.send_message_with(&message, &opts).await })
        }))
    }

    fn create_webhook(
        &self,
        py: Python<'_>,
        condition: &Bound<'_, PyAny>,
        action: &Bound<'_, PyAny>,
        opts: CallOptions,
    ) -> PyResult<Prepared> {
        let condition = to_json_arg(py, condition)?;
        let action = to_json_arg(py, action)?;
        Ok(Box::new(move |client: poke::Client| -> Call {
            Box::pin(async move { client.create_webhook_with(&condition, &action, &opts).await })
        }))
    }

    fn send_webhook(
        &self,
        py: Python<'_>,
        webhook_url: String,
        webhook_token: Option<String>,
        data: &Bound<'_, PyAny>,
        opts: CallOptions,
    ) -> PyResult<Prepared> {
        let data = to_json_arg(py, data)?;
        let token = webhook_token.map(Secret::new);
        Ok(Box::new(move |client: poke::Client| -> Call {
            Box::pin(async move {
                client
                    .send_webhook_with(&webhook_url, token.as_ref(), &data, &opts)
                    .await
            })
        }))
    }

    fn headers<'py>(&self, py: Python<'py>, token: Option<String>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.client.headers(token.as_deref()) {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn repr(&self, class: &str) -> String {
        format!("{class}(base_url={:?})", self.client.base_url())
    }
}

fn blocking(py: Python<'_>, core: &Core, prepared: Prepared) -> PyResult<Py<PyAny>> {
    core.blocking(py, prepared)
}

fn later<'py>(py: Python<'py>, core: &Core, prepared: Prepared) -> PyResult<Bound<'py, PyAny>> {
    core.later(py, prepared)
}

/// Blocking client of the Poke API, a drop-in for the official `poke.Poke`.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct Poke {
    core: Core,
}

/// Asyncio client of the Poke API: the methods of `Poke` as coroutines.
#[pyclass(frozen, subclass, module = "poke")]
pub(crate) struct AsyncPoke {
    core: Core,
}

macro_rules! client_methods {
    ($ty:ident, $ret:ty, $run:ident) => {
        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (*, api_key=None, base_url=None, timeout=None, max_retries=None))]
            fn new(
                api_key: Option<String>,
                base_url: Option<String>,
                timeout: Option<&Bound<'_, PyAny>>,
                max_retries: Option<u32>,
            ) -> PyResult<Self> {
                Ok(Self {
                    core: Core::new(api_key, base_url, timeout, max_retries)?,
                })
            }

            #[pyo3(signature = (message, *, timeout=None, max_retries=None, idempotency_key=None))]
            fn send_message<'py>(
                &self,
                py: Python<'py>,
                message: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<u32>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                $run(py, &self.core, self.core.send_message(py, message, opts)?)
            }

            #[pyo3(signature = (*, condition, action, timeout=None, max_retries=None, idempotency_key=None))]
            fn create_webhook<'py>(
                &self,
                py: Python<'py>,
                condition: &Bound<'py, PyAny>,
                action: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<u32>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                $run(py, &self.core, self.core.create_webhook(py, condition, action, opts)?)
            }

            #[pyo3(signature = (*, webhook_url, webhook_token, data, timeout=None, max_retries=None, idempotency_key=None))]
            #[allow(clippy::too_many_arguments)]
            fn send_webhook<'py>(
                &self,
                py: Python<'py>,
                webhook_url: String,
                webhook_token: Option<String>,
                data: &Bound<'py, PyAny>,
                timeout: Option<&Bound<'py, PyAny>>,
                max_retries: Option<u32>,
                idempotency_key: Option<String>,
            ) -> PyResult<$ret> {
                let opts = call_options(timeout, max_retries, idempotency_key)?;
                $run(py, &self.core, self.core.send_webhook(py, webhook_url, webhook_token, data, opts)?)
            }

            /// The headers the official SDK builds (`Authorization`, `Content-Type`, `User-Agent`).
            #[pyo3(signature = (token=None))]
            fn _headers<'py>(&self, py: Python<'py>, token: Option<String>) -> PyResult<Bound<'py, PyDict>> {
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

            fn __repr__(&self) -> String {
                self.core.repr(stringify!($ty))
            }

            /// Closes the client; later calls raise `PokeError`.
            fn close(&self) {
                self.core.close()
            }

            /// Awaitable alias of `close()` (for `AsyncPoke`; harmless on `Poke`).
            fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.core.close();
                ready(py, py.None())
            }

            fn __enter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            fn __exit__(&self, _t: &Bound<'_, PyAny>, _v: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) {
                self.core.close()
            }

            fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                ready(py, slf.into_any())
            }

            fn __aexit__<'py>(
                &self,
                py: Python<'py>,
                _t: &Bound<'py, PyAny>,
                _v: &Bound<'py, PyAny>,
                _tb: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.core.close();
                ready(py, py.None())
            }
        }
    };
}

client_methods!(Poke, Py<PyAny>, blocking);
client_methods!(AsyncPoke, Bound<'py, PyAny>, later);

/// `_resolve_api_key(api_key)` of 0.2.1.
#[pyfunction]
#[pyo3(signature = (api_key=None))]
pub(crate) fn resolve_api_key(api_key: Option<String>) -> PyResult<String> {
    poke::resolve_api_key(api_key.as_deref())
        .map(|k| k.expose().to_owned())
        .map_err(to_py_err)
}

/// `_resolve_base_url(base_url)` of 0.2.1.
#[pyfunction]
#[pyo3(signature = (base_url=None))]
pub(crate) fn resolve_base_url(base_url: Option<String>) -> String {
    poke::resolve_base_url(base_url.as_deref())
}

/// The token of the `poke login` credentials file, or `None`.
#[pyfunction]
pub(crate) fn load_credentials_token() -> Option<String> {
    poke::load_credentials_token()
}
