//! State shared by every route of one emulator instance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::watch;

use crate::callbacks::{CallbackChain, CallbackChains};
use crate::faults::FaultTable;
use crate::idempotency::IdempotencyCache;
use crate::inspector::Secrets;
use crate::journal::Journal;
use crate::sessions::SessionsState;

/// Everything one emulator instance knows; routes reach it through `Arc<AppState>`.
pub(crate) struct AppState {
    /// Base URL of this instance (`http://127.0.0.1:PORT`), used in URLs the routes hand out.
    pub(crate) base_url: String,
    /// The only accepted API key, or `None` to accept any non-empty bearer token.
    pub(crate) api_key: Option<String>,
    /// Whether to log each request to stderr (the binary does; in-process tests stay quiet).
    pub(crate) log_requests: bool,
    pub(crate) journal: Journal,
    pub(crate) faults: FaultTable,
    pub(crate) idempotency: IdempotencyCache,
    pub(crate) callbacks: CallbackChains,
    pub(crate) poke: Mutex<PokeState>,
    /// The Pokee Enterprise sessions API; shared with the agent tasks it spawns.
    pub(crate) sessions: Arc<SessionsState>,
    /// The account API of the `poke` command and its tunnel server.
    pub(crate) account: crate::account::AccountState,
    /// Credentials seen, so the inspector can scrub them from everything it shows.
    pub(crate) secrets: Secrets,
    /// Bumped by every control action, so the inspector's feed looks again at once.
    pub(crate) changes: watch::Sender<u64>,
    request_seq: AtomicU64,
}

/// What the Poke API routes have accepted so far.
#[derive(Default)]
pub(crate) struct PokeState {
    /// Bodies of processed send-message requests, in order.
    pub(crate) messages: Vec<Value>,
    /// Webhook triggers created through `POST /api-keys/webhook`.
    pub(crate) triggers: Vec<Trigger>,
    /// `{"triggerId", "data"}` for every accepted webhook fire, in order.
    pub(crate) webhook_fires: Vec<Value>,
}

/// A webhook trigger and the token that may fire it.
pub(crate) struct Trigger {
    pub(crate) id: String,
    pub(crate) token: String,
}

impl AppState {
    /// Creates empty state for an instance reachable at `base_url`.
    pub(crate) fn new(base_url: String, api_key: Option<String>, log_requests: bool) -> Self {
        // An empty key could never match (empty bearers are rejected), so it means "any".
        let api_key = api_key.filter(|k| !k.is_empty());
        let secrets = Secrets::default();
        if let Some(key) = &api_key {
            secrets.learn(key);
        }
        AppState {
            base_url,
            api_key,
            log_requests,
            journal: Journal::default(),
            faults: FaultTable::default(),
            idempotency: IdempotencyCache::default(),
            callbacks: CallbackChains::default(),
            poke: Mutex::new(PokeState::default()),
            sessions: Arc::new(SessionsState::default()),
            account: crate::account::AccountState::default(),
            secrets,
            changes: watch::channel(0).0,
            request_seq: AtomicU64::new(0),
        }
    }

    /// Records a control action as a marker in the journal (the inspector shows it between
    /// requests) and tells the inspector's feed to look again.
    pub(crate) fn note(&self, action: String) {
        if self.log_requests {
            eprintln!("poke-emulator: {action}");
        }
        self.journal.push_control(action);
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// Returns the next `x-request-id` value.
    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("req_{n:08x}")
    }

    /// Starts a callback chain whose URL is this instance's MCP callback endpoint.
    pub(crate) fn new_callback_chain(&self, max_callbacks: Option<u32>) -> CallbackChain {
        let url = format!("{}{}", self.base_url, crate::poke_api::CALLBACK_PATH);
        self.callbacks.create(max_callbacks, url)
    }

    /// Forgets every request, fault, message, webhook, callback chain and idempotency key,
    /// and every session, turn, file and setting of the sessions API.
    pub(crate) fn reset(&self) {
        self.sessions.reset();
        self.account.reset();
        self.journal.clear();
        self.faults.clear();
        self.idempotency.clear();
        self.callbacks.clear();
        *lock(&self.poke) = PokeState::default();
        self.note("emulator reset".to_owned());
    }
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Returns 32 random lowercase hex digits, for tokens and ids.
pub(crate) fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
