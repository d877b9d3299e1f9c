//! `Emulator`: the in-process fake of the Poke API (`poke-emulator`), so Kotlin and Swift
//! tests, ours and users', run offline on a free loopback port.
//!
//! It runs on a small tokio runtime of its own: the constructor stays synchronous (handy in
//! `@BeforeEach` / `setUp`), and the server keeps running whichever thread or executor the
//! client's calls use. Faults are JSON in the emulator's own format (the body of
//! `POST /_emulator/faults`), so new knobs need no change here.

use crate::error::{PokeError, invalid_input};
use std::sync::Arc;

/// One request as the emulator received it (API routes only).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EmulatorRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query string, e.g. `/api/v1/inbound/api-message`.
    pub path: String,
    /// Path and query exactly as sent.
    pub target: String,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<HttpHeader>,
    /// Body as lossy UTF-8.
    pub body: String,
}

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HttpHeader {
    /// Lowercase name.
    pub name: String,
    /// Value (lossy UTF-8).
    pub value: String,
}

#[uniffi::export]
impl EmulatorRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: String) -> Option<String> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.clone())
    }
}

impl From<poke_emulator::RecordedRequest> for EmulatorRequest {
    fn from(r: poke_emulator::RecordedRequest) -> Self {
        Self {
            method: r.method,
            path: r.path,
            target: r.target,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        }
    }
}

/// A running emulator on `127.0.0.1:<free port>`. Call `shutdown()` (Kotlin: or `close()`)
/// when done; dropping it also stops it.
#[derive(uniffi::Object)]
pub struct Emulator {
    inner: poke_emulator::Emulator,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.inner.shutdown();
        if let Some(rt) = self.runtime.take() {
            // Never blocks, and never panics even if the last reference dies on a runtime thread.
            rt.shutdown_background();
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PokeError> {
    serde_json::to_string(value).map_err(|e| {
        PokeError::from(poke::Error::Config(format!(
            "could not encode the emulator state: {e}"
        )))
    })
}

#[uniffi::export]
impl Emulator {
    /// Starts an emulator on a free loopback port. With `api_key`, only that key is accepted
    /// (anything else gets 401); without it, any non-empty bearer token is.
    #[uniffi::constructor(default(api_key = None))]
    pub fn new(api_key: Option<String>) -> Result<Arc<Self>, PokeError> {
        let startup = |e: std::io::Error| {
            PokeError::from(poke::Error::Config(format!(
                "could not start the emulator: {e}"
            )))
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("poke-emulator")
            .enable_all()
            .build()
            .map_err(startup)?;
        let config = poke_emulator::EmulatorConfig {
            api_key,
            ..Default::default()
        };
        // Started by a task and awaited over a channel rather than `block_on`, which panics
        // when the caller is itself inside a tokio runtime.
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(poke_emulator::Emulator::start(config).await);
        });
        let inner = rx
            .recv()
            .map_err(|_| startup(std::io::Error::other("the start task died")))?
            .map_err(startup)?;
        Ok(Arc::new(Self {
            inner,
            runtime: Some(runtime),
        }))
    }

    /// Root URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// Base URL of the Poke API (`url() + "/api/v1"`): the `base_url` for `PokeClient`.
    pub fn poke_api_url(&self) -> String {
        self.inner.poke_api_url()
    }

    /// Every API request received so far, in arrival order.
    pub fn requests(&self) -> Vec<EmulatorRequest> {
        self.inner.requests().into_iter().map(Into::into).collect()
    }

    /// [`Emulator::requests`] as the JSON of `GET /_emulator/requests`.
    pub fn requests_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.requests())
    }

    /// Empties the request journal.
    pub fn clear_requests(&self) {
        self.inner.clear_requests();
    }

    /// Installs a fault given as JSON, e.g.
    /// `{"path": "/api/v1/inbound/api-message", "status": 429, "headers": {"Retry-After": "3"}}`
    /// or `{"path": "*", "stall_ms": 2000}`; returns its id.
    pub fn add_fault_json(&self, json: String) -> Result<u64, PokeError> {
        let fault: poke_emulator::Fault =
            serde_json::from_str(&json).map_err(|e| invalid_input("fault", e.to_string()))?;
        fault.validate().map_err(|e| invalid_input("fault", e))?;
        Ok(self.inner.add_fault(fault))
    }

    /// Removes one fault; returns whether it was still active.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.inner.remove_fault(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// The processed send-message bodies, as a JSON array.
    pub fn messages_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.messages())
    }

    /// Every accepted webhook fire as a JSON array of `{"triggerId": …, "data": …}`.
    pub fn webhook_fires_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.webhook_fires())
    }

    /// Forgets requests, faults, messages, webhooks, callback chains and idempotency keys.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Stops the server (open connections are dropped); safe to call twice.
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{ApiErrorKind, PokeClient, PokeClientOptions};

    fn client(emulator: &Emulator) -> Arc<PokeClient> {
        PokeClient::new(PokeClientOptions {
            api_key: Some("pk_rust_test".into()),
            base_url: Some(emulator.poke_api_url()),
            max_retries: Some(0),
            ..Default::default()
        })
        .unwrap()
    }

    // Started and dropped inside a tokio runtime on purpose: neither may panic there.
    #[tokio::test]
    async fn api_error_fields_and_text_come_from_the_core() {
        let emulator = Emulator::new(None).unwrap();
        let id = emulator
            .add_fault_json(
                r#"{"path":"/api/v1/inbound/api-message","status":429,
                    "headers":{"Retry-After":"3","x-request-id":"req_1"}}"#
                    .into(),
            )
            .unwrap();
        assert!(id > 0);
        let err = client(&emulator)
            .send_message("hi".into(), None)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), poke::RATE_LIMITED_MESSAGE);
        match err {
            PokeError::Api {
                msg,
                status,
                kind,
                request_id,
                retry_after_ms,
                ..
            } => {
                assert_eq!(msg, poke::RATE_LIMITED_MESSAGE);
                assert_eq!(status, 429);
                assert_eq!(kind, ApiErrorKind::RateLimited);
                assert_eq!(request_id.as_deref(), Some("req_1"));
                assert_eq!(retry_after_ms, Some(3000));
            }
            other => panic!("unexpected {other:?}"),
        }
        let requests = emulator.requests();
        assert_eq!(requests.len(), 1);
        assert!(
            requests[0]
                .header("User-Agent".into())
                .is_some_and(|ua| ua.starts_with("poke-rust/"))
        );
        assert!(emulator.requests_json().unwrap().contains("api-message"));
    }

    #[tokio::test]
    async fn round_trip_and_journal() {
        let emulator = Emulator::new(Some("pk_rust_test".into())).unwrap();
        let c = client(&emulator);
        let sent = c.send_message("hello".into(), None).await.unwrap();
        assert!(sent.success);
        assert_eq!(
            emulator.messages_json().unwrap(),
            r#"[{"message":"hello"}]"#
        );
        let hook = c
            .create_webhook("cond".into(), "act".into(), None)
            .await
            .unwrap();
        let fired = c
            .send_webhook(
                hook.webhook_url.clone(),
                hook.webhook_token.clone(),
                "[1,2]".into(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(fired.status, 200);
        assert!(emulator.webhook_fires_json().unwrap().contains("[1,2]"));
        emulator.clear_requests();
        assert!(emulator.requests().is_empty());
        emulator.shutdown();
        emulator.shutdown();
    }

    #[test]
    fn bad_fault_json_is_invalid_input() {
        let emulator = Emulator::new(None).unwrap();
        for bad in ["{", r#"{"status":429}"#, r#"{"path":"*","nope":1}"#] {
            match emulator.add_fault_json(bad.into()).unwrap_err() {
                PokeError::InvalidInput { field, .. } => assert_eq!(field, "fault"),
                other => panic!("unexpected {other:?}"),
            }
        }
        let id = emulator
            .add_fault_json(r#"{"path":"*","status":503}"#.into())
            .unwrap();
        assert!(emulator.remove_fault(id));
        emulator.clear_faults();
        emulator.reset();
        assert!(emulator.url().starts_with("http://127.0.0.1:"));
    }
}
