//! `/_emulator/responses*`: scripts for the next stateless responses, and what is kept.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::json;

use super::script::{ResponseScript, validate};
use crate::response::{error_json, json};
use crate::state::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/responses", get(list))
        .route(
            "/_emulator/responses/script",
            post(queue_script).delete(clear_scripts),
        )
}

async fn list(State(state): State<Arc<AppState>>) -> Response {
    json(
        StatusCode::OK,
        &state.sessions.store().responses.debug_json(),
    )
}

async fn queue_script(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let script: ResponseScript = match serde_json::from_slice(&body) {
        Ok(script) => script,
        Err(err) => {
            return error_json(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                &format!("invalid body: {err}"),
            );
        }
    };
    match state.script_response(script) {
        Ok(queued) => json(StatusCode::OK, &json!({"ok": true, "queued": queued})),
        Err(reason) => error_json(StatusCode::BAD_REQUEST, "Bad Request", &reason),
    }
}

async fn clear_scripts(State(state): State<Arc<AppState>>) -> Response {
    let cleared = state.sessions.store().responses.clear_scripts();
    json(StatusCode::OK, &json!({"ok": true, "cleared": cleared}))
}

impl AppState {
    /// Queues `script` for the next E19 request; returns how many are queued.
    pub(crate) fn script_response(&self, script: ResponseScript) -> Result<usize, String> {
        validate(&script)?;
        let queued = {
            let mut store = self.sessions.store();
            store.responses.push_script(script);
            store.responses.debug_json()["queued_scripts"]
                .as_u64()
                .unwrap_or(0) as usize
        };
        self.note("response script queued".to_owned());
        Ok(queued)
    }
}
