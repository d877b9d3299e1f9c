//! A minimal loopback server for the benchmarks: the three Poke API calls, nothing else.
//!
//! `poke-bench-server [--port P] [--threads N]` prints `listening on http://127.0.0.1:PORT`.
//! Replies are the documented ones, with fixed ids; request bodies are read in full and
//! checked to be a JSON object (first non-space byte `{`), the only validation. No journal,
//! no middleware: the server's own cost per request is as small as hyper allows, so that the
//! clients, not the server, are measured.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

const SENT: &[u8] = br#"{"success": true, "message": "Message sent successfully"}"#;
const FIRED: &[u8] = br#"{"success": true}"#;
const NOT_FOUND: &[u8] = br#"{"error": "Not Found", "message": "No such route"}"#;
const BAD: &[u8] = br#"{"error": "Bad Request", "message": "body must be a JSON object"}"#;

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(
    req: Request<Incoming>,
    hook: Arc<Bytes>,
) -> Result<Response<Full<Bytes>>, Infallible> {
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
    let out = match parts.uri.path() {
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

fn main() -> std::io::Result<()> {
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
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(req, hook.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
