//! `/_emulator/*`: the HTTP control surface, mirroring [`crate::Emulator`]'s methods so tests in
//! any language can drive the emulator. No authentication; JSON in and out. The sessions
//! API's clock, script and config routes live in [`crate::sessions::control`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use crate::faults::Fault;
use crate::response::{error_json, json};
use crate::state::{AppState, lock};

/// The control routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/_emulator/requests",
            get(list_requests).delete(clear_requests),
        )
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_emulator/faults/{id}", delete(remove_fault))
        .route("/_emulator/journal", get(journal_stats).post(set_journal))
        .route("/_emulator/messages", get(list_messages))
        .route("/_emulator/webhooks", get(list_webhook_fires))
        .route(
            "/_emulator/callbacks",
            get(list_callback_chains).post(new_callback_chain),
        )
        .route("/_emulator/reset", post(reset))
        .merge(crate::sessions::control::router())
}

fn ok() -> Response {
    json(StatusCode::OK, &json!({"ok": true}))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    error_json(StatusCode::BAD_REQUEST, "Bad Request", &message.to_string())
}

async fn list_requests(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.journal.snapshot())
}

async fn clear_requests(State(state): State<Arc<AppState>>) -> Response {
    state.clear_journal();
    ok()
}

async fn journal_stats(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.journal.stats())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalSettings {
    capacity: usize,
}

async fn set_journal(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let settings: JournalSettings = match serde_json::from_slice(&body) {
        Ok(settings) => settings,
        Err(err) => return bad_request(format_args!("invalid body: {err}")),
    };
    match state.set_journal_capacity(settings.capacity) {
        Ok(()) => json(StatusCode::OK, &state.journal.stats()),
        Err(reason) => bad_request(reason),
    }
}

async fn list_faults(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.faults.list())
}

async fn add_fault(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(err) => return bad_request(format_args!("invalid fault: {err}")),
    };
    if let Err(reason) = fault.validate() {
        return bad_request(format_args!("invalid fault: {reason}"));
    }
    let id = state.add_fault(fault);
    json(StatusCode::OK, &json!({"id": id}))
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    state.clear_faults();
    ok()
}

async fn remove_fault(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return bad_request("fault id must be a number");
    };
    if state.remove_fault(id) {
        ok()
    } else {
        error_json(
            StatusCode::NOT_FOUND,
            "Not Found",
            "No active fault with this id",
        )
    }
}

async fn list_messages(State(state): State<Arc<AppState>>) -> Response {
    let messages = lock(&state.poke).messages.clone();
    json(StatusCode::OK, &messages)
}

async fn list_webhook_fires(State(state): State<Arc<AppState>>) -> Response {
    let fires = lock(&state.poke).webhook_fires.clone();
    json(StatusCode::OK, &fires)
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewChain {
    #[serde(alias = "maxCallbacks")]
    max_callbacks: Option<u32>,
}

async fn new_callback_chain(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    // An empty body is the common "no limit" case, so it needs no JSON at all.
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        NewChain::default()
    } else {
        match serde_json::from_slice::<NewChain>(&body) {
            Ok(request) => request,
            Err(err) => return bad_request(format_args!("invalid body: {err}")),
        }
    };
    let chain = state.new_callback_chain(request.max_callbacks);
    json(StatusCode::OK, &chain)
}

async fn list_callback_chains(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &state.callbacks.records())
}

async fn reset(State(state): State<Arc<AppState>>) -> Response {
    state.reset();
    ok()
}
