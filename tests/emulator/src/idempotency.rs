//! Idempotency keys: a POST that repeats an `Idempotency-Key` gets the first answer replayed.
//!
//! The cache key is (key, path, `Authorization` value): including the credential means a
//! replay is only ever served to a caller that presented the same credential as the original.
//! Faulted requests never reach this layer, so only real answers are stored.
//!
//! The sessions API under `/v1/` has its own, different key semantics (spec §5: 409 busy,
//! 422 on a mismatch, SSE replay from the turn buffer), implemented by its message route,
//! so this layer leaves those paths alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;

use crate::journal::is_control_path;
use crate::response::error_json;
use crate::state::{AppState, lock};

/// Header that marks a replayed answer.
const REPLAYED_HEADER: &str = "idempotent-replayed";

#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    key: String,
    path: String,
    credential: String,
}

#[derive(Clone)]
struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

enum Slot {
    InFlight,
    Done(Stored),
}

/// Answers stored per idempotency key.
#[derive(Default)]
pub(crate) struct IdempotencyCache {
    slots: Mutex<HashMap<CacheKey, Slot>>,
}

enum Begin {
    Replay(Stored),
    InFlight,
    Started,
}

impl IdempotencyCache {
    pub(crate) fn clear(&self) {
        lock(&self.slots).clear();
    }

    fn begin(&self, key: &CacheKey) -> Begin {
        let mut slots = lock(&self.slots);
        match slots.get(key) {
            Some(Slot::Done(stored)) => Begin::Replay(stored.clone()),
            Some(Slot::InFlight) => Begin::InFlight,
            None => {
                slots.insert(key.clone(), Slot::InFlight);
                Begin::Started
            }
        }
    }
}

/// Removes the in-flight marker unless the answer was stored, so a request whose client went
/// away (its future dropped) does not block the key forever.
struct InFlightGuard<'a> {
    cache: &'a IdempotencyCache,
    key: Option<CacheKey>,
}

impl InFlightGuard<'_> {
    fn complete(mut self, stored: Stored) {
        if let Some(key) = self.key.take() {
            lock(&self.cache.slots).insert(key, Slot::Done(stored));
        }
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.cache.slots).remove(&key);
        }
    }
}

/// Middleware: replays the stored answer for a repeated key, answers 409 while the first
/// request with that key is still running, and otherwise runs and stores the answer.
pub(crate) async fn replay_or_run(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if req.method() != Method::POST || is_control_path(path) || path.starts_with("/v1/") {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .filter(|k| !k.is_empty())
    else {
        return next.run(req).await;
    };
    let key = CacheKey {
        key,
        path: req.uri().path().to_owned(),
        credential: req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
    };

    match state.idempotency.begin(&key) {
        Begin::Replay(stored) => replay(stored),
        Begin::InFlight => error_json(
            StatusCode::CONFLICT,
            "Conflict",
            "A request with this Idempotency-Key is still in progress",
        ),
        Begin::Started => {
            let guard = InFlightGuard {
                cache: &state.idempotency,
                key: Some(key),
            };
            let response = next.run(req).await;
            if is_event_stream(&response) {
                // A stream cannot be stored whole; the guard frees the key.
                return response;
            }
            let (parts, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return error_json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                    "Failed to buffer response",
                );
            };
            guard.complete(Stored {
                status: parts.status,
                headers: parts.headers.clone(),
                body: body.clone(),
            });
            Response::from_parts(parts, Body::from(body))
        }
    }
}

fn replay(stored: Stored) -> Response {
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = stored.status;
    *response.headers_mut() = stored.headers;
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}
