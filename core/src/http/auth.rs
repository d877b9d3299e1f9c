//! The one place that builds an `Authorization: Bearer` header.

use crate::error::{Error, Result};
use crate::secret::{Secret, check_header_value};
use reqwest::header::HeaderValue;

/// The `Authorization: Bearer …` value for `secret`, marked sensitive, for callers that build
/// their own requests (streamed uploads).
pub(crate) fn bearer_header(secret: &Secret) -> Result<HeaderValue> {
    check_header_value("token", secret.expose())?;
    let mut v = HeaderValue::from_str(&format!("Bearer {}", secret.expose())).map_err(|_| {
        Error::InvalidInput {
            field: "token",
            reason: "not a valid header value".into(),
        }
    })?;
    v.set_sensitive(true);
    Ok(v)
}
