//! The SSE writer: hand-written frames from a turn buffer, live until the terminal event,
//! with the stream fault knobs applied at byte level (drops, stalls, duplicates, slicing,
//! line endings).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::turn::Turn;
use crate::faults::StreamFault;

/// Events read from the buffer per batch; bounds the size of one write.
const BATCH: usize = 512;

/// The body error that cuts a connection on purpose; the server does not log it.
pub(crate) const DROP_FAULT: &str = "drop_after_events fault";

type Chunk = Result<Bytes, io::Error>;

/// What one SSE answer writes.
pub(crate) struct StreamSpec {
    pub(crate) turn: Arc<Turn>,
    /// Replay only events with a sequence number greater than this (`None`: from 0).
    pub(crate) after: Option<u64>,
    pub(crate) old_format: bool,
    /// Silence after which a `: ping` comment is written (`None`: never).
    pub(crate) ping: Option<Duration>,
    pub(crate) fault: Option<StreamFault>,
}

/// `200 text/event-stream` whose body follows the turn; `X-Response-Id` unless old format.
pub(crate) fn sse_response(spec: StreamSpec) -> Response {
    let rid = spec.turn.rid.clone();
    let old_format = spec.old_format;
    // The writer runs on its own task so the body only has to drain a channel; when the
    // client goes away the channel closes and the writer stops (the turn does not).
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    tokio::spawn(write_stream(spec, tx));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The server closes the connection after the terminal event (spec §2.7).
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if !old_format {
        if let Ok(value) = HeaderValue::from_str(&rid) {
            headers.insert("x-response-id", value);
        }
    }
    response
}

/// Index of the first event to send.
fn first_index(after: Option<u64>, duplicates: Option<u64>) -> usize {
    let next = match (after, duplicates) {
        (None, _) => 0,
        (Some(after), None) => after.saturating_add(1),
        (Some(after), Some(k)) => after.saturating_add(1).saturating_sub(k),
    };
    usize::try_from(next).unwrap_or(usize::MAX)
}

async fn write_stream(spec: StreamSpec, tx: mpsc::Sender<Chunk>) {
    let fault = spec.fault.clone().unwrap_or_default();
    let eol = fault.line_ending.as_str();
    let slice = fault.slice_bytes;
    let mut index = first_index(spec.after, fault.duplicate_ids);
    let mut written: u64 = 0;
    let mut stalled = false;
    let mut changes = spec.turn.subscribe();
    let mut out = Vec::new();
    loop {
        changes.borrow_and_update();
        let (frames, finished) = spec.turn.read(index, BATCH);
        if frames.is_empty() {
            if finished {
                return;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                () = tx.closed() => return,
                () = ping_timer(spec.ping) => {
                    out.extend_from_slice(b": ping");
                    out.extend_from_slice(eol.as_bytes());
                    out.extend_from_slice(eol.as_bytes());
                    if !flush(&tx, &mut out, slice).await {
                        return;
                    }
                }
            }
            continue;
        }
        for frame in &frames {
            index += 1;
            if !stalled && fault.stall_after_events == Some(written) {
                stalled = true;
                if !flush(&tx, &mut out, slice).await {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(fault.stall_ms)) => {}
                    () = tx.closed() => return,
                }
            }
            if fault.drop_after_events == Some(written) {
                if fault.drop_mid_event {
                    let mut partial = Vec::new();
                    frame.render(spec.old_format, eol, &mut partial);
                    out.extend_from_slice(&partial[..partial.len() / 2]);
                }
                if flush(&tx, &mut out, slice).await {
                    // hyper discards what it has buffered when the body fails, so let it
                    // write everything handed over first.
                    drained(&tx).await;
                    // An error in the body makes hyper cut the connection without the
                    // terminating chunk: the client sees a broken transfer, not a clean end.
                    let _ = tx.send(Err(io::Error::other(DROP_FAULT))).await;
                }
                return;
            }
            frame.render(spec.old_format, eol, &mut out);
            written += 1;
        }
        if !flush(&tx, &mut out, slice).await {
            return;
        }
    }
}

/// Waits (bounded) until the body has taken every queued chunk, plus a moment for hyper to
/// flush it to the socket.
async fn drained(tx: &mpsc::Sender<Chunk>) {
    for _ in 0..500 {
        if tx.capacity() == tx.max_capacity() || tx.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn ping_timer(every: Option<Duration>) {
    match every {
        Some(every) => tokio::time::sleep(every).await,
        None => std::future::pending().await,
    }
}

/// Sends `out` (in `slice`-byte pieces if asked) and empties it; false once the client left.
async fn flush(tx: &mpsc::Sender<Chunk>, out: &mut Vec<u8>, slice: Option<usize>) -> bool {
    if out.is_empty() {
        return true;
    }
    let data = Bytes::from(std::mem::take(out));
    match slice {
        Some(k) if k < data.len() => {
            let mut start = 0;
            while start < data.len() {
                let end = (start + k).min(data.len());
                if tx.send(Ok(data.slice(start..end))).await.is_err() {
                    return false;
                }
                // Let hyper write this piece before the next one is ready.
                tokio::task::yield_now().await;
                start = end;
            }
            true
        }
        _ => tx.send(Ok(data)).await.is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::first_index;

    #[test]
    fn start_positions() {
        assert_eq!(first_index(None, Some(5)), 0);
        assert_eq!(first_index(Some(4), None), 5);
        assert_eq!(first_index(Some(4), Some(2)), 3);
        assert_eq!(first_index(Some(4), Some(u64::MAX)), 0);
        assert_eq!(first_index(Some(u64::MAX), None), usize::MAX);
    }
}
