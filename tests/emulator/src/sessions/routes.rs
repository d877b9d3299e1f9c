//! Routes of the sessions API: sessions (E2–E6), turns (E7–E10) and usage (E15).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::errors::{
    api_error, bad_request, not_found, rate_limited, session_not_found, unauthorized,
};
use super::idempotency::{KeyEntry, canonical, validate_key};
use super::paths::{Scope, percent_decode, scope_entry_problem};
use super::script::default_script;
use super::store::{DESTROYED, EndCause, Session, Store, ToolCallSlot};
use super::stream::{StreamSpec, sse_response};
use super::turn::{CancelOutcome, Turn};
use super::usage::credits_exhausted;
use super::{SessionsState, agent};
use crate::auth::api_key_accepted;
use crate::faults::StreamFault;
use crate::response::json;
use crate::state::{AppState, random_hex};

/// Tool limits (spec §2.18).
const MAX_TOOLS: usize = 128;
const MAX_TOOL_NAME: usize = 64;
const MAX_TOOL_DESCRIPTION: usize = 16 * 1024;
/// Default session TTL in seconds.
const DEFAULT_TTL: u64 = 14_400;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v1/sessions",
            get(list_sessions).post(create_session).delete(bulk_delete),
        )
        .route("/v1/sessions/{id}", get(get_session).delete(delete_session))
        .route("/v1/sessions/{id}/messages", post(post_message))
        .route(
            "/v1/sessions/{id}/responses/{rid}/events",
            get(resume_events),
        )
        .route(
            "/v1/sessions/{id}/responses/{rid}/cancel",
            post(cancel_turn),
        )
        .route("/v1/sessions/{id}/tool_results", post(tool_results))
        .route("/v1/usage", get(usage))
}

type Fault = Option<Extension<StreamFault>>;

/// Parses a JSON object body; an empty body counts as `{}` when `empty_ok`. The error is
/// the 400 message.
fn object_body(body: &[u8], empty_ok: bool) -> Result<Map<String, Value>, String> {
    if empty_ok && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err("body must be a JSON object".into()),
        Err(err) => Err(format!("body is not valid JSON: {err}")),
    }
}

/// Query parameters, form-decoded; malformed escapes make the value `None`.
pub(crate) fn query_params(raw: Option<&str>) -> HashMap<String, Option<String>> {
    raw.unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name, true)?;
            Some((name, percent_decode(value, true)))
        })
        .collect()
}

// ---- E2 create ---------------------------------------------------------------------------

/// A validated creation request.
struct NewSession {
    persistent: bool,
    ttl: u64,
    metadata: Map<String, Value>,
    file_access: Value,
    read: Vec<String>,
    write: Vec<String>,
    model: String,
    tools: Vec<Value>,
}

fn parse_new_session(body: &Map<String, Value>, store: &Store) -> Result<NewSession, String> {
    let persistent = match body.get("persistent") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("persistent must be a boolean".into()),
    };
    let ttl = match body.get("ttl") {
        None | Some(Value::Null) => DEFAULT_TTL,
        Some(value) => value
            .as_u64()
            .filter(|t| *t > 0)
            .ok_or("ttl must be a positive integer (seconds)")?,
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("metadata must be an object".into()),
    };
    let (file_access, read, write) = parse_file_access(body.get("file_access"))?;
    let model = match body.get("model") {
        None | Some(Value::Null) => store.config.default_model.clone(),
        Some(Value::String(m)) if store.config.models.contains(m) => m.clone(),
        Some(Value::String(m)) => return Err(format!("unknown model {m:?}")),
        Some(_) => return Err("model must be a string".into()),
    };
    let tools = match body.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tools)) => parse_tools(tools)?,
        Some(_) => return Err("tools must be an array".into()),
    };
    Ok(NewSession {
        persistent,
        ttl,
        metadata,
        file_access,
        read,
        write,
        model,
        tools,
    })
}

/// `file_access` as given, plus its read and write lists; absent means the whole workspace,
/// and a list missing from a given object means no extra access.
fn parse_file_access(value: Option<&Value>) -> Result<(Value, Vec<String>, Vec<String>), String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        let all = vec![String::new()];
        return Ok((json!({"read": [""], "write": [""]}), all.clone(), all));
    };
    let Value::Object(object) = value else {
        return Err("file_access must be an object with read and write lists".into());
    };
    let list = |name: &str| -> Result<Vec<String>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let entry = item
                        .as_str()
                        .ok_or_else(|| format!("file_access.{name} must list strings"))?;
                    match scope_entry_problem(entry) {
                        Some(problem) => Err(problem.to_owned()),
                        None => Ok(entry.to_owned()),
                    }
                })
                .collect(),
            Some(_) => Err(format!("file_access.{name} must be a list")),
        }
    };
    let read = list("read")?;
    let write = list("write")?;
    Ok((value.clone(), read, write))
}

/// Validates tools and flattens the nested OpenAI form `{"type":"function","function":{…}}`.
pub(crate) fn parse_tools(tools: &[Value]) -> Result<Vec<Value>, String> {
    if tools.len() > MAX_TOOLS {
        return Err(format!("at most {MAX_TOOLS} tools are allowed"));
    }
    tools
        .iter()
        .map(|tool| {
            let Value::Object(tool) = tool else {
                return Err("each tool must be an object".to_owned());
            };
            let def = match tool.get("function") {
                Some(Value::Object(inner)) => inner,
                Some(_) => return Err("tool.function must be an object".into()),
                None => tool,
            };
            let name = def
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty() && n.chars().count() <= MAX_TOOL_NAME)
                .ok_or_else(|| format!("each tool needs a name of 1 to {MAX_TOOL_NAME} chars"))?;
            let mut flat = Map::new();
            flat.insert("type".into(), json!("function"));
            flat.insert("name".into(), json!(name));
            match def.get("description") {
                None | Some(Value::Null) => {}
                Some(Value::String(d)) if d.len() <= MAX_TOOL_DESCRIPTION => {
                    flat.insert("description".into(), json!(d));
                }
                Some(_) => {
                    return Err(format!(
                        "tool description must be a string of at most {MAX_TOOL_DESCRIPTION} bytes"
                    ));
                }
            }
            match def.get("parameters") {
                None | Some(Value::Null) => {}
                Some(p @ Value::Object(_)) => {
                    flat.insert("parameters".into(), p.clone());
                }
                Some(_) => return Err("tool parameters must be an object".into()),
            }
            Ok(Value::Object(flat))
        })
        .collect()
}

async fn create_session(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let body = match object_body(&body, true) {
        Ok(body) => body,
        Err(reason) => return bad_request(reason),
    };
    let sessions = &state.sessions;
    let now = sessions.now();
    let mut store = sessions.store();
    let new = match parse_new_session(&body, &store) {
        Ok(new) => new,
        Err(reason) => return bad_request(reason),
    };
    if store.sessions.len() >= store.config.max_sessions {
        let wait = store.secs_until_a_slot_frees(now);
        return rate_limited(
            format!(
                "the tenant already has {} live sessions",
                store.config.max_sessions
            ),
            wait,
        );
    }
    let id = format!("sess_{}", &random_hex()[..12]);
    let session = Session {
        scope: Scope::new(new.read, new.write, &id),
        id,
        created_at: now,
        last_activity: now,
        persistent: new.persistent,
        ttl: new.ttl,
        metadata: new.metadata,
        file_access: new.file_access,
        model: new.model,
        tools: new.tools,
        busy: false,
        current_turn: None,
        scripts: VecDeque::new(),
        tool_calls: HashMap::new(),
        skills: store.skills.names(),
    };
    let response = json(StatusCode::CREATED, &session.record());
    store.sessions.push(session);
    response
}

// ---- E3–E6 -------------------------------------------------------------------------------

async fn list_sessions(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let store = state.sessions.store();
    let records: Vec<_> = store.sessions.iter().map(Session::record).collect();
    json(StatusCode::OK, &records)
}

async fn get_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    match state.sessions.store().session(&id) {
        Some(session) => json(StatusCode::OK, &session.record()),
        None => session_not_found(&id),
    }
}

async fn delete_session(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let now = state.sessions.now();
    if state
        .sessions
        .store()
        .destroy(&id, DESTROYED, EndCause::Deleted, now)
    {
        no_content()
    } else {
        session_not_found(&id)
    }
}

fn no_content() -> Response {
    let mut response = Response::default();
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// Parses `older_than`: one or more `<digits><s|m|h>` groups (`90s`, `2h`, `1h30m`).
fn parse_duration(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            _ => return None,
        };
        if digits.is_empty() {
            return None;
        }
        let n: f64 = digits.parse().ok()?;
        total += n * unit;
        digits.clear();
    }
    digits.is_empty().then_some(total)
}

async fn bulk_delete(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let params = query_params(query.as_deref());
    let idle_only = match params.get("status") {
        None => false,
        Some(Some(s)) if s == "idle" => true,
        Some(_) => return bad_request("status must be 'idle'"),
    };
    let older_than = match params.get("older_than") {
        None => None,
        Some(value) => match value.as_deref().and_then(parse_duration) {
            Some(secs) => Some(secs),
            None => {
                return bad_request("older_than must look like 90s, 2h or 1h30m");
            }
        },
    };
    let now = state.sessions.now();
    let mut store = state.sessions.store();
    let doomed: Vec<String> = store
        .sessions
        .iter()
        .filter(|s| !(idle_only && s.busy))
        .filter(|s| older_than.is_none_or(|age| now - s.last_activity >= age))
        .map(|s| s.id.clone())
        .collect();
    for id in &doomed {
        store.destroy(id, DESTROYED, EndCause::Deleted, now);
    }
    json(StatusCode::OK, &json!({"deleted": doomed.len()}))
}

// ---- E7 messages -------------------------------------------------------------------------

fn stream_spec(store: &Store, turn: Arc<Turn>, after: Option<u64>, fault: Fault) -> StreamSpec {
    StreamSpec {
        turn,
        after,
        old_format: store.config.old_stream_format,
        ping: (store.config.ping_interval_ms > 0)
            .then(|| Duration::from_millis(store.config.ping_interval_ms)),
        fault: fault.map(|Extension(f)| f),
    }
}

async fn post_message(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    fault: Fault,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let sessions: &Arc<SessionsState> = &state.sessions;
    let now = sessions.now();
    let mut store = sessions.store();
    if store.session(&id).is_none() {
        return session_not_found(&id);
    }
    let body = match object_body(&body, false) {
        Ok(body) => body,
        Err(reason) => return bad_request(reason),
    };
    let message = match body.get("message") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(Value::String(_)) => return bad_request("message must not be empty"),
        Some(_) => return bad_request("message must be a string"),
        None => return bad_request("message is required"),
    };
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => match validate_key(value.as_bytes()) {
            Ok(key) => Some(key),
            Err(reason) => return bad_request(reason),
        },
    };
    let fingerprint = canonical(&Value::Object(body));

    // A repeated key never starts a second turn (and never 409s).
    if let Some(entry) = key.as_ref().and_then(|k| store.keys.get(k)) {
        if entry.session_id != id || entry.fingerprint != fingerprint {
            return api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch",
                "Idempotency-Key was already used with a different body or session",
            );
        }
        let rid = entry.rid.clone();
        return match store.turn_of(&id, &rid) {
            Some(turn) => sse_response(stream_spec(&store, turn, None, fault)),
            None => replayed_without_events(&rid),
        };
    }

    let Some(session) = store.session(&id) else {
        return session_not_found(&id);
    };
    if session.busy {
        return api_error(
            StatusCode::CONFLICT,
            "session.busy",
            "the session is already running a turn",
        );
    }
    if credits_exhausted(&store.config) {
        return api_error(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "credit balance is below the per-turn minimum",
        );
    }
    let config = store.config.clone();
    if let Err(wait) = store.usage.check(now, &config) {
        return rate_limited("session_turn rate limit exceeded", wait);
    }

    let rid = format!("msg_{}", &random_hex()[..24]);
    let turn = Arc::new(Turn::new(rid.clone(), id.clone(), now));
    let Some(session) = store.session_mut(&id) else {
        return session_not_found(&id);
    };
    session.busy = true;
    session.current_turn = Some(turn.clone());
    session.last_activity = now;
    let script = session
        .scripts
        .pop_front()
        .unwrap_or_else(|| default_script(&message));
    store.turns.insert(rid.clone(), turn.clone());
    if let Some(key) = key {
        store.keys.insert(
            key,
            KeyEntry {
                session_id: id.clone(),
                fingerprint,
                rid: rid.clone(),
                created_at: now,
            },
        );
    }
    store.usage.start_turn(&rid, now);
    let pace = Duration::from_millis(script.pace_ms.unwrap_or(config.pace_ms));
    let spec = stream_spec(&store, turn.clone(), None, fault);
    drop(store);
    agent::spawn(
        sessions.clone(),
        turn,
        script,
        pace,
        message.chars().count(),
    );
    sse_response(spec)
}

/// 200 JSON for a repeated key whose turn buffer is gone (spec §5).
pub(crate) fn replayed_without_events(rid: &str) -> Response {
    let mut response = json(
        StatusCode::OK,
        &json!({
            "response_id": rid,
            "status": "replayed",
            "note": "the original response's event buffer was evicted; \
                     read the session and its files for the result",
        }),
    );
    if let Ok(value) = HeaderValue::from_str(rid) {
        response.headers_mut().insert("x-response-id", value);
    }
    response
}

// ---- E8 resume, E9 cancel ----------------------------------------------------------------

fn response_not_found(rid: &str) -> Response {
    not_found(format!("response '{rid}' not found or evicted"))
}

async fn resume_events(
    State(state): State<Arc<AppState>>,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    fault: Fault,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let store = state.sessions.store();
    if store.session(&id).is_none() {
        return session_not_found(&id);
    }
    let Some(turn) = store.turn_of(&id, &rid) else {
        return response_not_found(&rid);
    };
    // The standard header wins over the query fallback.
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
            Err(_) => {
                return bad_request("Last-Event-ID must be a non-negative integer");
            }
        },
    };
    if fault.as_ref().is_some_and(|Extension(f)| f.id_too_old) {
        return not_found(match after {
            Some(seq) => format!("Last-Event-ID {seq} is too old: those events were evicted"),
            None => "the events of this response were evicted".to_owned(),
        });
    }
    sse_response(stream_spec(&store, turn, after, fault))
}

async fn cancel_turn(
    State(state): State<Arc<AppState>>,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let store = state.sessions.store();
    if store.session(&id).is_none() {
        return session_not_found(&id);
    }
    let Some(turn) = store.turn_of(&id, &rid) else {
        return response_not_found(&rid);
    };
    drop(store);
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

// ---- E10 tool results --------------------------------------------------------------------

async fn tool_results(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let mut store = state.sessions.store();
    let Some(session) = store.session_mut(&id) else {
        return session_not_found(&id);
    };
    let body = match object_body(&body, false) {
        Ok(body) => body,
        Err(reason) => return bad_request(reason),
    };
    let Some(call_id) = body
        .get("call_id")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
    else {
        return bad_request("call_id must be a non-empty string");
    };
    let output = match body.get("output") {
        None => return bad_request("output is required"),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let slot = match session.tool_calls.get_mut(call_id) {
        None => return not_found(format!("no pending tool call '{call_id}'")),
        Some(ToolCallSlot::Answered) => {
            return api_error(
                StatusCode::CONFLICT,
                "conflict",
                format!("tool call '{call_id}' was already answered"),
            );
        }
        Some(slot) => std::mem::replace(slot, ToolCallSlot::Answered),
    };
    let ToolCallSlot::Pending(sender) = slot else {
        return not_found(format!("no pending tool call '{call_id}'"));
    };
    if sender.send(output).is_err() {
        session.tool_calls.remove(call_id);
        return not_found(format!("no pending tool call '{call_id}'"));
    }
    json(
        StatusCode::OK,
        &json!({"call_id": call_id, "status": "accepted"}),
    )
}

// ---- E15 usage ---------------------------------------------------------------------------

async fn usage(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !api_key_accepted(&state, &headers) {
        return unauthorized();
    }
    let now = state.sessions.now();
    let mut store = state.sessions.store();
    let config = store.config.clone();
    let store = &mut *store;
    let body = store.usage.body(&mut store.response_usage, now, &config);
    json(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90.0));
        assert_eq!(parse_duration("2h"), Some(7200.0));
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        for bad in ["", "10", "h", "1x", "1h30", "-1s", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn tools_are_flattened_and_limited() {
        let tools = parse_tools(&[
            json!({"type": "function", "function": {"name": "get_weather", "parameters": {}}}),
            json!({"type": "function", "name": "flat", "description": "d"}),
        ])
        .expect("valid tools");
        assert_eq!(
            tools[0],
            json!({"type": "function", "name": "get_weather", "parameters": {}})
        );
        assert_eq!(tools[1]["description"], "d");
        assert!(parse_tools(&[json!({"name": ""})]).is_err());
        assert!(parse_tools(&[json!({"name": "x".repeat(65)})]).is_err());
        assert!(parse_tools(&vec![json!({"name": "t"}); 129]).is_err());
        assert!(parse_tools(&[json!("nope")]).is_err());
    }

    #[test]
    fn query_decoding() {
        let params = query_params(Some("status=idle&older_than=1h30m&path=a+b%2Fc&bad=%zz"));
        assert_eq!(params["status"].as_deref(), Some("idle"));
        assert_eq!(params["path"].as_deref(), Some("a b/c"));
        assert_eq!(params["bad"], None);
    }
}
