//! E16 `GET /v1/skills`, E17 `POST /v1/skills/{name}`, E18 `DELETE /v1/skills/{name}`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::json;

use super::bundle::{self, Limits, Refusal};
use super::name;
use super::store::Skill;
use crate::auth::api_key_accepted;
use crate::response::json;
use crate::sessions::errors::{bad_request, not_found, payload_too_large, unauthorized};
use crate::state::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/skills", get(list))
        .route("/v1/skills/{name}", post(install).delete(uninstall))
}

async fn list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    json(StatusCode::OK, &state.sessions.store().skills.listing())
}

async fn install(
    State(state): State<Arc<AppState>>,
    Path(skill): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    if let Some(problem) = name::problem(&skill) {
        return bad_request(problem);
    }
    let config = state.sessions.config();
    let limits = Limits {
        max_files: config.skill_max_files,
        max_total: config.skill_max_total_bytes,
        max_file: config.skill_max_file_bytes,
    };
    // Unpacking is CPU work bounded by the limits; it stays off the server's own threads.
    let unpacked = tokio::task::spawn_blocking(move || bundle::unpack(&body, limits)).await;
    let files = match unpacked {
        Ok(Ok(files)) => files,
        Ok(Err(Refusal::Invalid(reason))) => return bad_request(reason),
        Ok(Err(Refusal::TooLarge(reason))) => return payload_too_large(reason),
        Err(_) => return bad_request("the bundle could not be unpacked"),
    };
    let installed = Skill {
        files,
        modified: state.sessions.now(),
    };
    let answer = json!({
        "name": skill,
        "files": installed.files.keys().collect::<Vec<_>>(),
        "total_bytes": installed.total_bytes(),
        "skill_md_size": installed.skill_md_size(),
    });
    // Checked whole in staging above; the swap is one step under the store's lock.
    state.sessions.store().skills.swap_in(skill, installed);
    json(StatusCode::CREATED, &answer)
}

async fn uninstall(
    State(state): State<Arc<AppState>>,
    Path(skill): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    if let Some(problem) = name::problem(&skill) {
        return bad_request(problem);
    }
    if state.sessions.store().skills.remove(&skill) {
        let mut response = Response::default();
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    } else {
        not_found(format!("skill '{skill}' not found"))
    }
}
