//! MCP callbacks: post `{content, hasMore}` to Poke's callback URL and chain `nextToken`,
//! with the core's bounded 429 handling.

use crate::client::{HostLanguage, HttpHeader, VERSION, secs};
use crate::error::{PokeError, invalid_input};
use serde_json::value::RawValue;
use std::fmt;
use std::sync::Arc;

/// Limits of a [`CallbackSender`]; a missing value keeps the core's default (5 posts,
/// 120 s in all, 1 s first backoff, 60 s largest `retryAfterMs`, 30 s per post).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct CallbackLimits {
    /// Posts of one callback at most, 429 retries included.
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// Longest time spent on one callback, in seconds.
    #[uniffi(default = None)]
    pub max_total_secs: Option<f64>,
    /// First wait after a 429 without `retryAfterMs`, in seconds.
    #[uniffi(default = None)]
    pub default_backoff_secs: Option<f64>,
    /// Largest `retryAfterMs` honoured, in seconds.
    #[uniffi(default = None)]
    pub max_retry_after_secs: Option<f64>,
    /// Bound on one post, in seconds.
    #[uniffi(default = None)]
    pub post_timeout_secs: Option<f64>,
}

fn to_core_policy(l: &CallbackLimits) -> Result<poke::CallbackPolicy, PokeError> {
    let mut p = poke::CallbackPolicy::default();
    if let Some(n) = l.max_attempts {
        p.max_attempts = n;
    }
    if let Some(d) = secs("limits.max_total_secs", l.max_total_secs)? {
        p.max_total = d;
    }
    if let Some(d) = secs("limits.default_backoff_secs", l.default_backoff_secs)? {
        p.default_backoff = d;
    }
    if let Some(d) = secs("limits.max_retry_after_secs", l.max_retry_after_secs)? {
        p.max_retry_after = d;
    }
    if let Some(d) = secs("limits.post_timeout_secs", l.post_timeout_secs)? {
        p.post_timeout = d;
    }
    Ok(p)
}

/// Posts callbacks over one connection pool; share one per app.
#[derive(uniffi::Object)]
pub struct CallbackSender {
    inner: poke::CallbackSender,
}

#[uniffi::export]
impl CallbackSender {
    /// A sender that says `User-Agent: poke-<language>/<version>`.
    #[uniffi::constructor(default(limits = None))]
    pub fn new(
        language: HostLanguage,
        limits: Option<CallbackLimits>,
    ) -> Result<Arc<Self>, PokeError> {
        let policy = limits
            .as_ref()
            .map(to_core_policy)
            .transpose()?
            .unwrap_or_default();
        Ok(Arc::new(Self {
            inner: poke::CallbackSender::for_sdk(language.into(), VERSION, policy)?,
        }))
    }
}

/// Whether a chain goes on after a post.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ChainStep {
    /// Keep sending; the next post uses the new token.
    Continue,
    /// Stop: the server ended the chain (`failure` is null) or a post failed.
    Stop {
        /// Why, when a post failed; never contains a token.
        failure: Option<String>,
    },
}

impl From<poke::ChainStep> for ChainStep {
    fn from(step: poke::ChainStep) -> Self {
        match step {
            poke::ChainStep::Continue => Self::Continue,
            poke::ChainStep::Stop { failure } => Self::Stop { failure },
        }
    }
}

/// One tool call's callback stream: the URL and current token, chained by `nextToken`.
#[derive(uniffi::Object)]
pub struct CallbackChain {
    inner: tokio::sync::Mutex<poke::CallbackChain>,
}

#[uniffi::export(async_runtime = "tokio")]
impl CallbackChain {
    /// A chain starting at `url` (`X-Poke-Callback-Url`) with `token`
    /// (`X-Poke-Callback-Token`).
    #[uniffi::constructor]
    pub fn new(sender: Arc<CallbackSender>, url: String, token: String) -> Arc<Self> {
        let chain = poke::CallbackChain::new(sender.inner.clone(), url, poke::Secret::new(token));
        Arc::new(Self {
            inner: tokio::sync::Mutex::new(chain),
        })
    }

    /// Posts `content_json` (any JSON); with `has_more`, a reply without `nextToken` ends the
    /// chain. After a stop, further sends post nothing and return `Stop` again.
    pub async fn send(&self, content_json: String, has_more: bool) -> Result<ChainStep, PokeError> {
        let content: Box<RawValue> = serde_json::from_str(&content_json)
            .map_err(|e| invalid_input("content_json", format!("not JSON: {e}")))?;
        let step = self.inner.lock().await.send(&content, has_more).await?;
        Ok(step.into())
    }
}

/// The callback token and URL Poke sent with a tool call. Prints without its token.
#[derive(Clone, PartialEq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct CallbackContext {
    /// `X-Poke-Callback-Token` (a secret).
    pub callback_token: Option<String>,
    /// `X-Poke-Callback-Url`.
    pub callback_url: Option<String>,
}

impl fmt::Debug for CallbackContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackContext")
            .field(
                "callback_token",
                &self.callback_token.as_ref().map(|_| "****"),
            )
            .field("callback_url", &self.callback_url)
            .finish()
    }
}

impl fmt::Display for CallbackContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Reads `X-Poke-Callback-Token` / `X-Poke-Callback-Url` from request headers (any case; a
/// later duplicate wins); null when both are absent.
#[uniffi::export]
pub fn extract_callback_context(headers: Vec<HttpHeader>) -> Option<CallbackContext> {
    poke::extract_callback_context(headers.into_iter().map(|h| (h.name, h.value))).map(|c| {
        CallbackContext {
            callback_token: c.callback_token.map(|t| t.expose().to_owned()),
            callback_url: c.callback_url,
        }
    })
}

#[cfg(test)]
#[path = "tests/mcp.rs"]
mod tests;
