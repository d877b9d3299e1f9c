//! Python values to JSON text and back, with the exact results of the standard `json` module.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyAnyMethods, PyString, PyStringMethods};
use serde::Serialize;
use serde_json::value::RawValue;

static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `json._default_decoder.scan_once` (the C scanner), or `None` where it is missing.
static SCAN_ONCE: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();

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

/// A call argument ready to be serialized into a request body.
pub(crate) enum JsonArg {
    /// A plain `str`, written by the core's Python-style encoder, which produces the bytes
    /// of `json.dumps` (`ensure_ascii` escapes) without calling into Python.
    Str(String),
    /// Anything else, as `json.dumps` wrote it.
    Raw(Box<RawValue>),
}

impl Serialize for JsonArg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(v) => v.serialize(s),
            Self::Raw(v) => v.serialize(s),
        }
    }
}

/// Longest non-ASCII `str` encoded by the core rather than `json.dumps` (whose C encoder is
/// the faster one for long runs of `\uXXXX` escapes).
const MAX_CORE_ENCODED_NON_ASCII: usize = 256;

/// [`to_raw_json`], with exact `str` values (the usual message, condition and action) encoded
/// by the core without calling into Python; a `str` that is not valid Unicode (lone
/// surrogates) or is long and non-ASCII goes through `json.dumps`.
pub(crate) fn to_json_arg(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<JsonArg> {
    if let Ok(s) = value.cast_exact::<PyString>()
        && let Ok(text) = s.to_cow()
        && (text.len() <= MAX_CORE_ENCODED_NON_ASCII || text.is_ascii())
    {
        return Ok(JsonArg::Str(text.into_owned()));
    }
    to_raw_json(py, value).map(JsonArg::Raw)
}

/// `json.loads(body)`: returns plain `dict`/`list` values with exact integers.
///
/// The body has been checked to be JSON (hence UTF-8) by the core, so for the usual body (no
/// leading whitespace) the decoder's C scanner is called directly on the text, which is what
/// `json.loads` ends up doing after its encoding detection and whitespace handling; anything
/// else (whitespace around the value, a scanner failure) takes `json.loads` itself, so results
/// and errors are those of `json.loads`.
pub(crate) fn from_json(py: Python<'_>, body: &[u8]) -> PyResult<Py<PyAny>> {
    if body.first().is_some_and(|b| !b.is_ascii_whitespace())
        && let (Some(scan), Ok(text)) = (scan_once(py), std::str::from_utf8(body))
    {
        let s = PyString::new(py, text);
        if let Ok((value, end)) = scan
            .bind(py)
            .call1((&s, 0))
            .and_then(|r| r.extract::<(Bound<'_, PyAny>, usize)>())
            && end == s.len()?
        {
            return Ok(value.unbind());
        }
    }
    let text = pyo3::types::PyBytes::new(py, body);
    Ok(json_fn(py, &LOADS, "loads")?.call1((text,))?.unbind())
}

fn scan_once(py: Python<'_>) -> Option<&Py<PyAny>> {
    SCAN_ONCE
        .get_or_init(py, || {
            py.import("json")
                .and_then(|m| m.getattr("_default_decoder"))
                .and_then(|d| d.getattr("scan_once"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()
}
