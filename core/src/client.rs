//! The client: one pooled HTTP connection set, the resolved credentials and configuration.

use crate::compat::json_style::JsonStyle;
use crate::config::{
    ClientConfig, CommonSettings, SdkLang, common_builder_setters, resolve_base_url,
};
use crate::credentials::resolve_api_key;
use crate::http::{CallOptions, Http};
use crate::secret::Secret;
use crate::{Error, Result};
use std::fmt;

/// Default cap on a JSON reply, in bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// A Poke API client. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) http: Http,
    pub(crate) api_key: Secret,
    /// The options of every call made through this handle ([`Client::with_options`]).
    pub(crate) opts: CallOptions,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.http.config.base_url)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]; the environment is read once, in [`ClientBuilder::build`].
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    common: CommonSettings,
}

impl ClientBuilder {
    common_builder_setters!();

    /// Resolves the key and base URL and builds the client.
    pub fn build(self) -> Result<Client> {
        let key_arg = self.common.api_key.as_ref().map(Secret::expose);
        let api_key = resolve_api_key(key_arg)?;
        let base_url = resolve_base_url(self.common.base_url.as_deref());
        Ok(Client {
            http: self.common.http(base_url),
            api_key,
            opts: CallOptions::default(),
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

    /// A client with the same settings (and `close()` state) but a connection pool of its
    /// own. A connection belongs to the runtime that opened it: a caller that drives a
    /// runtime of its own (one per blocking thread, say) keeps every step of a call there.
    pub fn with_own_pool(&self) -> Result<Self> {
        Ok(Self {
            http: self.http.with_own_pool(),
            api_key: self.api_key.clone(),
            opts: self.opts.clone(),
        })
    }

    /// The same client (sharing its connections) whose calls all use `opts`: time bounds,
    /// retries. `client.with_options(CallOptions::new().timeout(d)).send_message("hi")` is a
    /// call with its own bound.
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> Client {
        Client {
            http: self.http.clone(),
            api_key: self.api_key.clone(),
            opts,
        }
    }

    /// Closes the client: later calls on it (and its clones) fail with [`Error::Closed`].
    pub fn close(&self) {
        self.http.close();
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> &str {
        &self.http.config.base_url
    }

    /// The resolved API key (for the bindings).
    #[doc(hidden)]
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The configuration in effect (for the bindings).
    #[doc(hidden)]
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
        crate::compat::json_style::to_vec(value, self.json_style())
            .map(bytes::Bytes::from)
            .map_err(|e| Error::InvalidInput {
                field: "body",
                reason: e.to_string(),
            })
    }

    /// The headers the official SDK would send with `token` (or the API key): they carry the
    /// secret, so they are for the bindings only.
    #[doc(hidden)]
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
