//! The upstream listener: `GET /piko/v1/upstream/{id}` upgraded to a WebSocket for an agent
//! with the endpoint's token (`Authorization: Bearer` or `x-piko-authorization`), then the
//! agent's yamux session.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Refusal, TunnelHub, mux};

const PATH_PREFIX: &str = "/piko/v1/upstream/";

/// Accepts agents until `stop` (this listener) or `stop_all` (the emulator) turns true.
pub(super) async fn serve(
    hub: Arc<TunnelHub>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
    stop_all: watch::Receiver<bool>,
) {
    let mut all = stop_all.clone();
    loop {
        tokio::select! {
            () = super::stopped(&mut stop) => break,
            () = super::stopped(&mut all) => break,
            accepted = listener.accept() => {
                let Ok((tcp, _peer)) = accepted else { continue };
                let hub = hub.clone();
                let stop_all = stop_all.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (hub, stop_all) = (hub.clone(), stop_all.clone());
                        async move { Ok::<_, Infallible>(handle(hub, req, stop_all)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .with_upgrades()
                        .await;
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
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The token of `Authorization: Bearer …`, else of `x-piko-authorization`.
fn token(headers: &HeaderMap) -> Option<&str> {
    let bearer = |name| {
        let value = headers.get(name)?.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    };
    bearer(header::AUTHORIZATION)
        .or_else(|| bearer(header::HeaderName::from_static("x-piko-authorization")))
}

fn handle(
    hub: Arc<TunnelHub>,
    mut req: Request<Incoming>,
    stop_all: watch::Receiver<bool>,
) -> Response<Body> {
    let Some(id) = req
        .uri()
        .path()
        .strip_prefix(PATH_PREFIX)
        .map(str::to_owned)
    else {
        return error(StatusCode::NOT_FOUND, "not found");
    };
    match hub.admit(&id, token(req.headers())) {
        Ok(()) => {}
        Err(Refusal::Status(status)) => return error(status, "refused by the emulator"),
        Err(Refusal::Unauthorized) => return error(StatusCode::UNAUTHORIZED, "invalid token"),
    }
    let headers = req.headers();
    let is_upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some(key) = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| is_upgrade)
    else {
        return error(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let (opener, opens) = mpsc::unbounded_channel();
        let (close, close_rx) = watch::channel(());
        let Some(link) = hub.attach(&id, opener, close) else {
            return;
        };
        let reason = mux::serve(ws, opens, close_rx, stop_all, hub.open_timeout()).await;
        hub.detach(&id, link);
        let _ = reason;
    });
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    h.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    resp
}
