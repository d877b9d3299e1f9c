//! Turning a non-2xx response into an [`ApiError`] with the right message.

use crate::error::{ApiError, ErrorKind};
use crate::pyrepr::{py_str, truthy};
use std::time::Duration;

/// Longest body kept on an error, in bytes.
const BODY_CAP: usize = 8 * 1024;

/// Which API answered: the two have different error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// poke.com: the official Python SDK's verbatim messages.
    Poke,
    /// Pokee Enterprise: `{"error", "message"}` bodies.
    Pokee,
}

/// Message of the official SDK for 401.
pub const UNAUTHORIZED_MESSAGE: &str =
    "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys";
/// Message of the official SDK for 403.
pub const FORBIDDEN_MESSAGE: &str = "API key doesn't have permission for this action";
/// Message of the official SDK for 429.
pub const RATE_LIMITED_MESSAGE: &str = "Rate limited. Please slow down and retry.";

pub(crate) fn build(
    flavor: Flavor,
    status: u16,
    headers: Vec<(String, String)>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> ApiError {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = std::str::from_utf8(body)
        .ok()
        .and_then(|text| serde_json::from_str(text).ok());
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let code = parsed
        .as_ref()
        .and_then(|o| o.get("error"))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let message = match flavor {
        Flavor::Poke => poke_message(status, parsed.as_ref(), reason),
        Flavor::Pokee => pokee_message(status, parsed.as_ref(), reason),
    };
    let request_id = headers
        .iter()
        .find(|(k, _)| k == "x-request-id")
        .map(|(_, v)| v.clone());
    let body = (!body.is_empty()).then(|| {
        let cut = body.len().min(BODY_CAP);
        String::from_utf8_lossy(&body[..cut]).into_owned()
    });
    ApiError {
        status,
        kind: ErrorKind::from_status(status),
        message,
        code,
        request_id,
        retry_after,
        body,
        headers,
    }
}

/// `detail.get("error") or detail.get("message") or ""`, else the reason phrase (§3.5).
fn poke_message(
    status: u16,
    parsed: Option<&serde_json::Map<String, serde_json::Value>>,
    reason: &str,
) -> String {
    match status {
        401 => return UNAUTHORIZED_MESSAGE.into(),
        403 => return FORBIDDEN_MESSAGE.into(),
        429 => return RATE_LIMITED_MESSAGE.into(),
        _ => {}
    }
    let suffix = match parsed {
        Some(obj) => ["error", "message"]
            .iter()
            .filter_map(|k| obj.get(*k))
            .find(|v| truthy(v))
            .map(py_str)
            .unwrap_or_default(),
        None => reason.to_owned(),
    };
    format!("Poke API error ({status}): {suffix}")
}

fn pokee_message(
    status: u16,
    parsed: Option<&serde_json::Map<String, serde_json::Value>>,
    reason: &str,
) -> String {
    let field = |k: &str| {
        parsed
            .and_then(|o| o.get(k))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let detail = match (field("error"), field("message")) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => reason.to_owned(),
    };
    format!("Pokee API error ({status}): {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(status: u16, body: &str) -> String {
        build(Flavor::Poke, status, vec![], body.as_bytes(), None).message
    }

    #[test]
    fn matrix_of_the_official_sdk() {
        assert_eq!(
            msg(500, r#"{"error":"boom"}"#),
            "Poke API error (500): boom"
        );
        assert_eq!(msg(500, r#"{"message":"m"}"#), "Poke API error (500): m");
        assert_eq!(msg(500, "{}"), "Poke API error (500): ");
        assert_eq!(
            msg(500, "notjson"),
            "Poke API error (500): Internal Server Error"
        );
        assert_eq!(msg(500, ""), "Poke API error (500): Internal Server Error");
        assert_eq!(msg(400, "[1]"), "Poke API error (400): Bad Request");
        assert_eq!(
            msg(404, r#"{"error":"","message":"mm"}"#),
            "Poke API error (404): mm"
        );
        assert_eq!(
            msg(404, r#"{"error":null,"message":"mm"}"#),
            "Poke API error (404): mm"
        );
        assert_eq!(
            msg(422, r#"{"error":{"a":1}}"#),
            "Poke API error (422): {'a': 1}"
        );
        assert_eq!(msg(409, r#"{"error":123}"#), "Poke API error (409): 123");
        assert_eq!(msg(401, r#"{"error":"x"}"#), UNAUTHORIZED_MESSAGE);
        assert_eq!(msg(403, ""), FORBIDDEN_MESSAGE);
        assert_eq!(msg(429, ""), RATE_LIMITED_MESSAGE);
    }

    #[test]
    fn pokee_messages_keep_code_and_text() {
        let e = build(
            Flavor::Pokee,
            409,
            vec![("x-request-id".into(), "req_1".into())],
            br#"{"error":"session.busy","message":"Session is busy"}"#,
            None,
        );
        assert_eq!(
            e.message,
            "Pokee API error (409): session.busy: Session is busy"
        );
        assert_eq!(e.code.as_deref(), Some("session.busy"));
        assert_eq!(e.request_id.as_deref(), Some("req_1"));
        assert_eq!(e.kind, ErrorKind::Conflict);
    }
}
