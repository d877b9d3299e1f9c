//! Stateless responses (spec §2.18–§2.20, E19–E21): one OpenAI-Responses-shaped inference
//! call, streamed in OpenAI's event sequence or answered whole, resumable and cancellable with
//! the session-turn rules, shaped by queued scripts or by the magic words of its last user
//! message.

mod control;
mod generate;
mod request;
mod routes;
mod script;
mod shape;
mod store;

use std::sync::Arc;

use axum::Router;

pub use script::{ResponseOutcome, ResponseScript, ResponseStep};
pub(crate) use store::ResponseStore;

use crate::state::AppState;

/// The `/v1/responses` routes and their `/_emulator/responses*` controls.
pub(crate) fn router() -> Router<Arc<AppState>> {
    routes::router().merge(control::router())
}
