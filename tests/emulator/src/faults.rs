//! Fault injection: scripted statuses, delays, stalls and connection resets for API requests,
//! plus stream knobs that the SSE writer of the sessions API applies byte by byte.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::journal::{JournalSeq, is_control_path};
use crate::server::ConnectionControl;
use crate::state::{AppState, lock};

/// Upper bound for `delay_ms` and `stall_ms`, so a mistyped fault cannot hang a test run.
pub(crate) const MAX_WAIT_MS: u64 = 120_000;

/// A scripted misbehaviour for the requests that match `method` and `path`.
///
/// Effects apply in this order: wait `delay_ms`; then `reset`, else `end_204`, else `stall_ms`
/// (unless `stall_after_events` moves the stall into the stream), else answer `status`; a fault
/// with only `delay_ms` lets the real handler answer after the delay. The stream knobs
/// (`drop_after_events`, `stall_after_events`, `duplicate_ids`, `slice_bytes`, `line_ending`,
/// `id_too_old`) let the real handler answer and change how its event stream is written; they
/// only affect `text/event-stream` answers of the sessions API.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any method.
    pub method: Option<String>,
    /// Exact path to match (no query string), or a prefix followed by `*`; `*` matches all.
    pub path: String,
    /// How many matching requests this fault affects (default 1).
    pub times: u32,
    /// Status to answer with (200–999, so non-standard codes such as 599 work; those get an
    /// empty reason phrase).
    pub status: Option<u16>,
    /// Response headers sent with `status`; JSON accepts `[["name","value"]]` or an object.
    #[serde(deserialize_with = "deserialize_headers")]
    pub headers: Vec<(String, String)>,
    /// Response body sent verbatim with `status` (empty when `None`).
    pub body: Option<String>,
    /// Milliseconds to wait before answering (capped at 120000).
    pub delay_ms: Option<u64>,
    /// Milliseconds to hold the request without answering before closing the connection
    /// (capped at 120000).
    pub stall_ms: Option<u64>,
    /// Close the TCP connection with a reset and no response.
    pub reset: bool,
    /// Cut the connection (no terminating chunk) after this many SSE events of the answer.
    pub drop_after_events: Option<u64>,
    /// With `drop_after_events`: also send the first half of the next event before cutting.
    pub drop_mid_event: bool,
    /// Move `stall_ms` into the stream: after this many events, write nothing for `stall_ms`,
    /// then carry on.
    pub stall_after_events: Option<u64>,
    /// On a resumed stream, re-send up to this many already delivered events (those at or
    /// before `Last-Event-ID`) first; JSON `true` means all of them.
    #[serde(deserialize_with = "deserialize_duplicate_ids")]
    pub duplicate_ids: Option<u64>,
    /// Write the event stream this many bytes at a time.
    pub slice_bytes: Option<usize>,
    /// Line ending of the SSE framing (default `lf`).
    pub line_ending: Option<LineEnding>,
    /// Refuse the resume request as if its `Last-Event-ID` were too old: 404, events evicted.
    pub id_too_old: bool,
    /// Answer 204 No Content with no body (tells an SSE client to stop reconnecting).
    pub end_204: bool,
    /// With `status`: announce the whole `body` in `Content-Length` but send only this many
    /// bytes, then cut the connection (a reply truncated mid-body).
    pub drop_after_bytes: Option<usize>,
}

/// Line ending used when writing SSE frames.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    /// `\n`, what the real server sends.
    #[default]
    Lf,
    /// `\r\n`.
    Crlf,
    /// A lone `\r`.
    Cr,
}

impl LineEnding {
    /// The bytes that end one line.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }
}

/// The stream knobs of a fault, handed to the SSE writer through the request's extensions.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamFault {
    pub(crate) drop_after_events: Option<u64>,
    pub(crate) drop_mid_event: bool,
    pub(crate) stall_after_events: Option<u64>,
    pub(crate) stall_ms: u64,
    pub(crate) duplicate_ids: Option<u64>,
    pub(crate) slice_bytes: Option<usize>,
    pub(crate) line_ending: LineEnding,
    pub(crate) id_too_old: bool,
}

impl Default for Fault {
    // Written by hand because a fault that affects zero requests is never what a caller means.
    fn default() -> Self {
        Fault {
            method: None,
            path: String::new(),
            times: 1,
            status: None,
            headers: Vec::new(),
            body: None,
            delay_ms: None,
            stall_ms: None,
            reset: false,
            drop_after_events: None,
            drop_mid_event: false,
            stall_after_events: None,
            duplicate_ids: None,
            slice_bytes: None,
            drop_after_bytes: None,
            line_ending: None,
            id_too_old: false,
            end_204: false,
        }
    }
}

impl Fault {
    /// Checks what the HTTP control route rejects with 400: empty path, out-of-range status,
    /// header names or values that cannot be sent, and stream knobs that need a partner.
    pub fn validate(&self) -> Result<(), String> {
        if self.path.is_empty() {
            return Err("path is required (use \"*\" to match every path)".into());
        }
        if self.drop_mid_event && self.drop_after_events.is_none() {
            return Err("drop_mid_event needs drop_after_events".into());
        }
        if self.stall_after_events.is_some() && self.stall_ms.is_none() {
            return Err("stall_after_events needs stall_ms".into());
        }
        if self.slice_bytes == Some(0) {
            return Err("slice_bytes must be at least 1".into());
        }
        if let Some(status) = self.status {
            if !(200..=999).contains(&status) {
                return Err(format!("status must be between 200 and 999, got {status}"));
            }
        }
        for (name, value) in &self.headers {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name:?}"))?;
        }
        Ok(())
    }

    /// The knobs that are set, as a JSON object (for the journal and the inspector).
    pub(crate) fn knobs(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(fields) = &mut value {
            fields.retain(|name, v| {
                name != "times"
                    && !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false))
                    && v.as_array().is_none_or(|a| !a.is_empty())
            });
        }
        value
    }

    /// One line for logs and the inspector, e.g. `POST /api/v1/x: status 503, ×1`.
    pub(crate) fn describe(&self) -> String {
        let mut effects: Vec<String> = Vec::new();
        if let serde_json::Value::Object(fields) = self.knobs() {
            for (name, value) in fields {
                if matches!(name.as_str(), "method" | "path" | "headers" | "body") {
                    continue;
                }
                effects.push(match value {
                    serde_json::Value::Bool(true) => name,
                    serde_json::Value::String(text) => format!("{name} {text}"),
                    other => format!("{name} {other}"),
                });
            }
        }
        if self.body.is_some() {
            effects.push("body".to_owned());
        }
        if !self.headers.is_empty() {
            effects.push("headers".to_owned());
        }
        if effects.is_empty() {
            effects.push("no effect".to_owned());
        }
        format!(
            "{} {}: {}, \u{d7}{}",
            self.method.as_deref().unwrap_or("any"),
            self.path,
            effects.join(", "),
            self.times
        )
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        method_ok && glob_matches(&self.path, path)
    }

    /// The stream knobs, when the fault has any.
    fn stream_knobs(&self) -> Option<StreamFault> {
        let stall_in_stream = self.stall_after_events.is_some();
        let any = self.drop_after_events.is_some()
            || stall_in_stream
            || self.duplicate_ids.is_some()
            || self.slice_bytes.is_some()
            || self.line_ending.is_some()
            || self.id_too_old;
        any.then(|| StreamFault {
            drop_after_events: self.drop_after_events,
            drop_mid_event: self.drop_mid_event,
            stall_after_events: self.stall_after_events,
            stall_ms: self.stall_ms.unwrap_or(0).min(MAX_WAIT_MS),
            duplicate_ids: self.duplicate_ids,
            slice_bytes: self.slice_bytes.filter(|k| *k > 0),
            line_ending: self.line_ending.unwrap_or_default(),
            id_too_old: self.id_too_old,
        })
    }
}

/// Matches `path` against a pattern in which each `*` stands for any run of characters
/// (so `/v1/sessions/*/messages` works and a trailing `*` is a prefix match).
fn glob_matches(pattern: &str, path: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let tail: Vec<&str> = parts.collect();
    let Some((last, middle)) = tail.split_last() else {
        // No `*` at all: an exact match.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// An installed fault with its id; `fault.times` counts the matches still to come.
#[derive(Serialize, Clone, Debug)]
pub(crate) struct ActiveFault {
    pub(crate) id: u64,
    #[serde(flatten)]
    pub(crate) fault: Fault,
}

/// The installed faults, checked in the order they were added.
#[derive(Default)]
pub(crate) struct FaultTable {
    inner: Mutex<FaultTableInner>,
}

#[derive(Default)]
struct FaultTableInner {
    next_id: u64,
    active: Vec<ActiveFault>,
}

impl FaultTable {
    pub(crate) fn add(&self, fault: Fault) -> u64 {
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let id = inner.next_id;
        if fault.times > 0 {
            inner.active.push(ActiveFault { id, fault });
        }
        id
    }

    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut inner = lock(&self.inner);
        let before = inner.active.len();
        inner.active.retain(|f| f.id != id);
        inner.active.len() != before
    }

    pub(crate) fn clear(&self) {
        lock(&self.inner).active.clear();
    }

    pub(crate) fn list(&self) -> Vec<ActiveFault> {
        lock(&self.inner).active.clone()
    }

    /// Consumes one use of the first fault matching the request, if any.
    fn take(&self, method: &str, path: &str) -> Option<ActiveFault> {
        let mut inner = lock(&self.inner);
        let index = inner
            .active
            .iter()
            .position(|f| f.fault.matches(method, path))?;
        let entry = &mut inner.active[index];
        entry.fault.times -= 1;
        let taken = entry.clone();
        if entry.fault.times == 0 {
            inner.active.remove(index);
        }
        Some(taken)
    }
}

/// Middleware: applies the first matching fault to an API request, or passes it on.
pub(crate) async fn apply(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if is_control_path(path) {
        return next.run(req).await;
    }
    let Some(ActiveFault { id, fault }) = state.faults.take(req.method().as_str(), path) else {
        return next.run(req).await;
    };
    if state.log_requests {
        eprintln!(
            "poke-emulator: fault #{id} applied to {} {}",
            req.method(),
            req.uri()
        );
    }
    if let Some(JournalSeq(seq)) = req.extensions().get::<JournalSeq>().copied() {
        let mut note = fault.knobs();
        if let serde_json::Value::Object(fields) = &mut note {
            fields.insert("id".into(), id.into());
        }
        state.journal.update(seq, |call| call.fault = Some(note));
    }
    let conn = req.extensions().get::<ConnectionControl>().cloned();

    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_WAIT_MS))).await;
    }
    if fault.reset {
        return drop_connection(conn, true).await;
    }
    if fault.end_204 {
        return scripted_response(204, &fault.headers, None);
    }
    if let (Some(ms), None) = (fault.stall_ms, fault.stall_after_events) {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_WAIT_MS))).await;
        return drop_connection(conn, false).await;
    }
    if let Some(status) = fault.status {
        let mut response = scripted_response(status, &fault.headers, fault.body.clone());
        if let Some(keep) = fault.drop_after_bytes {
            truncate_body(
                &mut response,
                fault.body.unwrap_or_default().into_bytes(),
                keep,
            );
        }
        return response;
    }
    let mut req = req;
    if let Some(knobs) = fault.stream_knobs() {
        req.extensions_mut().insert(knobs);
    }
    next.run(req).await
}

async fn drop_connection(conn: Option<ConnectionControl>, reset: bool) -> Response {
    match conn {
        Some(conn) => conn.close(reset).await,
        // Only reachable when the router is served by something other than `server::serve`.
        None => crate::response::error_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "connection faults need the emulator's own server",
        ),
    }
}

/// Sends the first `keep` bytes of `full` under a `Content-Length` of the whole, then fails the
/// body so the server cuts the connection.
fn truncate_body(response: &mut Response, full: Vec<u8>, keep: usize) {
    let total = full.len();
    let head = bytes::Bytes::from(full).slice(..keep.min(total));
    let head = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) });
    // A pause lets hyper flush the head and the first bytes before the failure aborts the
    // connection; failing at once would lose the response headers too.
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other(crate::sessions::DROP_FAULT))
    });
    *response.body_mut() = Body::from_stream(futures_util::StreamExt::chain(head, cut));
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(total));
}

fn scripted_response(status: u16, headers: &[(String, String)], body: Option<String>) -> Response {
    let mut response = Response::new(Body::from(body.unwrap_or_default()));
    match StatusCode::from_u16(status) {
        Ok(code) if status >= 200 => {
            *response.status_mut() = code;
            if code.canonical_reason().is_none() {
                // hyper would write "<none>", which clients would show as the reason phrase.
                response
                    .extensions_mut()
                    .insert(hyper::ext::ReasonPhrase::from_static(b""));
            }
        }
        // Faults added through the Rust API skip validation; say what went wrong instead.
        _ => {
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            *response.body_mut() = Body::from(format!("invalid fault status {status}"));
            return response;
        }
    }
    for (name, value) in headers {
        // Framing is the server's job: a scripted length that disagrees with the body would
        // break the connection (use `drop_after_bytes` for a truncated reply).
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            continue;
        }
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                response.headers_mut().append(name, value);
            }
            _ => eprintln!("poke-emulator: skipping invalid fault header {name:?}"),
        }
    }
    response
}

fn deserialize_headers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct HeadersVisitor;

    impl<'de> Visitor<'de> for HeadersVisitor {
        type Value = Vec<(String, String)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of [name, value] pairs or an object of name: value")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = seq.next_element::<(String, String)>()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }

        // Visiting the map directly keeps the caller's order, which a `Map` would sort.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = map.next_entry::<String, String>()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }

    d.deserialize_any(HeadersVisitor)
}

fn deserialize_duplicate_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct DuplicateVisitor;

    impl<'de> Visitor<'de> for DuplicateVisitor {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true, false, null or a number of events")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            // `true` re-sends everything delivered before the reconnect.
            Ok(v.then_some(u64::MAX))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("duplicate_ids must not be negative"))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(DuplicateVisitor)
        }
    }

    d.deserialize_any(DuplicateVisitor)
}

#[cfg(test)]
mod tests {
    use super::{Fault, glob_matches};

    #[test]
    fn knobs_and_description_name_what_is_set() {
        let fault = Fault {
            method: Some("POST".into()),
            path: "/api/v1/x".into(),
            status: Some(503),
            times: 2,
            ..Fault::default()
        };
        assert_eq!(
            fault.knobs(),
            serde_json::json!({"method": "POST", "path": "/api/v1/x", "status": 503})
        );
        assert_eq!(fault.describe(), "POST /api/v1/x: status 503, \u{d7}2");
        let reset = Fault {
            path: "*".into(),
            reset: true,
            delay_ms: Some(5),
            ..Fault::default()
        };
        assert_eq!(reset.describe(), "any *: delay_ms 5, reset, \u{d7}1");
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_matches("*", "/anything"));
        assert!(glob_matches("/a/*", "/a/b/c"));
        assert!(!glob_matches("/a/*", "/b"));
        assert!(glob_matches("/a", "/a"));
        assert!(!glob_matches("/a", "/a/b"));
        assert!(glob_matches(
            "/v1/sessions/*/messages",
            "/v1/sessions/sess_1/messages"
        ));
        assert!(!glob_matches(
            "/v1/sessions/*/messages",
            "/v1/sessions/sess_1/files"
        ));
        assert!(glob_matches(
            "/v1/sessions/*/responses/*/events",
            "/v1/sessions/s/responses/msg_1/events"
        ));
        assert!(!glob_matches("/a*a", "/a"));
    }
}
