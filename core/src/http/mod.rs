//! HTTP: the shared client, the one retry loop, timeouts, auth, TLS and error mapping.

mod api_error;
mod auth;
mod execute;
mod failure;
mod idle;
mod request;
mod response;
mod retry;
mod retry_after;
mod timeouts;
mod tls;

pub(crate) use api_error::Flavor;
#[cfg(test)]
pub(crate) use api_error::build as build_api_error;
pub(crate) use auth::bearer_header;
pub(crate) use failure::{map_body_error, map_send_error};
pub(crate) use idle::IdleBody;
pub(crate) use request::{Body, Request};
pub use request::{CallOptions, JsonResponse};
pub(crate) use response::{error_from_response, header, read_capped};
pub(crate) use retry::{Decision, retry_outcome};
pub use retry::{Idempotency, RetryPolicy};
pub use retry_after::parse_retry_after;
pub use timeouts::Timeouts;

/// A response body as a stream of chunks.
pub(crate) type ByteStream = futures_util::stream::BoxStream<'static, Result<bytes::Bytes>>;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use std::sync::Arc;

/// The shared reqwest client plus the immutable configuration.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    pub config: Arc<ClientConfig>,
    /// Shared with the clients `with_own_pool` makes.
    tls: Arc<rustls::ClientConfig>,
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl Http {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let tls = Arc::new(tls::client_config()?);
        Ok(Self {
            client: Self::reqwest_client(&config, &tls)?,
            config: Arc::new(config),
            tls,
            closed: Arc::default(),
        })
    }

    /// The same settings (and `close()` state) with a connection pool of its own.
    pub fn with_own_pool(&self) -> Result<Self> {
        Ok(Self {
            client: Self::reqwest_client(&self.config, &self.tls)?,
            config: self.config.clone(),
            tls: self.tls.clone(),
            closed: self.closed.clone(),
        })
    }

    fn reqwest_client(
        config: &ClientConfig,
        tls: &rustls::ClientConfig,
    ) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .connect_timeout(config.timeouts.connect)
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
    }

    /// Sends `req` and returns its JSON body, retrying as the policy allows.
    pub async fn json(&self, req: &Request<'_>, opts: &CallOptions) -> Result<JsonResponse> {
        let cap = self.config.max_response_bytes;
        self.execute(req, opts, |resp| async move {
            let status = resp.status().as_u16();
            let request_id = header(&resp, "x-request-id");
            let body = read_capped(resp, cap).await?;
            serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| Error::Decode {
                what: "JSON",
                detail: e.to_string(),
                status,
            })?;
            Ok(JsonResponse {
                status,
                body,
                request_id,
            })
        })
        .await
    }

    /// Refuses every later call on this client and its clones.
    pub fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
