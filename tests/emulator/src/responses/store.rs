//! Stateless responses kept for resume and cancel (E20, E21), who may read them, the
//! idempotency keys of streamed requests, and scripts queued for the next requests.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};

use super::script::ResponseScript;
use crate::sessions::Turn;

/// One response's buffer and its creator.
struct Buffer {
    turn: Arc<Turn>,
    /// The bearer token that created it: only that caller may resume or cancel it.
    owner: String,
}

/// An `Idempotency-Key` of a streamed E19 request (its own namespace, spec §2.20).
pub(crate) struct KeyEntry {
    pub(crate) fingerprint: String,
    pub(crate) owner: String,
    pub(crate) rid: String,
    created_at: f64,
}

/// What the stateless endpoints remember.
#[derive(Default)]
pub(crate) struct ResponseStore {
    buffers: HashMap<String, Buffer>,
    keys: HashMap<String, KeyEntry>,
    scripts: VecDeque<ResponseScript>,
}

impl ResponseStore {
    /// The buffer of `rid` if `owner` created it (another caller gets nothing: 404).
    pub(crate) fn get(&self, rid: &str, owner: &str) -> Option<Arc<Turn>> {
        self.buffers
            .get(rid)
            .filter(|b| b.owner == owner)
            .map(|b| b.turn.clone())
    }

    pub(crate) fn insert(&mut self, turn: Arc<Turn>, owner: &str) {
        self.buffers.insert(
            turn.rid.clone(),
            Buffer {
                turn,
                owner: owner.to_owned(),
            },
        );
    }

    pub(crate) fn key(&self, key: &str) -> Option<&KeyEntry> {
        self.keys.get(key)
    }

    pub(crate) fn remember_key(
        &mut self,
        key: String,
        fingerprint: String,
        owner: &str,
        rid: &str,
        now: f64,
    ) {
        self.keys.insert(
            key,
            KeyEntry {
                fingerprint,
                owner: owner.to_owned(),
                rid: rid.to_owned(),
                created_at: now,
            },
        );
    }

    /// Queues a script for the next request.
    pub(crate) fn push_script(&mut self, script: ResponseScript) {
        self.scripts.push_back(script);
    }

    /// The script queued first, if any.
    pub(crate) fn next_script(&mut self) -> Option<ResponseScript> {
        self.scripts.pop_front()
    }

    /// Forgets the queued scripts; returns how many there were.
    pub(crate) fn clear_scripts(&mut self) -> usize {
        std::mem::take(&mut self.scripts).len()
    }

    /// Evicts buffers `grace` seconds after they closed and keys past `retention`.
    pub(crate) fn sweep(&mut self, now: f64, grace: f64, retention: f64) {
        self.buffers
            .retain(|_, b| b.turn.closed_at().is_none_or(|closed| now < closed + grace));
        self.keys.retain(|_, k| now < k.created_at + retention);
    }

    /// Ends every running response (reset, shutdown).
    pub(crate) fn abort_all(&self, reason: &str) {
        for buffer in self.buffers.values() {
            buffer.turn.abort(reason);
        }
    }

    /// Every kept response (id, status, events, times) and the queued scripts' count.
    pub(crate) fn debug_json(&self) -> Value {
        let mut responses: Vec<&Arc<Turn>> = self.buffers.values().map(|b| &b.turn).collect();
        responses.sort_by(|a, b| a.started_at.total_cmp(&b.started_at));
        json!({
            "responses": responses
                .iter()
                .map(|t| json!({
                    "response_id": t.rid,
                    "status": t.status(),
                    "events": t.event_count(),
                    "started_at": t.started_at,
                    "closed_at": t.closed_at(),
                }))
                .collect::<Vec<_>>(),
            "queued_scripts": self.scripts.len(),
        })
    }
}
