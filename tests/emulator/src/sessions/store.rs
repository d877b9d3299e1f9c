//! The tenant's session state: live sessions, turn buffers, idempotency keys, the workspace
//! and usage, plus the lazy lifecycle sweep (TTL, idle destroy, buffer eviction).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use super::config::SessionsConfig;
use super::idempotency::KeyEntry;
use super::paths::Scope;
use super::script::TurnScript;
use super::turn::Turn;
use super::usage::UsageLog;
use super::workspace::Workspace;

/// Why a session is destroyed; a running turn ends with this `message.error`.
pub(crate) const DESTROYED: &str = "session destroyed";
/// The `message.error` of a turn cut short by the session's TTL.
pub(crate) const EXPIRED: &str = "session expired";
/// Ended sessions remembered for the inspector.
const MAX_ENDED: usize = 1000;

/// Why a session ended, for the inspector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EndCause {
    /// E5 or E6 deleted it.
    Deleted,
    /// Its TTL ran out on the virtual clock.
    TtlExpired,
    /// It sat idle past the idle timeout.
    IdleTimeout,
}

/// A session that is gone, and why.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct EndedSession {
    pub(crate) id: String,
    pub(crate) ended_at: f64,
    pub(crate) cause: EndCause,
}

/// A client tool call the agent asked for (E10 answers it).
pub(crate) enum ToolCallSlot {
    Pending(oneshot::Sender<String>),
    Answered,
}

/// One live session.
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) created_at: f64,
    pub(crate) last_activity: f64,
    pub(crate) persistent: bool,
    pub(crate) ttl: u64,
    pub(crate) metadata: Map<String, Value>,
    /// `file_access` exactly as given (echoed back, spec §3.4).
    pub(crate) file_access: Value,
    pub(crate) scope: Scope,
    pub(crate) model: String,
    pub(crate) tools: Vec<Value>,
    pub(crate) busy: bool,
    pub(crate) current_turn: Option<Arc<Turn>>,
    /// Scripts queued by tests for the next turns, first one first.
    pub(crate) scripts: VecDeque<TurnScript>,
    pub(crate) tool_calls: HashMap<String, ToolCallSlot>,
    /// The custom skills installed when the session was created (later installs are not
    /// visible to it, spec §2.17).
    pub(crate) skills: Vec<String>,
}

/// The nine fields of a session record, in the docs' order (spec §2.2); serialized straight
/// from this struct because a `serde_json::Map` would sort the keys.
#[derive(Serialize)]
pub(crate) struct SessionRecord<'a> {
    id: &'a str,
    created_at: f64,
    last_activity: f64,
    busy: bool,
    persistent: bool,
    ttl: u64,
    status: &'static str,
    metadata: &'a Map<String, Value>,
    file_access: &'a Value,
}

impl Session {
    /// The record the API returns.
    pub(crate) fn record(&self) -> SessionRecord<'_> {
        SessionRecord {
            id: &self.id,
            created_at: self.created_at,
            last_activity: self.last_activity,
            busy: self.busy,
            persistent: self.persistent,
            ttl: self.ttl,
            status: if self.busy { "busy" } else { "ready" },
            metadata: &self.metadata,
            file_access: &self.file_access,
        }
    }

    /// The record plus what only tests see: model, tools, the running turn, queued scripts.
    pub(crate) fn debug_record(&self) -> Value {
        let mut record = serde_json::to_value(self.record()).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut record {
            fields.insert("model".into(), json!(self.model));
            fields.insert("tools".into(), json!(self.tools));
            fields.insert(
                "current_response_id".into(),
                json!(self.current_turn.as_ref().map(|t| t.rid.clone())),
            );
            fields.insert("queued_scripts".into(), json!(self.scripts.len()));
            fields.insert("skills".into(), json!(self.skills));
        }
        record
    }

    /// When the session dies on its own, in virtual time (TTL, or idle timeout unless busy
    /// or persistent).
    pub(crate) fn expires_at(&self, idle_timeout: f64) -> f64 {
        let ttl_end = self.created_at + self.ttl as f64;
        if self.persistent || self.busy {
            ttl_end
        } else {
            ttl_end.min(self.last_activity + idle_timeout)
        }
    }
}

/// Everything the sessions API knows, behind one mutex.
#[derive(Default)]
pub(crate) struct Store {
    /// Live sessions in creation order.
    pub(crate) sessions: Vec<Session>,
    /// Turn buffers that can still be resumed, by response id.
    pub(crate) turns: HashMap<String, Arc<Turn>>,
    /// Idempotency keys of message POSTs.
    pub(crate) keys: HashMap<String, KeyEntry>,
    pub(crate) workspace: Workspace,
    /// Session turns, the `session_turn` bucket.
    pub(crate) usage: UsageLog,
    /// Stateless responses (E19), the `response` bucket.
    pub(crate) response_usage: UsageLog,
    /// Custom skills (E16–E18).
    pub(crate) skills: crate::skills::SkillStore,
    /// Stateless responses' buffers, owners and keys (E19–E21).
    pub(crate) responses: crate::responses::ResponseStore,
    pub(crate) config: SessionsConfig,
    /// Sessions that ended, newest last (at most [`MAX_ENDED`]).
    pub(crate) ended: VecDeque<EndedSession>,
}

impl Store {
    pub(crate) fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    pub(crate) fn session_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }

    /// The resumable turn `rid` of session `session_id`.
    pub(crate) fn turn_of(&self, session_id: &str, rid: &str) -> Option<Arc<Turn>> {
        self.turns
            .get(rid)
            .filter(|t| t.session_id == session_id)
            .cloned()
    }

    /// Destroys a session at virtual time `now` for `cause`; its running turn ends with
    /// `message.error` `reason` and its buffers become unreachable. Workspace files stay.
    pub(crate) fn destroy(&mut self, id: &str, reason: &str, cause: EndCause, now: f64) -> bool {
        let Some(index) = self.sessions.iter().position(|s| s.id == id) else {
            return false;
        };
        let session = self.sessions.remove(index);
        if let Some(turn) = &session.current_turn {
            turn.abort(reason);
        }
        self.turns.retain(|_, t| t.session_id != id);
        if self.ended.len() == MAX_ENDED {
            self.ended.pop_front();
        }
        self.ended.push_back(EndedSession {
            id: session.id,
            ended_at: now,
            cause,
        });
        true
    }

    /// Applies every rule that depends on time: TTL and idle destroy, buffer eviction, key
    /// retention.
    pub(crate) fn sweep(&mut self, now: f64) {
        let idle = self.config.idle_timeout_secs;
        let dead: Vec<(String, bool, EndCause)> = self
            .sessions
            .iter()
            .filter(|s| now >= s.expires_at(idle))
            .map(|s| {
                let cause = if now >= s.created_at + s.ttl as f64 {
                    EndCause::TtlExpired
                } else {
                    EndCause::IdleTimeout
                };
                (s.id.clone(), s.busy, cause)
            })
            .collect();
        for (id, busy, cause) in dead {
            self.destroy(&id, if busy { EXPIRED } else { DESTROYED }, cause, now);
        }
        let grace = self.config.resume_grace_secs;
        self.turns
            .retain(|_, t| t.closed_at().is_none_or(|closed| now < closed + grace));
        let retention = self.config.idempotency_retention_secs;
        self.keys.retain(|_, k| now < k.created_at + retention);
        self.responses.sweep(now, grace, retention);
    }

    /// Aborts every running turn (reset, shutdown).
    pub(crate) fn abort_all(&self, reason: &str) {
        for session in &self.sessions {
            if let Some(turn) = &session.current_turn {
                turn.abort(reason);
            }
        }
        self.responses.abort_all(reason);
    }

    /// Seconds until the first session dies on its own, for a `Retry-After` (at least 1).
    pub(crate) fn secs_until_a_slot_frees(&self, now: f64) -> u64 {
        let idle = self.config.idle_timeout_secs;
        let first = self
            .sessions
            .iter()
            .map(|s| s.expires_at(idle))
            .fold(f64::INFINITY, f64::min);
        if first.is_finite() {
            (first - now).ceil().clamp(1.0, 86_400.0) as u64
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, persistent: bool, ttl: u64) -> Session {
        Session {
            id: id.into(),
            created_at: 0.0,
            last_activity: 0.0,
            persistent,
            ttl,
            metadata: Map::new(),
            file_access: json!({"read": [""], "write": [""]}),
            scope: Scope::new(vec![String::new()], vec![String::new()], id),
            model: "m".into(),
            tools: Vec::new(),
            busy: false,
            current_turn: None,
            scripts: VecDeque::new(),
            tool_calls: HashMap::new(),
            skills: Vec::new(),
        }
    }

    #[test]
    fn sweep_applies_idle_and_ttl() {
        let mut store = Store::default();
        store.sessions.push(session("idle", false, 14_400));
        store.sessions.push(session("kept", true, 14_400));
        store.sessions.push(session("short", true, 10));
        store.sweep(9.0);
        assert_eq!(store.sessions.len(), 3);
        store.sweep(10.0);
        assert!(store.session("short").is_none());
        store.sweep(299.0);
        assert!(store.session("idle").is_some());
        store.sweep(300.0);
        assert!(store.session("idle").is_none());
        let ended: Vec<_> = store
            .ended
            .iter()
            .map(|e| (e.id.as_str(), e.cause, e.ended_at))
            .collect();
        assert_eq!(
            ended,
            [
                ("short", EndCause::TtlExpired, 10.0),
                ("idle", EndCause::IdleTimeout, 300.0)
            ]
        );
        assert!(store.session("kept").is_some());
        assert_eq!(store.secs_until_a_slot_frees(300.0), 14_100);
        let record = store
            .session("kept")
            .and_then(|s| serde_json::to_string(&s.record()).ok())
            .unwrap_or_default();
        assert!(record.starts_with(r#"{"id":"kept","created_at":0.0,"last_activity":0.0,"busy""#));
        assert!(record.ends_with(r#""metadata":{},"file_access":{"read":[""],"write":[""]}}"#));
    }
}
