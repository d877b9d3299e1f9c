//! Lenient readers for reply fields whose type the API does not document.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::time::Duration;

/// A number of seconds (integer, decimal or numeric string); anything else, zero or negative
/// counts as absent, so the caller's default applies.
pub(crate) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    let secs = match value {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(secs
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok()))
}

/// A string, or a number or boolean in its JSON text; empty strings and other values count as
/// absent.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        _ => None,
    })
}

/// A non-empty string as a [`crate::Secret`]; other values count as absent.
pub(crate) fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::Secret>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::String(s)) if !s.is_empty() => Some(crate::Secret::new(s)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "seconds")]
        secs: Option<Duration>,
        #[serde(default, deserialize_with = "text")]
        text: Option<String>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn seconds_accept_numbers_and_numeric_strings_only() {
        assert_eq!(probe(r#"{"secs": 5}"#).secs, Some(Duration::from_secs(5)));
        assert_eq!(
            probe(r#"{"secs": 0.5}"#).secs,
            Some(Duration::from_millis(500))
        );
        assert_eq!(probe(r#"{"secs": "7"}"#).secs, Some(Duration::from_secs(7)));
        for absent in [
            r#"{"secs": 0}"#,
            r#"{"secs": -3}"#,
            r#"{"secs": "x"}"#,
            "{}",
        ] {
            assert_eq!(probe(absent).secs, None, "{absent}");
        }
        assert_eq!(
            probe(r#"{"secs": 1e300}"#).secs,
            None,
            "too large to be a duration"
        );
    }

    #[test]
    fn text_takes_strings_and_scalars() {
        assert_eq!(probe(r#"{"text": "a"}"#).text.as_deref(), Some("a"));
        assert_eq!(probe(r#"{"text": 42}"#).text.as_deref(), Some("42"));
        assert_eq!(probe(r#"{"text": ""}"#).text, None);
        assert_eq!(probe(r#"{"text": null}"#).text, None);
        assert_eq!(probe(r#"{"text": {"a": 1}}"#).text, None);
    }
}
