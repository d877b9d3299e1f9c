//! The scripted agent: runs a [`TurnScript`] on its own task, writing events into the turn
//! buffer at a set pace, updating the session (busy flag, metadata, files) as it goes, and
//! reacting to cancel, abort, TTL expiry and the turn timeout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::{oneshot, watch};

use super::SessionsState;
use super::script::{ScriptStep, TokenUsage, TurnOutcome, TurnScript};
use super::store::{DESTROYED, ToolCallSlot};
use super::turn::{Interrupt, Turn};
use crate::state::random_hex;

/// Longest real wait between two checks for interrupts and deadlines.
const NAP: Duration = Duration::from_millis(20);
/// With no pace, yield to other tasks after this many events.
const YIELD_EVERY: u32 = 256;
/// Upper bound of one wait (a `sleep` step or the pace), so a typo cannot keep a turn alive
/// for hours.
const MAX_SLEEP: Duration = Duration::from_secs(600);

/// Why a turn stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

impl From<Interrupt> for Stop {
    fn from(interrupt: Interrupt) -> Self {
        match interrupt {
            Interrupt::Cancel => Stop::Cancelled,
            Interrupt::Abort(reason) => Stop::Failed(reason),
        }
    }
}

/// Starts the agent for `turn` on the current runtime.
pub(crate) fn spawn(
    sessions: Arc<SessionsState>,
    turn: Arc<Turn>,
    script: TurnScript,
    pace: Duration,
    message_chars: usize,
) {
    let (turn_timeout, tool_wait) = {
        let store = super::lock(&sessions.store);
        (
            store.config.turn_timeout_secs,
            store.config.tool_wait_secs(),
        )
    };
    let clock = sessions.clock.subscribe();
    let agent = Agent {
        sessions,
        turn,
        pace,
        clock,
        turn_timeout,
        tool_wait,
        message_chars,
        text_chars: 0,
        since_yield: 0,
        last_sweep: Instant::now(),
    };
    tokio::spawn(agent.run(script));
}

struct Agent {
    sessions: Arc<SessionsState>,
    turn: Arc<Turn>,
    pace: Duration,
    clock: watch::Receiver<u64>,
    turn_timeout: f64,
    tool_wait: f64,
    message_chars: usize,
    /// Characters of text and thinking sent, for the usage estimate.
    text_chars: usize,
    since_yield: u32,
    last_sweep: Instant,
}

impl Agent {
    async fn run(mut self, script: TurnScript) {
        let created = json!({
            "id": self.turn.rid,
            "session_id": self.turn.session_id,
            "status": "in_progress",
        });
        let mut result = self.emit("message.created", created).await;
        for step in &script.steps {
            if result.is_err() {
                break;
            }
            result = self.step(step).await;
        }
        match (result, &script.outcome) {
            (Ok(()), TurnOutcome::Completed) => {
                let usage = script.usage.unwrap_or_else(|| self.estimated_usage());
                self.complete(usage);
            }
            (Ok(()), TurnOutcome::Error { error }) => self.fail(error),
            (Err(Stop::Cancelled), _) => self.cancelled(),
            (Err(Stop::Failed(reason)), _) => self.fail(&reason),
        }
    }

    fn estimated_usage(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: 20 + (self.message_chars as u64).div_ceil(4),
            output_tokens: 1 + (self.text_chars as u64).div_ceil(4),
        }
    }

    async fn step(&mut self, step: &ScriptStep) -> Result<(), Stop> {
        match step {
            ScriptStep::Text { text, deltas } => self.block("text", text, *deltas).await,
            ScriptStep::Thinking { text, deltas } => self.block("thinking", text, *deltas).await,
            ScriptStep::ToolUse {
                name,
                input,
                output,
                is_error,
            } => self.tool_use(name, input, output, *is_error).await,
            ScriptStep::ToolCall { name, arguments } => self.tool_call(name, arguments).await,
            ScriptStep::Event { event, data } => {
                let data = if data.is_null() {
                    json!({})
                } else {
                    data.clone()
                };
                self.emit(event, data).await
            }
            ScriptStep::Metadata { set } => self.set_metadata(set),
            ScriptStep::File {
                path,
                content,
                size,
            } => self.write_file(path, content, *size),
            ScriptStep::Sleep { ms } => self.wait(Duration::from_millis(*ms).min(MAX_SLEEP)).await,
        }
    }

    /// `<kind>.start`, deltas, `<kind>.stop`.
    async fn block(&mut self, kind: &str, text: &str, deltas: Option<u64>) -> Result<(), Stop> {
        self.emit(&format!("{kind}.start"), json!({})).await?;
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        let delta = format!("{kind}.delta");
        match deltas {
            Some(count) => {
                let words = if words.is_empty() { vec!["x "] } else { words };
                for i in 0..count {
                    let word = words[(i % words.len() as u64) as usize];
                    self.text_chars += word.len();
                    self.emit(&delta, json!({"content": word})).await?;
                }
            }
            None => {
                for word in words {
                    self.text_chars += word.len();
                    self.emit(&delta, json!({"content": word})).await?;
                }
            }
        }
        self.emit(&format!("{kind}.stop"), json!({})).await
    }

    async fn tool_use(
        &mut self,
        name: &str,
        input: &Value,
        output: &Value,
        is_error: bool,
    ) -> Result<(), Stop> {
        let id = format!("toolu_{}", &random_hex()[..24]);
        let input = if input.is_null() {
            json!({})
        } else {
            input.clone()
        };
        self.emit("tool_use.start", json!({"name": name, "id": id}))
            .await?;
        self.emit(
            "tool_use.input_delta",
            json!({"content": input.to_string()}),
        )
        .await?;
        self.emit(
            "tool_use.executing",
            json!({"name": name, "id": id, "input": input}),
        )
        .await?;
        self.emit("tool_use.stop", json!({})).await?;
        self.emit(
            "tool_result",
            json!({"id": id, "content": output, "is_error": is_error}),
        )
        .await
    }

    /// Asks the client to run one of the session's tools and waits for E10.
    async fn tool_call(&mut self, name: &str, arguments: &Value) -> Result<(), Stop> {
        let call_id = format!("call_{}", &random_hex()[..24]);
        let (tx, mut rx) = oneshot::channel();
        {
            let mut store = self.sessions.store();
            let Some(session) = store.session_mut(&self.turn.session_id) else {
                return Err(Stop::Failed(DESTROYED.into()));
            };
            session
                .tool_calls
                .insert(call_id.clone(), ToolCallSlot::Pending(tx));
        }
        let arguments = if arguments.is_null() {
            "{}".to_owned()
        } else {
            arguments.to_string()
        };
        self.emit(
            "tool_call.requested",
            json!({"call_id": call_id, "name": name, "arguments": arguments}),
        )
        .await?;
        let deadline = self.sessions.now() + self.tool_wait;
        let output = loop {
            self.check()?;
            if self.sessions.now() >= deadline {
                return Err(Stop::Failed("tool result timeout".into()));
            }
            tokio::select! {
                answer = &mut rx => match answer {
                    Ok(output) => break output,
                    Err(_) => {
                        self.check()?;
                        return Err(Stop::Failed(DESTROYED.into()));
                    }
                },
                () = tokio::time::sleep(NAP) => {}
                () = self.turn.wake.notified() => {}
                _ = self.clock.changed() => {}
            }
        };
        self.emit(
            "tool_result",
            json!({"id": call_id, "content": output, "is_error": false}),
        )
        .await
    }

    fn set_metadata(&mut self, set: &Map<String, Value>) -> Result<(), Stop> {
        self.check()?;
        let mut store = self.sessions.store();
        let Some(session) = store.session_mut(&self.turn.session_id) else {
            return Err(Stop::Failed(DESTROYED.into()));
        };
        for (key, value) in set {
            if value.is_null() {
                session.metadata.remove(key);
            } else {
                session.metadata.insert(key.clone(), value.clone());
            }
        }
        Ok(())
    }

    /// Writes a file where the session may write: `path` itself, else its own folder.
    fn write_file(&mut self, path: &str, content: &str, size: Option<u64>) -> Result<(), Stop> {
        self.check()?;
        let now = self.sessions.now();
        let mut store = self.sessions.store();
        let Some(session) = store.session(&self.turn.session_id) else {
            return Err(Stop::Failed(DESTROYED.into()));
        };
        let target = if session.scope.can_write(path) {
            path.to_owned()
        } else {
            format!(".sessions/{}/{path}", session.id)
        };
        let data = match size {
            Some(size) => {
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                let pattern = if content.is_empty() { "\0" } else { content };
                pattern.bytes().cycle().take(size).collect::<Vec<u8>>()
            }
            None => content.as_bytes().to_vec(),
        };
        store
            .workspace
            .put(&target, Bytes::from(data), now)
            .map_err(|_| Stop::Failed(format!("could not write {target}")))
    }

    /// Stops early if the turn was cancelled or aborted, its session expired, or it ran
    /// past the turn timeout.
    fn check(&mut self) -> Result<(), Stop> {
        if let Some(interrupt) = self.turn.interrupt() {
            return Err(interrupt.into());
        }
        // The sweep is what notices an expired TTL; run it now and then, and whenever the
        // clock was moved by hand.
        let clock_moved = self.clock.has_changed().unwrap_or(false);
        if clock_moved || self.last_sweep.elapsed() >= NAP {
            self.clock.borrow_and_update();
            self.last_sweep = Instant::now();
            drop(self.sessions.store());
            if let Some(interrupt) = self.turn.interrupt() {
                return Err(interrupt.into());
            }
        }
        if self.sessions.now() - self.turn.started_at >= self.turn_timeout {
            return Err(Stop::Failed("turn timeout".into()));
        }
        Ok(())
    }

    /// Waits `duration` of real time, checking for interrupts along the way.
    async fn wait(&mut self, duration: Duration) -> Result<(), Stop> {
        let end = Instant::now() + duration.min(MAX_SLEEP);
        loop {
            self.check()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(left.min(NAP)) => {}
                () = self.turn.wake.notified() => {}
                _ = self.clock.changed() => {}
            }
        }
    }

    /// Buffers one event, then waits the pace.
    async fn emit(&mut self, event: &str, payload: Value) -> Result<(), Stop> {
        self.check()?;
        self.turn.push(event, payload.to_string());
        if self.pace.is_zero() {
            self.since_yield += 1;
            if self.since_yield >= YIELD_EVERY {
                self.since_yield = 0;
                tokio::task::yield_now().await;
            }
            Ok(())
        } else {
            self.wait(self.pace).await
        }
    }

    /// Frees the session (busy off, activity now) before the terminal event is visible, so
    /// a client that reads the terminal and then polls sees `busy: false`; bills `billed`.
    fn release_session(&self, billed: Option<TokenUsage>) {
        let now = self.sessions.now();
        let mut store = super::lock(&self.sessions.store);
        let total = billed.map(|u| u.input_tokens + u.output_tokens);
        let mut released = false;
        if let Some(session) = store.session_mut(&self.turn.session_id) {
            if session
                .current_turn
                .as_ref()
                .is_some_and(|t| t.rid == self.turn.rid)
            {
                session.busy = false;
                session.current_turn = None;
                session.last_activity = now;
                session
                    .tool_calls
                    .retain(|_, slot| matches!(slot, ToolCallSlot::Answered));
                released = true;
            }
        }
        if let (true, Some(total)) = (released, total) {
            store.usage.add_tokens(&self.turn.rid, total);
            if store.config.credits_enabled {
                store.config.credits_balance -= store.config.credits_per_turn;
            }
        }
    }

    fn complete(&self, usage: TokenUsage) {
        self.release_session(Some(usage));
        let total = usage.input_tokens + usage.output_tokens;
        let payload = json!({
            "id": self.turn.rid,
            "status": "completed",
            "usage": {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "total_tokens": total,
            },
        });
        self.turn.finish(
            "message.completed",
            payload.to_string(),
            self.sessions.now(),
        );
    }

    fn fail(&self, error: &str) {
        self.release_session(None);
        let payload = json!({"id": self.turn.rid, "error": error});
        self.turn
            .finish("message.error", payload.to_string(), self.sessions.now());
    }

    fn cancelled(&self) {
        self.release_session(None);
        let payload = json!({"id": self.turn.rid, "status": "cancelled"});
        self.turn.finish(
            "message.cancelled",
            payload.to_string(),
            self.sessions.now(),
        );
    }
}
