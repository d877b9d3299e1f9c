//! `PokeeClient`: the Pokee Enterprise sessions API (sessions, turns, wait, usage).
//!
//! Records mirror the core's; free-form values (metadata, tools, unknown fields) travel as
//! JSON text. Files live in `files.rs`, turn streams in `stream.rs`. Every decision (env
//! fallback, defaults, retries, resume, polling pace) is the core's.

use crate::client::{HostLanguage, Timeouts, VERSION, common_options, secs, to_core_timeouts};
use crate::error::{PokeError, invalid_input};
use crate::listener::{self, WaitProgressListener};
use crate::stream::{CancelResult, Turn};
use poke::binding::progress::Reporter;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// How a dropped turn stream is resumed; a missing value keeps the core's default
/// (5 reconnects without progress, backoff 0.5 s doubling to 10 s).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct ResumeOptions {
    /// Reconnects in a row that deliver nothing new before giving up; `0` never resumes.
    #[uniffi(default = None)]
    pub max_attempts_without_progress: Option<u32>,
    /// First wait before a reconnect, in seconds.
    #[uniffi(default = None)]
    pub initial_delay_secs: Option<f64>,
    /// Largest wait before a reconnect, in seconds.
    #[uniffi(default = None)]
    pub max_delay_secs: Option<f64>,
}

/// Options of [`PokeeClient::new`]; every missing value is resolved by the core.
#[derive(Clone, Default, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct PokeeClientOptions {
    /// The API key; else `POKEE_KEY`.
    #[uniffi(default = None)]
    pub api_key: Option<String>,
    /// The base URL (e.g. `https://acme.enterprise.pokee.ai`); else `POKEE_API`.
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Time bounds of JSON calls.
    #[uniffi(default = None)]
    pub timeouts: Option<Timeouts>,
    /// Retries after the first attempt (core default 2).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// The foreign package, for `User-Agent`; missing: the core's own identity.
    #[uniffi(default = None)]
    pub language: Option<HostLanguage>,
    /// Longest silence on a turn stream before it is treated as dropped (core default 60 s).
    #[uniffi(default = None)]
    pub stream_read_idle_secs: Option<f64>,
    /// Longest silence during a file transfer (core default 30 s).
    #[uniffi(default = None)]
    pub transfer_read_idle_secs: Option<f64>,
    /// How dropped turn streams are resumed.
    #[uniffi(default = None)]
    pub resume: Option<ResumeOptions>,
}

impl fmt::Debug for PokeeClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PokeeClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "****"))
            .field("base_url", &self.base_url)
            .field("timeouts", &self.timeouts)
            .field("max_retries", &self.max_retries)
            .field("language", &self.language)
            .field("stream_read_idle_secs", &self.stream_read_idle_secs)
            .field("transfer_read_idle_secs", &self.transfer_read_idle_secs)
            .field("resume", &self.resume)
            .finish()
    }
}

impl fmt::Display for PokeeClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Which workspace paths a session may read and write (`""` is the whole workspace).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct FileAccess {
    /// Readable roots, workspace-relative.
    #[uniffi(default = [])]
    pub read: Vec<String>,
    /// Writable roots (writing implies reading).
    #[uniffi(default = [])]
    pub write: Vec<String>,
}

impl From<poke::FileAccess> for FileAccess {
    fn from(a: poke::FileAccess) -> Self {
        Self {
            read: a.read,
            write: a.write,
        }
    }
}

impl From<FileAccess> for poke::FileAccess {
    fn from(a: FileAccess) -> Self {
        poke::FileAccess::new(a.read, a.write)
    }
}

/// What `createSession` sends; a missing value leaves the server's default.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct CreateSessionParams {
    /// `true` keeps the session until its TTL runs out instead of 5 minutes after a turn.
    #[uniffi(default = None)]
    pub persistent: Option<bool>,
    /// Upper bound on the session's lifetime, in seconds (server default 14400).
    #[uniffi(default = None)]
    pub ttl_secs: Option<u64>,
    /// Free-form metadata as a JSON object, returned on every read.
    #[uniffi(default = None)]
    pub metadata_json: Option<String>,
    /// File scope; the whole workspace when absent.
    #[uniffi(default = None)]
    pub file_access: Option<FileAccess>,
    /// Model catalog name, fixed for the session's life.
    #[uniffi(default = None)]
    pub model: Option<String>,
    /// Client tools as a JSON array of OpenAI-shape function definitions.
    #[uniffi(default = None)]
    pub tools_json: Option<String>,
}

fn parse_json<T: serde::de::DeserializeOwned>(
    field: &'static str,
    text: &str,
) -> Result<T, PokeError> {
    serde_json::from_str(text).map_err(|e| invalid_input(field, format!("not valid JSON: {e}")))
}

/// JSON text of a value that came from JSON (string keys, finite numbers): cannot fail.
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl CreateSessionParams {
    fn into_core(self) -> Result<poke::CreateSession, PokeError> {
        let mut create = poke::CreateSession::new();
        create.persistent = self.persistent;
        create.ttl = self.ttl_secs;
        create.metadata = self
            .metadata_json
            .map(|t| parse_json::<Map<String, Value>>("metadata_json", &t))
            .transpose()?;
        create.file_access = self.file_access.map(Into::into);
        create.model = self.model;
        create.tools = self
            .tools_json
            .map(|t| parse_json::<Vec<Value>>("tools_json", &t))
            .transpose()?;
        Ok(create)
    }
}

/// A session as the server reports it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SessionRecord {
    /// Session id, e.g. `sess_a86118c06688`.
    pub id: String,
    /// Creation time, Unix seconds.
    pub created_at: Option<f64>,
    /// Last turn start or end, Unix seconds.
    pub last_activity: Option<f64>,
    /// The `busy` field as sent.
    pub busy: bool,
    /// True while a turn runs (`busy`, or a `busy` status): what to branch on.
    pub is_busy: bool,
    /// Whether the session outlives its idle timer.
    pub persistent: bool,
    /// Lifetime bound in seconds.
    pub ttl_secs: Option<u64>,
    /// Open status string: `ready`, `busy`, or anything newer.
    pub status: String,
    /// Metadata as a JSON object, including the progress keys the agent writes.
    pub metadata_json: String,
    /// File scope.
    pub file_access: Option<FileAccess>,
    /// Model, when the server reports it.
    pub model: Option<String>,
    /// Client tools as a JSON array, when the server reports them.
    pub tools_json: Option<String>,
    /// The whole record as JSON, fields this version does not know included.
    pub json: String,
}

impl From<&poke::SessionRecord> for SessionRecord {
    fn from(r: &poke::SessionRecord) -> Self {
        Self {
            id: r.id.clone(),
            created_at: r.created_at,
            last_activity: r.last_activity,
            busy: r.busy,
            is_busy: r.is_busy(),
            persistent: r.persistent,
            ttl_secs: r.ttl,
            status: r.status.clone(),
            metadata_json: json_text(&r.metadata),
            file_access: r.file_access.clone().map(Into::into),
            model: r.model.clone(),
            tools_json: r.tools.as_ref().map(json_text),
            json: json_text(r),
        }
    }
}

impl From<poke::SessionRecord> for SessionRecord {
    fn from(r: poke::SessionRecord) -> Self {
        Self::from(&r)
    }
}

/// Filters of `deleteSessions`; both combine with AND, none deletes every session.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct BulkDeleteFilter {
    /// Only sessions that are not busy.
    #[uniffi(default = false)]
    pub idle_only: bool,
    /// Only sessions inactive for at least this many seconds.
    #[uniffi(default = None)]
    pub older_than_secs: Option<u64>,
}

impl From<BulkDeleteFilter> for poke::BulkDelete {
    fn from(f: BulkDeleteFilter) -> Self {
        let mut filter = poke::BulkDelete::new();
        if f.idle_only {
            filter = filter.idle();
        }
        if let Some(s) = f.older_than_secs {
            filter = filter.older_than(std::time::Duration::from_secs(s));
        }
        filter
    }
}

/// Answer of `deleteSessions`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BulkDeleteResult {
    /// How many sessions were destroyed.
    pub deleted: u64,
    /// The answer as JSON.
    pub json: String,
}

/// Answer of `submitToolResult`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ToolResultAck {
    /// The call answered.
    pub call_id: Option<String>,
    /// Open status string, `accepted` on success.
    pub status: String,
}

/// Usage within one rolling rate-limit window.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UsageWindow {
    /// The bucket (`session_turn`, `response`, ...); absent in the older flat shape.
    pub bucket: Option<String>,
    /// `hour`, `day`, ...
    pub name: String,
    /// Window length in seconds.
    pub duration_seconds: Option<u64>,
    /// Turns counted.
    pub turns: Option<u64>,
    /// Turn cap.
    pub max_turns: Option<u64>,
    /// Tokens counted.
    pub tokens: Option<u64>,
    /// Token cap.
    pub max_tokens: Option<u64>,
    /// Whether the window is enforced.
    pub enabled: Option<bool>,
}

/// `GET /v1/usage`: rate-limit windows (both server shapes) and credit balance.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Usage {
    /// Who the counters belong to.
    pub caller_id: Option<String>,
    /// Every window, bucketed or flat.
    pub windows: Vec<UsageWindow>,
    /// Whether credits are tracked.
    pub credits_enabled: Option<bool>,
    /// `soft` (records only) or `hard` (turns fail with 402 on a low balance).
    pub credits_mode: Option<String>,
    /// Remaining balance.
    pub credits_balance: Option<f64>,
    /// The answer as JSON.
    pub json: String,
}

impl From<poke::Usage> for Usage {
    fn from(u: poke::Usage) -> Self {
        let windows = u
            .rate_limit
            .iter()
            .flat_map(|r| r.all_windows())
            .map(|(bucket, w)| UsageWindow {
                bucket: bucket.map(str::to_owned),
                name: w.name.clone(),
                duration_seconds: w.duration_seconds,
                turns: w.turns,
                max_turns: w.max_turns,
                tokens: w.tokens,
                max_tokens: w.max_tokens,
                enabled: w.enabled,
            })
            .collect();
        Self {
            caller_id: u.rate_limit.as_ref().and_then(|r| r.caller_id.clone()),
            windows,
            credits_enabled: u.credits.as_ref().and_then(|c| c.enabled),
            credits_mode: u.credits.as_ref().and_then(|c| c.mode.clone()),
            credits_balance: u.credits.as_ref().and_then(|c| c.balance),
            json: json_text(&u),
        }
    }
}

/// How `waitIdle` polls; a missing value keeps the core's default (1 s doubling to 10 s,
/// no deadline).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct WaitOptions {
    /// First wait between two reads, in seconds.
    #[uniffi(default = None)]
    pub poll_interval_secs: Option<f64>,
    /// The wait doubles up to this, in seconds.
    #[uniffi(default = None)]
    pub max_interval_secs: Option<f64>,
    /// Give up with a `Timeout` error after this many seconds.
    #[uniffi(default = None)]
    pub deadline_secs: Option<f64>,
}

fn to_core_wait(o: Option<WaitOptions>) -> Result<poke::WaitOptions, PokeError> {
    let mut w = poke::WaitOptions::default();
    let Some(o) = o else { return Ok(w) };
    if let Some(d) = secs("wait.poll_interval_secs", o.poll_interval_secs)? {
        w.poll_interval = d;
    }
    if let Some(d) = secs("wait.max_interval_secs", o.max_interval_secs)? {
        w.max_interval = d;
    }
    w.deadline = secs("wait.deadline_secs", o.deadline_secs)?.or(w.deadline);
    Ok(w)
}

fn to_core_resume(o: &ResumeOptions) -> Result<poke::ResumePolicy, PokeError> {
    let mut p = poke::ResumePolicy::default();
    if let Some(n) = o.max_attempts_without_progress {
        p.max_attempts_without_progress = n;
    }
    if let Some(d) = secs("resume.initial_delay_secs", o.initial_delay_secs)? {
        p.initial_delay = d;
    }
    if let Some(d) = secs("resume.max_delay_secs", o.max_delay_secs)? {
        p.max_delay = d;
    }
    Ok(p)
}

/// A Pokee Enterprise client. One per app is enough: calls share its connection pool.
///
/// Kotlin: every call is a `suspend fun`; Swift: `async throws`.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct PokeeClient {
    pub(crate) inner: poke::PokeeClient,
}

impl fmt::Debug for PokeeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The core's Debug shows the base URL only, never the key.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for PokeeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PokeeClient(base_url={})", self.inner.base_url())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl PokeeClient {
    /// Builds a client; missing options come from `POKEE_KEY` / `POKEE_API`, then the core's
    /// defaults.
    #[uniffi::constructor]
    pub fn new(options: PokeeClientOptions) -> Result<Arc<Self>, PokeError> {
        let mut builder = common_options!(poke::PokeeClient::builder(), options);
        if let Some(d) = secs("stream_read_idle_secs", options.stream_read_idle_secs)? {
            builder = builder.stream_read_idle(d);
        }
        if let Some(d) = secs("transfer_read_idle_secs", options.transfer_read_idle_secs)? {
            builder = builder.transfer_read_idle(d);
        }
        if let Some(r) = &options.resume {
            builder = builder.resume_policy(to_core_resume(r)?);
        }
        Ok(Arc::new(Self {
            inner: builder.build()?,
        }))
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// `GET /health` (no auth): the server's answer as JSON.
    pub async fn health(&self) -> Result<String, PokeError> {
        Ok(json_text(&self.inner.health().await?))
    }

    /// Creates a session.
    #[uniffi::method(default(params = None))]
    pub async fn create_session(
        &self,
        params: Option<CreateSessionParams>,
    ) -> Result<SessionRecord, PokeError> {
        let params = params.unwrap_or_default().into_core()?;
        Ok(self.inner.create_session(&params).await?.into())
    }

    /// Reads one session (busy flag and progress metadata).
    pub async fn get_session(&self, session_id: String) -> Result<SessionRecord, PokeError> {
        Ok(self.inner.get_session(&session_id).await?.into())
    }

    /// Lists the tenant's sessions.
    pub async fn list_sessions(&self) -> Result<Vec<SessionRecord>, PokeError> {
        let list = self.inner.list_sessions().await?;
        Ok(list.iter().map(SessionRecord::from).collect())
    }

    /// Destroys a session; its workspace files stay.
    pub async fn delete_session(&self, session_id: String) -> Result<(), PokeError> {
        Ok(self.inner.delete_session(&session_id).await?)
    }

    /// Destroys every session matching the filter (all of them without one).
    #[uniffi::method(default(filter = None))]
    pub async fn delete_sessions(
        &self,
        filter: Option<BulkDeleteFilter>,
    ) -> Result<BulkDeleteResult, PokeError> {
        let filter: poke::BulkDelete = filter.unwrap_or_default().into();
        let r = self.inner.delete_sessions(&filter).await?;
        Ok(BulkDeleteResult {
            deleted: r.deleted,
            json: json_text(&r),
        })
    }

    /// Starts a turn and returns its event stream, resumed automatically after a drop. With
    /// `idempotency_key`, sending the same message again replays the turn.
    #[uniffi::method(default(idempotency_key = None))]
    pub async fn send_message(
        &self,
        session_id: String,
        message: String,
        idempotency_key: Option<String>,
    ) -> Result<Arc<Turn>, PokeError> {
        let mut opts = poke::CallOptions::new();
        opts.idempotency_key = idempotency_key;
        let stream = self
            .inner
            .send_message_with(&session_id, &message, &opts)
            .await?;
        Turn::new(stream, session_id)
    }

    /// Reopens a turn's events after `last_event_id` (from the start without it), e.g. after
    /// an app restart.
    #[uniffi::method(default(last_event_id = None))]
    pub async fn resume(
        &self,
        session_id: String,
        response_id: String,
        last_event_id: Option<String>,
    ) -> Result<Arc<Turn>, PokeError> {
        let stream = self
            .inner
            .resume(&session_id, &response_id, last_event_id.as_deref())
            .await?;
        Turn::new(stream, session_id)
    }

    /// Asks the server to cancel a turn; its stream then ends with `message.cancelled`.
    pub async fn cancel_turn(
        &self,
        session_id: String,
        response_id: String,
    ) -> Result<CancelResult, PokeError> {
        Ok(self.inner.cancel(&session_id, &response_id).await?.into())
    }

    /// Answers a `tool_call.requested` event; `output_json` is any JSON (usually a string).
    pub async fn submit_tool_result(
        &self,
        session_id: String,
        call_id: String,
        output_json: String,
    ) -> Result<ToolResultAck, PokeError> {
        let output: Value = parse_json("output_json", &output_json)?;
        let ack = self
            .inner
            .submit_tool_result(&session_id, &call_id, &output)
            .await?;
        Ok(ToolResultAck {
            call_id: ack.call_id,
            status: ack.status,
        })
    }

    /// Polls the session until it is not busy and returns that record; `listener` receives
    /// the first record and every one that differs from the one before.
    #[uniffi::method(default(options = None, listener = None))]
    pub async fn wait_idle(
        &self,
        session_id: String,
        options: Option<WaitOptions>,
        listener: Option<Arc<dyn WaitProgressListener>>,
    ) -> Result<SessionRecord, PokeError> {
        let opts = to_core_wait(options)?;
        let op = |reports: Reporter<poke::SessionRecord>| {
            self.inner
                .wait_idle(&session_id, opts, move |r| reports.send(r.clone()))
        };
        let record = listener::run(listener, op, |l: &Arc<dyn WaitProgressListener>, r| {
            l.on_progress(r.into())
        })
        .await?;
        Ok(record.into())
    }

    /// Rate-limit usage and credit balance.
    pub async fn usage(&self) -> Result<Usage, PokeError> {
        Ok(self.inner.usage().await?.into())
    }
}

#[cfg(test)]
#[path = "tests/sessions.rs"]
mod tests;
