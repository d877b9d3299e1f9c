//! `PokeeClient`: the Pokee Enterprise sessions API over the shared transport.

use super::records::{
    BulkDelete, BulkDeleteResult, CreateSession, SessionRecord, ToolResultAck, Usage,
};
use crate::config::{ClientConfig, CommonSettings, common_builder_setters, resolve_url};
use crate::credentials::resolve_key;
use crate::http::{Body, CallOptions, Flavor, Http, Idempotency, Request};
use crate::secret::Secret;
use crate::turn::ResumePolicy;
use crate::{Error, Result};
use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

/// A Pokee Enterprise client; cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct PokeeClient {
    pub(crate) inner: Arc<Inner>,
    /// The options of every call made through this handle ([`PokeeClient::with_options`]).
    pub(crate) opts: CallOptions,
}

pub(crate) struct Inner {
    pub(crate) http: Http,
    pub(crate) api_key: Secret,
    pub(crate) stream_read_idle: Duration,
    pub(crate) transfer_read_idle: Duration,
    pub(crate) resume: ResumePolicy,
}

impl fmt::Debug for PokeeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PokeeClient")
            .field("base_url", &self.inner.http.config.base_url)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PokeeClient`]; the environment is read once, in [`PokeeClientBuilder::build`].
#[derive(Debug, Clone)]
pub struct PokeeClientBuilder {
    common: CommonSettings,
    stream_read_idle: Duration,
    transfer_read_idle: Duration,
    resume: ResumePolicy,
}

impl Default for PokeeClientBuilder {
    fn default() -> Self {
        Self {
            common: CommonSettings::default(),
            stream_read_idle: Duration::from_secs(60),
            transfer_read_idle: Duration::from_secs(30),
            resume: ResumePolicy::default(),
        }
    }
}

impl PokeeClientBuilder {
    common_builder_setters!();

    /// Longest silence on a turn stream before it is treated as dropped (default 60 s).
    #[must_use]
    pub fn stream_read_idle(mut self, idle: Duration) -> Self {
        self.stream_read_idle = idle;
        self
    }

    /// Longest silence during a file download or upload (default 30 s).
    #[must_use]
    pub fn transfer_read_idle(mut self, idle: Duration) -> Self {
        self.transfer_read_idle = idle;
        self
    }

    /// Sets how dropped turn streams are resumed.
    #[must_use]
    pub fn resume_policy(mut self, policy: ResumePolicy) -> Self {
        self.resume = policy;
        self
    }

    /// Resolves the key and base URL and builds the client.
    pub fn build(self) -> Result<PokeeClient> {
        let key_arg = self.common.api_key.as_ref().map(Secret::expose);
        let api_key = resolve_key(key_arg, "POKEE_KEY", false).ok_or(Error::MissingSetting {
            what: "Pokee API key",
            env: "POKEE_KEY",
        })?;
        let base_url = resolve_url(self.common.base_url.as_deref(), "POKEE_API", "");
        if base_url.is_empty() {
            return Err(Error::MissingSetting {
                what: "Pokee API URL",
                env: "POKEE_API",
            });
        }
        match reqwest::Url::parse(&base_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(Error::Config(format!(
                    "invalid Pokee API URL {base_url:?}: expected http:// or https://"
                )));
            }
        }
        Ok(PokeeClient {
            inner: Arc::new(Inner {
                http: self.common.http(base_url),
                api_key,
                stream_read_idle: self.stream_read_idle,
                transfer_read_idle: self.transfer_read_idle,
                resume: self.resume,
            }),
            opts: CallOptions::default(),
        })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An id as one URL path segment; refuses values a URL parser would resolve as `.`/`..`.
pub(crate) fn id_segment(field: &'static str, id: &str) -> Result<String> {
    let reason = if id.is_empty() {
        "must not be empty"
    } else if id == "." || id == ".." {
        "must not be '.' or '..'"
    } else if id.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(encode_component(id));
    };
    Err(Error::InvalidInput {
        field,
        reason: reason.into(),
    })
}

pub(crate) fn json_body<T: Serialize + ?Sized>(value: &T) -> Result<Body> {
    serde_json::to_vec(value)
        .map(|v| Body::Json(Bytes::from(v)))
        .map_err(|e| Error::InvalidInput {
            field: "body",
            reason: e.to_string(),
        })
}

impl PokeeClient {
    /// Starts a builder with the defaults.
    pub fn builder() -> PokeeClientBuilder {
        PokeeClientBuilder::default()
    }

    /// A client from the environment (`POKEE_KEY`, `POKEE_API`).
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    /// Closes the client: later calls on it (and its clones) fail with [`Error::Closed`].
    pub fn close(&self) {
        self.inner.http.close();
    }

    /// The same client (sharing its connections) whose calls all use `opts`: time bounds,
    /// retries, an idempotency key. `client.with_options(opts).get_session(id)` is a call with
    /// per-call options.
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> PokeeClient {
        PokeeClient {
            inner: self.inner.clone(),
            opts,
        }
    }

    /// The options of this handle's calls.
    pub fn options(&self) -> &CallOptions {
        &self.opts
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.http.config.base_url
    }

    /// The configuration of JSON calls.
    #[doc(hidden)]
    pub fn config(&self) -> &ClientConfig {
        &self.inner.http.config
    }

    /// How dropped turn streams are resumed.
    pub fn resume_policy(&self) -> &ResumePolicy {
        &self.inner.resume
    }

    /// A client with the same settings (and `close()` state) but a connection pool of its
    /// own. A connection belongs to the runtime that opened it: a caller that drives a
    /// runtime of its own (one per blocking thread, say) keeps every step of a call there.
    pub fn with_own_pool(&self) -> Result<PokeeClient> {
        Ok(PokeeClient {
            inner: Arc::new(Inner {
                http: self.inner.http.with_own_pool(),
                api_key: self.inner.api_key.clone(),
                stream_read_idle: self.inner.stream_read_idle,
                transfer_read_idle: self.inner.transfer_read_idle,
                resume: self.inner.resume,
            }),
            opts: self.opts.clone(),
        })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.inner.http
    }

    /// The bounds of a file transfer: no total, the transfer idle bound on reads and writes.
    pub(crate) fn transfer_timeouts(&self) -> crate::http::Timeouts {
        let idle = self.inner.transfer_read_idle;
        self.opts.resolve(
            self.config()
                .timeouts
                .with_read(idle)
                .with_write(idle)
                .with_total(None),
        )
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.http.config.base_url)
    }

    pub(crate) fn request(
        &self,
        method: Method,
        url: String,
        body: Body,
        idempotency: Idempotency,
    ) -> Request<'_> {
        Request {
            method,
            url,
            auth: Some(&self.inner.api_key),
            body,
            idempotency,
            flavor: Flavor::Pokee,
            headers: Vec::new(),
        }
    }

    pub(crate) async fn call_json<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<T> {
        self.call_json_with(req, &self.opts).await
    }

    pub(crate) async fn call_json_with<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
        opts: &CallOptions,
    ) -> Result<T> {
        self.inner.http.json(&req, opts).await?.json()
    }

    pub(crate) async fn call_empty(&self, req: Request<'_>) -> Result<()> {
        self.inner
            .http
            .execute(&req, &self.opts, |_resp, _slot| async { Ok(()) })
            .await
    }

    pub(crate) fn session_url(&self, session_id: &str, rest: &str) -> Result<String> {
        let sid = id_segment("session_id", session_id)?;
        Ok(self.url(&format!("/v1/sessions/{sid}{rest}")))
    }

    /// `GET /health` (no auth): the server's liveness answer.
    pub async fn health(&self) -> Result<serde_json::Value> {
        let mut req = self.request(
            Method::GET,
            self.url("/health"),
            Body::Empty,
            Idempotency::Safe,
        );
        req.auth = None;
        self.call_json(req).await
    }

    /// Creates a session (`POST /v1/sessions`).
    pub async fn create_session(&self, params: &CreateSession) -> Result<SessionRecord> {
        // No idempotency key is documented for this endpoint: a repeated POST could create
        // a second session, so it is only retried when it surely did not reach the server.
        let req = self.request(
            Method::POST,
            self.url("/v1/sessions"),
            json_body(params)?,
            Idempotency::Unsafe,
        );
        self.call_json(req).await
    }

    /// Lists the tenant's sessions.
    pub async fn list_sessions(&self) -> Result<Vec<SessionRecord>> {
        let req = self.request(
            Method::GET,
            self.url("/v1/sessions"),
            Body::Empty,
            Idempotency::Safe,
        );
        self.call_json(req).await
    }

    /// Reads one session record (busy flag and progress metadata).
    pub async fn get_session(&self, session_id: &str) -> Result<SessionRecord> {
        let url = self.session_url(session_id, "")?;
        self.call_json(self.request(Method::GET, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// Destroys a session; its workspace files stay.
    pub async fn delete_session(&self, session_id: &str) -> Result<()> {
        let url = self.session_url(session_id, "")?;
        self.call_empty(self.request(Method::DELETE, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// Destroys every session matching the filters (`DELETE /v1/sessions`).
    pub async fn delete_sessions(&self, filter: &BulkDelete) -> Result<BulkDeleteResult> {
        let mut query = Vec::new();
        if let Some(status) = &filter.status {
            query.push(format!("status={}", encode_component(status)));
        }
        if let Some(age) = &filter.older_than {
            query.push(format!("older_than={}", encode_component(age)));
        }
        let mut url = self.url("/v1/sessions");
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        self.call_json(self.request(Method::DELETE, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// Answers a `tool_call.requested` event; `output` is usually a string.
    pub async fn submit_tool_result<T: Serialize + ?Sized>(
        &self,
        session_id: &str,
        call_id: &str,
        output: &T,
    ) -> Result<ToolResultAck> {
        let url = self.session_url(session_id, "/tool_results")?;
        let output = serde_json::to_value(output).map_err(|e| Error::InvalidInput {
            field: "output",
            reason: e.to_string(),
        })?;
        let body = json_body(&serde_json::json!({ "call_id": call_id, "output": output }))?;
        // A repeat would be refused with 409 "already answered": never resend once it may
        // have arrived.
        self.call_json(self.request(Method::POST, url, body, Idempotency::Unsafe))
            .await
    }

    /// Rate-limit usage and credit balance.
    pub async fn usage(&self) -> Result<Usage> {
        self.call_json(self.request(
            Method::GET,
            self.url("/v1/usage"),
            Body::Empty,
            Idempotency::Safe,
        ))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode_component("sess_a1-B.~"), "sess_a1-B.~");
        assert_eq!(encode_component("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
        assert!(id_segment("session_id", "..").is_err());
        assert!(id_segment("session_id", "").is_err());
        assert!(id_segment("session_id", "a\nb").is_err());
        assert_eq!(
            id_segment("session_id", "a/b").ok().as_deref(),
            Some("a%2Fb")
        );
    }

    #[test]
    fn builder_requires_key_and_url_and_hides_the_key() {
        let err = PokeeClient::builder()
            .api_key("pk_canary_secret")
            .base_url("ftp://nope")
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("invalid Pokee API URL"), "{err}");
        let client = PokeeClient::builder()
            .api_key("pk_canary_secret")
            .base_url("http://127.0.0.1:9/")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        let shown = format!("{client:?}");
        assert!(!shown.contains("pk_canary"), "{shown}");
        let builder = format!("{:?}", PokeeClient::builder().api_key("pk_canary_secret"));
        assert!(!builder.contains("pk_canary"), "{builder}");
    }
}
