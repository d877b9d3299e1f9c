//! Turning a non-2xx response into an [`ApiError`] with the right message.

use crate::compat::messages::poke_message;
use crate::error::{ApiError, ErrorKind};
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

impl Flavor {
    /// The API's name in messages.
    pub(crate) fn api(self) -> &'static str {
        match self {
            Self::Poke => "Poke API",
            Self::Pokee => "Pokee API",
        }
    }
}

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
