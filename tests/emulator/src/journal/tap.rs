//! A response body that passes every frame through unchanged (same size hint, so framing is
//! untouched) while counting its bytes and keeping its first ones for the journal.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, HttpBody};
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::entry::{BodyEnd, Outcome};
use crate::state::AppState;

/// Bytes of a textual answer kept for the inspector.
const TEXT_CAPTURE: usize = 16 * 1024;
/// Bytes of an event stream kept (the turn itself is shown from its buffer).
const STREAM_CAPTURE: usize = 8 * 1024;

/// How many leading body bytes to keep for `content_type`: `None` for binary types, which
/// the inspector shows as size and type only.
pub(crate) fn capture_limit(content_type: &str) -> Option<usize> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "text/event-stream" {
        Some(STREAM_CAPTURE)
    } else if essence.is_empty()
        || essence.starts_with("text/")
        || essence == "application/json"
        || essence.ends_with("+json")
        || essence == "application/x-ndjson"
    {
        // An empty type: error bodies and 204s; if bytes turn out binary the view says so.
        Some(TEXT_CAPTURE)
    } else {
        None
    }
}

/// The tapped body of one journaled answer.
pub(crate) struct Tap {
    inner: Body,
    state: Arc<AppState>,
    seq: u64,
    started: Instant,
    limit: usize,
    captured: Vec<u8>,
    len: u64,
    finished: bool,
}

impl Tap {
    pub(crate) fn new(
        inner: Body,
        state: Arc<AppState>,
        seq: u64,
        started: Instant,
        limit: Option<usize>,
    ) -> Self {
        Tap {
            inner,
            state,
            seq,
            started,
            limit: limit.unwrap_or(0),
            captured: Vec::new(),
            len: 0,
            finished: false,
        }
    }

    fn seen(&mut self, data: &Bytes) {
        self.len += data.len() as u64;
        let room = self.limit.saturating_sub(self.captured.len());
        if room > 0 {
            self.captured
                .extend_from_slice(&data[..room.min(data.len())]);
        }
    }

    fn finish(&mut self, end: BodyEnd) {
        if self.finished {
            return;
        }
        self.finished = true;
        let captured = std::mem::take(&mut self.captured);
        let len = self.len;
        let duration_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        self.state.journal.update(self.seq, |call| {
            let Outcome::Answered(answer) = &mut call.outcome else {
                return;
            };
            answer.body = captured;
            answer.body_len = len;
            answer.body_end = end;
            answer.duration_ms = Some(duration_ms);
            // A created session is only named by its answer.
            if call.session_id.is_none()
                && call.request.method == "POST"
                && call.request.path == "/v1/sessions"
                && answer.status == 201
            {
                call.session_id = serde_json::from_slice::<serde_json::Value>(&answer.body)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned));
            }
        });
    }
}

impl HttpBody for Tap {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.seen(data);
                }
            }
            Poll::Ready(Some(Err(err))) => this.finish(BodyEnd::Cut(cut_reason(&err.to_string()))),
            Poll::Ready(None) => this.finish(BodyEnd::Complete),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // hyper may stop polling once a sized body is complete, so the end is seen here.
        let end = if self.inner.is_end_stream() {
            BodyEnd::Complete
        } else {
            BodyEnd::Cut("the connection closed before the body ended".to_owned())
        };
        self.finish(end);
    }
}

fn cut_reason(error: &str) -> String {
    if error.contains(crate::sessions::DROP_FAULT) {
        "cut by a drop fault".to_owned()
    } else {
        format!("cut: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::capture_limit;

    #[test]
    fn text_types_are_captured_and_binary_ones_are_not() {
        assert_eq!(capture_limit("application/json"), Some(16 * 1024));
        assert_eq!(capture_limit("text/plain; charset=utf-8"), Some(16 * 1024));
        assert_eq!(capture_limit("application/problem+json"), Some(16 * 1024));
        assert_eq!(capture_limit("text/event-stream"), Some(8 * 1024));
        assert_eq!(capture_limit(""), Some(16 * 1024));
        assert_eq!(capture_limit("application/octet-stream"), None);
        assert_eq!(
            capture_limit(
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            ),
            None
        );
    }
}
