//! Python values to JSON text and back, through the standard `json` module for exact fidelity.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAnyMethods;
use serde_json::value::RawValue;

static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn json_fn<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let f = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("json")?.getattr(name)?.unbind())
    })?;
    Ok(f.bind(py).clone())
}

/// `json.dumps(value)`: Python's own encoder, so numbers, strings and errors match 0.2.1
/// (a `TypeError` for non-serializable values, before any I/O).
pub(crate) fn to_raw_json(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<Box<RawValue>> {
    let text: String = json_fn(py, &DUMPS, "dumps")?.call1((value,))?.extract()?;
    RawValue::from_string(text).map_err(|e| {
        crate::errors::invalid_request(&format!(
            "value is not valid JSON (NaN and Infinity are not allowed): {e}"
        ))
    })
}

/// `json.loads(body)`: returns plain `dict`/`list` values with exact integers.
pub(crate) fn from_json(py: Python<'_>, body: &[u8]) -> PyResult<Py<PyAny>> {
    let text = pyo3::types::PyBytes::new(py, body);
    Ok(json_fn(py, &LOADS, "loads")?.call1((text,))?.unbind())
}
