//! `AccountClient`: the login token, the base URL and the shared transport.

use crate::config::{ClientConfig, SdkLang};
use crate::config::{CommonSettings, resolve_base_url};
use crate::credentials::load_credentials_token;
use crate::http::{Body, CallOptions, Flavor, Http, Idempotency, Request};
use crate::secret::Secret;
use crate::{Error, Result, RetryPolicy, Timeouts};
use reqwest::Method;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;

/// A client of the account API; cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct AccountClient {
    pub(crate) http: Http,
    token: Option<Arc<Secret>>,
    opts: CallOptions,
}

impl fmt::Debug for AccountClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountClient")
            .field("base_url", &self.http.config.base_url)
            .field("logged_in", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds an [`AccountClient`]; the environment and the credentials file are read in
/// [`AccountClientBuilder::build`].
#[derive(Debug, Clone, Default)]
pub struct AccountClientBuilder {
    common: CommonSettings,
    token: Option<Secret>,
    no_token: bool,
}

impl AccountClientBuilder {
    /// Uses this login token instead of the credentials file.
    #[must_use]
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Builds a client without a token (for logging in): the credentials file is not read.
    #[must_use]
    pub fn anonymous(mut self) -> Self {
        self.no_token = true;
        self
    }

    /// Uses this base URL instead of `POKE_API` (or the default).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.common.base_url = Some(url.into());
        self
    }

    /// Sets the time bounds of every call (default: connect 5 s, total 60 s).
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.common.timeouts = timeouts;
        self
    }

    /// Sets the retry policy of every call.
    #[must_use]
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.common.retry = retry;
        self
    }

    /// Declares the caller and its version (sets `User-Agent`). For the `poke` command.
    #[doc(hidden)]
    #[must_use]
    pub fn sdk(mut self, lang: SdkLang, version: impl Into<String>) -> Self {
        self.common.lang = lang;
        self.common.version = version.into();
        self
    }

    /// Resolves the base URL and the token, and builds the client.
    pub fn build(self) -> Result<AccountClient> {
        let token = match (self.no_token, self.token) {
            (true, _) => None,
            (false, Some(t)) => Some(t),
            (false, None) => load_credentials_token().map(Secret::new),
        }
        .filter(|t| !t.is_empty());
        let base_url = resolve_base_url(self.common.base_url.as_deref());
        Ok(AccountClient {
            http: self.common.http(base_url),
            token: token.map(Arc::new),
            opts: CallOptions::default(),
        })
    }
}

impl AccountClient {
    /// Starts a builder with the defaults.
    pub fn builder() -> AccountClientBuilder {
        AccountClientBuilder::default()
    }

    /// True when a login token was found (or given).
    pub fn is_logged_in(&self) -> bool {
        self.token.is_some()
    }

    /// The same client (sharing its connections) whose calls all use `opts`.
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> AccountClient {
        AccountClient {
            http: self.http.clone(),
            token: self.token.clone(),
            opts,
        }
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> &str {
        &self.http.config.base_url
    }

    /// The configuration in effect (for bindings).
    #[doc(hidden)]
    pub fn config(&self) -> &ClientConfig {
        &self.http.config
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.http.config.base_url)
    }

    /// A request with the login token, or an error when there is none.
    pub(crate) fn authed(
        &self,
        method: Method,
        path: &str,
        body: Body,
        idempotency: Idempotency,
    ) -> Result<Request<'_>> {
        let token = self.token.as_deref().ok_or(Error::MissingApiKey)?;
        let mut req = self.anonymous(method, path, body, idempotency);
        req.auth = Some(token);
        Ok(req)
    }

    /// A request without credentials (the two login calls).
    pub(crate) fn anonymous(
        &self,
        method: Method,
        path: &str,
        body: Body,
        idempotency: Idempotency,
    ) -> Request<'_> {
        Request {
            method,
            url: self.url(path),
            auth: None,
            body,
            idempotency,
            flavor: Flavor::Poke,
            headers: Vec::new(),
        }
    }

    pub(crate) async fn call_json<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<T> {
        self.http.json(&req, &self.opts).await?.json()
    }

    /// A call whose reply body is not read; returns the 2xx status.
    pub(crate) async fn call_status(&self, req: Request<'_>) -> Result<u16> {
        self.http
            .execute(&req, &self.opts, |resp, _slot| async move {
                Ok(resp.status().as_u16())
            })
            .await
    }
}
