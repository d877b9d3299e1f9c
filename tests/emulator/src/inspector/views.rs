//! The inspector's read API (`/_emulator/ui/api/*`): journal pages with filters, one request
//! in detail, sessions and their files, all redacted. The page reads these; its feed sends
//! the same shapes as things change.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::redact::{self, Secrets};
use crate::journal::{Answer, ApiCall, BodyEnd, Entry, EntryKind, Outcome};
use crate::response::{error_json, json};
use crate::state::AppState;

/// Entries per page by default, and at most.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// Characters of a body shown in the detail pane at most.
const MAX_SHOWN: usize = 256 * 1024;

/// Which entries a page holds.
#[derive(Default)]
pub(crate) struct Filter {
    /// Case-insensitive part of the request target.
    path: Option<String>,
    status: Option<StatusFilter>,
    /// Part of the session id.
    session: Option<String>,
}

enum StatusFilter {
    Exact(u16),
    Class(u16),
    Pending,
    Closed,
    Faulted,
    Failed,
}

impl StatusFilter {
    fn parse(text: &str) -> Option<StatusFilter> {
        let text = text.trim().to_ascii_lowercase();
        Some(match text.as_str() {
            "" => return None,
            "pending" => StatusFilter::Pending,
            "closed" | "cut" => StatusFilter::Closed,
            "fault" | "faulted" => StatusFilter::Faulted,
            "error" | "failed" => StatusFilter::Failed,
            t if t.len() == 3 && t.ends_with("xx") => {
                StatusFilter::Class(t[..1].parse::<u16>().ok()? * 100)
            }
            t => StatusFilter::Exact(t.parse().ok()?),
        })
    }

    fn matches(&self, call: &ApiCall) -> bool {
        let status = match &call.outcome {
            Outcome::Answered(answer) => Some(answer.status),
            Outcome::Pending | Outcome::Closed => None,
        };
        let cut = matches!(&call.outcome, Outcome::Closed)
            || matches!(&call.outcome, Outcome::Answered(a) if matches!(a.body_end, BodyEnd::Cut(_)));
        match self {
            StatusFilter::Exact(code) => status == Some(*code),
            StatusFilter::Class(base) => status.is_some_and(|s| s / 100 * 100 == *base),
            StatusFilter::Pending => matches!(call.outcome, Outcome::Pending),
            StatusFilter::Closed => cut,
            StatusFilter::Faulted => call.fault.is_some(),
            StatusFilter::Failed => cut || status.is_some_and(|s| s >= 400),
        }
    }
}

impl Filter {
    pub(crate) fn from_query(params: &HashMap<String, String>) -> Filter {
        let text = |name: &str| {
            params
                .get(name)
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty())
        };
        Filter {
            path: text("path"),
            status: params.get("status").and_then(|s| StatusFilter::parse(s)),
            session: text("session"),
        }
    }

    fn is_empty(&self) -> bool {
        self.path.is_none() && self.status.is_none() && self.session.is_none()
    }

    /// Control markers only show in an unfiltered list.
    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        let EntryKind::Api(call) = &entry.kind else {
            return self.is_empty();
        };
        if let Some(path) = &self.path {
            if !call.request.target.to_lowercase().contains(path.as_str()) {
                return false;
            }
        }
        if let Some(session) = &self.session {
            if !call
                .session_id
                .as_deref()
                .is_some_and(|id| id.to_lowercase().contains(session.as_str()))
            {
                return false;
            }
        }
        self.status.as_ref().is_none_or(|s| s.matches(call))
    }
}

/// One row of the request list.
pub(crate) fn summary(entry: &Entry, secrets: &Secrets) -> Value {
    let call = match &entry.kind {
        EntryKind::Control(text) => {
            return json!({
                "seq": entry.seq,
                "kind": "control",
                "at": entry.at,
                "text": secrets.scrub(text),
            });
        }
        EntryKind::Api(call) => call,
    };
    let (status, state, latency, duration, size) = match &call.outcome {
        Outcome::Pending => (None, "pending", None, None, None),
        Outcome::Closed => (None, "closed", None, None, None),
        Outcome::Answered(answer) => (
            Some(answer.status),
            match answer.body_end {
                BodyEnd::Streaming => "streaming",
                BodyEnd::Complete => "done",
                BodyEnd::Cut(_) => "cut",
            },
            Some(answer.latency_ms),
            answer.duration_ms,
            Some(answer.body_len),
        ),
    };
    let header = |name: &str| call.request.header(name).map(|v| secrets.scrub(v));
    json!({
        "seq": entry.seq,
        "kind": "api",
        "at": entry.at,
        "method": call.request.method,
        "target": redact::target(&call.request.target, secrets),
        "status": status,
        "state": state,
        "latency_ms": latency,
        "duration_ms": duration,
        "size": size,
        "attempt": call.attempt,
        "idempotency_key": header("idempotency-key"),
        "user_agent": header("user-agent"),
        "session": call.session_id,
        "fault": call.fault.as_ref().and_then(|f| f.get("id")).cloned(),
        "request_id": call.request_id,
    })
}

/// One request in full: headers (credentials redacted), bodies, the fault, the answer.
pub(crate) fn detail(entry: &Entry, secrets: &Secrets) -> Value {
    let mut view = summary(entry, secrets);
    let EntryKind::Api(call) = &entry.kind else {
        return view;
    };
    let request = &call.request;
    let content_type = request.header("content-type").unwrap_or_default();
    let request_body = if request.body.is_empty() && request.body_len > 0 {
        json!({
            "kind": "omitted",
            "size": request.body_len,
            "content_type": content_type,
            "note": if request.method == "PUT" {
                "file upload: streamed to the handler, not kept"
            } else {
                "too large to keep"
            },
        })
    } else if call.body_is_text {
        text_body(
            request.body.as_bytes(),
            request.body_len as u64,
            content_type,
            secrets,
        )
    } else {
        json!({"kind": "binary", "size": request.body_len, "content_type": content_type})
    };
    let response = match &call.outcome {
        Outcome::Answered(answer) => answer_view(answer, secrets),
        Outcome::Pending | Outcome::Closed => Value::Null,
    };
    let mut fault = call.fault.clone();
    if let Some(fault) = fault.as_mut() {
        redact::json_value(fault, secrets);
    }
    if let Value::Object(fields) = &mut view {
        fields.insert("virtual_at".into(), json!(call.virtual_at));
        fields.insert(
            "request".into(),
            json!({"headers": headers(&request.headers, secrets), "body": request_body}),
        );
        fields.insert("response".into(), response);
        fields.insert("fault".into(), fault.unwrap_or(Value::Null));
    }
    view
}

fn headers(pairs: &[(String, String)], secrets: &Secrets) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(name, value)| json!([name, redact::header_value(name, value, secrets)]))
            .collect(),
    )
}

fn answer_view(answer: &Answer, secrets: &Secrets) -> Value {
    let content_type = answer
        .headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let body = if !answer.textual && answer.body_len > 0 {
        json!({"kind": "binary", "size": answer.body_len, "content_type": content_type})
    } else {
        text_body(&answer.body, answer.body_len, content_type, secrets)
    };
    json!({
        "status": answer.status,
        "headers": headers(&answer.headers, secrets),
        "latency_ms": answer.latency_ms,
        "duration_ms": answer.duration_ms,
        "body": body,
        "end": match &answer.body_end {
            BodyEnd::Streaming => "streaming".to_owned(),
            BodyEnd::Complete => "complete".to_owned(),
            BodyEnd::Cut(reason) => reason.clone(),
        },
    })
}

/// A body that may be text: pretty JSON, an event stream, text, or binary after all.
fn text_body(bytes: &[u8], size: u64, content_type: &str, secrets: &Secrets) -> Value {
    if size == 0 {
        return json!({"kind": "empty"});
    }
    let truncated = (bytes.len() as u64) < size;
    if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
        redact::json_value(&mut value, secrets);
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        return json!({"kind": "json", "text": text, "size": size,
                      "content_type": content_type, "truncated": truncated});
    }
    let binary = || json!({"kind": "binary", "size": size, "content_type": content_type});
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A capture may end inside a character; what comes before it is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return binary(),
    };
    if text.contains('\0') || (text.is_empty() && !bytes.is_empty()) {
        return binary();
    }
    let shown: String = text.chars().take(MAX_SHOWN).collect();
    let kind = if content_type.starts_with("text/event-stream") {
        "event-stream"
    } else {
        "text"
    };
    json!({
        "kind": kind,
        "text": secrets.scrub(&shown),
        "size": size,
        "content_type": content_type,
        "truncated": truncated || shown.len() < text.len(),
    })
}

/// Up to `limit` entries matching `filter`, newest first, with sequence numbers below
/// `before` and above `after`; `more` says whether older matches remain.
pub(crate) fn page(
    state: &AppState,
    filter: &Filter,
    before: Option<u64>,
    after: Option<u64>,
    limit: usize,
) -> (Vec<Value>, bool) {
    state.journal.read(|entries| {
        let mut rows = Vec::new();
        let mut more = false;
        for entry in entries.iter().rev() {
            if before.is_some_and(|b| entry.seq >= b) {
                continue;
            }
            if after.is_some_and(|a| entry.seq <= a) {
                break;
            }
            if !filter.matches(entry) {
                continue;
            }
            if rows.len() == limit {
                more = true;
                break;
            }
            rows.push(summary(entry, &state.secrets));
        }
        (rows, more)
    })
}

/// `GET /_emulator/ui/api/overview`: journal, clock, settings and faults.
pub(super) async fn overview(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, &overview_value(&state))
}

pub(super) fn overview_value(state: &AppState) -> Value {
    let mut faults = serde_json::to_value(state.faults.list()).unwrap_or_default();
    redact::json_value(&mut faults, &state.secrets);
    json!({
        "journal": state.journal.stats(),
        "clock": state.sessions.clock.view(),
        "config": state.sessions.config(),
        "faults": faults,
    })
}

/// `GET /_emulator/ui/api/requests?before=&after=&limit=&path=&status=&session=`.
pub(super) async fn requests(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &str| params.get(name).and_then(|v| v.parse::<u64>().ok());
    let limit = number("limit")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    let filter = Filter::from_query(&params);
    let (entries, more) = page(&state, &filter, number("before"), number("after"), limit);
    json(
        StatusCode::OK,
        &json!({"entries": entries, "more": more, "journal": state.journal.stats()}),
    )
}

/// `GET /_emulator/ui/api/requests/{seq}`.
pub(super) async fn request_detail(
    State(state): State<Arc<AppState>>,
    Path(seq): Path<String>,
) -> Response {
    let found = seq
        .parse::<u64>()
        .ok()
        .and_then(|seq| state.journal.read_entry(seq, |e| detail(e, &state.secrets)));
    match found {
        Some(view) => json(StatusCode::OK, &view),
        None => error_json(
            StatusCode::NOT_FOUND,
            "Not Found",
            "no such entry (it may have been dropped from the journal)",
        ),
    }
}

/// Every live session as the inspector shows it (redacted) and the sessions that ended.
pub(super) fn sessions_value(state: &AppState) -> (Vec<Value>, Value) {
    let (mut live, ended) = state.sessions.inspect();
    for session in &mut live {
        redact::json_value(session, &state.secrets);
    }
    (live, serde_json::to_value(ended).unwrap_or_default())
}

/// `GET /_emulator/ui/api/sessions`.
pub(super) async fn sessions(State(state): State<Arc<AppState>>) -> Response {
    let (live, ended) = sessions_value(&state);
    json(StatusCode::OK, &json!({"live": live, "ended": ended}))
}

/// The files session `id` can read, for the page (`None`: no such session).
pub(super) fn files_value(state: &AppState, id: &str) -> Option<Value> {
    let (mut files, total) = state.sessions.files_of(id)?;
    for file in &mut files {
        redact::json_value(file, &state.secrets);
    }
    Some(json!({"session": id, "files": files, "total": total}))
}

/// `GET /_emulator/ui/api/sessions/{id}/files`.
pub(super) async fn files(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match files_value(&state, &id) {
        Some(view) => json(StatusCode::OK, &view),
        None => error_json(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("session '{id}' not found"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters() {
        assert!(matches!(
            StatusFilter::parse("5xx"),
            Some(StatusFilter::Class(500))
        ));
        assert!(matches!(
            StatusFilter::parse("503"),
            Some(StatusFilter::Exact(503))
        ));
        assert!(matches!(
            StatusFilter::parse("Pending"),
            Some(StatusFilter::Pending)
        ));
        assert!(StatusFilter::parse("").is_none());
        assert!(StatusFilter::parse("nope").is_none());
    }

    #[test]
    fn bodies_are_pretty_json_text_or_binary() {
        let secrets = Secrets::default();
        let body = text_body(br#"{"a":1,"token":"x"}"#, 19, "application/json", &secrets);
        assert_eq!(body["kind"], "json");
        assert_eq!(
            body["text"],
            "{\n  \"a\": 1,\n  \"token\": \"[redacted]\"\n}"
        );
        let cut = text_body(br#"{"a":"#, 100, "application/json", &secrets);
        assert_eq!(
            (cut["kind"].as_str(), cut["truncated"].as_bool()),
            (Some("text"), Some(true))
        );
        let binary = text_body(&[0xff, 0xfe, 0x00], 3, "", &secrets);
        assert_eq!(binary["kind"], "binary");
        assert_eq!(text_body(b"", 0, "", &secrets)["kind"], "empty");
        let stream = text_body(b"id: 0\nevent: x\n", 50, "text/event-stream", &secrets);
        assert_eq!(stream["kind"], "event-stream");
    }
}
