//! HTTP: the shared client, the one retry loop, timeouts, auth, TLS and error mapping.
//!
//! Every request of the crate goes through [`Http::execute`]: one retry loop, one backoff,
//! one place that builds the `Authorization` header, one set of time bounds.

mod api_error;
mod auth;
mod connector;
mod execute;
mod failure;
mod idle;
mod parsed_url;
mod request;
mod response;
mod retry;
mod retry_after;
mod timeouts;
#[cfg(feature = "rustls")]
mod tls;
mod watch;

pub(crate) use api_error::Flavor;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use api_error::build as build_api_error;
pub(crate) use auth::bearer_header;
pub(crate) use failure::map_body_error;
pub(crate) use idle::IdleBody;
pub(crate) use request::{Body, Request, StreamSource};
pub use request::{CallOptions, JsonResponse};
pub(crate) use response::{header, read_capped};
pub use retry::{Idempotency, RetryPolicy};
pub(crate) use retry::{backoff, is_retryable};
pub use retry_after::parse_retry_after;
pub(crate) use retry_after::secs_or_max;
pub use timeouts::Timeouts;
#[cfg(feature = "rustls")]
use tls::shared as shared_tls;

/// A reqwest builder with the crate's TLS settings, to add your own (proxy, headers, roots)
/// and pass to a builder's `http_client`. With the `rustls` feature reqwest has no crypto
/// provider of its own, so a plain `reqwest::Client::builder()` panics unless the process
/// installed one: start from this instead.
///
/// # Errors
///
/// [`Error::Config`](crate::Error::Config) when the TLS configuration cannot be built.
pub fn reqwest_client_builder() -> Result<reqwest::ClientBuilder> {
    client_builder()
}

/// A reqwest builder with the crate's TLS settings: the shared rustls configuration, or with
/// native-tls alone reqwest's own (platform) settings.
// Fallible only with rustls (the shared configuration can fail to build).
#[cfg_attr(not(feature = "rustls"), allow(clippy::unnecessary_wraps))]
pub(crate) fn client_builder() -> Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(shared_tls()?);
    Ok(builder)
}

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A response body as a stream of chunks.
pub(crate) type ByteStream = futures_util::stream::BoxStream<'static, Result<bytes::Bytes>>;

/// One of a client's connection slots, held while a request (or its streamed body) lasts.
pub(crate) type Slot = Option<OwnedSemaphorePermit>;

/// How long an unused pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// The shared reqwest client plus the immutable configuration.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    /// Made by the first request: building a reqwest client costs far more than the rest of
    /// a construction, and clients made per request, or whose calls all go through pools of
    /// their own (`with_own_pool`), never need this one.
    client: Arc<OnceLock<reqwest::Client>>,
    pub config: Arc<ClientConfig>,
    /// Shared with the clients `with_own_pool` makes.
    shared: Arc<Shared>,
    /// The client came from the caller (`http_client`): never rebuilt from the config.
    custom: bool,
}

/// What a client and the clients made `with_own_pool` from it share.
#[derive(Debug)]
struct Shared {
    closed: AtomicBool,
    /// The process the client was made in: its connections and runtime belong to it.
    pid: u32,
    slots: Arc<Semaphore>,
}

impl Http {
    pub fn new(config: ClientConfig, custom: Option<reqwest::Client>) -> Self {
        let custom_given = custom.is_some();
        let client = OnceLock::new();
        if let Some(given) = custom {
            let _ = client.set(given);
        }
        Self {
            client: Arc::new(client),
            custom: custom_given,
            shared: Arc::new(Shared {
                closed: AtomicBool::new(false),
                pid: std::process::id(),
                slots: Arc::new(Semaphore::new(config.max_connections.max(1))),
            }),
            config: Arc::new(config),
        }
    }

    /// The same settings (and `close()` state and slots) with a connection pool of its own.
    pub fn with_own_pool(&self) -> Self {
        // A caller's client cannot be remade: its pool is shared instead.
        let client = if self.custom {
            self.client.clone()
        } else {
            Arc::new(OnceLock::new())
        };
        Self {
            client,
            config: self.config.clone(),
            shared: self.shared.clone(),
            custom: self.custom,
        }
    }

    /// The reqwest client, made on first use.
    pub(crate) fn reqwest(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let made = Self::reqwest_client(&self.config)?;
        // Two first requests at once may both build one; the first stored wins.
        Ok(self.client.get_or_init(|| made))
    }

    fn reqwest_client(config: &ClientConfig) -> Result<reqwest::Client> {
        client_builder()?
            .connector_layer(connector::ConnectBound {
                default: config.timeouts.connect,
            })
            .pool_idle_timeout(POOL_IDLE)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
    }

    /// Fails when the client was closed, or made in another process before a `fork()`.
    pub fn check_usable(&self) -> Result<()> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(Error::Closed);
        }
        if self.shared.pid != std::process::id() {
            return Err(Error::Forked);
        }
        Ok(())
    }

    /// Waits for a free connection slot (the `pool` bound applies).
    async fn slot(&self) -> Slot {
        // The semaphore is never closed; if it were, going on without a slot is harmless.
        self.shared.slots.clone().acquire_owned().await.ok()
    }

    /// Sends `req` and returns its JSON body, retrying as the policy allows.
    pub async fn json(&self, req: &Request<'_>, opts: &CallOptions) -> Result<JsonResponse> {
        let cap = self.config.max_response_bytes;
        let api = req.flavor.api();
        self.execute(req, opts, |mut resp, _slot| async move {
            let status = resp.status().as_u16();
            let request_id = header(&resp, "x-request-id");
            let headers = std::mem::take(resp.headers_mut());
            let body = read_capped(resp, cap).await?;
            check_json(&body, api, status)?;
            Ok(JsonResponse {
                status,
                body,
                request_id,
                api,
                headers,
            })
        })
        .await
    }

    /// Refuses every later call on this client and its clones.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Relaxed);
    }
}

/// Checks that a 2xx body is one JSON value in UTF-8, without building it.
///
/// UTF-8 is checked first because skipping a string does not look inside it: `{"a":"\xE0"}`
/// passed the skip alone and reached callers that count on text (found by the `json_replies`
/// fuzz target; Python raised a bare `UnicodeDecodeError`).
pub(crate) fn check_json(body: &[u8], api: &'static str, status: u16) -> Result<()> {
    let decode = |detail: String| Error::Decode {
        api,
        what: "JSON".into(),
        detail,
        status,
    };
    let text = std::str::from_utf8(body).map_err(|e| decode(e.to_string()))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(drop)
        .map_err(|e| decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (json_replies): invalid UTF-8 inside a JSON string passed the check.
    #[test]
    fn the_reply_check_refuses_invalid_utf8_inside_strings() {
        for bad in [&b"{\"a\":\"\xE0\"}"[..], b"[\"\xFF\"]", b"\"\xC3\""] {
            let e = check_json(bad, "Pokee API", 200).err();
            assert!(
                matches!(&e, Some(Error::Decode { status: 200, detail, .. }) if detail.contains("utf-8")),
                "{bad:?}: {e:?}"
            );
        }
        for good in [&b"{\"a\":\"\xC3\xA9\"}"[..], b"1e400", b" [1] "] {
            assert!(check_json(good, "Pokee API", 200).is_ok(), "{good:?}");
        }
        assert!(check_json(b"{", "Poke API", 201).is_err());
    }
}
