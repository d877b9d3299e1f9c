//! Redaction for everything the inspector shows: credential headers, secret-looking JSON
//! fields and query parameters, and every credential the emulator has seen, wherever else it
//! turns up (a body, a path, a turn event).

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::http::HeaderMap;
use serde_json::Value;

use crate::state::lock;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";
/// Credentials shorter than this are only redacted where they are expected (headers, secret
/// fields): scrubbing a one-letter test key from every text would garble it.
const MIN_SCRUB_LEN: usize = 8;
/// Credentials remembered for scrubbing, the most recently seen kept.
const MAX_SECRETS: usize = 64;

/// Credentials seen so far: the configured API key, bearer tokens, callback tokens.
#[derive(Default)]
pub(crate) struct Secrets {
    known: Mutex<VecDeque<String>>,
}

impl Secrets {
    /// Remembers `secret` so [`Secrets::scrub`] removes it.
    pub(crate) fn learn(&self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < MIN_SCRUB_LEN {
            return;
        }
        let mut known = lock(&self.known);
        if let Some(at) = known.iter().position(|s| s == secret) {
            if let Some(seen) = known.remove(at) {
                known.push_back(seen);
            }
            return;
        }
        if known.len() == MAX_SECRETS {
            known.pop_front();
        }
        known.push_back(secret.to_owned());
    }

    /// Remembers the credentials a request carries in its headers.
    pub(crate) fn learn_from(&self, headers: &HeaderMap) {
        for (name, value) in headers {
            if !is_secret_header(name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes());
            let value = value.trim();
            match value.split_once([' ', '\t']) {
                Some((_scheme, token)) => self.learn(token),
                None => self.learn(value),
            }
        }
    }

    /// `text` with every remembered credential replaced by [`REDACTED`].
    pub(crate) fn scrub(&self, text: &str) -> String {
        let known = lock(&self.known);
        let mut out = text.to_owned();
        for secret in known.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Whether a header carries a credential (`Authorization`, cookies, API keys, tokens).
pub(crate) fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name == "idempotency-key" {
        return false;
    }
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || is_secret_key(&name)
}

/// Whether a JSON field or query parameter named `key` holds a secret (`token`,
/// `webhookToken`, `api_key`, `password`...; not counts such as `input_tokens`).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let flat: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    flat.ends_with("token")
        || flat.contains("secret")
        || flat.contains("password")
        || flat.contains("apikey")
        || flat.contains("privatekey")
        || flat.ends_with("credential")
        || flat.ends_with("credentials")
        || flat == "authorization"
}

/// A header value as the inspector shows it: credentials keep only their scheme.
pub(crate) fn header_value(name: &str, value: &str, secrets: &Secrets) -> String {
    if !is_secret_header(name) {
        return secrets.scrub(value);
    }
    match value.trim().split_once([' ', '\t']) {
        Some((scheme, _))
            if name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("proxy-authorization") =>
        {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_owned(),
    }
}

/// Redacts a JSON value in place: secret fields are replaced, other strings scrubbed.
pub(crate) fn json_value(value: &mut Value, secrets: &Secrets) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if is_secret_key(key) && !matches!(field, Value::Null | Value::Bool(_)) {
                    *field = Value::String(REDACTED.to_owned());
                } else {
                    json_value(field, secrets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| json_value(v, secrets)),
        Value::String(text) => {
            let scrubbed = secrets.scrub(text);
            if scrubbed != *text {
                *text = scrubbed;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A request target with secret query parameters replaced and credentials scrubbed.
pub(crate) fn target(target: &str, secrets: &Secrets) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return secrets.scrub(target);
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_key(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    secrets.scrub(&format!("{path}?{}", query.join("&")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    #[test]
    fn credential_headers_keep_only_their_scheme() {
        let secrets = Secrets::default();
        assert_eq!(
            header_value("authorization", "Bearer pk_live_123456", &secrets),
            "Bearer [redacted]"
        );
        assert_eq!(
            header_value("x-poke-callback-token", "cbt_1", &secrets),
            "[redacted]"
        );
        assert_eq!(header_value("cookie", "a=b", &secrets), "[redacted]");
        assert_eq!(header_value("x-api-key", "k", &secrets), "[redacted]");
        assert_eq!(header_value("idempotency-key", "abc", &secrets), "abc");
        assert_eq!(
            header_value("user-agent", "poke-python/1", &secrets),
            "poke-python/1"
        );
    }

    #[test]
    fn seen_credentials_are_scrubbed_everywhere() {
        let secrets = Secrets::default();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer pk_secret_value_1"),
        );
        headers.insert("x-other", HeaderValue::from_static("pk_not_a_secret"));
        secrets.learn_from(&headers);
        secrets.learn("short");
        assert_eq!(
            secrets.scrub("key=pk_secret_value_1, again pk_secret_value_1; short"),
            "key=[redacted], again [redacted]; short"
        );
        assert_eq!(secrets.scrub("pk_not_a_secret"), "pk_not_a_secret");
        assert_eq!(
            target(
                "/v1/x/pk_secret_value_1?token=abc&page=2&apiKey=z",
                &secrets
            ),
            "/v1/x/[redacted]?token=[redacted]&page=2&apiKey=[redacted]"
        );
    }

    #[test]
    fn secret_fields_are_replaced_and_counts_are_kept() {
        let secrets = Secrets::default();
        secrets.learn("pk_secret_value_1");
        let mut body = json!({
            "webhookToken": "whk_1",
            "nextToken": "cbt_2",
            "usage": {"input_tokens": 10, "output_tokens": 3},
            "nested": [{"api_key": "k", "password": "p", "note": "has pk_secret_value_1"}],
            "has_token": true,
        });
        json_value(&mut body, &secrets);
        assert_eq!(
            body,
            json!({
                "webhookToken": "[redacted]",
                "nextToken": "[redacted]",
                "usage": {"input_tokens": 10, "output_tokens": 3},
                "nested": [{"api_key": "[redacted]", "password": "[redacted]",
                            "note": "has [redacted]"}],
                "has_token": true,
            })
        );
    }

    #[test]
    fn remembers_a_bounded_number_of_credentials() {
        let secrets = Secrets::default();
        for i in 0..MAX_SECRETS + 1 {
            secrets.learn(&format!("credential_{i:03}"));
        }
        assert_eq!(secrets.scrub("credential_000"), "credential_000");
        assert_eq!(secrets.scrub("credential_064"), REDACTED);
    }
}
