//! JSON response helpers shared by the routes and middleware.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `status` with `value` as a JSON body (`content-type: application/json`).
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}

/// `{"error": ..., "message": ...}` with the given status.
pub(crate) fn error_json(status: StatusCode, error: &str, message: &str) -> Response {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
        message: &'a str,
    }
    json(status, &ErrorBody { error, message })
}

/// `{"error": ...}` with the given status, for errors that need no further explanation.
pub(crate) fn error_only(status: StatusCode, error: &str) -> Response {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        error: &'a str,
    }
    json(status, &ErrorBody { error })
}

/// 400 `{"error":"Invalid JSON body"}`, the answer to a body that does not parse as required.
pub(crate) fn invalid_json() -> Response {
    error_only(StatusCode::BAD_REQUEST, "Invalid JSON body")
}
