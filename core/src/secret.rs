//! Secret strings (API keys, webhook and callback tokens) that never print.

use std::fmt;

/// A credential that prints as `Secret(****)` and has no `Display`.
///
/// Only the transport calls [`Secret::expose`], when it writes the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw credential, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the credential is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Checks a credential or header value for bytes that would split or corrupt a header.
pub(crate) fn check_header_value(field: &'static str, value: &str) -> crate::Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(crate::Error::InvalidInput {
            field,
            reason: format!("contains a control character (U+{:04X})", c as u32),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_value() {
        let s = Secret::new("pk_canary_123");
        assert_eq!(format!("{s:?}"), "Secret(****)");
        assert_eq!(s.expose(), "pk_canary_123");
    }

    #[test]
    fn control_characters_rejected_without_echoing_value() {
        let err = check_header_value("api_key", "abc\r\nX-Evil: 1").expect_err("rejected");
        let text = err.to_string();
        assert!(text.contains("api_key"));
        assert!(!text.contains("X-Evil"));
        assert!(check_header_value("api_key", "plain-token_1").is_ok());
    }
}
