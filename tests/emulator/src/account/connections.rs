//! MCP connections: `POST /mcp/connections/cli` (plain, or tunnelled with `"tunnel": true`),
//! and for a connection `activate-tunnel`, `create-recipe`, `sync-tools` and `DELETE`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, post};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::settings::Activation;
use super::tunnel::TunnelHub;
use crate::response::{error_json, invalid_json, json};
use crate::state::{AppState, lock, random_hex};

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/mcp/connections/cli", post(create))
        .route(
            "/api/v1/mcp/connections/{id}/activate-tunnel",
            post(activate),
        )
        .route("/api/v1/mcp/connections/{id}/create-recipe", post(recipe))
        .route("/api/v1/mcp/connections/{id}/sync-tools", post(sync_tools))
        .route("/api/v1/mcp/connections/{id}", delete(remove))
}

/// One connection as the emulator keeps it.
pub(super) struct Connection {
    id: String,
    name: String,
    server_url: String,
    tunnel: bool,
    public_url: Option<String>,
    api_key_sent: bool,
    client_id: Option<String>,
    client_secret_sent: bool,
    deleted: bool,
    activations: u32,
    syncs: u32,
    recipes: u32,
}

impl Connection {
    pub(super) fn to_json(&self, hub: &TunnelHub) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "server_url": self.server_url,
            "tunnel": self.tunnel,
            "public_url": self.public_url,
            "api_key_sent": self.api_key_sent,
            "client_id": self.client_id,
            "client_secret_sent": self.client_secret_sent,
            "deleted": self.deleted,
            "activations": self.activations,
            "syncs": self.syncs,
            "recipes": self.recipes,
            "agent": self.tunnel.then(|| hub.endpoint_json(&self.id)),
        })
    }
}

fn bad_request(message: &str) -> Response {
    error_json(StatusCode::BAD_REQUEST, "Bad Request", message)
}

fn text_field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

async fn create(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = super::refused(&state, &headers) {
        return refused;
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return invalid_json();
    };
    let (Some(name), Some(server_url)) =
        (text_field(&body, "name"), text_field(&body, "serverUrl"))
    else {
        return bad_request("name and serverUrl are required");
    };
    let tunnel = body.get("tunnel") == Some(&Value::Bool(true));
    let api_key = text_field(&body, "apiKey");
    let client_secret = text_field(&body, "clientSecret");
    for secret in api_key.iter().chain(client_secret.iter()) {
        state.secrets.learn(secret);
    }
    let settings = lock(&state.account.inner).settings.clone();
    if !tunnel && settings.mcp_oauth_required {
        return error_json(
            StatusCode::BAD_REQUEST,
            "OAUTH_REQUIRED",
            "This MCP server requires OAuth authentication",
        );
    }
    let id = format!("conn_{}", &random_hex()[..12]);
    let mut conn = Connection {
        id: id.clone(),
        name: name.to_owned(),
        server_url: server_url.to_owned(),
        tunnel,
        public_url: None,
        api_key_sent: api_key.is_some(),
        client_id: text_field(&body, "clientId").map(str::to_owned),
        client_secret_sent: client_secret.is_some(),
        deleted: false,
        activations: 0,
        syncs: 0,
        recipes: 0,
    };
    let mut reply = Map::new();
    reply.insert("id".into(), json!(id));
    reply.insert("name".into(), json!(name));
    if tunnel {
        let hub = state.account.tunnels.clone();
        let urls = match hub.ensure_started(&state.base_url).await {
            Ok(urls) => urls,
            Err(e) => {
                return error_json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                    &format!("tunnel server failed to start: {e}"),
                );
            }
        };
        let token = format!("tun_{}", random_hex());
        state.secrets.learn(&token);
        hub.register(&id, &token);
        let public = format!("{}/{id}{}", urls.proxy, path_of(server_url));
        conn.public_url = Some(public.clone());
        reply.insert("serverUrl".into(), json!(public));
        reply.insert(
            "tunnel".into(),
            json!({"token": token, "upstreamUrl": urls.upstream}),
        );
        if settings.recipe_with_connection {
            conn.recipes += 1;
            reply.insert(
                "recipe".into(),
                json!({"link": recipe_link(&state.base_url)}),
            );
        }
    } else {
        reply.insert("serverUrl".into(), json!(server_url));
        reply.insert("tools".into(), Value::Array(settings.mcp_tools.clone()));
    }
    lock(&state.account.inner).connections.push(conn);
    json(StatusCode::OK, &Value::Object(reply))
}

/// The path of a URL (`/mcp` of `http://127.0.0.1:8000/mcp?x=1`), empty when it has none.
fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].trim_end_matches('/')
}

fn recipe_link(base_url: &str) -> String {
    format!("{base_url}/r/{}", &random_hex()[..10])
}

/// Runs `f` on the live connection `id` (after checking the token), or answers 401/404.
fn with_connection(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    f: impl FnOnce(&mut Connection, &super::AccountSettings) -> Response,
) -> Response {
    if let Some(refused) = super::refused(state, headers) {
        return refused;
    }
    let mut guard = lock(&state.account.inner);
    let inner = &mut *guard;
    match inner
        .connections
        .iter_mut()
        .find(|c| c.id == id && !c.deleted)
    {
        Some(conn) => f(conn, &inner.settings),
        None => error_json(StatusCode::NOT_FOUND, "Not Found", "No such connection"),
    }
}

async fn activate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let hub = state.account.tunnels.clone();
    let base_url = state.base_url.clone();
    with_connection(&state, &headers, &id, |conn, settings| {
        conn.activations += 1;
        // Poke reaches the server through the tunnel: nothing to reach before the agent is in.
        if !conn.tunnel || !hub.is_connected(&conn.id) {
            return error_json(
                StatusCode::BAD_GATEWAY,
                "TUNNEL_NOT_CONNECTED",
                "No agent is connected to this tunnel",
            );
        }
        match settings.activation {
            Activation::Authenticated => {
                conn.syncs += 1;
                json(StatusCode::OK, &json!({"status": "authenticated"}))
            }
            Activation::OauthRequired => json(
                StatusCode::OK,
                &json!({
                    "status": "oauth_required",
                    "authUrl": format!("{base_url}/oauth/authorize?connection={}", conn.id),
                }),
            ),
            Activation::Fail => error_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "Activation failed",
            ),
        }
    })
}

async fn recipe(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let base_url = state.base_url.clone();
    with_connection(&state, &headers, &id, |conn, settings| {
        let named = matches!(
            serde_json::from_slice::<Value>(&body),
            Ok(Value::Object(o)) if o.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty())
        );
        if !named {
            return bad_request("name is required");
        }
        if settings.recipe_fails {
            return error_json(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "Recipe creation failed",
            );
        }
        conn.recipes += 1;
        json(StatusCode::OK, &json!({"link": recipe_link(&base_url)}))
    })
}

async fn sync_tools(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_connection(&state, &headers, &id, |conn, _| {
        conn.syncs += 1;
        json(StatusCode::OK, &json!({"success": true}))
    })
}

async fn remove(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let hub = state.account.tunnels.clone();
    with_connection(&state, &headers, &id, |conn, _| {
        conn.deleted = true;
        if conn.tunnel {
            hub.unregister(&conn.id);
        }
        json(StatusCode::OK, &json!({"success": true}))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_of_keeps_the_path_only() {
        assert_eq!(super::path_of("http://127.0.0.1:8000/mcp?x=1"), "/mcp");
        assert_eq!(super::path_of("http://127.0.0.1:8000/"), "");
        assert_eq!(super::path_of("http://127.0.0.1:8000"), "");
        assert_eq!(super::path_of("https://h/a/b/#f"), "/a/b");
    }
}
