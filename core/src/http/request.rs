//! What one logical call sends: method, URL, auth, body, idempotency, per-call options.

use super::api_error::Flavor;
use super::retry::Idempotency;
use super::timeouts::Timeouts;
use crate::error::{Error, Result};
use crate::secret::Secret;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use std::sync::Arc;
use std::time::Duration;

/// Per-call overrides of the client's settings, used through `with_options` on a client:
/// `client.with_options(CallOptions::new().timeout(Duration::from_secs(5)))`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Replaces the client's time bounds for this call.
    pub timeouts: Option<Timeouts>,
    /// Replaces the client's retry count for this call.
    pub max_retries: Option<u32>,
    /// The `Idempotency-Key` to send (a fresh `UUIDv4` otherwise, reused on every attempt).
    pub idempotency_key: Option<String>,
    /// Bounds the whole call, retries included, on top of `timeouts` (or the client's).
    pub total: Option<Duration>,
}

impl CallOptions {
    /// No overrides: the client's settings apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bounds the whole call (retries included) to `total`; the other phases keep their
    /// bounds.
    #[must_use]
    pub fn timeout(mut self, total: Duration) -> Self {
        self.total = Some(total);
        self
    }

    /// Replaces the client's time bounds for this call.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// Replaces the client's retry count for this call (`0`: one attempt).
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// Sends this `Idempotency-Key` (on every attempt) instead of a fresh one.
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The bounds of this call over `base`, the bounds it would have without options.
    pub(crate) fn resolve(&self, base: Timeouts) -> Timeouts {
        let bounds = self.timeouts.unwrap_or(base);
        match self.total {
            Some(total) => bounds.with_total(total),
            None => bounds,
        }
    }
}

/// A request body.
#[derive(Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Bytes {
        data: Bytes,
        content_type: &'static str,
    },
    /// Sent as it is read, reopened for every attempt.
    Stream(Arc<dyn StreamSource>),
}

/// A body too large to hold: each attempt opens it afresh and sends it as it is read.
pub(crate) trait StreamSource: Send + Sync {
    /// The `Content-Type` to send.
    fn content_type(&self) -> &'static str;
    /// The exact length in bytes (sent as `Content-Length`).
    fn len(&self) -> u64;
    /// Opens the body from its start.
    fn open(&self) -> BoxFuture<'static, Result<BoxStream<'static, std::io::Result<Bytes>>>>;
    /// The error for a local read failure in the middle of a body (not retried).
    fn read_failed(&self, e: &std::io::Error) -> Error;
}

/// Everything one logical call needs; the transport may send it several times.
pub(crate) struct Request<'a> {
    pub method: reqwest::Method,
    pub url: String,
    pub auth: Option<&'a Secret>,
    pub body: Body,
    pub idempotency: Idempotency,
    pub flavor: Flavor,
    pub headers: Vec<(&'static str, String)>,
}

/// A 2xx reply whose body is known to be JSON.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    /// HTTP status.
    pub status: u16,
    /// The raw JSON text, exactly as received.
    pub body: Bytes,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
    /// Which API answered, for error messages.
    pub(crate) api: &'static str,
    /// The response headers (moved out of the response, not copied).
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl JsonResponse {
    /// A reply of the Poke API with this status and JSON body.
    pub fn new(status: u16, body: Bytes, request_id: Option<String>) -> Self {
        Self {
            status,
            body,
            request_id,
            api: Flavor::Poke.api(),
            headers: reqwest::header::HeaderMap::new(),
        }
    }

    /// The response headers, names lower-cased (values that are not text are left out).
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
    }

    /// Decodes the body into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            api: self.api,
            what: short_type_name::<T>(),
            detail: e.to_string(),
            status: self.status,
        })
    }
}

/// `T`'s name without module paths (`SessionRecord`, `Vec<FileEntry>`), for messages.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::with_capacity(full.len());
    let mut ident = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            ident.clear();
        } else if c.is_alphanumeric() || c == '_' {
            ident.push(c);
        } else {
            out.push_str(&ident);
            ident.clear();
            out.push(c);
        }
    }
    out.push_str(&ident);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(
            super::short_type_name::<crate::SessionRecord>(),
            "SessionRecord"
        );
        assert_eq!(
            super::short_type_name::<Vec<crate::FileEntry>>(),
            "Vec<FileEntry>"
        );
    }
}
