//! The one retry loop every request goes through, and one attempt of it.
//!
//! The loop owns the `total` bound (the whole call: attempts and the waits between them) and
//! asks the retry policy after each failed attempt. An attempt takes a connection slot, sends
//! the request and hands a 2xx response to the caller's `finish`; its [`Watch`] fires the
//! pool, write and read bounds, and the connector the connect bound.

use super::auth::bearer_header;
use super::failure::map_reqwest;
use super::request::{Body, CallOptions, Request, StreamSource};
use super::response::error_from_response;
use super::retry::{Decision, RetryPolicy, classify};
use super::timeouts::Timeouts;
use super::watch::Watch;
use super::{Http, Slot};
use crate::error::{Error, Result, TimeoutPhase};
use crate::secret::check_header_value;
use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::time::Instant;

/// A call checked and resolved once, then sent by each attempt.
struct Prepared<'r, 'a> {
    req: &'r Request<'a>,
    url: reqwest::Url,
    auth: Option<HeaderValue>,
    idempotency_key: Option<String>,
    timeouts: Timeouts,
    policy: RetryPolicy,
    /// An attempt needs a watch: some phase is bounded, or the connect bound is the call's own.
    watched: bool,
}

impl Http {
    /// Sends `req`, retrying as the policy allows within the `total` bound; `finish` turns a
    /// 2xx response into the result (its [`Slot`] may be kept with a streamed body).
    pub(crate) async fn execute<T, F, Fut>(
        &self,
        req: &Request<'_>,
        opts: &CallOptions,
        finish: F,
    ) -> Result<T>
    where
        F: Fn(reqwest::Response, Slot) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.check_usable()?;
        let call = self.prepare(req, opts)?;
        let started = Instant::now();
        let deadline = call.timeouts.total.map(|total| (started + total, total));
        let mut attempt = 0u32;
        loop {
            let once = self.attempt(&call, attempt, &finish);
            let result = match deadline {
                Some((at, total)) => tokio::time::timeout_at(at, once)
                    .await
                    .unwrap_or_else(|_| Err(Error::timeout(TimeoutPhase::Total, total))),
                None => once.await,
            }
            .map_err(|e| e.with_elapsed(started.elapsed()));
            let decision = match &result {
                Ok(_) => Decision::Return,
                Err(e) => classify(e).map_or(Decision::Return, |outcome| {
                    call.policy
                        .decide(req.idempotency, outcome, attempt, crate::ids::jitter())
                }),
            };
            tracing::debug!(
                target: "poke",
                method = %req.method,
                url = %redact_url(&call.url),
                status = result.as_ref().err().and_then(Error::status).unwrap_or(200),
                ok = result.is_ok(),
                attempt,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request"
            );
            let wait = match decision {
                Decision::Return => return result,
                Decision::Retry(wait) => wait,
            };
            if deadline.is_some_and(|(at, _)| Instant::now() + wait >= at) {
                // The wait would outlast the call's bound: the last answer is the best one.
                return result;
            }
            tracing::info!(
                target: "poke",
                method = %req.method,
                url = %redact_url(&call.url),
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %result.as_ref().err().map(ToString::to_string).unwrap_or_default(),
                "retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Everything that does not change between attempts, checked before anything is sent.
    fn prepare<'r, 'a>(
        &self,
        req: &'r Request<'a>,
        opts: &CallOptions,
    ) -> Result<Prepared<'r, 'a>> {
        let url = super::parsed_url::parse(&req.url).map_err(|e| Error::InvalidInput {
            field: "url",
            reason: format!("{e}: {:?}", req.url),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidInput {
                field: "url",
                reason: format!("unknown url type: {:?}", req.url),
            });
        }
        let auth = req.auth.map(bearer_header).transpose()?;
        for (name, value) in &req.headers {
            check_header_value(name, value)?;
        }
        let idempotency_key = match &opts.idempotency_key {
            Some(k) => {
                check_header_value("idempotency_key", k)?;
                Some(k.clone())
            }
            None if req.method != reqwest::Method::GET => Some(crate::ids::uuid_v4().to_string()),
            None => None,
        };
        let timeouts = opts.resolve(self.config.timeouts);
        Ok(Prepared {
            req,
            url,
            auth,
            idempotency_key,
            watched: timeouts.watches_phases() || timeouts.connect != self.config.timeouts.connect,
            timeouts,
            policy: RetryPolicy {
                max_retries: opts.max_retries.unwrap_or(self.config.retry.max_retries),
                ..self.config.retry
            },
        })
    }

    /// One attempt, under its watch when the call needs one.
    async fn attempt<T, F, Fut>(
        &self,
        call: &Prepared<'_, '_>,
        attempt: u32,
        finish: &F,
    ) -> Result<T>
    where
        F: Fn(reqwest::Response, Slot) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if !call.watched {
            return self.exchange(call, attempt, None, finish).await;
        }
        let watch = Watch::new(call.timeouts);
        let exchange = self.exchange(call, attempt, Some(watch.clone()), finish);
        let bounded = call.timeouts.watches_phases();
        tokio::select! {
            biased;
            result = watch.clone().scope(exchange) => result,
            e = watch.expired(), if bounded => Err(e),
        }
    }

    /// A slot, the request, the response (`finish` for a 2xx).
    async fn exchange<T, F, Fut>(
        &self,
        call: &Prepared<'_, '_>,
        attempt: u32,
        watch: Option<Watch>,
        finish: &F,
    ) -> Result<T>
    where
        F: Fn(reqwest::Response, Slot) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let slot = self.slot().await;
        let local_failure = Arc::new(Mutex::new(None));
        let (rb, source) = self
            .build(call, attempt, watch.as_ref(), &local_failure)
            .await?;
        if let Some(w) = &watch {
            if source.is_some() {
                w.writing();
            } else {
                w.reading();
            }
        }
        let sent = rb.send().await;
        let failed_locally = local_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let (Some(e), Some(source)) = (failed_locally, &source) {
            // The body could not be read here: the network is not to blame, and another
            // attempt would fail the same way.
            return Err(source.read_failed(&e));
        }
        let resp = sent.map_err(map_reqwest)?;
        if let Some(w) = &watch {
            w.reading();
        }
        if resp.status().is_success() {
            finish(resp, slot).await
        } else {
            Err(error_from_response(resp, call.req.flavor).await)
        }
    }

    /// The request of one attempt, and the streamed body's source when there is one.
    async fn build(
        &self,
        call: &Prepared<'_, '_>,
        attempt: u32,
        watch: Option<&Watch>,
        local_failure: &Arc<Mutex<Option<std::io::Error>>>,
    ) -> Result<(reqwest::RequestBuilder, Option<Arc<dyn StreamSource>>)> {
        let req = call.req;
        let mut rb = self
            .reqwest()?
            .request(req.method.clone(), call.url.clone())
            .header(USER_AGENT, &self.config.user_agent);
        if let Some(v) = &call.auth {
            rb = rb.header(AUTHORIZATION, v.clone());
        }
        let mut source = None;
        rb = match &req.body {
            Body::Empty => rb,
            Body::Json(b) => rb.header(CONTENT_TYPE, "application/json").body(b.clone()),
            Body::Bytes { data, content_type } => {
                rb.header(CONTENT_TYPE, *content_type).body(data.clone())
            }
            Body::Stream(s) => {
                let chunks = s.open().await?;
                let body = SentBody {
                    chunks,
                    watch: watch.cloned(),
                    failure: local_failure.clone(),
                };
                source = Some(s.clone());
                rb.header(CONTENT_TYPE, s.content_type())
                    .header(CONTENT_LENGTH, s.len())
                    .body(reqwest::Body::wrap_stream(body))
            }
        };
        if let Some(k) = &call.idempotency_key {
            rb = rb.header("idempotency-key", k);
        }
        for (name, value) in &req.headers {
            rb = rb.header(*name, value);
        }
        if attempt > 0 {
            rb = rb.header("x-poke-retry-count", attempt.to_string());
        }
        Ok((rb, source))
    }
}

/// A streamed request body as sent: each chunk taken is progress of the write phase, its end
/// starts the read phase, and a local read error is kept for the attempt to report.
struct SentBody {
    chunks: BoxStream<'static, std::io::Result<Bytes>>,
    watch: Option<Watch>,
    failure: Arc<Mutex<Option<std::io::Error>>>,
}

impl Stream for SentBody {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.chunks.poll_next_unpin(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => {
                if let Some(w) = &self.watch {
                    w.touch();
                }
            }
            Poll::Ready(Some(Err(e))) => {
                let kept = std::io::Error::new(e.kind(), e.to_string());
                *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(kept);
            }
            Poll::Ready(None) => {
                if let Some(w) = &self.watch {
                    w.reading();
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}

/// The URL without its query string, which may carry tokens.
fn redact_url(url: &reqwest::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_password(None);
    u.to_string()
}
