//! The bundled emulator, started in-process on the shared runtime (`poke.testing`).

use crate::convert::from_json;
use crate::errors::{invalid_request, poke_error};
use crate::runtime::runtime;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

/// A running emulator of the Poke and Pokee APIs on a loopback port.
#[pyclass(frozen, module = "poke.testing")]
pub(crate) struct Emulator {
    inner: poke_emulator::Emulator,
}

fn to_py<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let bytes = serde_json::to_vec(value).map_err(|e| poke_error(&e.to_string()))?;
    from_json(py, &bytes)
}

fn from_py<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let text: String = py
        .import("json")?
        .getattr("dumps")?
        .call1((value,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| invalid_request(&e.to_string()))
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (*, host="127.0.0.1".to_owned(), port=0, api_key=None, tls=false))]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        api_key: Option<String>,
        tls: bool,
    ) -> PyResult<Self> {
        let rt = runtime()?;
        let config = poke_emulator::EmulatorConfig {
            host,
            port,
            api_key,
        };
        let inner = py
            .detach(|| {
                rt.block_on(async {
                    if tls {
                        poke_emulator::Emulator::start_tls(config).await
                    } else {
                        poke_emulator::Emulator::start(config).await
                    }
                })
            })
            .map_err(|e| {
                let text = e.to_string();
                let text = text.split(" (os error").next().unwrap_or(&text);
                poke_error(&format!("could not start the emulator: {text}"))
            })?;
        Ok(Self { inner })
    }

    /// `http://HOST:PORT`.
    #[getter]
    fn url(&self) -> String {
        self.inner.url()
    }

    /// The PEM of the throwaway CA when started with `tls=True` (trust it through
    /// `SSL_CERT_FILE`), else `None`.
    #[getter]
    fn tls_ca_pem(&self) -> Option<String> {
        self.inner.tls_ca_pem().map(str::to_owned)
    }

    /// Base URL of the Poke API (`url + "/api/v1"`).
    #[getter]
    fn poke_api_url(&self) -> String {
        self.inner.poke_api_url()
    }

    /// Every request received, oldest first, as dicts.
    fn requests(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.requests())
    }

    fn clear_requests(&self) {
        self.inner.clear_requests()
    }

    /// Scripts a fault: `add_fault(path=..., status=..., times=1, method=None, headers=[],
    /// body=None, delay_ms=None, stall_ms=None, reset=False)`; returns its id.
    #[pyo3(signature = (**fault))]
    fn add_fault(&self, py: Python<'_>, fault: Option<&Bound<'_, PyDict>>) -> PyResult<u64> {
        let fault = match fault {
            Some(d) => from_py(py, d.as_any())?,
            None => return Err(invalid_request("add_fault needs at least path=")),
        };
        Ok(self.inner.add_fault(fault))
    }

    fn clear_faults(&self) {
        self.inner.clear_faults()
    }

    /// Bodies of the send-message requests the emulator processed.
    fn messages(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.messages())
    }

    /// Webhook fires: `[{"triggerId", "data"}]`.
    fn webhook_fires(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.webhook_fires())
    }

    /// Opens an MCP callback chain: `{"token", "url"}`.
    #[pyo3(signature = (max_callbacks=None))]
    fn new_callback_chain(
        &self,
        py: Python<'_>,
        max_callbacks: Option<u32>,
    ) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.new_callback_chain(max_callbacks))
    }

    /// Every callback chain with its posts, in order.
    fn callback_chains(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.callback_chains())
    }

    /// Base URL of the Pokee Enterprise sessions API (`url`; its paths start with `/v1`).
    #[getter]
    fn pokee_api_url(&self) -> String {
        self.inner.pokee_api_url()
    }

    /// Removes one fault; returns whether it was still active.
    fn remove_fault(&self, id: u64) -> bool {
        self.inner.remove_fault(id)
    }

    /// Moves the sessions API's virtual clock forward by `secs` and expires what is due (TTL,
    /// idle destroy, resume buffers, turn timeouts).
    fn advance_clock(&self, secs: f64) -> PyResult<()> {
        let by = std::time::Duration::try_from_secs_f64(secs)
            .map_err(|_| invalid_request("secs must be finite and non-negative"))?;
        self.inner.advance_clock(by);
        Ok(())
    }

    /// Stops (`True`) or restarts the passing of real time on the virtual clock.
    #[pyo3(signature = (frozen=true))]
    fn freeze_clock(&self, frozen: bool) {
        self.inner.freeze_clock(frozen)
    }

    /// The virtual clock's time, Unix seconds.
    fn clock_now(&self) -> f64 {
        self.inner.clock_now()
    }

    /// Every live session: the API's record plus `model`, `tools`, `current_response_id`,
    /// `queued_scripts`.
    fn sessions(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.sessions_json())
    }

    /// Every resumable turn: `response_id`, `session_id`, `status`, `events`, times.
    fn turns(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.turns_json())
    }

    /// Queues a turn script (a dict, see the emulator README) for the session's next turn.
    fn script_turn(
        &self,
        py: Python<'_>,
        session_id: &str,
        script: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let script = from_py(py, script)?;
        self.inner
            .script_turn(session_id, script)
            .map_err(|e| invalid_request(&e))
    }

    /// Queues a stateless-response script (a dict: `output`, `outcome`, `pace_ms`,
    /// `sleep_ms`, `usage`) for the next `POST /v1/responses`.
    fn script_response(&self, py: Python<'_>, script: &Bound<'_, PyAny>) -> PyResult<()> {
        let script = from_py(py, script)?;
        self.inner
            .script_response(script)
            .map_err(|e| invalid_request(&e))
    }

    /// The stateless responses kept for resume and cancel, and the queued scripts' count.
    fn responses(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.responses_json())
    }

    /// Every installed skill with its files.
    fn skills(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.skills_json())
    }

    /// The bytes of one file of an installed skill.
    fn skill_file(&self, name: &str, path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
        self.inner
            .skill_file(name, path)
            .map(std::borrow::Cow::Owned)
    }

    /// The sessions API settings as a dict.
    fn sessions_config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.sessions_config())
    }

    /// Changes some settings of the sessions API, e.g. `configure_sessions(pace_ms=0)`.
    #[pyo3(signature = (**patch))]
    fn configure_sessions(
        &self,
        py: Python<'_>,
        patch: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let mut current = serde_json::to_value(self.inner.sessions_config())
            .map_err(|e| poke_error(&e.to_string()))?;
        if let (Some(patch), Some(fields)) = (patch, current.as_object_mut()) {
            let patch: serde_json::Map<String, serde_json::Value> = from_py(py, patch.as_any())?;
            fields.extend(patch);
        }
        let config =
            serde_json::from_value(current).map_err(|e| invalid_request(&e.to_string()))?;
        self.inner.set_sessions_config(config);
        Ok(())
    }

    /// The bytes of a workspace file, or None.
    fn workspace_file(&self, path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
        self.inner.workspace_file(path).map(std::borrow::Cow::Owned)
    }

    /// Writes a workspace file directly (test setup).
    fn put_workspace_file(&self, path: &str, data: &[u8]) -> PyResult<()> {
        self.inner
            .put_workspace_file(path, data.to_vec())
            .map_err(|e| invalid_request(&e))
    }

    /// Forgets every request, fault, session, turn, file and setting; the clock returns to
    /// real time.
    fn reset(&self) {
        self.inner.reset()
    }

    /// Stops the server; safe to call twice.
    fn shutdown(&self) {
        self.inner.shutdown()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(&self, _a: &Bound<'_, PyAny>, _b: &Bound<'_, PyAny>, _c: &Bound<'_, PyAny>) {
        self.inner.shutdown()
    }

    fn __repr__(&self) -> String {
        format!("Emulator(url={:?})", self.inner.url())
    }
}
