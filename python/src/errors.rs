//! Core errors to the exception classes of `poke._exceptions` (one match, nothing else).

use poke::binding::python_text;
use poke::{Error, ErrorKind, TimeoutPhase};
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn class_for(e: &Error) -> &'static str {
    match e {
        Error::Api(api) => match api.kind {
            ErrorKind::Unauthorized => "AuthenticationError",
            ErrorKind::Forbidden => "ForbiddenError",
            ErrorKind::RateLimited => "RateLimitError",
            ErrorKind::BadRequest => "BadRequestError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::UnprocessableEntity => "UnprocessableEntityError",
            ErrorKind::PaymentRequired => "PaymentRequiredError",
            ErrorKind::PayloadTooLarge => "PayloadTooLargeError",
            ErrorKind::RangeNotSatisfiable => "RangeNotSatisfiableError",
            ErrorKind::Server => "InternalServerError",
            _ => "PokeError",
        },
        Error::Connection { .. } => "APIConnectionError",
        Error::Timeout {
            phase: TimeoutPhase::Wait,
            ..
        } => "WaitTimeoutError",
        Error::Timeout { .. } => "APITimeoutError",
        Error::Decode { .. } => "ResponseDecodeError",
        Error::BodyTooLarge { .. } => "ResponseTooLargeError",
        Error::InvalidInput { .. } => "InvalidRequestError",
        Error::Stream { .. } => "StreamInterruptedError",
        Error::File { .. } => "PokeFileError",
        Error::ToolRounds { .. } => "ToolRoundsExceededError",
        _ => "PokeError",
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = py.import("poke._exceptions")?;
    if let Error::File {
        path, kind, errno, ..
    } = e
    {
        let kind = format!("{kind:?}");
        let made = module
            .getattr("_file_error")?
            .call1((python_text(e), *errno, kind, path))?;
        return Ok(PyErr::from_value(made));
    }
    let kwargs = PyDict::new(py);
    if let Some(api) = e.api() {
        kwargs.set_item("request_id", api.request_id.as_deref())?;
        kwargs.set_item("body", api.body.as_deref())?;
        kwargs.set_item("code", api.code.as_deref())?;
        let headers = PyDict::new(py);
        for (k, v) in &api.headers {
            headers.set_item(k, v)?;
        }
        kwargs.set_item("headers", headers)?;
        kwargs.set_item("retry_after", api.retry_after.map(|d| d.as_secs_f64()))?;
    }
    if let Error::Stream { last_event_id, .. } = e {
        kwargs.set_item("last_event_id", last_event_id.as_deref())?;
    }
    let class = module.getattr(class_for(e))?;
    let instance = class.call((python_text(e), e.status()), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

/// The Python exception for a core error; a failed callback's own exception comes back
/// unchanged. Called only where the GIL is held (never on a runtime thread).
pub(crate) fn to_py_err(e: Error) -> PyErr {
    let e = match e {
        Error::Callback { source } => match source.downcast::<PyErr>() {
            Ok(raised) => return *raised,
            Err(source) => Error::Callback { source },
        },
        // A tool function's own exception, raised unchanged from `responses.run`.
        Error::Tool { name, source } => match source.downcast::<PyErr>() {
            Ok(raised) => return *raised,
            Err(source) => Error::Tool { name, source },
        },
        e => e,
    };
    Python::attach(|py| build(py, &e).unwrap_or_else(|err| err))
}

/// A plain `PokeError(message)`.
pub(crate) fn poke_error(message: &str) -> PyErr {
    to_py_err(Error::Config(message.to_owned()))
}

/// An `InvalidRequestError` (also a `ValueError`): the input could never be sent.
pub(crate) fn invalid_request(reason: &str) -> PyErr {
    to_py_err(Error::InvalidInput {
        field: "argument",
        reason: reason.to_owned(),
    })
}
