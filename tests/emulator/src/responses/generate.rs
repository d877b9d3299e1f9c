//! Runs a [`ResponseScript`] on its own task, writing OpenAI's Responses streaming sequence
//! into the response's buffer (spec §2.20): `response.created`, `response.in_progress`, per
//! item `output_item.added`, its parts and deltas, `output_item.done`, then one terminal
//! (`response.completed`, `response.failed` or, after E21, `response.cancelled`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::script::{ResponseOutcome, ResponseScript, ResponseStep};
use super::shape::{self, Header};
use crate::sessions::{Interrupt, SessionsState, TokenUsage, Turn};
use crate::state::random_hex;

/// Longest real wait between two checks for a cancel or an abort.
const NAP: Duration = Duration::from_millis(20);
/// With no pace, yield to other tasks after this many events.
const YIELD_EVERY: u32 = 256;
/// Upper bound of one wait (`sleep_ms`, the pace).
const MAX_SLEEP: Duration = Duration::from_secs(600);

/// Why a response stopped early.
enum Stop {
    Cancelled,
    Failed(String),
}

/// What the generator needs besides the script.
pub(crate) struct Job {
    pub(crate) sessions: Arc<SessionsState>,
    pub(crate) turn: Arc<Turn>,
    pub(crate) header: Header,
    pub(crate) pace: Duration,
    pub(crate) input_chars: usize,
}

/// Starts the response; the task's value is the final response object.
pub(crate) fn spawn(job: Job, script: ResponseScript) -> JoinHandle<Value> {
    let generator = Generator {
        sessions: job.sessions,
        turn: job.turn,
        header: job.header,
        pace: job.pace,
        input_chars: job.input_chars,
        output: Vec::new(),
        output_chars: 0,
        since_yield: 0,
    };
    tokio::spawn(generator.run(script))
}

struct Generator {
    sessions: Arc<SessionsState>,
    turn: Arc<Turn>,
    header: Header,
    pace: Duration,
    input_chars: usize,
    /// Finished output items.
    output: Vec<Value>,
    /// Characters of text and arguments produced, for the usage estimate.
    output_chars: usize,
    since_yield: u32,
}

impl Generator {
    async fn run(mut self, script: ResponseScript) -> Value {
        let outcome = self.produce(&script).await;
        match (outcome, &script.outcome) {
            (Ok(()), ResponseOutcome::Completed) => self.complete(script.usage),
            (Ok(()), ResponseOutcome::Failed { error }) => self.fail(error),
            (Err(Stop::Cancelled), _) => self.cancelled(),
            (Err(Stop::Failed(reason)), _) => self.fail(&reason),
        }
    }

    async fn produce(&mut self, script: &ResponseScript) -> Result<(), Stop> {
        let snapshot = self.header.response("in_progress", &[], None, None);
        self.lifecycle("response.created", snapshot.clone()).await?;
        self.lifecycle("response.in_progress", snapshot).await?;
        if let Some(ms) = script.sleep_ms {
            self.wait(Duration::from_millis(ms)).await?;
        }
        for step in &script.output {
            match step {
                ResponseStep::Text { text, deltas } => self.text(text, *deltas).await?,
                ResponseStep::FunctionCall { name, arguments } => {
                    self.function_call(name, arguments).await?;
                }
            }
        }
        Ok(())
    }

    async fn lifecycle(&mut self, event: &str, response: Value) -> Result<(), Stop> {
        let id = self.header.id.clone();
        self.emit(event, json!({"id": id, "response": response}))
            .await
    }

    /// A message item: added, its part added, deltas, text done, part done, item done.
    async fn text(&mut self, text: &str, deltas: Option<u64>) -> Result<(), Stop> {
        let index = self.output.len();
        let item_id = format!("msg_{}", &random_hex()[..24]);
        let at = json!({"item_id": item_id, "output_index": index, "content_index": 0});
        self.emit(
            "response.output_item.added",
            json!({"output_index": index, "item": shape::message(&item_id, "in_progress", None)}),
        )
        .await?;
        self.emit(
            "response.content_part.added",
            with(&at, "part", shape::output_text("")),
        )
        .await?;
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        let pieces: Vec<&str> = match deltas {
            Some(count) => {
                let words = if words.is_empty() { vec!["x "] } else { words };
                (0..count)
                    .map(|i| words[(i % words.len() as u64) as usize])
                    .collect()
            }
            None => words,
        };
        // The item's text is what the deltas spell, so a client that accumulates them ends
        // with the text of the `.done` events.
        let mut full = String::new();
        for piece in pieces {
            full.push_str(piece);
            self.output_chars += piece.chars().count();
            let mut delta = with(&at, "delta", json!(piece));
            delta["logprobs"] = json!([]);
            self.emit("response.output_text.delta", delta).await?;
        }
        let mut done = with(&at, "text", json!(full));
        done["logprobs"] = json!([]);
        self.emit("response.output_text.done", done).await?;
        self.emit(
            "response.content_part.done",
            with(&at, "part", shape::output_text(&full)),
        )
        .await?;
        let item = shape::message(&item_id, "completed", Some(&full));
        self.emit(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        )
        .await?;
        self.output.push(item);
        Ok(())
    }

    /// A function call item: added, its arguments in two deltas, arguments done, item done.
    async fn function_call(&mut self, name: &str, arguments: &Value) -> Result<(), Stop> {
        let index = self.output.len();
        let item_id = format!("fc_{}", &random_hex()[..24]);
        let call_id = format!("call_{}", &random_hex()[..24]);
        let arguments = if arguments.is_null() {
            "{}".to_owned()
        } else {
            arguments.to_string()
        };
        self.output_chars += arguments.chars().count();
        let added = shape::function_call(&item_id, &call_id, name, "", "in_progress");
        self.emit(
            "response.output_item.added",
            json!({"output_index": index, "item": added}),
        )
        .await?;
        let half = arguments
            .char_indices()
            .map(|(i, _)| i)
            .find(|i| *i >= arguments.len() / 2)
            .unwrap_or(arguments.len());
        for piece in [&arguments[..half], &arguments[half..]] {
            if piece.is_empty() {
                continue;
            }
            self.emit(
                "response.function_call_arguments.delta",
                json!({"item_id": item_id, "output_index": index, "delta": piece}),
            )
            .await?;
        }
        self.emit(
            "response.function_call_arguments.done",
            json!({"item_id": item_id, "output_index": index, "name": name, "arguments": arguments}),
        )
        .await?;
        let item = shape::function_call(&item_id, &call_id, name, &arguments, "completed");
        self.emit(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        )
        .await?;
        self.output.push(item);
        Ok(())
    }

    /// Stops early on a cancel (E21) or an abort (reset, shutdown).
    fn check(&self) -> Result<(), Stop> {
        match self.turn.interrupt() {
            None => Ok(()),
            Some(Interrupt::Cancel) => Err(Stop::Cancelled),
            Some(Interrupt::Abort(reason)) => Err(Stop::Failed(reason)),
        }
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
            }
        }
    }

    /// Buffers one event (its `type` is the event name), then waits the pace.
    async fn emit(&mut self, event: &str, mut payload: Value) -> Result<(), Stop> {
        self.check()?;
        // `sequence_number` is added by the stream writer, as for session turns.
        payload["type"] = json!(event);
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

    fn estimated_usage(&self) -> (u64, u64, u64) {
        let reasoning = match self.header.effort.as_deref() {
            Some("low") => 16,
            Some("medium") => 64,
            Some("high") => 256,
            _ => 0,
        };
        let input = 20 + (self.input_chars as u64).div_ceil(4);
        let output = 1 + (self.output_chars as u64).div_ceil(4) + reasoning;
        (input, output, reasoning)
    }

    /// Bills the tokens (spec §7: counted at completion only) and ends with the snapshot.
    fn complete(&self, scripted: Option<TokenUsage>) -> Value {
        let (input, output, reasoning) = match scripted {
            Some(u) => (u.input_tokens, u.output_tokens, 0),
            None => self.estimated_usage(),
        };
        {
            let mut store = self.sessions.store();
            store
                .response_usage
                .add_tokens(&self.header.id, input + output);
            if store.config.credits_enabled {
                store.config.credits_balance -= store.config.credits_per_turn;
            }
        }
        let usage = shape::usage(input, output, reasoning);
        let response = self
            .header
            .response("completed", &self.output, Some(usage), None);
        self.finish("response.completed", response)
    }

    /// Ends with `response.failed`; the error sits in `response.error`, where OpenAI's SDKs
    /// read it (a top-level `error` makes them raise instead of yielding the event).
    fn fail(&self, message: &str) -> Value {
        let error = Some(shape::error(message));
        let response = self.header.response("failed", &self.output, None, error);
        self.finish("response.failed", response)
    }

    fn cancelled(&self) -> Value {
        let response = self.header.response("cancelled", &self.output, None, None);
        self.finish("response.cancelled", response)
    }

    fn finish(&self, event: &str, response: Value) -> Value {
        let payload = json!({"type": event, "id": self.header.id, "response": response});
        self.turn
            .finish(event, payload.to_string(), self.sessions.now());
        response
    }
}

/// `at` (the item's position fields) plus one more field.
fn with(at: &Value, field: &str, value: Value) -> Value {
    let mut out = at.clone();
    out[field] = value;
    out
}
