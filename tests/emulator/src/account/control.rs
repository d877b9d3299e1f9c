//! Control routes of the account API and the tunnels (no authentication, JSON in and out):
//!
//! - `GET /_emulator/account`: settings, login codes, connections (with their agent).
//! - `POST /_emulator/account/settings`: changes the given settings (see `AccountSettings`).
//! - `POST /_emulator/account/codes/{user_code}` `{"status": "authenticated"|"expired"|"invalid"}`
//!   decides a login code (`latest` names the newest one).
//! - `POST /_emulator/account/revoke` `{"token": …}` refuses that token from now on; without a
//!   token, every token.
//! - `GET /_emulator/tunnels`: the tunnel server's addresses and endpoints.
//! - `POST /_emulator/tunnels/{id}/drop`: closes the agent's session (it should reconnect).
//! - `POST /_emulator/tunnels/{id}/revoke`: closes it and refuses its token (reconnects get 401).
//! - `POST /_emulator/tunnels/restart` `{"down_ms": n}`: stops the upstream listener, closes
//!   every session, and listens again on the same port after `down_ms`.
//! - `POST /_emulator/tunnels/refuse` `{"status": s, "times": n}`: answers the next `n`
//!   upstream connection attempts with status `s`.
//! - `POST /_emulator/tunnels/settings` `{"stream_open_timeout_ms": n}`: how long a stream may
//!   stay unacknowledged before the session is closed (default 75000, as hashicorp's yamux).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cli_auth::Decision;
use super::settings::AccountSettings;
use crate::response::{error_json, json};
use crate::state::{AppState, lock};

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/account", get(snapshot))
        .route("/_emulator/account/settings", post(set_settings))
        .route("/_emulator/account/codes/{user_code}", post(decide_code))
        .route("/_emulator/account/revoke", post(revoke))
        .route("/_emulator/tunnels", get(tunnels))
        .route("/_emulator/tunnels/restart", post(restart))
        .route("/_emulator/tunnels/refuse", post(refuse))
        .route("/_emulator/tunnels/settings", post(tunnel_settings))
        .route("/_emulator/tunnels/{id}/drop", post(drop_agent))
        .route("/_emulator/tunnels/{id}/revoke", post(revoke_tunnel))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    error_json(StatusCode::BAD_REQUEST, "Bad Request", &message.to_string())
}

fn not_found(message: &str) -> Response {
    error_json(StatusCode::NOT_FOUND, "Not Found", message)
}

/// The body as a JSON object (an empty body is an empty object).
fn body_object(body: &Bytes) -> Option<serde_json::Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(serde_json::Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

fn not_an_object() -> Response {
    bad_request("the body must be a JSON object")
}

async fn snapshot(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.account.snapshot())
}

async fn set_settings(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Some(changes) = body_object(&body) else {
        return not_an_object();
    };
    let mut inner = lock(&state.account.inner);
    // Only the fields given change: the current settings with the body laid over them.
    let mut merged = match serde_json::to_value(&inner.settings) {
        Ok(Value::Object(o)) => o,
        _ => serde_json::Map::new(),
    };
    merged.extend(changes);
    match serde_json::from_value::<AccountSettings>(Value::Object(merged)) {
        Ok(settings) => {
            inner.settings = settings;
            let reply = json(StatusCode::OK, &inner.settings);
            drop(inner);
            state.note("account settings changed".to_owned());
            reply
        }
        Err(e) => bad_request(format_args!("invalid settings: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideCode {
    status: String,
}

async fn decide_code(
    State(state): State<Arc<AppState>>,
    Path(user_code): Path<String>,
    body: Bytes,
) -> Response {
    let request: DecideCode = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format_args!("invalid body: {e}")),
    };
    let Some(decision) = Decision::parse(&request.status) else {
        return bad_request("status must be authenticated, expired or invalid");
    };
    let mut inner = lock(&state.account.inner);
    let code = if user_code == "latest" {
        inner.codes.last_mut()
    } else {
        inner.codes.iter_mut().find(|c| c.user_code == user_code)
    };
    let Some(code) = code else {
        return not_found("No such login code");
    };
    code.decided = Some(decision);
    let reply = json(StatusCode::OK, &code.to_json());
    drop(inner);
    state.note(format!("login code {user_code}: {}", request.status));
    reply
}

async fn revoke(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Some(request) = body_object(&body) else {
        return not_an_object();
    };
    let mut inner = lock(&state.account.inner);
    match request.get("token") {
        None => inner.revoked_all = true,
        Some(Value::String(token)) => {
            inner.revoked.insert(token.clone());
        }
        Some(_) => return bad_request("token must be a string"),
    }
    drop(inner);
    state.note("account token revoked".to_owned());
    json(StatusCode::OK, &json!({"ok": true}))
}

async fn tunnels(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.account.tunnels.to_json())
}

async fn drop_agent(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    if !state.account.tunnels.drop_agent(&id, false) {
        return not_found("No agent is connected to this tunnel");
    }
    state.note(format!("tunnel {id}: agent session closed"));
    json(StatusCode::OK, &json!({"ok": true}))
}

async fn revoke_tunnel(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    if !state.account.tunnels.drop_agent(&id, true) {
        return not_found("No such tunnel");
    }
    state.note(format!("tunnel {id}: token revoked"));
    json(StatusCode::OK, &json!({"ok": true}))
}

async fn restart(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Some(request) = body_object(&body) else {
        return not_an_object();
    };
    let down_ms = request
        .get("down_ms")
        .and_then(Value::as_u64)
        .unwrap_or(200);
    let down = Duration::from_millis(down_ms.min(crate::faults::MAX_WAIT_MS));
    if !state.account.tunnels.restart_upstream(down) {
        return not_found("The tunnel server is not running");
    }
    state.note(format!("tunnel upstream restarting ({down_ms} ms down)"));
    json(StatusCode::OK, &json!({"ok": true}))
}

async fn refuse(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Some(request) = body_object(&body) else {
        return not_an_object();
    };
    let status = request.get("status").and_then(Value::as_u64);
    let Some(status) = status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return bad_request("status must be an HTTP status code");
    };
    let times = request.get("times").and_then(Value::as_u64).unwrap_or(1);
    state
        .account
        .tunnels
        .refuse(status, u32::try_from(times).unwrap_or(u32::MAX));
    state.note(format!(
        "tunnel upstream refuses {times} connections with {status}"
    ));
    json(StatusCode::OK, &json!({"ok": true}))
}

async fn tunnel_settings(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Some(request) = body_object(&body) else {
        return not_an_object();
    };
    let Some(ms) = request
        .get("stream_open_timeout_ms")
        .and_then(Value::as_u64)
    else {
        return bad_request("stream_open_timeout_ms must be a number of milliseconds");
    };
    state
        .account
        .tunnels
        .set_open_timeout(Duration::from_millis(ms));
    state.note(format!(
        "tunnel streams must be acknowledged within {ms} ms"
    ));
    json(StatusCode::OK, &json!({"ok": true}))
}
