//! The inspector: a web page on the emulator's own port (`/_emulator/ui/`) that shows what a
//! client sent and what the agent did, live. Its HTML, CSS and JavaScript are embedded in the
//! binary; one SSE feed keeps it current; everything it shows is redacted; every action it
//! offers is a documented control route (`/_emulator/*`), so tests never need the page.

mod assets;
mod feed;
mod guard;
mod redact;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

pub(crate) use guard::guard;
pub(crate) use redact::Secrets;

use crate::state::AppState;

/// Where the page lives; everything under it belongs to the inspector.
pub(crate) const UI_PREFIX: &str = "/_emulator/ui";
/// The page's address (with the trailing slash its relative links expect).
pub(crate) const UI_PAGE: &str = "/_emulator/ui/";

/// Whether `path` is the inspector's page, assets, feed or read API.
pub(crate) fn is_ui_path(path: &str) -> bool {
    path.strip_prefix(UI_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The inspector's routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/ui", get(assets::index))
        .route("/_emulator/ui/", get(assets::index))
        .route("/_emulator/ui/app.js", get(assets::script))
        .route("/_emulator/ui/app.css", get(assets::style))
        .route("/_emulator/ui/feed", get(feed::feed))
        .route("/_emulator/ui/api/overview", get(views::overview))
        .route("/_emulator/ui/api/requests", get(views::requests))
        .route(
            "/_emulator/ui/api/requests/{seq}",
            get(views::request_detail),
        )
        .route("/_emulator/ui/api/sessions", get(views::sessions))
        .route("/_emulator/ui/api/sessions/{id}/files", get(views::files))
}

#[cfg(test)]
mod tests {
    use super::is_ui_path;

    #[test]
    fn ui_paths() {
        assert!(is_ui_path("/_emulator/ui"));
        assert!(is_ui_path("/_emulator/ui/"));
        assert!(is_ui_path("/_emulator/ui/feed"));
        assert!(!is_ui_path("/_emulator/uix"));
        assert!(!is_ui_path("/_emulator/requests"));
    }
}
