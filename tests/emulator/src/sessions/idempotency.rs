//! `Idempotency-Key` on `POST /v1/sessions/{id}/messages` (spec §5): keys remember the turn
//! they started, fingerprinted by session and canonical body.

use std::fmt::Write;

use serde_json::Value;

/// A key that started a turn.
pub(crate) struct KeyEntry {
    pub(crate) session_id: String,
    pub(crate) fingerprint: String,
    pub(crate) rid: String,
    pub(crate) created_at: f64,
}

/// Longest accepted key.
const MAX_KEY_LEN: usize = 255;

/// Checks a key: 1–255 printable ASCII characters.
pub(crate) fn validate_key(key: &[u8]) -> Result<String, String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} characters"
        ));
    }
    if !key.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err("Idempotency-Key must be printable ASCII".into());
    }
    Ok(String::from_utf8_lossy(key).into_owned())
}

/// Canonical JSON (keys sorted, no whitespace), so formatting differences do not matter.
pub(crate) fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_ignores_order_and_spacing() {
        let a: Value =
            serde_json::from_str(r#"{ "b": [1, {"y":1,"x":2}], "a": "s" }"#).expect("json");
        assert_eq!(canonical(&a), r#"{"a":"s","b":[1,{"x":2,"y":1}]}"#);
        assert_eq!(canonical(&json!({"message": "hi"})), r#"{"message":"hi"}"#);
    }

    #[test]
    fn key_rules() {
        assert!(validate_key(b"abc-123").is_ok());
        assert!(validate_key(b"").is_err());
        assert!(validate_key(&[b'a'; 256]).is_err());
        assert!(validate_key(b"a\x01").is_err());
    }
}
