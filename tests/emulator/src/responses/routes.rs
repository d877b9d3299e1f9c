//! E19 `POST /v1/responses`, E20 `GET /v1/responses/{rid}/events`, E21
//! `POST /v1/responses/{rid}/cancel`, with the E7–E9 rules (spec §2.18–§2.20).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::generate::{self, Job};
use super::request;
use super::script::{ResponseScript, default_script};
use super::shape::Header;
use crate::auth::{api_key_accepted, bearer_token};
use crate::faults::StreamFault;
use crate::response::json;
use crate::sessions::errors::{api_error, bad_request, not_found, rate_limited, unauthorized};
use crate::sessions::{
    CancelOutcome, SessionsConfig, StreamSpec, Turn, canonical, credits_exhausted, query_params,
    replayed_without_events, sse_response, validate_key,
};
use crate::state::{AppState, random_hex};

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/responses", post(create))
        .route("/v1/responses/{rid}/events", get(resume))
        .route("/v1/responses/{rid}/cancel", post(cancel))
}

type Fault = Option<Extension<StreamFault>>;

fn stream_spec(
    config: &SessionsConfig,
    turn: Arc<Turn>,
    after: Option<u64>,
    fault: Fault,
) -> StreamSpec {
    StreamSpec {
        turn,
        after,
        // The old two-line framing predates stateless responses.
        old_format: false,
        ping: (config.ping_interval_ms > 0).then(|| Duration::from_millis(config.ping_interval_ms)),
        fault: fault.map(|Extension(f)| f),
    }
}

fn response_not_found(rid: &str) -> Response {
    not_found(format!("response '{rid}' not found or evicted"))
}

/// The caller's bearer token, which owns the responses it creates.
fn caller(headers: &HeaderMap) -> String {
    bearer_token(headers).unwrap_or_default().to_owned()
}

async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    fault: Fault,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let owner = caller(&headers);
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(body)) => body,
        Ok(_) => return bad_request("body must be a JSON object"),
        Err(err) => return bad_request(format!("body is not valid JSON: {err}")),
    };
    let sessions = &state.sessions;
    let config = sessions.config();
    let request = match request::parse(&body, &config.models, &config.default_model) {
        Ok(request) => request,
        Err(reason) => return bad_request(reason),
    };
    // Idempotency-Key applies to streamed requests only (spec §5, §2.20).
    let key = match headers.get("idempotency-key").filter(|_| request.stream) {
        None => None,
        Some(value) => match validate_key(value.as_bytes()) {
            Ok(key) => Some(key),
            Err(reason) => return bad_request(reason),
        },
    };
    let fingerprint = canonical(&Value::Object(body));
    let now = sessions.now();
    let (turn, script, config) = match admit(
        &state,
        &request,
        key,
        fingerprint,
        &owner,
        now,
        fault.clone(),
    ) {
        Ok(admitted) => admitted,
        Err(answer) => return *answer,
    };
    let rid = turn.rid.clone();
    let pace = if request.stream {
        Duration::from_millis(script.pace_ms.unwrap_or(config.pace_ms))
    } else {
        Duration::ZERO
    };
    let job = Job {
        sessions: sessions.clone(),
        turn: turn.clone(),
        header: Header {
            id: rid.clone(),
            created_at: now,
            model: request.model.clone(),
            instructions: request.instructions.clone(),
            tools: request.tools.clone(),
            effort: request.effort.clone(),
        },
        pace,
        input_chars: request.input_chars,
    };
    let task = generate::spawn(job, script);
    if request.stream {
        return sse_response(stream_spec(&config, turn, None, fault));
    }
    // The generator runs on its own task: a client that leaves does not stop the response.
    let Ok(response) = task.await else {
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the response could not be produced",
        );
    };
    let mut answer = json(StatusCode::OK, &response);
    if let Ok(value) = HeaderValue::from_str(&rid) {
        answer.headers_mut().insert("x-response-id", value);
    }
    answer
}

/// Under the store's lock: a replay for a known key, a refusal (422, 402, 429), or a new
/// response with its buffer, script and the config of the moment.
fn admit(
    state: &AppState,
    request: &request::Parsed,
    key: Option<String>,
    fingerprint: String,
    owner: &str,
    now: f64,
    fault: Fault,
) -> Result<(Arc<Turn>, ResponseScript, SessionsConfig), Box<Response>> {
    let mut store = state.sessions.store();
    if let Some(entry) = key.as_ref().and_then(|k| store.responses.key(k)) {
        if entry.fingerprint != fingerprint || entry.owner != owner {
            return Err(Box::new(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                "Idempotency-Key was already used with a different body",
            )));
        }
        let rid = entry.rid.clone();
        return Err(Box::new(match store.responses.get(&rid, owner) {
            Some(turn) => sse_response(stream_spec(&store.config, turn, None, fault)),
            None => replayed_without_events(&rid),
        }));
    }
    if credits_exhausted(&store.config) {
        return Err(Box::new(api_error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "credit balance is below the per-call minimum",
        )));
    }
    let config = store.config.clone();
    if let Err(wait) = store.response_usage.check(now, &config) {
        return Err(Box::new(rate_limited("response rate limit exceeded", wait)));
    }
    let rid = format!("resp_{}", &random_hex()[..24]);
    let turn = Arc::new(Turn::new(rid.clone(), String::new(), now));
    let script = store
        .responses
        .next_script()
        .unwrap_or_else(|| default_script(request));
    store.responses.insert(turn.clone(), owner);
    if let Some(key) = key {
        store
            .responses
            .remember_key(key, fingerprint, owner, &rid, now);
    }
    store.response_usage.start_turn(&rid, now);
    Ok((turn, script, config))
}

async fn resume(
    State(state): State<Arc<AppState>>,
    Path(rid): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    fault: Fault,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let store = state.sessions.store();
    let Some(turn) = store.responses.get(&rid, &caller(&headers)) else {
        return response_not_found(&rid);
    };
    // The standard header wins over the query fallback (E8's rules).
    let position = match headers.get("last-event-id") {
        Some(value) => Some(String::from_utf8_lossy(value.as_bytes()).trim().to_owned()),
        None => query_params(query.as_deref())
            .remove("last_event_id")
            .map(Option::unwrap_or_default),
    };
    let after = match position {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(seq) => Some(seq),
            Err(_) => return bad_request("Last-Event-ID must be a non-negative integer"),
        },
    };
    if fault.as_ref().is_some_and(|Extension(f)| f.id_too_old) {
        return not_found("the events of this response were evicted");
    }
    sse_response(stream_spec(&store.config, turn, after, fault))
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(rid): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let Some(turn) = state
        .sessions
        .store()
        .responses
        .get(&rid, &caller(&headers))
    else {
        return response_not_found(&rid);
    };
    match turn.request_cancel() {
        CancelOutcome::Cancelling => json(
            StatusCode::ACCEPTED,
            &json!({"response_id": rid, "status": "cancelling"}),
        ),
        CancelOutcome::AlreadyComplete => json(
            StatusCode::OK,
            &json!({"response_id": rid, "status": "already_complete"}),
        ),
    }
}
