//! `ResponseEvent`: one event of a streamed stateless response, with OpenAI's attribute names
//! (`type`, `sequence_number`, `item_id`, `output_index`, `content_index`, `delta`, `text`,
//! `arguments`, `item`, `response`).

use crate::json_to_py::json_to_py;
use crate::records::repr_of;
use crate::response_records::{Response, ResponseError, item_to_py};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// One event of a streamed response.
#[pyclass(frozen, eq, module = "poke")]
#[derive(Clone, PartialEq)]
pub(crate) struct ResponseEvent(pub(crate) poke::ResponseEvent);

/// Converts a batch read ahead (on the runtime thread; no Python object is made there).
pub(crate) fn batch(events: Vec<poke::TurnEvent>) -> Vec<ResponseEvent> {
    events
        .into_iter()
        .map(|e| ResponseEvent(poke::ResponseEvent::from(e)))
        .collect()
}

impl poke::binding::ReadEvent for ResponseEvent {
    fn event_id(&self) -> Option<&str> {
        self.0.id()
    }

    fn ends_turn(&self) -> bool {
        // The same rule the stream ends by.
        self.0.as_turn_event().is_terminal()
    }
}

#[pymethods]
impl ResponseEvent {
    /// The event's name, e.g. `response.output_text.delta`.
    #[getter]
    fn r#type(&self) -> &str {
        self.0.name()
    }

    /// The event's `id:` (its sequence number as text).
    #[getter]
    fn id(&self) -> Option<&str> {
        self.0.id()
    }

    #[getter]
    fn sequence_number(&self) -> Option<u64> {
        self.0.sequence_number()
    }

    #[getter]
    fn item_id(&self) -> Option<&str> {
        self.0.item_id()
    }

    #[getter]
    fn output_index(&self) -> Option<u64> {
        self.0.output_index()
    }

    #[getter]
    fn content_index(&self) -> Option<u64> {
        self.0.content_index()
    }

    /// The next piece of text or arguments (the `.delta` events).
    #[getter]
    fn delta(&self) -> Option<&str> {
        self.0.delta()
    }

    /// The whole text of a part (`response.output_text.done`).
    #[getter]
    fn text(&self) -> Option<&str> {
        self.0.text()
    }

    /// The whole arguments of a call (`response.function_call_arguments.done`).
    #[getter]
    fn arguments(&self) -> Option<&str> {
        self.0.arguments()
    }

    /// The item of `response.output_item.added` / `.done`.
    #[getter]
    fn item(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.0.item().map(|i| item_to_py(py, &i)).transpose()
    }

    /// The response snapshot of `response.created`, `.in_progress` and the terminal events.
    #[getter]
    fn response(&self) -> Option<Response> {
        self.0.response().map(Response::from)
    }

    /// The response id of the lifecycle events.
    #[getter]
    fn response_id(&self) -> Option<&str> {
        self.0.response_id()
    }

    /// Why the response failed (`response.failed`).
    #[getter]
    fn error(&self) -> Option<ResponseError> {
        self.0.error().map(ResponseError::from)
    }

    /// True for `response.completed`, `.failed`, `.cancelled` and `.incomplete`.
    #[getter]
    fn is_terminal(&self) -> bool {
        self.0.is_terminal()
    }

    /// The payload: parsed JSON (a dict), or the raw text when it is not JSON.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let raw = self.0.raw();
        Ok(match json_to_py(py, raw)? {
            Some(value) => value.unbind(),
            None => PyString::new(py, raw).into_any().unbind(),
        })
    }

    /// The payload exactly as received.
    #[getter]
    fn raw(&self) -> &str {
        self.0.raw()
    }

    /// The event as plain Python data: `{"id", "type", "data"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("id", self.0.id())?;
        dict.set_item("type", self.0.name())?;
        dict.set_item("data", self.data(py)?)?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(py, "ResponseEvent", self.to_dict(py)?.into_any().unbind())
    }
}
