//! Routes of the Poke developer API under `/api/v1` (spec §2: E1–E4).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::auth::{api_key_accepted, bearer_token, unauthorized};
use crate::callbacks::{Accepted, CallbackPost};
use crate::response::{error_only, invalid_json, json};
use crate::state::{AppState, Trigger, lock, random_hex};

/// Path prefix of the Poke API.
pub(crate) const API_PREFIX: &str = "/api/v1";
/// Path of the MCP callback endpoint handed out in callback chains.
pub(crate) const CALLBACK_PATH: &str = "/api/v1/mcp/callback";
const WEBHOOK_FIRE_PATH: &str = "/api/v1/inbound/webhook";

/// The Poke API routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/inbound/api-message", post(send_message))
        .route("/api/v1/api-keys/webhook", post(create_webhook))
        .route(WEBHOOK_FIRE_PATH, post(fire_webhook))
        .route(CALLBACK_PATH, post(mcp_callback))
}

#[derive(Serialize)]
struct SendMessageResponse {
    success: bool,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateWebhookResponse {
    trigger_id: String,
    webhook_url: String,
    webhook_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallbackResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// E1: accepts any JSON object and remembers it as a sent message.
async fn send_message(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let Some(object) = parse_object(&body) else {
        return invalid_json();
    };
    lock(&state.poke).messages.push(Value::Object(object));
    json(
        StatusCode::OK,
        &SendMessageResponse {
            success: true,
            message: "Message sent successfully",
        },
    )
}

/// E2: creates a webhook trigger whose URL points back at this emulator.
async fn create_webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let Some(object) = parse_object(&body) else {
        return invalid_json();
    };
    // Values are not type-checked: the official SDKs forward whatever the caller passed.
    for field in ["condition", "action"] {
        if object.get(field).is_none_or(Value::is_null) {
            return error_only(
                StatusCode::BAD_REQUEST,
                &format!("Missing required field: {field}"),
            );
        }
    }
    let trigger = Trigger {
        id: format!("trg_{}", random_hex()),
        token: format!("whk_{}", random_hex()),
    };
    let response = CreateWebhookResponse {
        trigger_id: trigger.id.clone(),
        webhook_url: format!("{}{WEBHOOK_FIRE_PATH}", state.base_url),
        webhook_token: trigger.token.clone(),
    };
    lock(&state.poke).triggers.push(trigger);
    json(StatusCode::OK, &response)
}

/// E3: fires a trigger; only a webhook token issued here is accepted, never the API key.
async fn fire_webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized();
    };
    let mut poke = lock(&state.poke);
    let Some(trigger_id) = poke
        .triggers
        .iter()
        .find(|t| t.token == token)
        .map(|t| t.id.clone())
    else {
        return unauthorized();
    };
    // Any JSON value is recorded: the SDKs send the caller's data unwrapped and unchecked.
    let Ok(data) = serde_json::from_slice::<Value>(&body) else {
        return invalid_json();
    };
    poke.webhook_fires
        .push(json!({"triggerId": trigger_id, "data": data}));
    drop(poke);
    json(StatusCode::OK, &json!({"success": true}))
}

/// E4: accepts one callback of a chain and hands out the chain's next token.
async fn mcp_callback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized();
    };
    // Checked before the body so a stale token is a 401 whatever it carries.
    if !state.callbacks.is_current(token) {
        return unauthorized();
    }
    let Some(object) = parse_object(&body) else {
        return invalid_json();
    };
    let has_more = object.get("hasMore").cloned().unwrap_or(Value::Null);
    let Some(more) = has_more.as_bool() else {
        return error_only(StatusCode::BAD_REQUEST, "hasMore must be a boolean");
    };
    let post = CallbackPost {
        token: token.to_owned(),
        content: object.get("content").cloned().unwrap_or(Value::Null),
        has_more,
        raw_body: String::from_utf8_lossy(&body).into_owned(),
    };
    // A concurrent post may have rotated the token since the check above.
    let next_token = match state.callbacks.accept(post, more) {
        None => return unauthorized(),
        Some(Accepted::Continue(next)) => Some(next),
        Some(Accepted::Stop) => None,
    };
    json(StatusCode::OK, &CallbackResponse { next_token })
}

fn parse_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}
