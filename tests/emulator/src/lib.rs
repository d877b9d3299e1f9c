//! A stateful fake of the Poke developer API and of the Pokee Enterprise sessions API for
//! tests, with fault injection and a request journal.
//!
//! The Poke API lives under `/api/v1` ([`Emulator::poke_api_url`]); the sessions API under
//! `/v1` at the root ([`Emulator::pokee_api_url`]), judged by a virtual clock that tests
//! advance ([`Emulator::advance_clock`]) and answered by a scripted agent
//! ([`Emulator::script_turn`]).
//!
//! Start it in-process with [`Emulator::start`] or as the `poke-emulator` binary; drive it from
//! Rust through [`Emulator`]'s methods or from any language through the `/_emulator/*` HTTP
//! routes. It deliberately shares no code with the `poke` client crate, so a client bug cannot
//! hide behind a shared helper.
//!
//! [`Emulator::inspector_url`] is a web page on the same port that shows the journal, sessions,
//! turns, faults and the clock live, with every credential redacted.

mod account;
mod actions;
mod auth;
mod budget;
mod callbacks;
mod control;
mod faults;
mod idempotency;
mod inspector;
mod journal;
mod poke_api;
mod response;
mod responses;
mod server;
mod sessions;
mod skills;
mod state;
mod tls;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use callbacks::{CallbackChain, CallbackChainRecord, CallbackPost};
pub use faults::{Fault, LineEnding};
pub use journal::{JournalStats, RecordedRequest};
pub use responses::{ResponseOutcome, ResponseScript, ResponseStep};
pub use sessions::{CreditsMode, ScriptStep, SessionsConfig, TokenUsage, TurnOutcome, TurnScript};

use state::{AppState, lock};

/// Where the emulator listens and which API key it accepts.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to bind; the default `127.0.0.1` keeps the emulator off the network.
    pub host: String,
    /// Port to bind; `0` picks a free port.
    pub port: u16,
    /// The only API key accepted, or `None` (or empty) to accept any non-empty bearer token.
    pub api_key: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: "127.0.0.1".to_owned(),
            port: 0,
            api_key: None,
        }
    }
}

/// A running emulator; dropping it shuts the server down.
pub struct Emulator {
    state: Arc<AppState>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tls_ca_pem: Option<String>,
}

impl Emulator {
    /// Binds the listener, spawns the server on the current tokio runtime, and returns once
    /// it accepts connections.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        Self::start_with_logging(config, false, false).await
    }

    /// Like [`Emulator::start`], but serves HTTPS with a throwaway CA made now; clients must
    /// trust [`Emulator::tls_ca_pem`] (e.g. through `SSL_CERT_FILE`).
    pub async fn start_tls(config: EmulatorConfig) -> io::Result<Emulator> {
        Self::start_with_logging(config, false, true).await
    }

    async fn start_with_logging(
        config: EmulatorConfig,
        log_requests: bool,
        tls: bool,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        let material = if tls {
            Some(tls::generate(&config.host)?)
        } else {
            None
        };
        let scheme = if tls { "https" } else { "http" };
        let state = Arc::new(AppState::new(
            format!("{scheme}://{addr}"),
            config.api_key,
            log_requests,
        ));
        let (shutdown, stop) = watch::channel(false);
        let (acceptor, tls_ca_pem) = match material {
            Some(m) => (Some(m.acceptor), Some(m.ca_pem)),
            None => (None, None),
        };
        tokio::spawn(server::serve(
            listener,
            acceptor,
            server::router(state.clone()),
            stop,
        ));
        Ok(Emulator {
            state,
            addr,
            shutdown,
            tls_ca_pem,
        })
    }

    /// The PEM of the throwaway CA when serving HTTPS, `None` for plain HTTP.
    pub fn tls_ca_pem(&self) -> Option<&str> {
        self.tls_ca_pem.as_deref()
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// Base URL of the Poke API (`url() + "/api/v1"`), the value for `POKE_API`.
    pub fn poke_api_url(&self) -> String {
        format!("{}{}", self.state.base_url, poke_api::API_PREFIX)
    }

    /// The socket address the emulator is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The inspector, a web page that shows requests, sessions, turns, faults and the clock
    /// live: `url() + "/_emulator/ui/"`.
    pub fn inspector_url(&self) -> String {
        format!("{}{}", self.state.base_url, inspector::UI_PAGE)
    }

    /// Every API request kept in the journal, in arrival order (control routes, `/health` and
    /// the inspector are not recorded; past the journal's capacity the oldest are dropped).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.journal.snapshot()
    }

    /// How full the journal is and how many entries it dropped.
    pub fn journal_stats(&self) -> JournalStats {
        self.state.journal.stats()
    }

    /// Sets how many entries the journal keeps (default 10,000; 1 to 1,000,000).
    pub fn set_journal_capacity(&self, capacity: usize) -> Result<(), String> {
        self.state.set_journal_capacity(capacity)
    }

    /// Empties the request journal.
    pub fn clear_requests(&self) {
        self.state.clear_journal();
    }

    /// Installs a fault and returns its id; faults are checked in the order they were added.
    pub fn add_fault(&self, fault: Fault) -> u64 {
        self.state.add_fault(fault)
    }

    /// Removes one fault; returns whether it was still active.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.state.remove_fault(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// Bodies of the send-message requests that were processed (not faulted, not replayed).
    pub fn messages(&self) -> Vec<serde_json::Value> {
        lock(&self.state.poke).messages.clone()
    }

    /// Every accepted webhook fire as `{"triggerId": ..., "data": ...}`, in order.
    pub fn webhook_fires(&self) -> Vec<serde_json::Value> {
        lock(&self.state.poke).webhook_fires.clone()
    }

    /// Starts an MCP callback chain that ends after `max_callbacks` accepted posts (`None`:
    /// only a `hasMore: false` post ends it).
    pub fn new_callback_chain(&self, max_callbacks: Option<u32>) -> CallbackChain {
        self.state.new_callback_chain(max_callbacks)
    }

    /// Every callback chain with the posts it accepted.
    pub fn callback_chains(&self) -> Vec<CallbackChainRecord> {
        self.state.callbacks.records()
    }

    /// Base URL of the Pokee Enterprise sessions API, the value for `POKEE_API`: the same as
    /// [`url`](Self::url), because the API's paths already start with `/v1`.
    pub fn pokee_api_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// Moves the sessions API's virtual clock forward, then applies what that expires (TTL,
    /// idle destroy, buffer eviction, turn and tool-result timeouts).
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance_clock(by.as_secs_f64());
    }

    /// Stops (`true`) or restarts the passing of real time on the virtual clock.
    pub fn freeze_clock(&self, frozen: bool) {
        self.state.freeze_clock(frozen);
    }

    /// The virtual clock's current time in Unix epoch seconds.
    pub fn clock_now(&self) -> f64 {
        self.state.sessions.now()
    }

    /// Every live session as the API's record plus `model`, `tools`, `current_response_id`
    /// and `queued_scripts`.
    pub fn sessions_json(&self) -> serde_json::Value {
        self.state.sessions.sessions_json()
    }

    /// Every resumable turn: `response_id`, `session_id`, `status`, `events`, `started_at`,
    /// `closed_at`.
    pub fn turns_json(&self) -> serde_json::Value {
        self.state.sessions.turns_json()
    }

    /// Queues `script` for the next turn of session `session_id` (scripts run in the order
    /// queued); errors name an unknown session or an invalid step.
    pub fn script_turn(&self, session_id: &str, script: TurnScript) -> Result<(), String> {
        self.state.script_turn(session_id, script)
    }

    /// Cancels the running turn of session `session_id` (as E9 does) and returns its response
    /// id; errors name an unknown session or one that is not running a turn.
    pub fn cancel_turn(&self, session_id: &str) -> Result<String, String> {
        match self.state.cancel_turn(session_id) {
            Ok((rid, _)) => Ok(rid),
            Err(sessions::CancelRefusal::NoSession) => {
                Err(format!("session '{session_id}' not found"))
            }
            Err(sessions::CancelRefusal::NoTurn) => {
                Err(format!("session '{session_id}' is not running a turn"))
            }
        }
    }

    /// Queues `script` for the next stateless response (`POST /v1/responses`); scripts run
    /// in the order queued. Errors name an invalid step.
    pub fn script_response(&self, script: ResponseScript) -> Result<(), String> {
        self.state.script_response(script).map(drop)
    }

    /// The stateless responses kept for resume and cancel (`response_id`, `status`, `events`,
    /// `started_at`, `closed_at`) and the number of queued scripts.
    pub fn responses_json(&self) -> serde_json::Value {
        self.state.sessions.store().responses.debug_json()
    }

    /// Every installed skill with its files (`name`, `files`, `total_bytes`,
    /// `skill_md_size`, `modified`).
    pub fn skills_json(&self) -> serde_json::Value {
        self.state.sessions.store().skills.debug_json()
    }

    /// The bytes of one file of an installed skill (`path` relative to the skill root).
    pub fn skill_file(&self, name: &str, path: &str) -> Option<Vec<u8>> {
        self.state
            .sessions
            .store()
            .skills
            .file(name, path)
            .map(|b| b.to_vec())
    }

    /// The current settings of the sessions API.
    pub fn sessions_config(&self) -> SessionsConfig {
        self.state.sessions.config()
    }

    /// Replaces the settings of the sessions API (pace, limits, timeouts, credits, formats).
    pub fn set_sessions_config(&self, config: SessionsConfig) {
        self.state.set_sessions_config(config);
    }

    /// Sets how long the scripted agent waits between events; zero streams as fast as possible.
    pub fn set_turn_pace(&self, pace: Duration) {
        let mut config = self.sessions_config();
        config.pace_ms = u64::try_from(pace.as_millis()).unwrap_or(u64::MAX);
        self.set_sessions_config(config);
    }

    /// The bytes of a workspace file, if there is one at `path`.
    pub fn workspace_file(&self, path: &str) -> Option<Vec<u8>> {
        self.state.sessions.workspace_file(path)
    }

    /// Writes a workspace file directly (test setup), creating parent directories.
    pub fn put_workspace_file(&self, path: &str, data: impl Into<Vec<u8>>) -> Result<(), String> {
        self.state.sessions.put_workspace_file(path, data.into())
    }

    /// Forgets requests, faults, messages, webhooks, callback chains and idempotency keys, and
    /// every session, turn, workspace file and setting of the sessions API (the clock returns
    /// to real time).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops accepting, closes the listener and drops open connections; running turns end.
    /// Safe to call twice.
    pub fn shutdown(&self) {
        self.state.sessions.shutdown();
        self.state.account.shutdown();
        self.shutdown.send_replace(true);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Options of [`run`] that only matter to a process hosting the emulator.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Also stop when standard input reaches end of file, so a test harness that dies
    /// (closing the pipe) leaves no orphaned emulator behind.
    pub exit_on_stdin_close: bool,
    /// Serve HTTPS with a throwaway CA (see [`Emulator::start_tls`]).
    pub tls: bool,
    /// Where to write the CA certificate when `tls` is set (default: a file in the temp dir);
    /// its path is printed on stderr.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

/// Runs the emulator until SIGINT or SIGTERM; see [`run`].
pub async fn run_until_signal(config: EmulatorConfig) -> io::Result<()> {
    run(config, RunOptions::default()).await
}

/// Runs the emulator for the binary: prints exactly one stdout line
/// `poke emulator listening on http://HOST:PORT`, logs requests to stderr, and returns after
/// SIGINT, SIGTERM or (if asked) end of standard input.
pub async fn run(config: EmulatorConfig, options: RunOptions) -> io::Result<()> {
    let emulator = Emulator::start_with_logging(config, true, options.tls).await?;
    if let Some(pem) = emulator.tls_ca_pem() {
        let path = options.tls_ca_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("poke-emulator-ca-{}.pem", emulator.addr.port()))
        });
        std::fs::write(&path, pem)?;
        eprintln!("poke-emulator: TLS CA certificate at {}", path.display());
    }
    // Registered before the line is printed: a harness may signal as soon as it reads it.
    let signals = StopSignals::register()?;
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "poke emulator listening on {}", emulator.url())?;
        stdout.flush()?;
    }
    eprintln!(
        "poke-emulator: ready; control routes under {}/_emulator/",
        emulator.url()
    );
    eprintln!("poke-emulator: inspector at {}", emulator.inspector_url());

    let reason = tokio::select! {
        reason = signals.wait() => reason,
        () = stdin_closed(), if options.exit_on_stdin_close => "stdin closed",
    };
    eprintln!("poke-emulator: stopping ({reason})");
    emulator.shutdown();
    Ok(())
}

/// SIGINT/SIGTERM handlers, installed up front so no early signal kills the process.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn register() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    async fn wait(mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // A plain thread, not tokio's stdin: a blocking read there would keep the runtime from
    // shutting down while stdin stays open.
    let spawned = std::thread::Builder::new()
        .name("poke-emulator-stdin".into())
        .spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
            let _ = tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = rx.await;
        }
        Err(err) => {
            eprintln!("poke-emulator: cannot watch stdin: {err}");
            std::future::pending::<()>().await;
        }
    }
}
