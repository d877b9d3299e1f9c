//! What the inspector and the control routes read from the sessions API: each session with its
//! expiry on the virtual clock and its turns, the sessions that ended and why, the files a
//! session can read, cancelling a session's running turn, and the whole workspace.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::SessionsState;
use super::store::{EndedSession, Session, ToolCallSlot};
use super::turn::{CancelOutcome, Turn};
use super::workspace::Node;

/// Files listed per session at most.
const MAX_FILES: usize = 500;

/// Why a cancel from the control API did nothing.
pub(crate) enum CancelRefusal {
    NoSession,
    NoTurn,
}

impl SessionsState {
    /// Every live session as the inspector shows it, in creation order, and the sessions that
    /// ended, oldest first.
    pub(crate) fn inspect(&self) -> (Vec<Value>, Vec<EndedSession>) {
        let store = self.store();
        let idle = store.config.idle_timeout_secs;
        let mut turns: HashMap<&str, Vec<&Arc<Turn>>> = HashMap::new();
        for turn in store.turns.values() {
            turns
                .entry(turn.session_id.as_str())
                .or_default()
                .push(turn);
        }
        let live = store
            .sessions
            .iter()
            .map(|s| {
                let mut own = turns.remove(s.id.as_str()).unwrap_or_default();
                own.sort_by(|a, b| a.started_at.total_cmp(&b.started_at));
                session_view(s, idle, &own)
            })
            .collect();
        (live, store.ended.iter().cloned().collect())
    }

    /// The turns of session `id` that can still be read, oldest first.
    pub(crate) fn turns_of(&self, id: &str) -> Vec<Arc<Turn>> {
        let store = self.store();
        let mut turns: Vec<_> = store
            .turns
            .values()
            .filter(|t| t.session_id == id)
            .cloned()
            .collect();
        turns.sort_by(|a, b| a.started_at.total_cmp(&b.started_at));
        turns
    }

    /// The workspace files session `id` can read (`path`, `size`, `modified`), at most
    /// [`MAX_FILES`], and how many there are in all; `None` for an unknown session.
    pub(crate) fn files_of(&self, id: &str) -> Option<(Vec<Value>, usize)> {
        let store = self.store();
        let session = store.session(id)?;
        let readable: Vec<_> = store
            .workspace
            .files()
            .filter(|(path, _, _)| session.scope.can_read(path))
            .collect();
        let total = readable.len();
        let files = readable
            .into_iter()
            .take(MAX_FILES)
            .map(|(path, size, modified)| json!({"path": path, "size": size, "modified": modified}))
            .collect();
        Some((files, total))
    }

    /// Every workspace file (`path`, `size`, `modified`), sorted by path.
    pub(crate) fn workspace_listing(&self) -> Vec<Value> {
        self.store()
            .workspace
            .files()
            .map(|(path, size, modified)| json!({"path": path, "size": size, "modified": modified}))
            .collect()
    }

    /// The bytes of workspace file `path` (`None` for a directory or a missing file).
    pub(crate) fn workspace_bytes(&self, path: &str) -> Option<bytes::Bytes> {
        match self.store().workspace.get(path) {
            Some(Node::File { data, .. }) => Some(data.clone()),
            _ => None,
        }
    }

    /// Asks the running turn of session `id` to cancel, as E9 does; returns its response id
    /// and whether it was still running.
    pub(crate) fn cancel_running(&self, id: &str) -> Result<(String, bool), CancelRefusal> {
        let turn = {
            let store = self.store();
            let session = store.session(id).ok_or(CancelRefusal::NoSession)?;
            session.current_turn.clone().ok_or(CancelRefusal::NoTurn)?
        };
        let running = matches!(turn.request_cancel(), CancelOutcome::Cancelling);
        Ok((turn.rid.clone(), running))
    }
}

/// One session: the API record plus expiry, model, the running turn, queued scripts and turns.
fn session_view(session: &Session, idle_timeout: f64, turns: &[&Arc<Turn>]) -> Value {
    let mut view = session.debug_record();
    let ttl_end = session.created_at + session.ttl as f64;
    let expires_at = session.expires_at(idle_timeout);
    let expires_by = if expires_at < ttl_end { "idle" } else { "ttl" };
    if let Value::Object(fields) = &mut view {
        fields.remove("tools");
        fields.insert("tools".into(), json!(session.tools.len()));
        fields.insert("expires_at".into(), json!(expires_at));
        fields.insert("expires_by".into(), json!(expires_by));
        fields.insert(
            "pending_tool_calls".into(),
            json!(
                session
                    .tool_calls
                    .values()
                    .filter(|slot| matches!(slot, ToolCallSlot::Pending(_)))
                    .count()
            ),
        );
        fields.insert(
            "turns".into(),
            Value::Array(
                turns
                    .iter()
                    .map(|t| {
                        json!({
                            "response_id": t.rid,
                            "status": t.status(),
                            "events": t.event_count(),
                            "started_at": t.started_at,
                            "closed_at": t.closed_at(),
                        })
                    })
                    .collect(),
            ),
        );
    }
    view
}
