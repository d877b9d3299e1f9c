//! The Pokee Enterprise sessions API (spec `pokee-enterprise-api.md`): stateful sessions with
//! a virtual clock, a scripted agent streaming turns over SSE with resume and cancel, and a
//! tenant workspace behind the files API.

mod agent;
mod clock;
mod config;
pub(crate) mod control;
pub(crate) mod errors;
mod file_routes;
mod idempotency;
mod inspect;
mod paths;
mod routes;
mod script;
mod store;
mod stream;
mod turn;
mod usage;
mod workspace;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use bytes::Bytes;
use serde_json::{Value, json};

pub(crate) use crate::state::lock;
pub use config::{CreditsMode, SessionsConfig};
pub(crate) use idempotency::{canonical, validate_key};
pub(crate) use inspect::CancelRefusal;
pub(crate) use routes::{parse_tools, query_params, replayed_without_events};
pub(crate) use script::{MAX_EVENTS, parse_magic};
pub use script::{ScriptStep, TokenUsage, TurnOutcome, TurnScript};
pub(crate) use stream::{DROP_FAULT, StreamSpec, sse_response};
pub(crate) use turn::{CancelOutcome, Interrupt, Turn};
pub(crate) use usage::credits_exhausted;

use crate::state::AppState;
use clock::VirtualClock;
use store::Store;
use workspace::Node;

/// The `message.error` of turns stopped by a reset or a shutdown.
const RESET: &str = "emulator reset";

/// State of the sessions API: the store and the clock it is judged by.
#[derive(Default)]
pub(crate) struct SessionsState {
    store: Mutex<Store>,
    pub(crate) clock: VirtualClock,
}

impl SessionsState {
    /// Virtual now, in Unix epoch seconds rounded to milliseconds (every timestamp the API
    /// hands out comes from here).
    pub(crate) fn now(&self) -> f64 {
        clock::round_ms(self.clock.now())
    }

    /// Locks the store after applying every time-based rule (lazy expiry).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        let now = self.now();
        let mut store = lock(&self.store);
        store.sweep(now);
        store
    }

    /// Forgets sessions, turns, keys, files and usage, restores the default config and
    /// real time; running turns end with `message.error`.
    pub(crate) fn reset(&self) {
        let old = std::mem::take(&mut *lock(&self.store));
        old.abort_all(RESET);
        self.clock.reset();
    }

    /// Ends every running turn, so no agent task outlives the server.
    pub(crate) fn shutdown(&self) {
        lock(&self.store).abort_all(RESET);
    }

    pub(crate) fn config(&self) -> SessionsConfig {
        lock(&self.store).config.clone()
    }

    pub(crate) fn set_config(&self, config: SessionsConfig) {
        lock(&self.store).config = config;
    }

    pub(crate) fn degraded(&self) -> bool {
        lock(&self.store).config.degraded
    }

    /// Moves the clock and applies what that expires.
    pub(crate) fn advance_clock(&self, secs: f64) {
        self.clock.advance(secs);
        drop(self.store());
    }

    /// Every live session: the API record plus `model`, `tools`, `current_response_id` and
    /// `queued_scripts`.
    pub(crate) fn sessions_json(&self) -> Value {
        Value::Array(
            self.store()
                .sessions
                .iter()
                .map(store::Session::debug_record)
                .collect(),
        )
    }

    /// Every resumable turn: id, session, status, event count, start and close times.
    pub(crate) fn turns_json(&self) -> Value {
        let store = self.store();
        let mut turns: Vec<_> = store.turns.values().cloned().collect();
        turns.sort_by(|a, b| a.started_at.total_cmp(&b.started_at));
        Value::Array(
            turns
                .iter()
                .map(|t| {
                    json!({
                        "response_id": t.rid,
                        "session_id": t.session_id,
                        "status": t.status(),
                        "events": t.event_count(),
                        "started_at": t.started_at,
                        "closed_at": t.closed_at(),
                    })
                })
                .collect(),
        )
    }

    /// Queues `script` for the next turn of session `id`.
    pub(crate) fn script_turn(&self, id: &str, script: TurnScript) -> Result<(), String> {
        script::validate(&script)?;
        let mut store = self.store();
        let session = store
            .session_mut(id)
            .ok_or_else(|| format!("session '{id}' not found"))?;
        session.scripts.push_back(script);
        Ok(())
    }

    /// The bytes of a workspace file.
    pub(crate) fn workspace_file(&self, path: &str) -> Option<Vec<u8>> {
        match self.store().workspace.get(path) {
            Some(Node::File { data, .. }) => Some(data.to_vec()),
            _ => None,
        }
    }

    /// Writes a workspace file directly (test setup), creating parents.
    pub(crate) fn put_workspace_file(&self, path: &str, data: Vec<u8>) -> Result<(), String> {
        let path = paths::normalize(path, false)?;
        let now = self.now();
        self.store()
            .workspace
            .put(&path, Bytes::from(data), now)
            .map_err(|_| format!("'{path}' or one of its parents is not a file path"))
    }
}

/// The `/v1` routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    routes::router().merge(file_routes::router())
}

/// Whether `path` belongs to the sessions API, whose errors use the spec's short names.
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// 404 `not_found` for an unknown `/v1` route.
pub(crate) fn unknown_route() -> axum::response::Response {
    errors::not_found("No such route")
}

/// 405 for a known `/v1` route and another method.
pub(crate) fn method_not_allowed() -> axum::response::Response {
    errors::api_error(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed for this route",
    )
}

/// 503 `service_unavailable` for `GET /health` while degraded.
pub(crate) fn health_degraded() -> axum::response::Response {
    errors::service_unavailable()
}
