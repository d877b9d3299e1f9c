//! The proxy listener: a request to `/{id}/…` (or with `x-piko-endpoint: {id}`) is sent as
//! one HTTP/1.1 connection over a new stream of the endpoint's agent, as piko forwards it
//! (`Connection: close`, `X-Piko-Forward: true`, `X-Forwarded-For` appended), and the reply is
//! streamed back as it comes. No time bound is applied.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::TunnelHub;

/// Hop-by-hop headers, which a proxy does not forward.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

/// Serves public requests until the emulator stops.
pub(super) async fn serve(
    hub: Arc<TunnelHub>,
    listener: TcpListener,
    stop_all: watch::Receiver<bool>,
) {
    let mut all = stop_all.clone();
    loop {
        tokio::select! {
            () = super::stopped(&mut all) => break,
            accepted = listener.accept() => {
                let Ok((tcp, peer)) = accepted else { continue };
                let hub = hub.clone();
                let mut stop = stop_all.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let hub = hub.clone();
                        async move { Ok::<_, Infallible>(forward(hub, req, peer).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service);
                    tokio::select! {
                        _ = conn => {}
                        () = super::stopped(&mut stop) => {}
                    }
                });
            }
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(json!({"error": message}).to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The endpoint a request is for, and the path and query to forward.
fn route(req: &Request<Incoming>) -> Option<(String, String)> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    if let Some(id) = req
        .headers()
        .get("x-piko-endpoint")
        .and_then(|v| v.to_str().ok())
    {
        return Some((id.to_owned(), path_and_query));
    }
    let rest = path_and_query.strip_prefix('/')?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (id, tail) = rest.split_at(end);
    if id.is_empty() {
        return None;
    }
    let tail = if tail.starts_with('/') {
        tail.to_owned()
    } else {
        format!("/{tail}")
    };
    Some((id.to_owned(), tail))
}

async fn forward(hub: Arc<TunnelHub>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let Some((id, path)) = route(&req) else {
        return error(StatusCode::NOT_FOUND, "no endpoint in the request");
    };
    let Some(opened) = hub.open_stream(&id).await else {
        return error(StatusCode::BAD_GATEWAY, "no available upstreams");
    };
    let Ok(stream) = opened else {
        return error(StatusCode::BAD_GATEWAY, "upstream unreachable");
    };
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return error(StatusCode::BAD_GATEWAY, "upstream unreachable");
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let (parts, body) = req.into_parts();
    let mut out = Request::new(body);
    *out.method_mut() = parts.method;
    *out.uri_mut() = path
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let headers = out.headers_mut();
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert("x-piko-forward", HeaderValue::from_static("true"));
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", v);
    }
    match sender.send_request(out).await {
        Ok(resp) => {
            hub.count_forwarded(&id);
            resp.map(Body::new)
        }
        Err(_) => error(StatusCode::BAD_GATEWAY, "upstream unreachable"),
    }
}
