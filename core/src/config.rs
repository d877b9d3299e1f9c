//! Client configuration: base URL, timeouts, retries, limits and the SDK identity.

use crate::http::{RetryPolicy, Timeouts};
use crate::secret::Secret;

/// Default base URL of the Poke developer API.
pub const DEFAULT_BASE_URL: &str = "https://poke.com/api/v1";

/// Resolves the Poke base URL: argument, then `POKE_API`, then [`DEFAULT_BASE_URL`].
///
/// Empty values count as absent and every trailing `/` is removed; a path prefix is kept.
pub fn resolve_base_url(arg: Option<&str>) -> String {
    resolve_url(arg, "POKE_API", DEFAULT_BASE_URL)
}

pub(crate) fn resolve_url(arg: Option<&str>, env: &str, default: &str) -> String {
    let chosen = arg
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| default.to_owned());
    chosen.trim_end_matches('/').to_owned()
}

/// Requests in flight at once per client, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 100;

/// Which host language drives the core; it picks the User-Agent and the JSON formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdkLang {
    /// Rust callers.
    Rust,
    /// The Python package; behaves like the official `poke` 0.2.1 on the wire.
    Python,
    /// The Kotlin package.
    Kotlin,
    /// The Swift package.
    Swift,
    /// The `poke` command line.
    Cli,
}

impl SdkLang {
    fn name(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Kotlin => "kotlin",
            Self::Swift => "swift",
            Self::Cli => "cli",
        }
    }

    /// The `User-Agent` value: `poke-<lang>/<version> (<OS>)`, the OS named as Python's
    /// `platform.system()` names it.
    pub fn user_agent(&self, version: &str) -> String {
        let os = match std::env::consts::OS {
            "linux" | "android" => "Linux",
            "macos" | "ios" => "Darwin",
            "windows" => "Windows",
            "freebsd" => "FreeBSD",
            other => other,
        };
        format!("poke-{}/{version} ({os})", self.name())
    }
}

/// Settings shared by every call of a client; built once, never changed.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL without trailing slash.
    pub base_url: String,
    /// Time bounds for JSON calls.
    pub timeouts: Timeouts,
    /// Retry policy for every call.
    pub retry: RetryPolicy,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Host language.
    pub lang: SdkLang,
    /// Largest JSON response accepted, in bytes.
    pub max_response_bytes: u64,
    /// Requests in flight at once at most (a streamed body holds its slot while read).
    pub max_connections: usize,
}

/// Settings every client builder shares; each builder wraps it and adds its own.
#[derive(Debug, Clone)]
pub(crate) struct CommonSettings {
    pub(crate) api_key: Option<Secret>,
    pub(crate) base_url: Option<String>,
    pub(crate) timeouts: Timeouts,
    pub(crate) retry: RetryPolicy,
    pub(crate) lang: SdkLang,
    pub(crate) version: String,
    pub(crate) max_response_bytes: u64,
    pub(crate) max_connections: usize,
    /// The caller's own reqwest client, used instead of one the crate builds.
    pub(crate) http_client: Option<reqwest::Client>,
}

impl Default for CommonSettings {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            lang: SdkLang::Rust,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            max_response_bytes: crate::client::DEFAULT_MAX_RESPONSE_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            http_client: None,
        }
    }
}

impl CommonSettings {
    /// The HTTP layer for a resolved base URL.
    pub(crate) fn http(&self, base_url: String) -> crate::http::Http {
        crate::http::Http::new(self.config(base_url), self.http_client.clone())
    }

    /// The immutable configuration for a resolved base URL.
    pub(crate) fn config(&self, base_url: String) -> ClientConfig {
        ClientConfig {
            base_url,
            timeouts: self.timeouts,
            retry: self.retry,
            user_agent: self.lang.user_agent(&self.version),
            lang: self.lang,
            max_response_bytes: self.max_response_bytes,
            max_connections: self.max_connections,
        }
    }
}

/// The setters of [`CommonSettings`], for a builder with a `common` field.
macro_rules! common_builder_setters {
    () => {
        /// Uses this API key instead of the environment (or credentials file).
        #[must_use]
        pub fn api_key(mut self, key: impl Into<$crate::Secret>) -> Self {
            self.common.api_key = Some(key.into());
            self
        }

        /// Uses this base URL instead of the environment (or the default).
        #[must_use]
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.common.base_url = Some(url.into());
            self
        }

        /// Sets the time bounds of JSON calls (default: connect 5 s, total 60 s).
        #[must_use]
        pub fn timeouts(mut self, timeouts: $crate::Timeouts) -> Self {
            self.common.timeouts = timeouts;
            self
        }

        /// Sets the retry policy of every call.
        #[must_use]
        pub fn retry_policy(mut self, retry: $crate::RetryPolicy) -> Self {
            self.common.retry = retry;
            self
        }

        /// Sets only the number of retries.
        #[must_use]
        pub fn max_retries(mut self, n: u32) -> Self {
            self.common.retry.max_retries = n;
            self
        }

        /// Caps the requests in flight at once (default 100); more wait for a slot, within
        /// the `pool` bound.
        #[must_use]
        pub fn max_connections(mut self, n: usize) -> Self {
            self.common.max_connections = n.max(1);
            self
        }

        /// Sends every request through this reqwest client (its TLS roots, proxy, default
        /// headers, resolver) instead of one the crate builds; start it from
        /// [`reqwest_client_builder`](crate::reqwest_client_builder). Its own connect timeout then
        /// applies instead of the per-call `connect` bound; every other bound, the retries and
        /// the `max_connections` slots work as usual.
        #[must_use]
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.common.http_client = Some(client);
            self
        }

        /// Caps the size of a JSON reply.
        #[must_use]
        pub fn max_response_bytes(mut self, n: u64) -> Self {
            self.common.max_response_bytes = n;
            self
        }

        /// Declares the host language and its package version (sets `User-Agent` and, for
        /// Python, the JSON style of request bodies). For the bindings.
        #[doc(hidden)]
        #[must_use]
        pub fn sdk(mut self, lang: $crate::binding::SdkLang, version: impl Into<String>) -> Self {
            self.common.lang = lang;
            self.common.version = version.into();
            self
        }
    };
}
pub(crate) use common_builder_setters;
