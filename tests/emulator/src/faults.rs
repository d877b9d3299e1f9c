//! Fault injection: scripted statuses, delays, stalls and connection resets for API requests.

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

use crate::journal::is_control_path;
use crate::server::ConnectionControl;
use crate::state::{AppState, lock};

/// Upper bound for `delay_ms` and `stall_ms`, so a mistyped fault cannot hang a test run.
pub(crate) const MAX_WAIT_MS: u64 = 120_000;

/// A scripted misbehaviour for the requests that match `method` and `path`.
///
/// Effects apply in this order: wait `delay_ms`; then `reset`, else `stall_ms`, else answer
/// `status`; a fault with only `delay_ms` lets the real handler answer after the delay.
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
        }
    }
}

impl Fault {
    /// Checks what the HTTP control route rejects with 400: empty path, out-of-range status,
    /// and header names or values that cannot be sent.
    pub fn validate(&self) -> Result<(), String> {
        if self.path.is_empty() {
            return Err("path is required (use \"*\" to match every path)".into());
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

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        };
        method_ok && path_ok
    }
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
    let conn = req.extensions().get::<ConnectionControl>().cloned();

    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_WAIT_MS))).await;
    }
    if fault.reset {
        return drop_connection(conn, true).await;
    }
    if let Some(ms) = fault.stall_ms {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_WAIT_MS))).await;
        return drop_connection(conn, false).await;
    }
    match fault.status {
        Some(status) => scripted_response(status, &fault.headers, fault.body),
        None => next.run(req).await,
    }
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
