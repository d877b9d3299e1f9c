//! The one retry loop every request goes through.

use super::Http;
use super::failure::map_reqwest;
use super::request::{Body, CallOptions, Request};
use super::response::error_from_response;
use super::retry::{Decision, RetryPolicy, classify};
use crate::error::{Error, Result, TimeoutPhase};
use crate::secret::check_header_value;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use std::future::Future;
use std::time::Instant;

impl Http {
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
