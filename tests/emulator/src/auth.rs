//! Bearer-token authentication for the API routes.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use crate::response::error_json;
use crate::state::AppState;

/// Returns the token of an `Authorization: Bearer <token>` header (scheme case-insensitive),
/// or `None` when the header is missing, uses another scheme, or carries an empty token.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The 401 answer for a missing or wrong credential.
pub(crate) fn unauthorized() -> Response {
    error_json(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "Invalid or missing API key",
    )
}

/// Whether the bearer token is the configured API key, or any non-empty token when no key
/// is configured.
pub(crate) fn api_key_accepted(state: &AppState, headers: &HeaderMap) -> bool {
    match (bearer_token(headers), &state.api_key) {
        (None, _) => false,
        (Some(token), Some(key)) => token == key,
        (Some(_), None) => true,
    }
}
