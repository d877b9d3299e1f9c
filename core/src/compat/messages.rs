//! The official Python SDK's verbatim error messages for the Poke API (spec §3.5).

use super::pyrepr::{py_str, truthy};
use crate::error::Error;

/// The message of 0.2.1 for a missing key.
const MISSING_KEY: &str =
    "No API key found. Pass api_key=, set POKE_API_KEY, or log in with the Poke CLI.";

/// An error's message as the official Python SDK words it (`Network error: [Errno 111]
/// Connection refused`): the drop-in package shows these; Rust, Kotlin and Swift show
/// `Display`.
pub fn python_text(e: &Error) -> String {
    match e {
        Error::Connection { reason, source, .. } => {
            let cause = source
                .as_deref()
                .map(|s| s as &(dyn std::error::Error + 'static));
            format!("Network error: {}", python_reason(reason, cause))
        }
        Error::MissingApiKey => MISSING_KEY.to_owned(),
        Error::MissingSetting { what, env } => {
            let arg = if env.ends_with("_KEY") {
                "api_key"
            } else {
                "base_url"
            };
            format!("No {what} found. Pass {arg}= or set {env}.")
        }
        other => other.to_string(),
    }
}

/// A network failure as Python's socket errors word it: `[Errno N] text` where the OS gave a
/// code, `http.client`'s wording for a connection closed without a reply.
fn python_reason(reason: &str, cause: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut cur = cause;
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(code) = io.raw_os_error() {
                let text = std::io::Error::from_raw_os_error(code).to_string();
                let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
                return format!("[Errno {code}] {text}");
            }
        }
        if err
            .to_string()
            .contains("connection closed before message completed")
        {
            return "Remote end closed connection without response".into();
        }
        cur = err.source();
    }
    reason.to_owned()
}

/// Message of the official SDK for 401.
pub const UNAUTHORIZED_MESSAGE: &str =
    "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys";
/// Message of the official SDK for 403.
pub const FORBIDDEN_MESSAGE: &str = "API key doesn't have permission for this action";
/// Message of the official SDK for 429.
pub const RATE_LIMITED_MESSAGE: &str = "Rate limited. Please slow down and retry.";

/// `detail.get("error") or detail.get("message") or ""`, else the reason phrase (§3.5).
pub(crate) fn poke_message(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Flavor, build_api_error};

    fn msg(status: u16, body: &str) -> String {
        build_api_error(Flavor::Poke, status, vec![], body.as_bytes(), None).message
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
}
