//! Python arguments to core values: durations, time bounds, retry counts, JSON values, upload
//! sources. A value that cannot be right raises `InvalidRequestError` (a `ValueError`; or
//! `TypeError` for a wrong type) naming the argument, before anything is sent.

use crate::convert::to_raw_json;
use crate::errors::invalid_request;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};
use std::path::PathBuf;
use std::time::Duration;

/// Seconds as a number or a `datetime.timedelta`, finite and not negative.
pub(crate) fn duration(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let secs: f64 = if value.hasattr("total_seconds")? {
        value.call_method0("total_seconds")?.extract()?
    } else if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds or a datetime.timedelta, not bool"
        )));
    } else {
        value.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{name} must be a number of seconds or a datetime.timedelta"
            ))
        })?
    };
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid_request(&format!(
            "{name} must be a finite, non-negative number of seconds (got {secs})"
        ))
    })
}

/// [`duration`] of an optional argument (`None` stays `None`).
pub(crate) fn opt_duration(
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| duration(name, v))
        .transpose()
}

/// `timeout=`: seconds (a number or a `timedelta`: the whole call), or a `poke.Timeout`
/// (each phase; read through its attributes).
pub(crate) fn timeouts(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<poke::Timeouts>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if value.hasattr("connect")? && value.hasattr("total")? {
        let phase = |name: &str| -> PyResult<Option<Duration>> {
            let v = value.getattr(name)?;
            opt_duration(&format!("timeout.{name}"), Some(&v))
        };
        let connect = phase("connect")?.unwrap_or(poke::Timeouts::default().connect);
        return Ok(Some(
            poke::Timeouts::none()
                .with_connect(connect)
                .with_read(phase("read")?)
                .with_write(phase("write")?)
                .with_pool(phase("pool")?)
                .with_total(phase("total")?),
        ));
    }
    let total = duration("timeout", value)?;
    Ok(Some(poke::Timeouts::total_secs(total.as_secs_f64())))
}

/// `max_retries=`: a whole number from 0.
pub(crate) fn retries(value: Option<i64>) -> PyResult<Option<u32>> {
    value
        .map(|n| {
            u32::try_from(n).map_err(|_| {
                invalid_request(&format!(
                    "max_retries must be a non-negative integer (got {n})"
                ))
            })
        })
        .transpose()
}

/// A whole number of seconds (`ttl=`): an `int`, or a `timedelta` without a fraction.
pub(crate) fn whole_seconds(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let d = duration(name, value)?;
    if d.subsec_nanos() != 0 {
        return Err(invalid_request(&format!(
            "{name} must be a whole number of seconds (got {})",
            d.as_secs_f64()
        )));
    }
    Ok(d)
}

/// A Python value as a core type, through `json.dumps` (so the same values are accepted).
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let raw = to_raw_json(py, value)?;
    serde_json::from_str(raw.get()).map_err(|e| invalid_request(&format!("{name}: {e}")))
}

/// [`json`] of an optional argument.
pub(crate) fn opt_json<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<T>> {
    value
        .filter(|v| !v.is_none())
        .map(|v| json(py, name, v))
        .transpose()
}

/// What an upload reads: bytes in memory, or a local file.
pub(crate) enum Source {
    /// A `bytes` object's own buffer, not a copy (other buffers are copied into one first).
    Bytes(bytes::Bytes),
    File(PathBuf),
}

/// `src=`: `bytes`, `bytearray`, `memoryview`, or a path (`str` or `os.PathLike`).
pub(crate) fn source(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Source> {
    if src.is_instance_of::<PyBytes>()
        || src.is_instance_of::<PyByteArray>()
        || src.is_instance_of::<PyMemoryView>()
    {
        // `bytes(b)` is `b` itself; a mutable buffer is copied once, so a later change to it
        // cannot reach a request in flight. The object is kept alive by the `Bytes`, which
        // may be dropped on any thread (the reference is then released under the GIL later).
        let bytes = py.get_type::<PyBytes>().call1((src,))?;
        let backed = PyBackedBytes::from(bytes.cast_into::<PyBytes>()?);
        return Ok(Source::Bytes(bytes::Bytes::from_owner(backed)));
    }
    src.extract::<PathBuf>().map(Source::File).map_err(|_| {
        PyTypeError::new_err(
            "src must be bytes, bytearray, memoryview, or a local file path (str or os.PathLike)",
        )
    })
}

/// `CallOptions` from the per-call arguments every method takes.
pub(crate) fn call_options(
    timeout: Option<&Bound<'_, PyAny>>,
    max_retries: Option<i64>,
    idempotency_key: Option<String>,
) -> PyResult<poke::CallOptions> {
    let mut opts = poke::CallOptions::new();
    opts.timeouts = timeouts(timeout)?;
    opts.max_retries = retries(max_retries)?;
    opts.idempotency_key = idempotency_key;
    Ok(opts)
}
