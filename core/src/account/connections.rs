//! MCP connections: adding a server by URL, and the tunnelled kind whose public URL reaches a
//! local server through the tunnel transport (activation, recipe, tool sync, removal).

use super::client::AccountClient;
use super::lenient;
use crate::http::{Body, Idempotency};
use crate::secret::Secret;
use crate::sessions::{id_segment, json_body};
use crate::{ApiError, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// An MCP server to add by URL (`poke mcp add`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewConnection {
    /// The connection's name.
    pub name: String,
    /// The server's URL, as the user typed it.
    pub server_url: String,
    /// The server's API key, when it needs one.
    pub api_key: Option<Secret>,
}

impl NewConnection {
    /// A connection to `server_url` named `name`, without an API key.
    pub fn new(name: impl Into<String>, server_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            server_url: server_url.into(),
            api_key: None,
        }
    }

    /// Sends this API key to the server with the connection.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }
}

/// A local MCP server to expose through a tunnel (`poke tunnel`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewTunnel {
    /// The connection's name.
    pub name: String,
    /// The local server's URL.
    pub server_url: String,
    /// OAuth client id for the server, when it needs one.
    pub client_id: Option<String>,
    /// OAuth client secret for the server, when it needs one.
    pub client_secret: Option<Secret>,
}

impl NewTunnel {
    /// A tunnel to the local server at `server_url`, named `name`.
    pub fn new(name: impl Into<String>, server_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            server_url: server_url.into(),
            client_id: None,
            client_secret: None,
        }
    }

    /// Sets the OAuth client of the server.
    pub fn oauth_client(mut self, id: Option<String>, secret: Option<Secret>) -> Self {
        self.client_id = id;
        self.client_secret = secret;
        self
    }
}

/// The reply to adding an MCP connection.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct McpConnection {
    /// The connection id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// The connection's name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: Option<String>,
    /// The server URL Poke will call.
    #[serde(default, rename = "serverUrl", deserialize_with = "lenient::text")]
    pub server_url: Option<String>,
    /// The tools found on the server, as sent.
    #[serde(default, deserialize_with = "tools")]
    pub tools: Vec<serde_json::Value>,
}

/// The reply to creating a tunnelled connection.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct TunnelConnection {
    /// The connection id, which is also the tunnel endpoint id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// The connection's name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: Option<String>,
    /// The public URL Poke calls (the tunnel URL).
    #[serde(default, rename = "serverUrl", deserialize_with = "lenient::text")]
    pub server_url: Option<String>,
    /// Where and how the tunnel transport connects.
    #[serde(default)]
    pub tunnel: Option<TunnelAccess>,
    /// A recipe made with the connection, when the server made one.
    #[serde(default)]
    pub recipe: Option<Recipe>,
}

/// The tunnel transport's credentials: a token for `upstream_url`.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct TunnelAccess {
    /// The bearer token of the upstream WebSocket.
    #[serde(default, deserialize_with = "lenient::secret")]
    pub token: Option<Secret>,
    /// The tunnel server's upstream URL.
    #[serde(default, rename = "upstreamUrl", deserialize_with = "lenient::text")]
    pub upstream_url: Option<String>,
}

/// The reply of `activate-tunnel`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Activation {
    /// `authenticated`, `oauth_required`, or another value kept as sent.
    #[serde(default, deserialize_with = "lenient::text")]
    pub status: Option<String>,
    /// Where the user authorizes the server, with `oauth_required`.
    #[serde(default, alias = "authUrl", deserialize_with = "lenient::text")]
    pub auth_url: Option<String>,
}

/// A recipe: a link that adds the connection for whoever opens it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipe {
    /// The recipe's link.
    #[serde(default, deserialize_with = "lenient::text")]
    pub link: Option<String>,
}

fn tools<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<serde_json::Value>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Array(items)) => items,
        _ => Vec::new(),
    })
}

#[derive(Serialize)]
struct AddBody<'a> {
    name: &'a str,
    #[serde(rename = "serverUrl")]
    server_url: &'a str,
    #[serde(rename = "apiKey", skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
}

#[derive(Serialize)]
struct TunnelBody<'a> {
    name: &'a str,
    #[serde(rename = "serverUrl")]
    server_url: &'a str,
    tunnel: bool,
    #[serde(rename = "clientId", skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(rename = "clientSecret", skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
}

#[derive(Serialize)]
struct RecipeBody<'a> {
    name: &'a str,
}

impl AccountClient {
    /// Adds an MCP server by URL (`POST /mcp/connections/cli`).
    ///
    /// A server that needs OAuth is refused with an [`crate::Error::Api`] whose `code` is
    /// `OAUTH_REQUIRED`.
    pub async fn add_mcp_connection(&self, conn: &NewConnection) -> Result<McpConnection> {
        let body = json_body(&AddBody {
            name: &conn.name,
            server_url: &conn.server_url,
            api_key: conn.api_key.as_ref().map(Secret::expose),
        })?;
        // Not repeated once it may have arrived: a second POST could add a second connection.
        let req = self.authed(
            Method::POST,
            "/mcp/connections/cli",
            body,
            Idempotency::Unsafe,
        )?;
        self.call_json(req).await
    }

    /// Creates a tunnelled connection to a local server (`POST /mcp/connections/cli` with
    /// `"tunnel": true`).
    pub async fn create_tunnel(&self, tunnel: &NewTunnel) -> Result<TunnelConnection> {
        let body = json_body(&TunnelBody {
            name: &tunnel.name,
            server_url: &tunnel.server_url,
            tunnel: true,
            client_id: tunnel.client_id.as_deref(),
            client_secret: tunnel.client_secret.as_ref().map(Secret::expose),
        })?;
        let req = self.authed(
            Method::POST,
            "/mcp/connections/cli",
            body,
            Idempotency::Unsafe,
        )?;
        self.call_json(req).await
    }

    /// Asks Poke to connect to the tunnelled server and sync its tools
    /// (`POST /mcp/connections/{id}/activate-tunnel`).
    pub async fn activate_tunnel(&self, connection_id: &str) -> Result<Activation> {
        let req = self.connection_call(Method::POST, connection_id, "/activate-tunnel")?;
        self.call_json(req).await
    }

    /// Makes a recipe for the connection (`POST /mcp/connections/{id}/create-recipe`).
    pub async fn create_recipe(&self, connection_id: &str, name: &str) -> Result<Recipe> {
        let mut req = self.connection_call(Method::POST, connection_id, "/create-recipe")?;
        req.body = json_body(&RecipeBody { name })?;
        req.idempotency = Idempotency::Unsafe;
        self.call_json(req).await
    }

    /// Asks Poke to list the server's tools again (`POST /mcp/connections/{id}/sync-tools`);
    /// returns the 2xx status.
    pub async fn sync_tools(&self, connection_id: &str) -> Result<u16> {
        let req = self.connection_call(Method::POST, connection_id, "/sync-tools")?;
        self.call_status(req).await
    }

    /// Removes the connection (`DELETE /mcp/connections/{id}`); returns the 2xx status.
    pub async fn delete_connection(&self, connection_id: &str) -> Result<u16> {
        let req = self.connection_call(Method::DELETE, connection_id, "")?;
        self.call_status(req).await
    }

    fn connection_call(
        &self,
        method: Method,
        connection_id: &str,
        rest: &str,
    ) -> Result<crate::http::Request<'_>> {
        let id = id_segment("connection_id", connection_id)?;
        self.authed(
            method,
            &format!("/mcp/connections/{id}{rest}"),
            Body::Empty,
            // Activation, sync and removal come out the same when repeated.
            Idempotency::Safe,
        )
    }
}

impl ApiError {
    /// The `message` string of a JSON error body, when the server sent a non-empty one.
    pub fn server_message(&self) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(self.body.as_deref()?).ok()?;
        body.get("message")?
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
    }
}
