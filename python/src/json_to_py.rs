//! JSON text parsed straight into Python objects, with no `serde_json::Value` in between: a
//! turn's `Event.data` is built once per event, so the intermediate tree would be pure overhead.
//!
//! Results match `json.loads` for what the SDK receives: integers that fit 64 bits become `int`,
//! others `float`; the last of duplicate keys wins; keys keep the document's order, as
//! `json.loads` keeps them.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// Marks a number only `json.loads` can give exactly.
const BEYOND_64_BITS: &str = "an integer beyond 64 bits";

/// `text` parsed as JSON into Python objects, or `None` when `json.loads` would refuse it.
///
/// The fast parser handles what servers send; anything it cannot give exactly as
/// `json.loads` would (integers beyond 64 bits, nesting deeper than 128, `NaN`, `Infinity`,
/// numbers out of the float range) is handed to `json.loads` itself.
pub(crate) fn json_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Some(fast) = parse(py, text)? {
        return Ok(Some(fast));
    }
    let loads = py.import("json")?.getattr("loads")?;
    match loads.call1((text,)) {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyValueError>(py) => Ok(None),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyRecursionError>(py) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The fast path of [`json_to_py`]: `None` when the text needs `json.loads`.
fn parse<'py>(py: Python<'py>, text: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let failure = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Seed {
        py,
        failure: &failure,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    if let Some(err) = failure.into_inner() {
        return Err(err);
    }
    Ok(parsed.ok())
}

/// Builds one value; a Python error (out of memory) is kept in `failure` and surfaces as a
/// parse error, which `json_to_py` then replaces with the Python error itself.
#[derive(Clone, Copy)]
struct Seed<'a, 'py> {
    py: Python<'py>,
    failure: &'a RefCell<Option<PyErr>>,
}

impl Seed<'_, '_> {
    fn ok<T, E: de::Error>(&self, made: PyResult<T>) -> Result<T, E> {
        made.map_err(|e| {
            *self.failure.borrow_mut() = Some(e);
            E::custom("python error")
        })
    }
}

impl<'de, 'py> DeserializeSeed<'de> for Seed<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> Visitor<'de> for Seed<'_, 'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.py.None().into_bound(self.py))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.ok(v.into_bound_py_any(self.py))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.ok(v.into_bound_py_any(self.py))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.ok(v.into_bound_py_any(self.py))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // An integer beyond 64 bits arrives here as a float; `json.loads` keeps it exact,
        // so the whole payload goes to `json.loads` (see `json_to_py`).
        if v.fract() == 0.0 && v.abs() >= 9.2e18 {
            return Err(E::custom(BEYOND_64_BITS));
        }
        self.ok(v.into_bound_py_any(self.py))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(PyString::new(self.py, v).into_any())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = PyList::empty(self.py);
        while let Some(item) = seq.next_element_seed(self)? {
            self.ok(list.append(item))?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = PyDict::new(self.py);
        while let Some(key) = map.next_key_seed(self)? {
            let value = map.next_value_seed(self)?;
            self.ok(dict.set_item(key, value))?;
        }
        Ok(dict.into_any())
    }
}
