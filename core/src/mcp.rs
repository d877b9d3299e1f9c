//! MCP callbacks: posting `{content, hasMore}` to Poke's callback URL and chaining `nextToken`.
//!
//! Same protocol as the official `poke.mcp`, but bounded: a 429 is retried a limited number of
//! times within a deadline, a 429 without `retryAfterMs` waits a short backoff, and every post
//! has a timeout, so a stalled callback URL cannot hang a task.

use crate::compat::json_style::JsonStyle;
use crate::config::SdkLang;
use crate::secret::{Secret, check_header_value};
use crate::{Error, Result};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Longest wait after a 429 without `retryAfterMs`.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Limits of the callback sender.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct CallbackPolicy {
    /// Posts of one callback at most, the first included (429s are retried up to this).
    pub max_attempts: u32,
    /// Longest time spent on one callback, retries included.
    pub max_total: Duration,
    /// First wait after a 429 without `retryAfterMs`; doubled each time, up to 8 s.
    pub default_backoff: Duration,
    /// Largest `retryAfterMs` honoured; longer hints wait this long.
    pub max_retry_after: Duration,
    /// Bound on one post (connect, send, reply).
    pub post_timeout: Duration,
}

impl CallbackPolicy {
    /// Posts one callback at most `n` times, the first included (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Bounds the time spent on one callback, retries included.
    #[must_use]
    pub fn with_max_total(mut self, total: Duration) -> Self {
        self.max_total = total;
        self
    }

    /// Sets the first wait after a 429 without `retryAfterMs` (doubled each time, up to 8 s).
    #[must_use]
    pub fn with_default_backoff(mut self, backoff: Duration) -> Self {
        self.default_backoff = backoff;
        self
    }

    /// Caps the `retryAfterMs` honoured.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Bounds one post (connect, send, reply).
    #[must_use]
    pub fn with_post_timeout(mut self, timeout: Duration) -> Self {
        self.post_timeout = timeout;
        self
    }
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_total: Duration::from_secs(120),
            default_backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
            post_timeout: Duration::from_secs(30),
        }
    }
}

/// The callback token and URL Poke sent with a tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackContext {
    /// `X-Poke-Callback-Token`.
    pub callback_token: Option<Secret>,
    /// `X-Poke-Callback-Url`.
    pub callback_url: Option<String>,
}

/// Reads `X-Poke-Callback-Token` / `X-Poke-Callback-Url` (any case; a later duplicate wins).
///
/// `None` only when both are absent; present-but-empty values are kept, as `poke.mcp` does.
pub fn extract_callback_context<I, K, V>(headers: I) -> Option<CallbackContext>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<String>,
{
    let mut token = None;
    let mut url = None;
    for (k, v) in headers {
        let name = k.as_ref().to_ascii_lowercase();
        match name.as_str() {
            "x-poke-callback-token" => token = Some(Secret::new(v.into())),
            "x-poke-callback-url" => url = Some(v.into()),
            _ => {}
        }
    }
    if token.is_none() && url.is_none() {
        return None;
    }
    Some(CallbackContext {
        callback_token: token,
        callback_url: url,
    })
}

/// What one callback post led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackReply {
    /// Accepted, with the token for the next callback.
    Next(Secret),
    /// Accepted without a `nextToken`: the chain ends here.
    End,
    /// Not delivered; the text says why and never contains a token.
    Failed(String),
}

/// Posts callbacks over one pooled connection set.
#[derive(Debug, Clone)]
pub struct CallbackSender {
    client: reqwest::Client,
    user_agent: String,
    style: JsonStyle,
    policy: CallbackPolicy,
}

#[derive(Serialize)]
struct CallbackBody<'a, T: ?Sized> {
    content: &'a T,
    #[serde(rename = "hasMore")]
    has_more: bool,
}

impl CallbackSender {
    /// A sender with these limits.
    pub fn new(policy: CallbackPolicy) -> Result<Self> {
        Self::for_sdk(SdkLang::Rust, env!("CARGO_PKG_VERSION"), policy)
    }

    /// A sender for the given host language (User-Agent, JSON style) and limits.
    #[doc(hidden)]
    pub fn for_sdk(lang: SdkLang, version: &str, policy: CallbackPolicy) -> Result<Self> {
        let client = crate::http::client_builder()?
            .connect_timeout(policy.post_timeout.min(Duration::from_secs(5)))
            // A redirect would turn the POST into a GET that still carries the token.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let style = match lang {
            SdkLang::Python => JsonStyle::Python,
            _ => JsonStyle::Compact,
        };
        Ok(Self {
            client,
            user_agent: lang.user_agent(version),
            style,
            policy,
        })
    }

    /// The limits in effect.
    pub fn policy(&self) -> &CallbackPolicy {
        &self.policy
    }

    /// Posts one callback, retrying 429 within the policy's bounds.
    pub async fn post<T: Serialize + ?Sized>(
        &self,
        url: &str,
        token: &Secret,
        content: &T,
        has_more: bool,
    ) -> Result<CallbackReply> {
        check_header_value("callback token", token.expose())?;
        let body =
            crate::compat::json_style::to_vec(&CallbackBody { content, has_more }, self.style)
                .map_err(|e| Error::InvalidInput {
                    field: "content",
                    reason: e.to_string(),
                })?;
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let wait = match self.post_once(url, token, body.clone()).await {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::RateLimited(hint) => hint.map_or_else(
                    || self.backoff(attempt),
                    |d| d.min(self.policy.max_retry_after),
                ),
            };
            if attempt >= self.policy.max_attempts {
                return Ok(CallbackReply::Failed(format!(
                    "rate limited {attempt} times; giving up"
                )));
            }
            if started.elapsed() + wait > self.policy.max_total {
                return Ok(CallbackReply::Failed(format!(
                    "rate limited for longer than {}s; giving up",
                    self.policy.max_total.as_secs()
                )));
            }
            tracing::info!(target: "poke.mcp", attempt, wait_ms = wait.as_millis() as u64, "callback rate limited; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::http::backoff(
            self.policy.default_backoff,
            MAX_BACKOFF,
            attempt.saturating_sub(1),
            0.0,
        )
    }

    async fn post_once(&self, url: &str, token: &Secret, body: Vec<u8>) -> Attempt {
        let Ok(auth) = crate::http::bearer_header(token) else {
            return Attempt::Done(CallbackReply::Failed("invalid token".into()));
        };
        let send = self
            .client
            .post(url)
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .body(body)
            .send();
        let exchange = async {
            let resp = send.await?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(self.policy.post_timeout, exchange).await {
            Err(_) => {
                return Attempt::Done(CallbackReply::Failed(format!(
                    "no reply within {}s",
                    self.policy.post_timeout.as_secs_f64()
                )));
            }
            Ok(Err(e)) => {
                return Attempt::Done(CallbackReply::Failed(format!(
                    "network error: {}",
                    e.without_url()
                )));
            }
            Ok(Ok(pair)) => pair,
        };
        let json: Option<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(&bytes).ok();
        match status {
            429 => Attempt::RateLimited(
                json.as_ref()
                    .and_then(|o| o.get("retryAfterMs"))
                    .and_then(serde_json::Value::as_f64)
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
            ),
            200..=299 => match json {
                None => Attempt::Done(CallbackReply::Failed(format!(
                    "HTTP {status} with a body that is not a JSON object"
                ))),
                Some(obj) => match obj.get("nextToken") {
                    Some(v) if crate::compat::pyrepr::truthy(v) => Attempt::Done(
                        CallbackReply::Next(Secret::new(crate::compat::pyrepr::py_str(v))),
                    ),
                    _ => Attempt::Done(CallbackReply::End),
                },
            },
            _ => Attempt::Done(CallbackReply::Failed(format!("HTTP {status}"))),
        }
    }
}

enum Attempt {
    Done(CallbackReply),
    RateLimited(Option<Duration>),
}

/// Whether a chain goes on after a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStep {
    /// Keep sending; the next post uses the new token.
    Continue,
    /// Stop: the server ended the chain (`failure` is `None`) or a post failed.
    Stop {
        /// Why, when a post failed.
        failure: Option<String>,
    },
}

/// One tool call's callback stream: the URL and the current token, chained by `nextToken`.
#[derive(Debug)]
pub struct CallbackChain {
    sender: CallbackSender,
    url: String,
    token: Secret,
    ended: bool,
}

impl CallbackChain {
    /// A chain starting with the token from `X-Poke-Callback-Token`.
    pub fn new(sender: CallbackSender, url: impl Into<String>, token: Secret) -> Self {
        Self {
            sender,
            url: url.into(),
            token,
            ended: false,
        }
    }

    /// Posts `content`; with `has_more` a reply without `nextToken` ends the chain.
    pub async fn send<T: Serialize + ?Sized>(
        &mut self,
        content: &T,
        has_more: bool,
    ) -> Result<ChainStep> {
        if self.ended {
            return Ok(ChainStep::Stop { failure: None });
        }
        let reply = self
            .sender
            .post(&self.url, &self.token, content, has_more)
            .await?;
        let step = match reply {
            CallbackReply::Next(token) if has_more => {
                self.token = token;
                ChainStep::Continue
            }
            CallbackReply::Next(_) | CallbackReply::End => ChainStep::Stop { failure: None },
            CallbackReply::Failed(why) => ChainStep::Stop { failure: Some(why) },
        };
        if step != ChainStep::Continue {
            self.ended = true;
        }
        Ok(step)
    }
}
