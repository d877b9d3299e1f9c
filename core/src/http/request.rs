//! What one logical call sends: method, URL, auth, body, idempotency, per-call options.

use crate::error::{Error, Result};
use crate::http::api_error::Flavor;
use crate::http::retry::Idempotency;
use crate::http::timeouts::Timeouts;
use crate::secret::Secret;
use bytes::Bytes;

/// Per-call overrides of the client's settings.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Replaces the client's time bounds for this call.
    pub timeouts: Option<Timeouts>,
    /// Replaces the client's retry count for this call.
    pub max_retries: Option<u32>,
    /// The `Idempotency-Key` to send (a fresh UUIDv4 otherwise, reused on every attempt).
    pub idempotency_key: Option<String>,
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Bytes { data: Bytes, content_type: String },
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
}

impl JsonResponse {
    /// Decodes the body into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            what: std::any::type_name::<T>(),
            detail: e.to_string(),
            status: self.status,
        })
    }
}
