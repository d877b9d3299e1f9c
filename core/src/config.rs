//! Client configuration: base URL, timeouts, retries, limits and the SDK identity.

use crate::retry::RetryPolicy;
use std::time::Duration;

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

/// Time bounds of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Bound on establishing a connection.
    pub connect: Duration,
    /// Bound on any gap between two reads of a response; `None` for no bound.
    pub read_idle: Option<Duration>,
    /// Bound on a whole JSON request (headers and body); `None` for no bound.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            read_idle: None,
            total: Some(Duration::from_secs(60)),
        }
    }
}

impl Timeouts {
    /// One number of seconds as the total bound, the connect bound kept at most that long.
    pub fn total_secs(secs: f64) -> Self {
        let total = Duration::from_secs_f64(secs.max(0.0));
        Self {
            connect: total.min(Self::default().connect),
            read_idle: None,
            total: Some(total),
        }
    }
}

/// Which host language drives the core; it picks the User-Agent and the JSON formatting.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl SdkLang {
    fn name(&self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Kotlin => "kotlin",
            Self::Swift => "swift",
        }
    }

    /// The `User-Agent` value: `poke-<lang>/<version> (<OS>)`, the OS named as Python's
    /// `platform.system()` names it.
    pub fn user_agent(&self, version: &str) -> String {
        let os = match std::env::consts::OS {
            "linux" => "Linux",
            "macos" => "Darwin",
            "windows" => "Windows",
            "freebsd" => "FreeBSD",
            "android" => "Linux",
            "ios" => "Darwin",
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
}
