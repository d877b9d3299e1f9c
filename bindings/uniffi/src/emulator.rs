//! `Emulator`: the in-process fake of the Poke API (`poke-emulator`), so Kotlin and Swift
//! tests, ours and users', run offline on a free loopback port.
//!
//! It runs on a small tokio runtime of its own: the constructor stays synchronous (handy in
//! `@BeforeEach` / `setUp`), and the server keeps running whichever thread or executor the
//! client's calls use. Faults are JSON in the emulator's own format (the body of
//! `POST /_emulator/faults`), so new knobs need no change here.

use crate::client::HttpHeader;
use crate::error::{PokeError, invalid_input};
use std::sync::Arc;

/// One request as the emulator received it (API routes only).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EmulatorRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query string, e.g. `/api/v1/inbound/api-message`.
    pub path: String,
    /// Path and query exactly as sent.
    pub target: String,
    /// Headers in arrival order, names lowercased.
    pub headers: Vec<HttpHeader>,
    /// Body as lossy UTF-8.
    pub body: String,
}

#[uniffi::export]
impl EmulatorRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: String) -> Option<String> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.clone())
    }
}

impl From<poke_emulator::RecordedRequest> for EmulatorRequest {
    fn from(r: poke_emulator::RecordedRequest) -> Self {
        Self {
            method: r.method,
            path: r.path,
            target: r.target,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        }
    }
}

/// Where to post the callbacks of one emulated MCP tool call.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EmulatorCallbackChain {
    /// Absolute callback URL.
    pub url: String,
    /// Bearer token of the first callback.
    pub token: String,
}

/// A running emulator on `127.0.0.1:<free port>`. Call `shutdown()` (Kotlin: or `close()`)
/// when done; dropping it also stops it.
#[derive(uniffi::Object)]
pub struct Emulator {
    inner: poke_emulator::Emulator,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.inner.shutdown();
        if let Some(rt) = self.runtime.take() {
            // Never blocks, and never panics even if the last reference dies on a runtime thread.
            rt.shutdown_background();
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PokeError> {
    serde_json::to_string(value).map_err(|e| {
        PokeError::from(poke::Error::Config(format!(
            "could not encode the emulator state: {e}"
        )))
    })
}

#[uniffi::export]
impl Emulator {
    /// Starts an emulator on a free loopback port. With `api_key`, only that key is accepted
    /// (anything else gets 401); without it, any non-empty bearer token is.
    #[uniffi::constructor(default(api_key = None))]
    pub fn new(api_key: Option<String>) -> Result<Arc<Self>, PokeError> {
        let startup = |e: std::io::Error| {
            PokeError::from(poke::Error::Config(format!(
                "could not start the emulator: {e}"
            )))
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("poke-emulator")
            .enable_all()
            .build()
            .map_err(startup)?;
        let config = poke_emulator::EmulatorConfig {
            api_key,
            ..Default::default()
        };
        // Started by a task and awaited over a channel rather than `block_on`, which panics
        // when the caller is itself inside a tokio runtime.
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(poke_emulator::Emulator::start(config).await);
        });
        let inner = rx
            .recv()
            .map_err(|_| startup(std::io::Error::other("the start task died")))?
            .map_err(startup)?;
        Ok(Arc::new(Self {
            inner,
            runtime: Some(runtime),
        }))
    }

    /// Root URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// Base URL of the Poke API (`url() + "/api/v1"`): the `base_url` for `PokeClient`.
    pub fn poke_api_url(&self) -> String {
        self.inner.poke_api_url()
    }

    /// Every API request received so far, in arrival order.
    pub fn requests(&self) -> Vec<EmulatorRequest> {
        self.inner.requests().into_iter().map(Into::into).collect()
    }

    /// [`Emulator::requests`] as the JSON of `GET /_emulator/requests`.
    pub fn requests_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.requests())
    }

    /// Empties the request journal.
    pub fn clear_requests(&self) {
        self.inner.clear_requests();
    }

    /// Installs a fault given as JSON, e.g.
    /// `{"path": "/api/v1/inbound/api-message", "status": 429, "headers": {"Retry-After": "3"}}`
    /// or `{"path": "*", "stall_ms": 2000}`; returns its id.
    pub fn add_fault_json(&self, json: String) -> Result<u64, PokeError> {
        let fault: poke_emulator::Fault =
            serde_json::from_str(&json).map_err(|e| invalid_input("fault", e.to_string()))?;
        fault.validate().map_err(|e| invalid_input("fault", e))?;
        Ok(self.inner.add_fault(fault))
    }

    /// Removes one fault; returns whether it was still active.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.inner.remove_fault(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// The processed send-message bodies, as a JSON array.
    pub fn messages_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.messages())
    }

    /// Every accepted webhook fire as a JSON array of `{"triggerId": …, "data": …}`.
    pub fn webhook_fires_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.webhook_fires())
    }

    /// Base URL of the Pokee Enterprise sessions API (the same as `url()`: its paths start
    /// with `/v1`): the `base_url` for `PokeeClient`.
    pub fn pokee_api_url(&self) -> String {
        self.inner.pokee_api_url()
    }

    /// Moves the sessions API's virtual clock forward by `secs` and applies what that expires
    /// (TTL, idle destroy, resume-buffer eviction, turn timeouts).
    pub fn advance_clock(&self, secs: f64) -> Result<(), PokeError> {
        if let Some(by) = crate::client::secs("secs", Some(secs))? {
            self.inner.advance_clock(by);
        }
        Ok(())
    }

    /// Stops (`true`) or restarts the passing of real time on the virtual clock.
    pub fn freeze_clock(&self, frozen: bool) {
        self.inner.freeze_clock(frozen);
    }

    /// The virtual clock's current time, Unix seconds.
    pub fn clock_now(&self) -> f64 {
        self.inner.clock_now()
    }

    /// Every live session (record plus `model`, `tools`, `current_response_id`,
    /// `queued_scripts`) as a JSON array.
    pub fn sessions_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.sessions_json())
    }

    /// Every resumable turn (`response_id`, `session_id`, `status`, `events`, ...) as JSON.
    pub fn turns_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.turns_json())
    }

    /// Queues a turn script (the emulator's JSON format, see its README) for the next turn of
    /// `session_id`.
    pub fn script_turn_json(&self, session_id: String, json: String) -> Result<(), PokeError> {
        let script: poke_emulator::TurnScript =
            serde_json::from_str(&json).map_err(|e| invalid_input("script", e.to_string()))?;
        self.inner
            .script_turn(&session_id, script)
            .map_err(|e| invalid_input("script", e))
    }

    /// Queues a stateless-response script (the emulator's JSON format: `output`, `outcome`,
    /// `pace_ms`, `sleep_ms`, `usage`) for the next `POST /v1/responses`.
    pub fn script_response_json(&self, json: String) -> Result<(), PokeError> {
        let script: poke_emulator::ResponseScript =
            serde_json::from_str(&json).map_err(|e| invalid_input("script", e.to_string()))?;
        self.inner
            .script_response(script)
            .map_err(|e| invalid_input("script", e))
    }

    /// The stateless responses kept for resume and cancel, and the queued scripts, as JSON.
    pub fn responses_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.responses_json())
    }

    /// Every installed skill with its files, as a JSON array.
    pub fn skills_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.skills_json())
    }

    /// The bytes of one file of an installed skill, if there is one.
    pub fn skill_file(&self, name: String, path: String) -> Option<Vec<u8>> {
        self.inner.skill_file(&name, &path)
    }

    /// The sessions API settings as JSON (`pace_ms`, limits, timeouts, credits, ...).
    pub fn sessions_config_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.sessions_config())
    }

    /// Replaces the sessions API settings; fields missing from `json` take their defaults.
    pub fn set_sessions_config_json(&self, json: String) -> Result<(), PokeError> {
        let config: poke_emulator::SessionsConfig =
            serde_json::from_str(&json).map_err(|e| invalid_input("config", e.to_string()))?;
        self.inner.set_sessions_config(config);
        Ok(())
    }

    /// Real milliseconds the scripted agent waits between two events (0: as fast as it can).
    pub fn set_turn_pace_ms(&self, ms: u64) {
        self.inner
            .set_turn_pace(std::time::Duration::from_millis(ms));
    }

    /// The bytes of the workspace file at `path`, if there is one.
    pub fn workspace_file(&self, path: String) -> Option<Vec<u8>> {
        self.inner.workspace_file(&path)
    }

    /// Writes a workspace file directly (test setup), creating parent directories.
    pub fn put_workspace_file(&self, path: String, data: Vec<u8>) -> Result<(), PokeError> {
        self.inner
            .put_workspace_file(&path, data)
            .map_err(|e| invalid_input("path", e))
    }

    /// Starts an MCP callback chain that ends after `max_callbacks` accepted posts (null: only
    /// a `hasMore: false` post ends it); returns its URL and first token.
    #[uniffi::method(default(max_callbacks = None))]
    pub fn new_callback_chain(&self, max_callbacks: Option<u32>) -> EmulatorCallbackChain {
        let chain = self.inner.new_callback_chain(max_callbacks);
        EmulatorCallbackChain {
            url: chain.url,
            token: chain.token,
        }
    }

    /// Every callback chain with the posts it accepted, as JSON
    /// (`[{"first_token", "posts": [{"token", "content", "has_more", "raw_body"}]}]`).
    pub fn callback_chains_json(&self) -> Result<String, PokeError> {
        to_json(&self.inner.callback_chains())
    }

    /// Forgets requests, faults, messages, webhooks, callback chains and idempotency keys,
    /// and every session, turn, workspace file and setting (the clock returns to real time).
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Stops the server (open connections are dropped); safe to call twice.
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }
}

#[cfg(test)]
#[path = "tests/emulator.rs"]
mod tests;
