//! Error answers of the sessions API: `{"error": <short name>, "message": ...}` with the
//! short names the spec picks (§1.4).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::response::error_json;

/// `status` with the spec's error body.
pub(crate) fn api_error(status: StatusCode, error: &str, message: impl AsRef<str>) -> Response {
    error_json(status, error, message.as_ref())
}

/// 400 `bad_request`.
pub(crate) fn bad_request(message: impl AsRef<str>) -> Response {
    api_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// 401 `unauthorized`.
pub(crate) fn unauthorized() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Invalid or missing API key",
    )
}

/// 404 `not_found`.
pub(crate) fn not_found(message: impl AsRef<str>) -> Response {
    api_error(StatusCode::NOT_FOUND, "not_found", message)
}

/// 404 for a session id that names no live session.
pub(crate) fn session_not_found(id: &str) -> Response {
    not_found(format!("session '{id}' not found"))
}

/// 403 `forbidden`: the path is outside the session's file scope.
pub(crate) fn out_of_scope(path: &str) -> Response {
    api_error(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("'{path}' not in session scope"),
    )
}

/// 403 `invalid_path`.
pub(crate) fn invalid_path(reason: impl AsRef<str>) -> Response {
    api_error(StatusCode::FORBIDDEN, "invalid_path", reason)
}

/// 413 `payload_too_large`.
pub(crate) fn payload_too_large(message: impl AsRef<str>) -> Response {
    api_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
}

/// 429 `rate_limited` with `Retry-After` (spec: 429 and 503 carry it).
pub(crate) fn rate_limited(message: impl AsRef<str>, retry_after_secs: u64) -> Response {
    with_retry_after(
        api_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message),
        retry_after_secs,
    )
}

/// 503 `service_unavailable` with `Retry-After`.
pub(crate) fn service_unavailable() -> Response {
    with_retry_after(
        api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is degraded; retry later",
        ),
        5,
    )
}

fn with_retry_after(mut response: Response, secs: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    response
}
