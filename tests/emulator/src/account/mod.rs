//! The account API behind the `poke` command (spec `poke-cli.md` §8): device-code login, the
//! user's profile, MCP connections, and tunnels through an emulated piko server whose public
//! URLs forward requests to the connected agent, so `poke tunnel` runs end to end offline.
//!
//! Control routes live under `/_emulator/account` and `/_emulator/tunnels` ([`control`]).

mod cli_auth;
mod connections;
mod control;
mod profile;
mod settings;
mod tunnel;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::{api_key_accepted, bearer_token};
use crate::response::error_json;
use crate::state::{AppState, lock};

pub(crate) use settings::AccountSettings;
use tunnel::TunnelHub;

/// The account routes and their control routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(cli_auth::router())
        .merge(profile::router())
        .merge(connections::router())
        .merge(control::router())
}

/// What the account routes know: settings, login codes, tokens, connections, tunnels.
#[derive(Default)]
pub(crate) struct AccountState {
    inner: Mutex<Inner>,
    tunnels: Arc<TunnelHub>,
}

#[derive(Default)]
struct Inner {
    settings: AccountSettings,
    codes: Vec<cli_auth::LoginCode>,
    /// Tokens handed out by a login.
    issued: HashSet<String>,
    /// Tokens refused from now on, issued or not.
    revoked: HashSet<String>,
    /// Every token is refused from now on.
    revoked_all: bool,
    connections: Vec<connections::Connection>,
}

impl AccountState {
    /// Forgets codes, tokens, connections and settings, and closes every tunnel.
    pub(crate) fn reset(&self) {
        *lock(&self.inner) = Inner::default();
        self.tunnels.reset();
    }

    /// Stops the tunnel listeners and closes every agent session.
    pub(crate) fn shutdown(&self) {
        self.tunnels.shutdown();
    }

    /// Everything, for `GET /_emulator/account`.
    fn snapshot(&self) -> Value {
        let inner = lock(&self.inner);
        json!({
            "settings": inner.settings,
            "codes": inner.codes.iter().map(cli_auth::LoginCode::to_json).collect::<Vec<_>>(),
            "issued_tokens": inner.issued.len(),
            "revoked_tokens": inner.revoked.len(),
            "revoked_all": inner.revoked_all,
            "connections": inner.connections.iter().map(|c| c.to_json(&self.tunnels)).collect::<Vec<_>>(),
        })
    }
}

/// The 401 answer for an account call whose bearer token is not accepted, `None` when it is:
/// accepted are a token a login issued and any token the API key rule accepts, unless revoked.
fn refused(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = bearer_token(headers) else {
        return Some(unauthorized());
    };
    let inner = lock(&state.account.inner);
    let revoked = inner.revoked_all || inner.revoked.contains(token);
    let known = inner.issued.contains(token) || api_key_accepted(state, headers);
    (revoked || !known).then(unauthorized)
}

fn unauthorized() -> Response {
    error_json(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "Invalid or expired token",
    )
}
