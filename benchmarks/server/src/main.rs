//! A minimal loopback server for the benchmarks: the three Poke API calls and, with
//! `--sse-replay DIR`, recorded Pokee turns; nothing else.
//!
//! `poke-bench-server [--port P] [--threads N] [--sse-replay DIR]` prints
//! `listening on http://127.0.0.1:PORT`. Replies are the documented ones, with fixed ids;
//! request bodies are read in full and checked to be a JSON object (first non-space byte `{`),
//! the only validation. No journal, no middleware: the server's own cost per request is as
//! small as hyper allows, so that the clients, not the server, are measured.
//!
//! Replay: `DIR/N.sse` holds a turn of N events recorded from the emulator (benchmarks/run.py
//! records them). `POST /v1/sessions` answers a fixed session; `POST /v1/sessions/{id}/messages`
//! whose message contains `events=N` streams `N.sse` as it was recorded, in 64 KiB chunks.
//! `DIR/resp-N.sse` is a streamed stateless response of N events, which `POST /v1/responses`
//! with `events=N` in its input streams the same way.

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpListener;

const SENT: &[u8] = br#"{"success": true, "message": "Message sent successfully"}"#;
const FIRED: &[u8] = br#"{"success": true}"#;
const NOT_FOUND: &[u8] = br#"{"error": "Not Found", "message": "No such route"}"#;
const BAD: &[u8] = br#"{"error": "Bad Request", "message": "body must be a JSON object"}"#;
const SESSION: &[u8] = br#"{"id":"sess_bench","created_at":1795000000.0,"last_activity":1795000000.0,"busy":false,"persistent":false,"ttl":14400,"status":"ready","metadata":{},"file_access":{"read":[""],"write":[""]}}"#;
const CHUNK: usize = 64 * 1024;

/// A recorded stream sent in fixed-size chunks (chunked transfer encoding, as the emulator's).
struct Chunks(Bytes);

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.0.len().min(CHUNK);
        Poll::Ready(Some(Ok(Frame::data(self.0.split_to(n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        // Unknown on purpose: the emulator streams without a length, so this does too.
        SizeHint::default()
    }
}

type Reply = Response<Either<Full<Bytes>, Chunks>>;

fn reply(status: StatusCode, body: Bytes) -> Reply {
    let mut r = Response::new(Either::Left(Full::new(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// The `N` of `events=N` in a request body.
fn events_asked(body: &[u8]) -> Option<u64> {
    let at = body.windows(7).position(|w| w == b"events=")? + 7;
    let digits = body[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&body[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

fn replay(turns: &HashMap<u64, Bytes>, body: &[u8]) -> Reply {
    let Some(turn) = events_asked(body).and_then(|n| turns.get(&n)) else {
        return reply(StatusCode::NOT_FOUND, Bytes::from_static(NOT_FOUND));
    };
    let mut r = Response::new(Either::Right(Chunks(turn.clone())));
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-cache"),
    );
    r
}

/// The recorded streams: session turns and stateless responses, by event count.
#[derive(Default)]
struct Recorded {
    turns: HashMap<u64, Bytes>,
    responses: HashMap<u64, Bytes>,
}

async fn handle(
    req: Request<Incoming>,
    hook: Arc<Bytes>,
    recorded: Arc<Recorded>,
) -> Result<Reply, Infallible> {
    let turns = &recorded.turns;
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(StatusCode::BAD_REQUEST, Bytes::from_static(BAD))),
    };
    if parts.method != Method::POST {
        return Ok(reply(StatusCode::NOT_FOUND, Bytes::from_static(NOT_FOUND)));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(reply(StatusCode::BAD_REQUEST, Bytes::from_static(BAD)));
    }
    let path = parts.uri.path();
    if path == "/v1/responses" && !recorded.responses.is_empty() {
        return Ok(replay(&recorded.responses, &body));
    }
    if !turns.is_empty() && path.starts_with("/v1/sessions") {
        if path == "/v1/sessions" {
            return Ok(reply(StatusCode::OK, Bytes::from_static(SESSION)));
        }
        if path.ends_with("/messages") {
            return Ok(replay(turns, &body));
        }
    }
    let out = match path {
        "/api/v1/inbound/api-message" => Bytes::from_static(SENT),
        "/api/v1/api-keys/webhook" => (*hook).clone(),
        "/api/v1/inbound/webhook" => Bytes::from_static(FIRED),
        _ => return Ok(reply(StatusCode::NOT_FOUND, Bytes::from_static(NOT_FOUND))),
    };
    Ok(reply(StatusCode::OK, out))
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Reads `DIR/N.sse` (turns) and `DIR/resp-N.sse` (stateless responses).
fn load_turns(dir: &str) -> std::io::Result<Recorded> {
    let mut recorded = Recorded::default();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "sse") {
            continue;
        }
        let (map, n) = match stem.strip_prefix("resp-") {
            Some(n) => (&mut recorded.responses, n),
            None => (&mut recorded.turns, stem),
        };
        if let Ok(n) = n.parse() {
            map.insert(n, Bytes::from(std::fs::read(&path)?));
        }
    }
    Ok(recorded)
}

fn main() -> std::io::Result<()> {
    let turns = Arc::new(match arg("--sse-replay") {
        Some(dir) => load_turns(&dir)?,
        None => Recorded::default(),
    });
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    let threads: usize = arg("--threads").and_then(|p| p.parse().ok()).unwrap_or(1);
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let hook = Arc::new(Bytes::from(format!(
            r#"{{"triggerId": "trg_bench", "webhookUrl": "{base}/api/v1/inbound/webhook", "webhookToken": "whk_bench"}}"#
        )));
        println!("listening on {base}");
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => accepted?,
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            let _ = stream.set_nodelay(true);
            let hook = hook.clone();
            let turns = turns.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(req, hook.clone(), turns.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
