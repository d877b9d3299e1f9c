//! `GET /user/profile`: the configured profile, for an accepted token.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use crate::response::json;
use crate::state::{AppState, lock};

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/user/profile", get(profile))
}

async fn profile(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = super::refused(&state, &headers) {
        return refused;
    }
    let profile = lock(&state.account.inner).settings.profile.clone();
    json(StatusCode::OK, &profile)
}
