//! The request journal: every API request as received, recorded before faults apply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::response::error_json;
use crate::state::{AppState, lock};

/// Largest request body the emulator accepts; larger ones get 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How much of an oversized body is still read (and discarded) before answering 413, so the
/// client has finished sending and reads the answer instead of a reset connection.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// One request as the emulator received it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Raw path and query string exactly as sent, e.g. `/api/v1/x?a=1`.
    pub target: String,
    /// Path without the query string.
    pub path: String,
    /// Headers with lowercase names in arrival order (repeated names are grouped together);
    /// values are decoded as lossy UTF-8.
    pub headers: Vec<(String, String)>,
    /// Body decoded as lossy UTF-8 (empty when the body was too large to keep, and for file
    /// uploads, which are streamed to the handler instead of buffered).
    pub body: String,
    /// Body length in bytes (for file uploads: the declared `Content-Length`, else 0).
    pub body_len: usize,
}

impl RecordedRequest {
    /// Returns the first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The journal's storage.
#[derive(Default)]
pub(crate) struct Journal {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl Journal {
    pub(crate) fn push(&self, entry: RecordedRequest) {
        lock(&self.entries).push(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        lock(&self.entries).clone()
    }

    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }
}

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

/// Middleware: buffers the body (so later layers and handlers see it whole), records API
/// requests in the journal, and answers 413 for bodies over [`MAX_BODY_BYTES`].
pub(crate) async fn record(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
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

    if journaled && is_streamed_upload(&parts.method, parts.uri.path()) {
        entry.body_len = declared_length(&parts.headers)
            .and_then(|len| usize::try_from(len).ok())
            .unwrap_or(0);
        state.journal.push(entry);
        return next.run(Request::from_parts(parts, body)).await;
    }

    let bytes = match read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge { seen }) => {
            if journaled {
                entry.body_len = seen;
                state.journal.push(entry);
            }
            return error_json(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                "Request body exceeds 64 MiB",
            );
        }
        Err(BodyError::Read) => {
            return error_json(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "Failed to read request body",
            );
        }
    };

    if journaled {
        entry.body = String::from_utf8_lossy(&bytes).into_owned();
        entry.body_len = bytes.len();
        state.journal.push(entry);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
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
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
