//! A local HTTP server, standing in for the MCP server a tunnel exposes.
//!
//! - `/mcp` and below: a JSON echo of method, path, query, headers and body size;
//! - `/mcp/sse`: an event stream that sends `one`, waits until the test calls
//!   [`Local::release`], then sends `two` and ends (so a client that receives `one` before the
//!   release proves the stream was not buffered);
//! - `/mcp/big`: 3 MiB of a known pattern;
//! - `/mcp/slow?ms=N`: answers after N milliseconds.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures_util::stream;
use std::sync::Arc;
use tokio::sync::Notify;

/// Size of `/mcp/big`.
pub const BIG: usize = 3 * 1024 * 1024;

/// The byte at `i` of `/mcp/big`.
pub fn big_byte(i: usize) -> u8 {
    (i % 251) as u8
}

/// A running local server.
pub struct Local {
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    release: Arc<Notify>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Local {
    /// Lets `/mcp/sse` send its second event.
    pub fn release(&self) {
        self.release.notify_one();
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn echo(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                serde_json::Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    axum::Json(serde_json::json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body_len": body.len(),
    }))
    .into_response()
}

async fn sse(State(release): State<Arc<Notify>>) -> Response {
    let events = stream::unfold(0u8, move |step| {
        let release = release.clone();
        async move {
            match step {
                0 => Some((
                    Ok::<_, std::io::Error>(Bytes::from_static(b"data: one\n\n")),
                    1,
                )),
                1 => {
                    release.notified().await;
                    Some((Ok(Bytes::from_static(b"data: two\n\n")), 2))
                }
                _ => None,
            }
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(events))
        .unwrap_or_default()
}

async fn slow(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, u64>>,
) -> &'static str {
    tokio::time::sleep(std::time::Duration::from_millis(
        q.get("ms").copied().unwrap_or(0),
    ))
    .await;
    "slow reply"
}

async fn big() -> Vec<u8> {
    (0..BIG).map(big_byte).collect()
}

/// Starts the server on a free port.
pub async fn start() -> Local {
    super::tls();
    let release = Arc::new(Notify::new());
    let app = Router::new()
        .route("/mcp/sse", get(sse))
        .route("/mcp/big", get(big))
        .route("/mcp/slow", get(slow))
        .route("/mcp", any(echo))
        .route("/mcp/{*rest}", any(echo))
        .with_state(release.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Local {
        url: format!("http://{addr}/mcp"),
        release,
        stop: Some(stop),
    }
}
