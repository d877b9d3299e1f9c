//! Safe by default: the inspector answers only to a `Host` that names this machine or an IP
//! address (so a DNS-rebinding page cannot read it), can never be framed, and no browser page
//! of another origin can drive the control routes.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::is_ui_path;
use crate::response::error_json;
use crate::state::AppState;

/// The page's content policy: its own script, style and feed only; no framing anywhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// Middleware on every request: refuses what the rules above forbid and adds the frame,
/// sniffing and caching headers to the inspector's answers.
pub(crate) async fn guard(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let ui = is_ui_path(path);
    let control = path == "/_emulator" || path.starts_with("/_emulator/");
    let guarded = ui || path.starts_with("/_emulator/workspace");
    if guarded && !host_allowed(&state, req.headers()) {
        return error_json(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the inspector answers only to localhost or an IP address in the Host header",
        );
    }
    if control && changes_state(req.method()) && cross_origin(req.headers()) {
        return error_json(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "control routes refuse requests from pages of another origin",
        );
    }
    let mut response = next.run(req).await;
    if guarded {
        let headers = response.headers_mut();
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(CSP));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    response
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a browser says the request comes from a page of another origin. Clients that are
/// not browsers send neither header and are never refused.
fn cross_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    !origin_host.eq_ignore_ascii_case(host)
}

/// Whether the `Host` header names `localhost`, an IP address, or the host the emulator was
/// started on; a name that merely resolves here (DNS rebinding) is refused.
fn host_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        // HTTP/1.0 clients may omit it; they are not browsers.
        return true;
    };
    let name = host_name(host);
    let bound = state
        .base_url
        .split_once("://")
        .map(|(_, rest)| host_name(rest))
        .unwrap_or_default();
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok()
        || name.eq_ignore_ascii_case(&bound)
}

/// The host part of `host[:port]` or `[v6]:port`, without brackets.
fn host_name(authority: &str) -> String {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(name, _)| name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn host_names() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("localhost"), "localhost");
    }

    #[test]
    fn only_local_names_and_addresses_reach_the_inspector() {
        let state = AppState::new("http://127.0.0.1:9".into(), None, false);
        for ok in [
            "127.0.0.1:9",
            "localhost:9",
            "[::1]:9",
            "10.1.2.3:9",
            "app.localhost:9",
        ] {
            assert!(host_allowed(&state, &headers(&[("host", ok)])), "{ok}");
        }
        assert!(!host_allowed(
            &state,
            &headers(&[("host", "evil.example:9")])
        ));
        let named = AppState::new("http://emulator:9".into(), None, false);
        assert!(host_allowed(&named, &headers(&[("host", "emulator:9")])));
    }

    #[test]
    fn cross_origin_browser_requests_are_recognised() {
        assert!(!cross_origin(&headers(&[("host", "127.0.0.1:9")])));
        assert!(!cross_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://127.0.0.1:9"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(cross_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("origin", "http://evil.example"),
        ])));
        assert!(cross_origin(&headers(&[
            ("host", "127.0.0.1:9"),
            ("sec-fetch-site", "same-site"),
        ])));
    }
}
