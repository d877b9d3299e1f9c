//! One HTTP exchange with retries: builds the request, sends it, reads the reply, maps errors.

use crate::api_error::{self, Flavor};
use crate::config::{ClientConfig, Timeouts};
use crate::error::{Error, Result, TimeoutPhase};
use crate::retry::{Decision, Idempotency, Outcome, RetryPolicy, parse_retry_after};
use crate::secret::{Secret, check_header_value};
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Per-call overrides of the client's settings.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Replaces the client's time bounds for this call.
    pub timeouts: Option<Timeouts>,
    /// Replaces the client's retry count for this call.
    pub max_retries: Option<u32>,
    /// The `Idempotency-Key` to send (a fresh UUIDv4 otherwise, reused on every attempt).
    pub idempotency_key: Option<String>,
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Bytes { data: Bytes, content_type: String },
}

/// Everything one logical call needs; the transport may send it several times.
pub(crate) struct Request<'a> {
    pub method: reqwest::Method,
    pub url: String,
    pub auth: Option<&'a Secret>,
    pub body: Body,
    pub idempotency: Idempotency,
    pub flavor: Flavor,
    pub headers: Vec<(&'static str, String)>,
}

/// The shared reqwest client plus the immutable configuration.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    pub config: Arc<ClientConfig>,
    /// Shared with the clients `with_own_pool` makes.
    tls: Arc<rustls::ClientConfig>,
    closed: Arc<std::sync::atomic::AtomicBool>,
}

/// A 2xx reply whose body is known to be JSON.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    /// HTTP status.
    pub status: u16,
    /// The raw JSON text, exactly as received.
    pub body: Bytes,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
}

impl JsonResponse {
    /// Decodes the body into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            what: std::any::type_name::<T>(),
            detail: e.to_string(),
            status: self.status,
        })
    }
}

impl Http {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let tls = Arc::new(crate::tls::client_config()?);
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

    /// Sends `req` with retries; `finish` turns a 2xx response into the result.
    pub async fn execute<T, F, Fut>(
        &self,
        req: &Request<'_>,
        opts: &CallOptions,
        finish: F,
    ) -> Result<T>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if self.closed.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Closed);
        }
        let url = reqwest::Url::parse(&req.url).map_err(|e| Error::InvalidInput {
            field: "url",
            reason: format!("{e}: {:?}", req.url),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidInput {
                field: "url",
                reason: format!("unknown url type: {:?}", req.url),
            });
        }
        let auth = match req.auth {
            Some(secret) => {
                check_header_value("token", secret.expose())?;
                let mut v = HeaderValue::from_str(&format!("Bearer {}", secret.expose())).map_err(
                    |_| Error::InvalidInput {
                        field: "token",
                        reason: "not a valid header value".into(),
                    },
                )?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        for (name, value) in &req.headers {
            check_header_value(name, value)?;
        }
        let idem_key = match &opts.idempotency_key {
            Some(k) => {
                check_header_value("idempotency_key", k)?;
                Some(k.clone())
            }
            None if req.method != reqwest::Method::GET => Some(uuid::Uuid::new_v4().to_string()),
            None => None,
        };
        let timeouts = opts.timeouts.unwrap_or(self.config.timeouts);
        let policy = RetryPolicy {
            max_retries: opts.max_retries.unwrap_or(self.config.retry.max_retries),
            ..self.config.retry
        };

        let mut attempt = 0u32;
        loop {
            let mut rb = self
                .client
                .request(req.method.clone(), url.clone())
                .header(USER_AGENT, &self.config.user_agent);
            if let Some(v) = &auth {
                rb = rb.header(AUTHORIZATION, v.clone());
            }
            rb = match &req.body {
                Body::Empty => rb,
                Body::Json(b) => rb.header(CONTENT_TYPE, "application/json").body(b.clone()),
                Body::Bytes { data, content_type } => {
                    rb.header(CONTENT_TYPE, content_type).body(data.clone())
                }
            };
            if let Some(k) = &idem_key {
                rb = rb.header("idempotency-key", k);
            }
            for (name, value) in &req.headers {
                rb = rb.header(*name, value);
            }
            if attempt > 0 {
                rb = rb.header("x-poke-retry-count", attempt.to_string());
            }
            let started = Instant::now();
            let once = async {
                let resp = rb.send().await.map_err(map_reqwest)?;
                if resp.status().is_success() {
                    finish(resp).await
                } else {
                    Err(error_from_response(resp, req.flavor).await)
                }
            };
            let result = match timeouts.total {
                Some(limit) => {
                    tokio::time::timeout(limit, once)
                        .await
                        .unwrap_or(Err(Error::Timeout {
                            phase: TimeoutPhase::Total,
                            after: limit,
                        }))
                }
                None => once.await,
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let outcome = match &result {
                Ok(_) => None,
                Err(e) => classify(e),
            };
            let decision = match outcome {
                None => Decision::Return,
                Some(o) => policy.decide(req.idempotency, o, attempt, fastrand::f64()),
            };
            tracing::debug!(
                target: "poke",
                method = %req.method,
                url = %redact_url(&url),
                status = result.as_ref().err().and_then(Error::status).unwrap_or(200),
                ok = result.is_ok(),
                attempt,
                elapsed_ms,
                "request"
            );
            match decision {
                Decision::Return => return result,
                Decision::Retry(wait) => {
                    tracing::info!(
                        target: "poke",
                        method = %req.method,
                        url = %redact_url(&url),
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = %result.as_ref().err().map(ToString::to_string).unwrap_or_default(),
                        "retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// The URL without its query string, which may carry tokens.
fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_password(None);
    u.to_string()
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn classify(e: &Error) -> Option<Outcome> {
    match e {
        Error::Api(api) => {
            let should_retry = api
                .headers
                .iter()
                .find(|(k, _)| k == "x-should-retry")
                .and_then(|(_, v)| match v.trim() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                });
            Some(Outcome::Status {
                status: api.status,
                should_retry,
                retry_after: api.retry_after,
            })
        }
        Error::Connection {
            maybe_sent: false, ..
        }
        | Error::Timeout {
            phase: TimeoutPhase::Connect,
            ..
        } => Some(Outcome::NotSent),
        Error::Connection { .. } | Error::Timeout { .. } => Some(Outcome::MaybeSent),
        _ => None,
    }
}

/// Reads a body, failing once it passes `cap` bytes.
pub(crate) async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Bytes> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(Error::BodyTooLarge { limit: cap });
    }
    let mut buf = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(map_body_error)? {
        if buf.len() as u64 + chunk.len() as u64 > cap {
            return Err(Error::BodyTooLarge { limit: cap });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Builds the API error of a non-2xx response, reading (a capped part of) its body.
pub(crate) async fn error_from_response(resp: reqwest::Response, flavor: Flavor) -> Error {
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let retry_after =
        parse_retry_after(get("retry-after-ms"), get("retry-after"), SystemTime::now());
    let body = read_capped(resp, 64 * 1024).await.unwrap_or_default();
    Error::Api(Box::new(api_error::build(
        flavor,
        status,
        headers,
        &body,
        retry_after,
    )))
}

pub(crate) fn map_body_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            phase: TimeoutPhase::ReadIdle,
            after: std::time::Duration::ZERO,
        };
    }
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent: true,
    }
}

fn map_reqwest(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_connect() {
        if e.is_timeout() {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: std::time::Duration::ZERO,
            };
        }
        return Error::Connection {
            reason: reason_of(&e),
            maybe_sent: false,
        };
    }
    if e.is_builder() {
        return Error::InvalidInput {
            field: "request",
            reason: reason_of(&e),
        };
    }
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent: true,
    }
}

/// The innermost cause, worded like Python's socket errors where there is an OS error code.
fn reason_of(e: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost: &(dyn std::error::Error + 'static) = e;
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(code) = io.raw_os_error() {
                let text = std::io::Error::from_raw_os_error(code).to_string();
                let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
                return format!("[Errno {code}] {text}");
            }
        }
        let text = err.to_string();
        if text.contains("connection closed before message completed") {
            return "Remote end closed connection without response".into();
        }
        innermost = err;
        cur = err.source();
    }
    innermost.to_string()
}

/// The `Authorization: Bearer …` value for `secret`, marked sensitive, for callers that build
/// their own requests (streamed uploads).
pub(crate) fn bearer_header(secret: &Secret) -> Result<HeaderValue> {
    check_header_value("token", secret.expose())?;
    let mut v = HeaderValue::from_str(&format!("Bearer {}", secret.expose())).map_err(|_| {
        Error::InvalidInput {
            field: "token",
            reason: "not a valid header value".into(),
        }
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Maps a failed `send()` the way [`Http::execute`] does.
pub(crate) fn map_send_error(e: reqwest::Error) -> Error {
    map_reqwest(e)
}

/// How the retry policy sees an error, the way [`Http::execute`] classifies it.
pub(crate) fn retry_outcome(e: &Error) -> Option<Outcome> {
    classify(e)
}
