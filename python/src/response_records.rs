//! Python views of stateless responses: the response, its output items, usage and error, and
//! the result of a tool loop. Attribute names follow OpenAI's Python SDK.

use crate::records::{Reduced, from_kwargs, record, repr_of, to_py};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// An output item as its Python class.
pub(crate) fn item_to_py(py: Python<'_>, item: &poke::OutputItem) -> PyResult<Py<PyAny>> {
    Ok(match item {
        poke::OutputItem::Message(m) => {
            Py::new(py, ResponseOutputMessage::from(m.clone()))?.into_any()
        }
        poke::OutputItem::FunctionCall(c) => {
            Py::new(py, ResponseFunctionToolCall::from(c.clone()))?.into_any()
        }
        other => Py::new(py, ResponseOutputItem::from(other.to_value()))?.into_any(),
    })
}

record! {
    /// A stateless response (`client.responses.create(...)`): `output`, `output_text`, `usage`.
    Response(poke::Response) {
        #[getter]
        fn id(&self) -> &str {
            &self.0.id
        }

        /// `response`.
        #[getter]
        fn object(&self) -> &str {
            &self.0.object
        }

        /// Creation time, Unix seconds.
        #[getter]
        fn created_at(&self) -> Option<f64> {
            self.0.created_at
        }

        #[getter]
        fn model(&self) -> Option<&str> {
            self.0.model.as_deref()
        }

        /// `completed`, `failed`, `cancelled`, or anything newer.
        #[getter]
        fn status(&self) -> &str {
            &self.0.status
        }

        /// The output items: `ResponseOutputMessage`, `ResponseFunctionToolCall`, or
        /// `ResponseOutputItem` for other types.
        #[getter]
        fn output(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
            self.0.output.iter().map(|i| item_to_py(py, i)).collect()
        }

        /// The text of every message item, joined.
        #[getter]
        fn output_text(&self) -> String {
            self.0.output_text()
        }

        /// The function calls the model asks for, in order.
        #[getter]
        fn function_calls(&self) -> Vec<ResponseFunctionToolCall> {
            self.0
                .function_calls()
                .into_iter()
                .map(|c| ResponseFunctionToolCall::from(c.clone()))
                .collect()
        }

        #[getter]
        fn usage(&self) -> Option<ResponseUsage> {
            self.0.usage.clone().map(ResponseUsage::from)
        }

        /// Why it failed, when it did.
        #[getter]
        fn error(&self) -> Option<ResponseError> {
            self.0.error.clone().map(ResponseError::from)
        }
    }
}

record! {
    /// Token counts of a response.
    ResponseUsage(poke::ResponseUsage) {
        #[getter]
        fn input_tokens(&self) -> u64 {
            self.0.input_tokens
        }

        #[getter]
        fn output_tokens(&self) -> u64 {
            self.0.output_tokens
        }

        #[getter]
        fn total_tokens(&self) -> u64 {
            self.0.total_tokens
        }
    }
}

record! {
    /// Why a response failed.
    ResponseError(poke::ResponseError) {
        #[getter]
        fn code(&self) -> Option<&str> {
            self.0.code.as_deref()
        }

        #[getter]
        fn message(&self) -> &str {
            &self.0.message
        }
    }
}

record! {
    /// An assistant message item; `content` holds its parts as dicts.
    ResponseOutputMessage(poke::OutputMessage) as |r| poke::OutputItem::Message((*r.0).clone()).to_value(), {
        /// `message`.
        #[getter]
        fn r#type(&self) -> &str {
            "message"
        }

        #[getter]
        fn id(&self) -> Option<&str> {
            self.0.id.as_deref()
        }

        #[getter]
        fn role(&self) -> &str {
            &self.0.role
        }

        #[getter]
        fn status(&self) -> Option<&str> {
            self.0.status.as_deref()
        }

        /// The parts as dicts (`{"type": "output_text", "text": ...}`).
        #[getter]
        fn content(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
            to_py(py, &self.0.content)
        }

        /// The text of its `output_text` parts.
        #[getter]
        fn text(&self) -> String {
            self.0.text()
        }
    }
}

record! {
    /// A call the model asks for; answer it with a `function_call_output` carrying `call_id`.
    ResponseFunctionToolCall(poke::FunctionCall) as |r| poke::OutputItem::FunctionCall((*r.0).clone()).to_value(), {
        /// `function_call`.
        #[getter]
        fn r#type(&self) -> &str {
            "function_call"
        }

        #[getter]
        fn id(&self) -> Option<&str> {
            self.0.id.as_deref()
        }

        #[getter]
        fn call_id(&self) -> &str {
            &self.0.call_id
        }

        #[getter]
        fn name(&self) -> &str {
            &self.0.name
        }

        /// The arguments object as JSON text.
        #[getter]
        fn arguments(&self) -> &str {
            &self.0.arguments
        }

        #[getter]
        fn status(&self) -> Option<&str> {
            self.0.status.as_deref()
        }
    }
}

record! {
    /// An output item of another type (`reasoning`, ...): `type` and `to_dict()`.
    ResponseOutputItem(serde_json::Value) {
        #[getter]
        fn r#type(&self) -> &str {
            self.0.get("type").and_then(serde_json::Value::as_str).unwrap_or("")
        }
    }
}

/// What `client.responses.run(...)` produced: the last response, the whole conversation and
/// the number of requests made.
#[pyclass(frozen, module = "poke")]
pub(crate) struct ToolRun(pub(crate) poke::ToolRun);

#[pymethods]
impl ToolRun {
    /// The last response: the one that asked for no function call.
    #[getter]
    fn response(&self) -> Response {
        Response::from(self.0.response.clone())
    }

    /// Its text (`response.output_text`).
    #[getter]
    fn output_text(&self) -> String {
        self.0.response.output_text()
    }

    /// The conversation as input items (dicts): the input, every output item, every
    /// function output.
    #[getter]
    fn history(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.0.history)
    }

    /// Requests made.
    #[getter]
    fn rounds(&self) -> u32 {
        self.0.rounds
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "ToolRun(rounds={}, response_id={}, status={})",
            self.0.rounds,
            crate::records::quote(py, &self.0.response.id),
            crate::records::quote(py, &self.0.response.status)
        )
    }
}
