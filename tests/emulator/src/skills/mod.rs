//! Custom skills (spec §2.16–§2.17, E16–E18): zip bundles unpacked and checked in staging,
//! then swapped in whole, so a refused bundle leaves the installed one as it was.

mod bundle;
mod name;
mod routes;
mod store;

use std::sync::Arc;

use axum::Router;

pub(crate) use store::SkillStore;

use crate::state::AppState;

/// The `/v1/skills` routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    routes::router()
}
