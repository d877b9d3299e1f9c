//! What the journal keeps per entry: an API call (the request as received, then what came
//! back and how) or a marker for a control action.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::RecordedRequest;

/// Fixed cost counted per entry on top of its bodies and headers.
const ENTRY_OVERHEAD: usize = 256;

/// One journal entry.
pub(crate) struct Entry {
    /// Sequence number, unique for the emulator's lifetime.
    pub(crate) seq: u64,
    /// Real time of arrival, Unix epoch seconds.
    pub(crate) at: f64,
    pub(crate) kind: EntryKind,
}

/// An API call or a control marker.
pub(crate) enum EntryKind {
    Api(Box<ApiCall>),
    Control(String),
}

/// One API request and what became of it.
pub(crate) struct ApiCall {
    pub(crate) request: RecordedRequest,
    /// The `x-request-id` the answer carries.
    pub(crate) request_id: String,
    /// Whether the body is valid UTF-8 (binary bodies are shown as size and type only).
    pub(crate) body_is_text: bool,
    /// The virtual clock at arrival.
    pub(crate) virtual_at: f64,
    /// 1 for a first attempt; retries count up (set by the journal).
    pub(crate) attempt: u32,
    /// The session the request was about, from its path or (for a create) its answer.
    pub(crate) session_id: Option<String>,
    /// The fault that hit the request: its id and the knobs that were set.
    pub(crate) fault: Option<Value>,
    pub(crate) outcome: Outcome,
}

/// Where a request stands.
pub(crate) enum Outcome {
    /// Still being handled (or held by a delay or stall fault).
    Pending,
    /// An answer's head was sent; its body may still be streaming.
    Answered(Box<Answer>),
    /// The connection closed without an answer (a reset or stall fault, or the client left).
    Closed,
}

/// The head of an answer and what was seen of its body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// Milliseconds from arrival to the answer's head.
    pub(crate) latency_ms: f64,
    /// The body's first bytes (none for binary types).
    pub(crate) body: Vec<u8>,
    /// Body bytes sent so far (all of them once `body_end` is no longer `Streaming`).
    pub(crate) body_len: u64,
    /// Whether the content type is text, JSON or an event stream.
    pub(crate) textual: bool,
    pub(crate) body_end: BodyEnd,
    /// Milliseconds from arrival to the body's end.
    pub(crate) duration_ms: Option<f64>,
}

/// How an answer's body ended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BodyEnd {
    Streaming,
    Complete,
    /// Cut before its end: by a drop fault, or because the client went away.
    Cut(String),
}

impl ApiCall {
    /// A call that has just arrived.
    pub(crate) fn new(
        request: RecordedRequest,
        request_id: String,
        body_is_text: bool,
        virtual_at: f64,
    ) -> Self {
        let session_id = session_of_path(&request.path);
        ApiCall {
            request,
            request_id,
            body_is_text,
            virtual_at,
            attempt: 1,
            session_id,
            fault: None,
            outcome: Outcome::Pending,
        }
    }
}

impl Entry {
    /// Bytes this entry holds, roughly, for the journal's byte budget.
    pub(crate) fn weight(&self) -> usize {
        match &self.kind {
            EntryKind::Control(text) => ENTRY_OVERHEAD + text.len(),
            EntryKind::Api(call) => {
                let request = &call.request;
                let answer = match &call.outcome {
                    Outcome::Answered(answer) => answer.body.len() + headers_len(&answer.headers),
                    Outcome::Pending | Outcome::Closed => 0,
                };
                ENTRY_OVERHEAD
                    + request.target.len() * 2
                    + request.body.len()
                    + headers_len(&request.headers)
                    + answer
            }
        }
    }
}

fn headers_len(headers: &[(String, String)]) -> usize {
    headers.iter().map(|(n, v)| n.len() + v.len()).sum()
}

/// The session id in a sessions-API path (`/v1/sessions/{id}` and below).
pub(crate) fn session_of_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1/sessions/")?;
    let id = rest.split('/').next().unwrap_or_default();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Real time now, Unix epoch seconds.
pub(crate) fn wall_clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::session_of_path;

    #[test]
    fn sessions_come_from_paths() {
        assert_eq!(
            session_of_path("/v1/sessions/sess_1/messages").as_deref(),
            Some("sess_1")
        );
        assert_eq!(
            session_of_path("/v1/sessions/sess_2").as_deref(),
            Some("sess_2")
        );
        assert_eq!(session_of_path("/v1/sessions"), None);
        assert_eq!(session_of_path("/v1/sessions/"), None);
        assert_eq!(session_of_path("/api/v1/inbound/api-message"), None);
    }
}
