//! Request and response bodies of the sessions API.
//!
//! Response records keep fields they do not know in `extra` and treat enum-like strings as
//! open, so a newer server never breaks an older client.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Which workspace paths a session may read and write (`""` is the whole workspace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileAccess {
    /// Readable roots, workspace-relative.
    #[serde(default)]
    pub read: Vec<String>,
    /// Writable roots (writing implies reading).
    #[serde(default)]
    pub write: Vec<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FileAccess {
    /// A scope from read and write roots.
    pub fn new<R, W>(read: R, write: W) -> Self
    where
        R: IntoIterator,
        R::Item: Into<String>,
        W: IntoIterator,
        W::Item: Into<String>,
    {
        Self {
            read: read.into_iter().map(Into::into).collect(),
            write: write.into_iter().map(Into::into).collect(),
            extra: Map::new(),
        }
    }
}

/// Body of `POST /v1/sessions`; every field is optional and `None` leaves the server default.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CreateSession {
    /// `true` keeps the session until its TTL runs out instead of 5 minutes after a turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent: Option<bool>,
    /// Hard upper bound on the session's lifetime, in seconds (server default 14400).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Free-form key/values returned on every read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// File scope; the whole workspace when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_access: Option<FileAccess>,
    /// Model catalog name, fixed for the session's life.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// OpenAI-shape function definitions the agent may call back into the client for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// Further fields sent as they are, for server features newer than this client.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateSession {
    /// An empty request: all server defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `persistent`.
    #[must_use]
    pub fn persistent(mut self, persistent: bool) -> Self {
        self.persistent = Some(persistent);
        self
    }

    /// Sets `ttl`, rounded down to whole seconds.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl.as_secs());
        self
    }

    /// Adds one metadata entry.
    #[must_use]
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }

    /// Sets the file scope.
    #[must_use]
    pub fn file_access(mut self, access: FileAccess) -> Self {
        self.file_access = Some(access);
        self
    }

    /// Sets the model.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Adds one client tool definition.
    #[must_use]
    pub fn tool(mut self, tool: Value) -> Self {
        self.tools.get_or_insert_with(Vec::new).push(tool);
        self
    }
}

/// A session as the server reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionRecord {
    /// Session id, e.g. `sess_a86118c06688`.
    pub id: String,
    /// Creation time, Unix seconds.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<f64>,
    /// Last turn start or end, Unix seconds.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity: Option<f64>,
    /// True while a turn runs.
    #[serde(default)]
    pub busy: bool,
    /// Whether the session outlives its idle timer.
    #[serde(default)]
    pub persistent: bool,
    /// Lifetime bound in seconds.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Open status string: `ready`, `busy`, or anything newer.
    #[serde(default)]
    pub status: String,
    /// Metadata, including progress keys the agent writes during a turn.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// File scope.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_access: Option<FileAccess>,
    /// Model, when the server reports it.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Client tools, when the server reports them.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SessionRecord {
    /// True while a turn runs (`busy`, or a `busy` status from servers that only set that).
    pub fn is_busy(&self) -> bool {
        self.busy || self.status == "busy"
    }

    /// True when the status is `ready`.
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }

    /// One metadata value, e.g. a progress key such as `temasek_status`.
    pub fn progress(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
}

/// Filters of `DELETE /v1/sessions`; both combine with AND, none deletes every session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BulkDelete {
    /// `idle` deletes only sessions that are not busy.
    pub status: Option<String>,
    /// Minimum inactivity, as the server's duration text (`90s`, `2h`, `1h30m`).
    pub older_than: Option<String>,
}

impl BulkDelete {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only sessions that are not busy.
    #[must_use]
    pub fn idle(mut self) -> Self {
        self.status = Some("idle".into());
        self
    }

    /// Only sessions inactive for at least `age` (sent as whole seconds, at least `1s`).
    #[must_use]
    pub fn older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(format!("{}s", age.as_secs().max(1)));
        self
    }
}

/// Answer of a bulk delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BulkDeleteResult {
    /// How many sessions were destroyed.
    #[serde(default)]
    pub deleted: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Answer of a turn cancel: `cancelling` (202) or `already_complete` (200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CancelResult {
    /// The turn's response id, when the server includes it.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    /// Open status string.
    #[serde(default)]
    pub status: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CancelResult {
    /// True when cancellation started; the stream will end with `message.cancelled`.
    pub fn is_cancelling(&self) -> bool {
        self.status == "cancelling"
    }

    /// True when the turn had already finished.
    pub fn is_already_complete(&self) -> bool {
        self.status == "already_complete"
    }
}

/// Answer of `POST /v1/sessions/{id}/tool_results`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolResultAck {
    /// The call answered.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Open status string, `accepted` on success.
    #[serde(default)]
    pub status: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The server's answer to an idempotent re-send whose events were already evicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplayNotice {
    /// The original turn's response id.
    #[serde(default)]
    pub response_id: String,
    /// `replayed`.
    #[serde(default)]
    pub status: String,
    /// The server's explanation.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /v1/usage`: rate-limit windows and credit balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Rate-limit counters.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Credit balance and mode.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Rate-limit counters in either shape: `buckets` (current) or a flat `windows` list (older).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RateLimit {
    /// Who the counters belong to.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// Named buckets (`session_turn`, `response`, ...), current shape.
    #[serde(default)]
    pub buckets: BTreeMap<String, UsageBucket>,
    /// Windows of the older flat shape.
    #[serde(default)]
    pub windows: Vec<UsageWindow>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RateLimit {
    /// Every window of both shapes, with its bucket name (`None` for the flat shape).
    pub fn all_windows(&self) -> impl Iterator<Item = (Option<&str>, &UsageWindow)> {
        self.buckets
            .iter()
            .flat_map(|(name, b)| b.windows.iter().map(move |w| (Some(name.as_str()), w)))
            .chain(self.windows.iter().map(|w| (None, w)))
    }
}

/// One rate bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageBucket {
    /// Its windows.
    #[serde(default)]
    pub windows: Vec<UsageWindow>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Usage within one rolling window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UsageWindow {
    /// `hour`, `day`, ...
    #[serde(default)]
    pub name: String,
    /// Window length in seconds.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    /// Turns counted.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turns: Option<u64>,
    /// Turn cap.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u64>,
    /// Tokens counted.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Token cap.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Whether the window is enforced.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Credit balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Credits {
    /// Whether credits are tracked.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Open mode string: `soft` records only, `hard` also rejects turns with 402.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Remaining balance.
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Credits {
    /// True in `hard` mode, where a low balance makes turns fail with 402.
    pub fn is_hard(&self) -> bool {
        self.mode.as_deref() == Some("hard")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_record_keeps_unknown_fields_and_open_status() {
        let text = r#"{"id":"sess_a86118c06688","created_at":1777222996.07,"last_activity":1777222996,
            "busy":false,"persistent":false,"ttl":14400,"status":"warming","metadata":{"k":1},
            "file_access":{"read":[""],"write":[""]},"shiny":true}"#;
        let rec: SessionRecord = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rec.status, "warming");
        assert!(!rec.is_busy());
        assert_eq!(rec.last_activity, Some(1777222996.0));
        assert_eq!(rec.extra.get("shiny"), Some(&Value::Bool(true)));
        assert_eq!(rec.progress("k"), Some(&Value::from(1)));
        let back = serde_json::to_value(&rec).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back["shiny"], Value::Bool(true));
        let minimal: SessionRecord =
            serde_json::from_str(r#"{"id":"s","status":"busy"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(minimal.is_busy());
    }

    #[test]
    fn create_session_sends_only_what_was_set() {
        let body = CreateSession::new()
            .persistent(true)
            .ttl(Duration::from_secs(60))
            .metadata("project", "acme")
            .file_access(FileAccess::new(["projects/acme"], ["projects/acme/out"]));
        let v = serde_json::to_value(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            v,
            serde_json::json!({"persistent": true, "ttl": 60, "metadata": {"project": "acme"},
                "file_access": {"read": ["projects/acme"], "write": ["projects/acme/out"]}})
        );
        let empty = serde_json::to_string(&CreateSession::default()).unwrap_or_default();
        assert_eq!(empty, "{}");
    }

    #[test]
    fn usage_parses_both_shapes() {
        let current = r#"{"rate_limit":{"caller_id":"default","buckets":{"session_turn":{"windows":[
            {"name":"hour","duration_seconds":3600,"turns":5,"max_turns":500,"tokens":31137,
             "max_tokens":100000000,"enabled":true}]}}},
            "credits":{"enabled":true,"mode":"soft","balance":99961.99}}"#;
        let u: Usage = serde_json::from_str(current).unwrap_or_else(|e| panic!("{e}"));
        let rl = u
            .rate_limit
            .as_ref()
            .unwrap_or_else(|| panic!("rate_limit"));
        let all: Vec<_> = rl.all_windows().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, Some("session_turn"));
        assert_eq!(all[0].1.max_turns, Some(500));
        assert!(!u.credits.as_ref().is_some_and(Credits::is_hard));

        let old = r#"{"rate_limit":{"caller_id":"default","windows":[{"name":"hour","turns":1,
            "max_turns":120},{"name":"day","turns":1,"max_turns":1000}]}}"#;
        let u: Usage = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<_> = u
            .rate_limit
            .iter()
            .flat_map(|r| r.all_windows())
            .map(|(b, w)| (b.map(str::to_owned), w.name.clone()))
            .collect();
        assert_eq!(names, vec![(None, "hour".into()), (None, "day".into())]);
    }

    #[test]
    fn bulk_delete_builders() {
        let f = BulkDelete::new()
            .idle()
            .older_than(Duration::from_secs(5400));
        assert_eq!(f.status.as_deref(), Some("idle"));
        assert_eq!(f.older_than.as_deref(), Some("5400s"));
    }
}
