//! `Event`: one event of a turn, as Python sees it.
//!
//! Events read ahead are copied into one text buffer per batch on the runtime thread (the
//! core's event is then freed where it was allocated), and each `Event` points into that
//! buffer. Python thus frees one buffer per batch instead of several strings per event: freeing
//! memory another thread allocated was a quarter of the Python thread's time at a million
//! events a second. The core's `TurnEvent` is rebuilt, once, only for the getters that need
//! its logic (`content`, `error`, `sequence_number`).

use crate::json_to_py::json_to_py;
use crate::records::repr_of;
use poke::{TurnEvent, TurnEventKind};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// Converts a batch read ahead (on the runtime thread, which also frees the core's events):
/// one text buffer for the batch, each `Event` pointing into it.
pub(crate) fn batch(events: Vec<TurnEvent>) -> Vec<Event> {
    let size = events
        .iter()
        .map(|e| e.raw.len() + e.event.len() + e.id.as_ref().map_or(0, String::len))
        .sum();
    let mut text = String::with_capacity(size);
    let parts: Vec<Parts> = events.iter().map(|e| Parts::append(&mut text, e)).collect();
    drop(events);
    let text = Arc::new(text);
    parts.into_iter().map(|p| Event::new(&text, p)).collect()
}

/// Where one event's strings sit in its batch's text.
#[derive(Clone)]
pub(crate) struct Parts {
    id: Option<Range<usize>>,
    name: Range<usize>,
    raw: Range<usize>,
}

impl Parts {
    /// Appends `event`'s strings to `text` and says where they went.
    pub(crate) fn append(text: &mut String, event: &TurnEvent) -> Self {
        let mut put = |s: &str| {
            let start = text.len();
            text.push_str(s);
            start..text.len()
        };
        Self {
            id: event.id.as_deref().map(&mut put),
            name: put(&event.event),
            raw: put(&event.raw),
        }
    }
}

/// One event of a turn: `type` is the event name (`text.delta`, `message.completed`, ..., or
/// any newer name), `data` its payload.
#[pyclass(frozen, eq, module = "poke")]
#[derive(Clone)]
pub(crate) struct Event {
    text: Arc<String>,
    parts: Parts,
    /// The core's event, built on first use by the getters that need its logic.
    core: OnceLock<Box<TurnEvent>>,
}

impl Event {
    /// The event at `parts` of a batch's `text`.
    pub(crate) fn new(text: &Arc<String>, parts: Parts) -> Self {
        Self {
            text: text.clone(),
            parts,
            core: OnceLock::new(),
        }
    }

    fn part(&self, range: &Range<usize>) -> &str {
        // Ranges come from `Parts::append` on this very text, at char boundaries.
        self.text.get(range.clone()).unwrap_or_default()
    }

    pub(crate) fn id_str(&self) -> Option<&str> {
        self.parts.id.as_ref().map(|r| self.part(r))
    }

    fn name(&self) -> &str {
        self.part(&self.parts.name)
    }

    fn raw_str(&self) -> &str {
        self.part(&self.parts.raw)
    }

    pub(crate) fn terminal(&self) -> bool {
        TurnEventKind::parse(self.name()).is_terminal()
    }

    fn core(&self) -> &TurnEvent {
        self.core.get_or_init(|| {
            Box::new(TurnEvent::new(
                self.id_str().map(str::to_owned),
                self.name(),
                self.raw_str(),
            ))
        })
    }
}

impl poke::binding::ReadEvent for Event {
    fn event_id(&self) -> Option<&str> {
        self.id_str()
    }

    fn ends_turn(&self) -> bool {
        self.terminal()
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.id_str() == other.id_str()
            && self.name() == other.name()
            && self.raw_str() == other.raw_str()
    }
}

#[pymethods]
impl Event {
    /// An event from its parts (for tests and fakes): `raw` is the payload text, else
    /// `json.dumps(data)`.
    #[new]
    #[pyo3(signature = (*, r#type, data=None, id=None, raw=None))]
    fn py_new(
        py: Python<'_>,
        r#type: String,
        data: Option<&Bound<'_, PyAny>>,
        id: Option<String>,
        raw: Option<String>,
    ) -> PyResult<Self> {
        let raw = match (raw, data) {
            (Some(raw), _) => raw,
            (None, Some(data)) => crate::convert::to_raw_json(py, data)?.get().to_owned(),
            (None, None) => "{}".to_owned(),
        };
        let mut text = String::new();
        let parts = Parts::append(&mut text, &TurnEvent::new(id, r#type, raw));
        Ok(Self::new(&Arc::new(text), parts))
    }

    /// Pickles as `Event(type=..., id=..., raw=...)`.
    fn __reduce__(&self, py: Python<'_>) -> PyResult<crate::records::Reduced> {
        let fields = PyDict::new(py);
        fields.set_item("type", self.name())?;
        fields.set_item("id", self.id_str())?;
        fields.set_item("raw", self.raw_str())?;
        let rebuild = py.import("poke._poke")?.getattr("_rebuild")?.unbind();
        let cls = py.get_type::<Event>().into_any().unbind();
        Ok((rebuild, (cls, fields.into_any().unbind())))
    }

    /// The event's `id:` (its sequence number as text), None in old-format streams.
    #[getter]
    fn id(&self) -> Option<&str> {
        self.id_str()
    }

    /// The event name.
    #[getter]
    fn r#type(&self) -> &str {
        self.name()
    }

    /// The payload: parsed JSON (usually a dict), or the raw text when it is not JSON.
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let raw = self.raw_str();
        Ok(match json_to_py(py, raw)? {
            Some(value) => value.unbind(),
            None => PyString::new(py, raw).into_any().unbind(),
        })
    }

    /// The payload exactly as received.
    #[getter]
    fn raw(&self) -> &str {
        self.raw_str()
    }

    /// `data["content"]` when it is a string (text, thinking and tool-input deltas).
    #[getter]
    fn content(&self) -> Option<&str> {
        self.core().content()
    }

    /// `data["error"]` when it is a string (`message.error`).
    #[getter]
    fn error(&self) -> Option<&str> {
        self.core().error()
    }

    /// `data["sequence_number"]`, else the id read as a number.
    #[getter]
    fn sequence_number(&self) -> Option<u64> {
        self.core().sequence_number()
    }

    /// True for `message.completed`, `message.error` and `message.cancelled`.
    #[getter]
    fn is_terminal(&self) -> bool {
        self.terminal()
    }

    /// The event as plain Python data: `{"id", "type", "data"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("id", self.id_str())?;
        dict.set_item("type", self.name())?;
        dict.set_item("data", self.data(py)?)?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        repr_of(py, "Event", self.to_dict(py)?.into_any().unbind())
    }
}
