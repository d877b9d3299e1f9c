//! Read-only Python views of the core's sessions records: attributes plus `to_dict()`.
//!
//! Each class wraps the core value in an `Arc`; attributes read it, and `to_dict()` is the
//! core's own serialization (unknown fields included, as the server sent them).

use crate::convert::from_json;
use crate::errors::poke_error;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use std::sync::Arc;

/// A serializable core value as plain Python data (`dict`, `list`, numbers, strings).
pub(crate) fn to_py<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let bytes = serde_json::to_vec(value).map_err(|e| poke_error(&e.to_string()))?;
    from_json(py, &bytes)
}

/// A string as Python's `repr` shows it.
pub(crate) fn quote(py: Python<'_>, s: &str) -> String {
    pyo3::types::PyString::new(py, s)
        .repr()
        .map_or_else(|_| format!("{s:?}"), |r| r.to_string())
}

/// `Name(key=value, ...)` from the dict form, values shown with Python's `repr`.
pub(crate) fn repr_of(py: Python<'_>, name: &str, dict: Py<PyAny>) -> PyResult<String> {
    let dict = dict.into_bound(py).cast_into::<PyDict>()?;
    let mut parts = Vec::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        parts.push(format!("{}={}", k.str()?, v.repr()?));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// A core record from keyword arguments (the fields of its `to_dict()`), through JSON.
pub(crate) fn from_kwargs<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    let empty = PyDict::new(py);
    let raw = crate::convert::to_raw_json(py, kwargs.unwrap_or(&empty))?;
    serde_json::from_str(raw.get())
        .map_err(|e| pyo3::exceptions::PyTypeError::new_err(format!("{name}(): {e}")))
}

/// What `__reduce__` returns: `_rebuild` and its `(class, fields)`.
pub(crate) type Reduced = (Py<PyAny>, (Py<PyAny>, Py<PyAny>));

/// `type(record)(**fields)`: how records are unpickled.
#[pyfunction]
pub(crate) fn _rebuild(cls: &Bound<'_, PyAny>, fields: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
    cls.call((), Some(fields)).map(Bound::unbind)
}

macro_rules! record {
    ($(#[$doc:meta])* $name:ident($core:ty) { $($body:tt)* }) => {
        record!($(#[$doc])* $name($core) as |r| &*r.0, { $($body)* });
    };
    ($(#[$doc:meta])* $name:ident($core:ty) as |$r:ident| $dict:expr, { $($body:tt)* }) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, module = "poke")]
        #[derive(Clone, PartialEq)]
        pub(crate) struct $name(pub(crate) Arc<$core>);

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                Self(Arc::new(value))
            }
        }

        #[pymethods]
        impl $name {
            /// A record from its fields, as `to_dict()` gives them (for tests and fakes).
            #[new]
            #[pyo3(signature = (**fields))]
            fn new(py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
                Ok(Self(Arc::new(from_kwargs(py, stringify!($name), fields)?)))
            }

            /// Pickles as `type(self)(**self.to_dict())`.
            fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<Reduced> {
                let py = slf.py();
                let rebuild = py.import("poke._poke")?.getattr("_rebuild")?.unbind();
                let fields = slf.get().to_dict(py)?;
                Ok((rebuild, (slf.get_type().into_any().unbind(), fields)))
            }

            $($body)*

            /// The record as plain Python data, including fields this version does not know.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                let $r = self;
                to_py(py, &$dict)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                repr_of(py, stringify!($name), self.to_dict(py)?)
            }
        }
    };
}

/// The record classes of other modules (skills, responses) are made the same way.
pub(crate) use record;

record! {
    /// A session as the server reports it (`client.sessions.get(id).record`).
    SessionRecord(poke::SessionRecord) {
        #[getter]
        fn id(&self) -> &str {
            &self.0.id
        }

        /// Creation time, Unix seconds.
        #[getter]
        fn created_at(&self) -> Option<f64> {
            self.0.created_at
        }

        /// Last turn start or end, Unix seconds.
        #[getter]
        fn last_activity(&self) -> Option<f64> {
            self.0.last_activity
        }

        /// The `busy` field as sent.
        #[getter]
        fn busy(&self) -> bool {
            self.0.busy
        }

        /// True while a turn runs (`busy`, or a `busy` status).
        #[getter]
        fn is_busy(&self) -> bool {
            self.0.is_busy()
        }

        /// True when the status is `ready`.
        #[getter]
        fn is_ready(&self) -> bool {
            self.0.is_ready()
        }

        #[getter]
        fn persistent(&self) -> bool {
            self.0.persistent
        }

        #[getter]
        fn ttl(&self) -> Option<u64> {
            self.0.ttl
        }

        /// Open status string: `ready`, `busy`, or anything newer.
        #[getter]
        fn status(&self) -> &str {
            &self.0.status
        }

        /// A copy of the metadata, including progress keys the agent writes.
        #[getter]
        fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.metadata)
        }

        /// `{"read": [...], "write": [...]}`, or None when the server did not send it.
        #[getter]
        fn file_access(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.file_access)
        }

        #[getter]
        fn model(&self) -> Option<&str> {
            self.0.model.as_deref()
        }

        #[getter]
        fn tools(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.tools)
        }

        /// One metadata value (e.g. a progress key), or `default`.
        #[pyo3(signature = (key, default=None))]
        fn progress(
            &self,
            py: Python<'_>,
            key: &str,
            default: Option<Py<PyAny>>,
        ) -> PyResult<Py<PyAny>> {
            match self.0.progress(key) {
                Some(v) => to_py(py, v),
                None => Ok(default.unwrap_or_else(|| py.None())),
            }
        }
    }
}

record! {
    /// One entry of a directory listing.
    FileEntry(poke::FileEntry) {
        /// The bare entry name, not a path.
        #[getter]
        fn name(&self) -> &str {
            &self.0.name
        }

        /// `file`, `directory`, or anything newer.
        #[getter]
        fn r#type(&self) -> &str {
            &self.0.kind
        }

        /// Size in bytes (0 for directories).
        #[getter]
        fn size(&self) -> u64 {
            self.0.size
        }

        /// Modification time, Unix seconds.
        #[getter]
        fn modified(&self) -> Option<f64> {
            self.0.modified
        }

        #[getter]
        fn is_dir(&self) -> bool {
            self.0.is_dir()
        }

        #[getter]
        fn is_file(&self) -> bool {
            self.0.is_file()
        }
    }
}

record! {
    /// Answer of an upload.
    UploadResult(poke::UploadResult) {
        /// The normalised workspace-relative path written.
        #[getter]
        fn path(&self) -> &str {
            &self.0.path
        }

        #[getter]
        fn size(&self) -> u64 {
            self.0.size
        }

        #[getter]
        fn modified(&self) -> Option<f64> {
            self.0.modified
        }
    }
}

record! {
    /// Answer of a turn cancel: status `cancelling` or `already_complete`.
    CancelResult(poke::CancelResult) {
        #[getter]
        fn response_id(&self) -> Option<&str> {
            self.0.response_id.as_deref()
        }

        #[getter]
        fn status(&self) -> &str {
            &self.0.status
        }

        /// True when cancellation started; the turn will end with `message.cancelled`.
        #[getter]
        fn is_cancelling(&self) -> bool {
            self.0.is_cancelling()
        }

        /// True when the turn had already finished.
        #[getter]
        fn is_already_complete(&self) -> bool {
            self.0.is_already_complete()
        }
    }
}

record! {
    /// Answer of a bulk delete.
    BulkDeleteResult(poke::BulkDeleteResult) {
        /// How many sessions were destroyed.
        #[getter]
        fn deleted(&self) -> u64 {
            self.0.deleted
        }
    }
}

record! {
    /// Answer of `submit_tool_result`.
    ToolResultAck(poke::ToolResultAck) {
        #[getter]
        fn call_id(&self) -> Option<&str> {
            self.0.call_id.as_deref()
        }

        /// `accepted` on success.
        #[getter]
        fn status(&self) -> &str {
            &self.0.status
        }
    }
}

record! {
    /// The server's answer to an idempotent re-send whose events were already evicted.
    ReplayNotice(poke::ReplayNotice) {
        #[getter]
        fn response_id(&self) -> &str {
            &self.0.response_id
        }

        #[getter]
        fn status(&self) -> &str {
            &self.0.status
        }

        #[getter]
        fn note(&self) -> Option<&str> {
            self.0.note.as_deref()
        }
    }
}

record! {
    /// Rate-limit usage and credit balance (`client.usage()`).
    Usage(poke::Usage) {
        /// Rate-limit counters as a dict (`caller_id`, `buckets` or `windows`), or None.
        #[getter]
        fn rate_limit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.rate_limit)
        }

        /// Credits as a dict (`enabled`, `mode`, `balance`), or None.
        #[getter]
        fn credits(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.credits)
        }

        /// The credit balance, when credits are reported.
        #[getter]
        fn credit_balance(&self) -> Option<f64> {
            self.0.credits.as_ref().and_then(|c| c.balance)
        }

        /// Every rate window of either shape as dicts, each with its `bucket` name (None for
        /// the older flat shape).
        #[getter]
        fn windows(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            #[derive(Serialize)]
            struct Window<'a> {
                bucket: Option<&'a str>,
                #[serde(flatten)]
                window: &'a poke::UsageWindow,
            }
            let all: Vec<Window<'_>> = self
                .0
                .rate_limit
                .iter()
                .flat_map(|r| r.all_windows())
                .map(|(bucket, window)| Window { bucket, window })
                .collect();
            to_py(py, &all)
        }
    }
}
