//! `/_emulator/clock*`, `/_emulator/sessions*` and `/_emulator/workspace*`: the sessions
//! API's part of the control surface (virtual clock, agent scripts, config, cancelling a turn,
//! introspection, workspace downloads).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::CancelRefusal;
use super::script::TurnScript;
use crate::response::{error_json, json};
use crate::state::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/clock/freeze", post(freeze_clock))
        .route("/_emulator/sessions", get(list_sessions))
        .route(
            "/_emulator/sessions/config",
            get(get_config).post(patch_config),
        )
        .route("/_emulator/sessions/ended", get(list_ended))
        .route("/_emulator/sessions/{id}/script", post(script_turn))
        .route("/_emulator/sessions/{id}/cancel", post(cancel_turn))
        .route("/_emulator/turns", get(list_turns))
        .route("/_emulator/workspace", get(list_workspace))
        .route("/_emulator/workspace/{*path}", get(download_file))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    error_json(StatusCode::BAD_REQUEST, "Bad Request", &message.to_string())
}

/// Parses a JSON body; an empty one means the defaults. The error is the 400 message.
fn parse<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|err| format!("invalid body: {err}"))
}

async fn clock(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.clock.view())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Advance {
    secs: Option<f64>,
}

async fn advance_clock(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: Advance = match parse(&body) {
        Ok(request) => request,
        Err(reason) => return bad_request(reason),
    };
    match request.secs {
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            state.advance_clock(secs);
            json(StatusCode::OK, &state.sessions.clock.view())
        }
        _ => bad_request("secs must be a non-negative number"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Freeze {
    frozen: bool,
}

impl Default for Freeze {
    fn default() -> Self {
        Freeze { frozen: true }
    }
}

async fn freeze_clock(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: Freeze = match parse(&body) {
        Ok(request) => request,
        Err(reason) => return bad_request(reason),
    };
    state.freeze_clock(request.frozen);
    json(StatusCode::OK, &state.sessions.clock.view())
}

async fn list_sessions(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.sessions_json())
}

async fn list_turns(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.turns_json())
}

async fn get_config(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.config())
}

async fn patch_config(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(patch) => patch,
        Err(err) => return bad_request(format_args!("invalid body: {err}")),
    };
    match state.sessions.config().merged(&patch) {
        Ok(config) => {
            state.set_sessions_config(config.clone());
            json(StatusCode::OK, &config)
        }
        Err(reason) => bad_request(format_args!("invalid config: {reason}")),
    }
}

async fn script_turn(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let script: TurnScript = match serde_json::from_slice(&body) {
        Ok(script) => script,
        Err(err) => return bad_request(format_args!("invalid script: {err}")),
    };
    match state.script_turn(&id, script) {
        Ok(()) => json(StatusCode::OK, &json!({"ok": true})),
        Err(reason) if reason.contains("not found") => {
            error_json(StatusCode::NOT_FOUND, "Not Found", &reason)
        }
        Err(reason) => bad_request(reason),
    }
}

async fn list_ended(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.inspect().1)
}

async fn cancel_turn(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match state.cancel_turn(&id) {
        Ok((rid, running)) => json(
            if running {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            },
            &json!({
                "response_id": rid,
                "status": if running { "cancelling" } else { "already_complete" },
            }),
        ),
        Err(CancelRefusal::NoSession) => error_json(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("session '{id}' not found"),
        ),
        Err(CancelRefusal::NoTurn) => error_json(
            StatusCode::CONFLICT,
            "Conflict",
            &format!("session '{id}' is not running a turn"),
        ),
    }
}

async fn list_workspace(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.sessions.workspace_listing())
}

/// A workspace file as a download: always `application/octet-stream` and an attachment, so
/// a file that holds HTML can never run as a page of the emulator's origin.
async fn download_file(State(state): State<Arc<AppState>>, Path(path): Path<String>) -> Response {
    let Some(data) = state.sessions.workspace_bytes(&path) else {
        return error_json(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("no workspace file '{path}'"),
        );
    };
    let name = path.rsplit('/').next().unwrap_or("file");
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(
            |c: char| !c.is_ascii_graphic() || c == '"' || c == '\\',
            "_"
        )
    );
    let mut response = Response::new(axum::body::Body::from(data));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
