//! The client: one pooled HTTP connection set, the resolved credentials and configuration.

use crate::config::{ClientConfig, SdkLang, Timeouts, resolve_base_url};
use crate::credentials::resolve_api_key;
use crate::json_style::JsonStyle;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::transport::Http;
use crate::{Error, Result};
use std::fmt;

/// Default cap on a JSON reply, in bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// A Poke API client. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) http: Http,
    pub(crate) api_key: Secret,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.http.config.base_url)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]; the environment is read once, in [`ClientBuilder::build`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    api_key: Option<Secret>,
    base_url: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    lang: SdkLang,
    version: String,
    max_response_bytes: u64,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            lang: SdkLang::Rust,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl ClientBuilder {
    /// Uses this API key instead of `POKE_API_KEY` or the credentials file.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Uses this base URL instead of `POKE_API` or the default.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Sets the time bounds of every call.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets the retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets only the number of retries.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }

    /// Caps the size of a JSON reply.
    pub fn max_response_bytes(mut self, n: u64) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Declares the host language and its package version (sets `User-Agent` and JSON style).
    pub fn sdk(mut self, lang: SdkLang, version: impl Into<String>) -> Self {
        self.lang = lang;
        self.version = version.into();
        self
    }

    /// Resolves the key and base URL and builds the client.
    pub fn build(self) -> Result<Client> {
        let key_arg = self.api_key.as_ref().map(Secret::expose);
        let api_key = resolve_api_key(key_arg)?;
        let base_url = resolve_base_url(self.base_url.as_deref());
        let config = ClientConfig {
            base_url,
            timeouts: self.timeouts,
            retry: self.retry,
            user_agent: self.lang.user_agent(&self.version),
            lang: self.lang,
            max_response_bytes: self.max_response_bytes,
        };
        Ok(Client {
            http: Http::new(config)?,
            api_key,
        })
    }
}

impl Client {
    /// Starts a builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the environment (`POKE_API_KEY`, `POKE_API`, credentials file).
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    /// Closes the client: later calls on it (and its clones) fail with [`Error::Closed`].
    pub fn close(&self) {
        self.http.close();
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> &str {
        &self.http.config.base_url
    }

    /// The resolved API key.
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The configuration in effect.
    pub fn config(&self) -> &ClientConfig {
        &self.http.config
    }

    pub(crate) fn json_style(&self) -> JsonStyle {
        match self.http.config.lang {
            SdkLang::Python => JsonStyle::Python,
            _ => JsonStyle::Compact,
        }
    }

    pub(crate) fn encode<T: serde::Serialize + ?Sized>(&self, value: &T) -> Result<bytes::Bytes> {
        crate::json_style::to_vec(value, self.json_style())
            .map(bytes::Bytes::from)
            .map_err(|e| Error::InvalidInput {
                field: "body",
                reason: e.to_string(),
            })
    }

    /// The headers the official SDK would send with `token` (or the API key).
    pub fn headers(&self, token: Option<&str>) -> Vec<(String, String)> {
        let token = token
            .filter(|t| !t.is_empty())
            .unwrap_or(self.api_key.expose());
        vec![
            ("Authorization".into(), format!("Bearer {token}")),
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), self.http.config.user_agent.clone()),
        ]
    }
}
