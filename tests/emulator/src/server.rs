//! The HTTP server: router assembly, the accept loop, and per-connection control.
//!
//! Connections are served with hyper directly (not `axum::serve`) because reset and stall
//! faults must close a connection without sending a response.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tower::ServiceExt;

use crate::response::{error_json, json};
use crate::state::AppState;
use crate::{
    control, faults, idempotency, inspector, journal, poke_api, responses, sessions, skills,
};

/// Lets a handler close the connection its request arrived on; found in request extensions.
#[derive(Clone)]
pub(crate) struct ConnectionControl {
    close: Arc<CloseSignal>,
}

struct CloseSignal {
    notify: Notify,
    reset: std::sync::atomic::AtomicBool,
}

impl ConnectionControl {
    /// Closes the connection without a response (with a TCP reset if `reset`); never returns,
    /// because the request's future is dropped together with the connection.
    pub(crate) async fn close(&self, reset: bool) -> Response {
        self.close
            .reset
            .store(reset, std::sync::atomic::Ordering::SeqCst);
        self.close.notify.notify_one();
        std::future::pending().await
    }
}

/// Builds the complete router: control routes, `/health`, the APIs, and the middleware stack.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/health", get(health))
        .merge(control::router())
        .merge(inspector::router())
        .merge(poke_api::router())
        .merge(sessions::router())
        .merge(skills::router())
        .merge(responses::router())
        .merge(crate::account::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // A request passes inspector guard → request id → journal → faults → idempotency →
    // routes; the layers are added innermost first.
    routes
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::replay_or_run,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), faults::apply))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            journal::record,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), request_id))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            inspector::guard,
        ))
        .with_state(state)
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    if state.sessions.degraded() {
        return sessions::health_degraded();
    }
    json(StatusCode::OK, &json!({"status": "ok"}))
}

// Sessions-API paths answer with that API's error short names; the rest keep the Poke shape.
async fn not_found(uri: Uri) -> Response {
    if sessions::is_api_path(uri.path()) {
        return sessions::unknown_route();
    }
    error_json(StatusCode::NOT_FOUND, "Not Found", "No such route")
}

async fn method_not_allowed(uri: Uri) -> Response {
    if sessions::is_api_path(uri.path()) {
        return sessions::method_not_allowed();
    }
    error_json(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "Method not allowed for this route",
    )
}

/// The `x-request-id` of the request being handled, for the journal.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

/// Middleware: tags every response with `x-request-id` (a fault may set its own) and logs
/// (but not the inspector's own page and feed, which would drown the log).
async fn request_id(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let id = state.next_request_id();
    if state.log_requests && !inspector::is_ui_path(req.uri().path()) {
        eprintln!("poke-emulator: {id} {} {}", req.method(), req.uri());
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .entry("x-request-id")
            .or_insert(value);
    }
    response
}

/// Whether a connection error is a `drop_after_events` fault doing its job.
fn is_fault_drop(err: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.to_string() == sessions::DROP_FAULT {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Accepts connections until `shutdown` turns true, then drops the listener and every
/// open connection.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    shutdown: watch::Receiver<bool>,
) {
    let mut stop_rx = shutdown.clone();
    // An error means the sender (the `Emulator`) is gone, which is a stop as well.
    let stop = async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    tokio::spawn(accept_connection(stream, tls.clone(), app.clone(), shutdown.clone()));
                }
                Err(err) => {
                    // Typically EMFILE; back off instead of spinning.
                    eprintln!("poke-emulator: accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
}

/// A connection's byte stream (plain or TLS) that can give back its TCP socket.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn into_tcp(self) -> TcpStream;
}

impl Transport for TcpStream {
    fn into_tcp(self) -> TcpStream {
        self
    }
}

impl Transport for TlsStream<TcpStream> {
    fn into_tcp(self) -> TcpStream {
        self.into_inner().0
    }
}

async fn accept_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    app: Router,
    shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_connection(stream, app, shutdown).await,
        Some(acceptor) => {
            // A client that does not trust the CA hangs up during the handshake: nothing to serve.
            if let Ok(tls_stream) = acceptor.accept(stream).await {
                serve_connection(tls_stream, app, shutdown).await;
            }
        }
    }
}

async fn serve_connection<S: Transport>(
    stream: S,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let control = ConnectionControl {
        close: Arc::new(CloseSignal {
            notify: Notify::new(),
            reset: std::sync::atomic::AtomicBool::new(false),
        }),
    };
    let request_control = control.clone();
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(request_control.clone());
        let app = app.clone();
        app.oneshot(req.map(axum::body::Body::new))
    });
    let mut conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);

    tokio::select! {
        result = &mut conn => {
            if let Err(err) = result {
                if !err.is_incomplete_message() && !err.is_canceled() && !is_fault_drop(&err) {
                    eprintln!("poke-emulator: connection error: {err}");
                }
            }
        }
        _ = control.close.notify.notified() => {
            let stream = conn.into_parts().io.into_inner().into_tcp();
            if control.close.reset.load(std::sync::atomic::Ordering::SeqCst) {
                // A zero linger turns the close below into a RST instead of a FIN.
                let _ = stream.set_zero_linger();
            }
            drop(stream);
        }
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
}
