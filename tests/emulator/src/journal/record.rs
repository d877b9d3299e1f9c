//! The journal's middleware: records each API request as received (before faults apply),
//! then what came back, and buffers request bodies for the layers below.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::RecordedRequest;
use super::entry::{Answer, ApiCall, BodyEnd, Outcome};
use super::tap::{Tap, capture_limit};
use crate::response::error_json;
use crate::server::RequestId;
use crate::state::AppState;

/// Largest request body the emulator accepts; larger ones get 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How much of an oversized body is still read (and discarded) before answering 413, so the
/// client has finished sending and reads the answer instead of a reset connection.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Paths that are neither journaled nor subject to faults or idempotency replay.
pub(crate) fn is_control_path(path: &str) -> bool {
    path == "/health" || path == "/_emulator" || path.starts_with("/_emulator/")
}

/// Whether a request is a sessions-API file upload, whose body may exceed [`MAX_BODY_BYTES`]
/// and is therefore streamed to its handler (which enforces its own limit) unbuffered.
fn is_streamed_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::PUT
        && path.starts_with("/v1/sessions/")
        && path.contains("/files/")
}

/// The journal's sequence number of the request being handled, for the layers below (the
/// fault layer notes which fault hit it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct JournalSeq(pub(crate) u64);

/// Middleware: buffers the body (so later layers and handlers see it whole), records API
/// requests in the journal with their answers, and answers 413 for bodies over
/// [`MAX_BODY_BYTES`].
pub(crate) async fn record(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    let journaled = !is_control_path(parts.uri.path());
    let mut entry = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        target: parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned()),
        path: parts.uri.path().to_owned(),
        headers: header_pairs(&parts.headers),
        body: String::new(),
        body_len: 0,
    };
    if journaled {
        state.secrets.learn_from(&parts.headers);
    }
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let new_call = |request: RecordedRequest, is_text: bool| {
        ApiCall::new(request, request_id.clone(), is_text, state.sessions.now())
    };

    if journaled && is_streamed_upload(&parts.method, parts.uri.path()) {
        entry.body_len = declared_length(&parts.headers)
            .and_then(|len| usize::try_from(len).ok())
            .unwrap_or(0);
        let seq = state.journal.push_api(new_call(entry, false));
        parts.extensions.insert(JournalSeq(seq));
        let pending = Pending::new(&state, seq);
        let response = next.run(Request::from_parts(parts, body)).await;
        return pending.answered(response, started);
    }

    let bytes = match read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge { seen }) => {
            let response = error_json(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                "Request body exceeds 64 MiB",
            );
            if !journaled {
                return response;
            }
            entry.body_len = seen;
            let seq = state.journal.push_api(new_call(entry, false));
            return Pending::new(&state, seq).answered(response, started);
        }
        Err(BodyError::Read) => {
            return error_json(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "Failed to read request body",
            );
        }
        Err(BodyError::Busy) => {
            let mut response = error_json(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "Too many request bodies are being read at once",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    };

    if !journaled {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let is_text = std::str::from_utf8(&bytes).is_ok();
    entry.body = String::from_utf8_lossy(&bytes).into_owned();
    entry.body_len = bytes.len();
    let seq = state.journal.push_api(new_call(entry, is_text));
    parts.extensions.insert(JournalSeq(seq));
    let pending = Pending::new(&state, seq);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    pending.answered(response, started)
}

/// A journaled request still waiting for its answer; dropped unanswered (its connection
/// closed by a fault or by the client), it marks the entry closed.
struct Pending<'a> {
    state: &'a Arc<AppState>,
    seq: u64,
    armed: bool,
}

impl<'a> Pending<'a> {
    fn new(state: &'a Arc<AppState>, seq: u64) -> Self {
        Pending {
            state,
            seq,
            armed: true,
        }
    }

    /// Records the answer's head and hands back the answer with its body tapped, so the
    /// journal also learns what the body carried and how it ended.
    fn answered(mut self, response: Response, started: Instant) -> Response {
        self.armed = false;
        let (parts, body) = response.into_parts();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let limit = capture_limit(content_type);
        let answer = Answer {
            status: parts.status.as_u16(),
            headers: header_pairs(&parts.headers),
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            body: Vec::new(),
            body_len: 0,
            textual: limit.is_some(),
            body_end: BodyEnd::Streaming,
            duration_ms: None,
        };
        self.state.journal.update(self.seq, |call| {
            call.outcome = Outcome::Answered(Box::new(answer));
        });
        let tap = Tap::new(body, self.state.clone(), self.seq, started, limit);
        Response::from_parts(parts, Body::new(tap))
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.state.journal.update(self.seq, |call| {
                call.outcome = Outcome::Closed;
            });
        }
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

enum BodyError {
    TooLarge { seen: usize },
    Read,
    Busy,
}

/// The `Content-Length` the client declared, if it is a number.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, BodyError> {
    if let Some(len) = declared_length(headers) {
        // Reading a body that could never fit would only waste time; answer at once.
        if len > (MAX_BODY_BYTES + DRAIN_LIMIT_BYTES) as u64 {
            return Err(BodyError::TooLarge {
                seen: usize::try_from(len).unwrap_or(usize::MAX),
            });
        }
    }

    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    let mut held = crate::budget::Held::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Read)?;
        if buf.len() + chunk.len() > MAX_BODY_BYTES {
            let mut seen = buf.len() + chunk.len();
            drop(buf);
            let drain = async {
                while seen <= MAX_BODY_BYTES + DRAIN_LIMIT_BYTES {
                    match stream.next().await {
                        Some(Ok(more)) => seen += more.len(),
                        _ => break,
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
            return Err(BodyError::TooLarge { seen });
        }
        held.grow(buf.len() + chunk.len())
            .await
            .map_err(|_| BodyError::Busy)?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
