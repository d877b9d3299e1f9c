//! `poke.mcp` support: the callback chain and header parsing from the core, for Python.

use crate::convert::to_raw_json;
use crate::errors::{invalid_request, to_py_err};
use crate::runtime::awaitable;
use poke::binding::SdkLang;
use poke::{CallbackPolicy, CallbackSender, ChainStep, Secret};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use std::sync::{Arc, RwLock};
use std::time::Duration;

static SENDER: RwLock<Option<CallbackSender>> = RwLock::new(None);

fn sender() -> PyResult<CallbackSender> {
    if let Some(s) = SENDER.read().ok().and_then(|g| g.clone()) {
        return Ok(s);
    }
    let s = CallbackSender::for_sdk(
        SdkLang::Python,
        env!("CARGO_PKG_VERSION"),
        CallbackPolicy::default(),
    )
    .map_err(to_py_err)?;
    if let Ok(mut g) = SENDER.write() {
        *g = Some(s.clone());
    }
    Ok(s)
}

fn secs(name: &str, v: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| invalid_request(&format!("{name} must be non-negative seconds")))
}

/// Replaces the callback limits (attempts, total seconds, backoff, retry-after cap, post timeout).
#[pyfunction]
#[pyo3(signature = (*, max_attempts=None, max_total=None, default_backoff=None, max_retry_after=None, post_timeout=None))]
pub(crate) fn set_callback_policy(
    max_attempts: Option<u32>,
    max_total: Option<f64>,
    default_backoff: Option<f64>,
    max_retry_after: Option<f64>,
    post_timeout: Option<f64>,
) -> PyResult<()> {
    let mut p = CallbackPolicy::default();
    if let Some(n) = max_attempts {
        p.max_attempts = n.max(1);
    }
    if let Some(v) = max_total {
        p.max_total = secs("max_total", v)?;
    }
    if let Some(v) = default_backoff {
        p.default_backoff = secs("default_backoff", v)?;
    }
    if let Some(v) = max_retry_after {
        p.max_retry_after = secs("max_retry_after", v)?;
    }
    if let Some(v) = post_timeout {
        p.post_timeout = secs("post_timeout", v)?;
    }
    let s = CallbackSender::for_sdk(SdkLang::Python, env!("CARGO_PKG_VERSION"), p)
        .map_err(to_py_err)?;
    if let Ok(mut g) = SENDER.write() {
        *g = Some(s);
    }
    Ok(())
}

/// The limits in effect, as a dict of numbers (seconds).
#[pyfunction]
pub(crate) fn callback_policy(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    let p = *sender()?.policy();
    let d = pyo3::types::PyDict::new(py);
    d.set_item("max_attempts", p.max_attempts)?;
    d.set_item("max_total", p.max_total.as_secs_f64())?;
    d.set_item("default_backoff", p.default_backoff.as_secs_f64())?;
    d.set_item("max_retry_after", p.max_retry_after.as_secs_f64())?;
    d.set_item("post_timeout", p.post_timeout.as_secs_f64())?;
    Ok(d)
}

/// One tool call's callback chain (URL + current token, chained by `nextToken`).
#[pyclass(frozen, module = "poke.mcp")]
pub(crate) struct CallbackChain {
    inner: Arc<tokio::sync::Mutex<poke::CallbackChain>>,
}

#[pymethods]
impl CallbackChain {
    #[new]
    fn new(url: String, token: String) -> PyResult<Self> {
        let chain = poke::CallbackChain::new(sender()?, url, Secret::new(token));
        Ok(Self {
            inner: Arc::new(tokio::sync::Mutex::new(chain)),
        })
    }

    /// Awaitable: posts `content`; returns `(go_on, failure)` where `failure` explains a stop
    /// caused by an error (never containing the token).
    fn send<'py>(
        &self,
        py: Python<'py>,
        content: &Bound<'py, PyAny>,
        has_more: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let content = to_raw_json(py, content)?;
        let inner = self.inner.clone();
        let sending = async move {
            let step = inner.lock().await.send(&content, has_more).await?;
            Ok(match step {
                ChainStep::Continue => (true, None),
                ChainStep::Stop { failure } => (false, failure),
            })
        };
        awaitable(py, sending, |py, step: (bool, Option<String>)| {
            step.into_py_any(py)
        })
    }
}

/// `(token, url)` from header pairs, or `None` when both are absent.
#[pyfunction]
pub(crate) fn extract_callback_context(
    pairs: Vec<(String, String)>,
) -> Option<(Option<String>, Option<String>)> {
    poke::extract_callback_context(pairs).map(|c| {
        (
            c.callback_token.map(|t| t.expose().to_owned()),
            c.callback_url,
        )
    })
}
