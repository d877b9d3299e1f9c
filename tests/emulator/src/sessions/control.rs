//! `/_emulator/clock*` and `/_emulator/sessions*`: the sessions API's part of the control
//! surface (virtual clock, agent scripts, config, introspection).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

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
        .route("/_emulator/sessions/{id}/script", post(script_turn))
        .route("/_emulator/turns", get(list_turns))
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
            state.sessions.advance_clock(secs);
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
    state.sessions.clock.set_frozen(request.frozen);
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
            state.sessions.set_config(config.clone());
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
    match state.sessions.script_turn(&id, script) {
        Ok(()) => json(StatusCode::OK, &json!({"ok": true})),
        Err(reason) if reason.contains("not found") => {
            error_json(StatusCode::NOT_FOUND, "Not Found", &reason)
        }
        Err(reason) => bad_request(reason),
    }
}
