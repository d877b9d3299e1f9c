//! Stateless responses of the sessions API (E19–E21): one OpenAI-Responses-shaped call,
//! whole or streamed (`ResponseStream`, an async `next()` like `Turn`), resume, cancel, and the
//! function-tool loop with a handler implemented in Kotlin or Swift. The loop, the limits and
//! the resume are the core's; this module converts.

use crate::error::{PokeError, invalid_input};
use crate::sessions::{PokeeClient, json_text};
use crate::stream::CancelResult;
use serde_json::Value;
use std::sync::Arc;

/// A function the model may call, in OpenAI's flat form.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FunctionToolSpec {
    /// The function's name (1 to 64 characters).
    pub name: String,
    /// What it does, for the model (at most 16 KiB).
    #[uniffi(default = None)]
    pub description: Option<String>,
    /// A JSON schema of its arguments object, as JSON text.
    #[uniffi(default = None)]
    pub parameters_json: Option<String>,
    /// OpenAI's `strict` flag.
    #[uniffi(default = None)]
    pub strict: Option<bool>,
}

/// What `createResponse`, `streamResponse` and `runTools` send.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct CreateResponseParams {
    /// One user message (or give `input_json`).
    #[uniffi(default = None)]
    pub input: Option<String>,
    /// The input items (OpenAI Responses items) as a JSON array; wins over `input`.
    #[uniffi(default = None)]
    pub input_json: Option<String>,
    /// The model (tenant default when absent).
    #[uniffi(default = None)]
    pub model: Option<String>,
    /// System instructions.
    #[uniffi(default = None)]
    pub instructions: Option<String>,
    /// Functions the model may call (at most 128).
    #[uniffi(default = [])]
    pub tools: Vec<FunctionToolSpec>,
    /// `minimal`, `low`, `medium` or `high`.
    #[uniffi(default = None)]
    pub reasoning_effort: Option<String>,
    /// Other OpenAI Responses fields, as a JSON object.
    #[uniffi(default = None)]
    pub extra_json: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(field: &'static str, text: &str) -> Result<T, PokeError> {
    serde_json::from_str(text).map_err(|e| invalid_input(field, e.to_string()))
}

impl CreateResponseParams {
    fn into_core(self) -> Result<poke::CreateResponse, PokeError> {
        let mut request = match (self.input_json, self.input) {
            (Some(items), _) => {
                poke::CreateResponse::new(parse::<Vec<poke::InputItem>>("input_json", &items)?)
            }
            (None, Some(text)) => poke::CreateResponse::new(text),
            (None, None) => return Err(invalid_input("input", "give input or input_json")),
        };
        request.model = self.model;
        request.instructions = self.instructions;
        for spec in self.tools {
            let parameters = spec
                .parameters_json
                .as_deref()
                .map(|p| parse::<Value>("parameters_json", p))
                .transpose()?;
            let mut tool = poke::FunctionTool::new(spec.name, Value::Null);
            tool.parameters = parameters;
            tool.description = spec.description;
            tool.strict = spec.strict;
            request.tools.push(tool);
        }
        if let Some(effort) = self.reasoning_effort {
            request.reasoning = Some(poke::Reasoning::effort(effort));
        }
        if let Some(extra) = self.extra_json {
            request.extra = parse("extra_json", &extra)?;
        }
        Ok(request)
    }
}

/// One output item: a `message` (`role`, `text`), a `function_call` (`call_id`, `name`,
/// `arguments`), or anything newer (see `json`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseOutputItem {
    /// `message`, `function_call`, or anything newer.
    pub kind: String,
    /// The item's id.
    pub id: Option<String>,
    /// `in_progress`, `completed`, ...
    pub status: Option<String>,
    /// A message's role.
    pub role: Option<String>,
    /// A message's text (its `output_text` parts).
    pub text: Option<String>,
    /// A function call's id, to answer it with.
    pub call_id: Option<String>,
    /// A function call's function.
    pub name: Option<String>,
    /// A function call's arguments object, as JSON text.
    pub arguments: Option<String>,
    /// The item as JSON (to send it back as input).
    pub json: String,
}

impl From<&poke::OutputItem> for ResponseOutputItem {
    fn from(item: &poke::OutputItem) -> Self {
        let mut out = Self {
            kind: item.kind().to_owned(),
            id: None,
            status: None,
            role: None,
            text: None,
            call_id: None,
            name: None,
            arguments: None,
            json: item.to_value().to_string(),
        };
        match item {
            poke::OutputItem::Message(m) => {
                out.id.clone_from(&m.id);
                out.status.clone_from(&m.status);
                out.role = Some(m.role.clone());
                out.text = Some(m.text());
            }
            poke::OutputItem::FunctionCall(c) => {
                out.id.clone_from(&c.id);
                out.status.clone_from(&c.status);
                out.call_id = Some(c.call_id.clone());
                out.name = Some(c.name.clone());
                out.arguments = Some(c.arguments.clone());
            }
            _ => {
                out.id = item
                    .to_value()
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
        }
        out
    }
}

/// Token counts of a response.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

/// A stateless response.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Response {
    /// The response id (`resp_…`).
    pub id: String,
    /// `completed`, `failed`, `cancelled`, or anything newer.
    pub status: String,
    /// The model that answered.
    pub model: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: Option<f64>,
    /// The output items, in order.
    pub output: Vec<ResponseOutputItem>,
    /// The text of every message item, joined.
    pub output_text: String,
    /// Token counts, on completion.
    pub usage: Option<ResponseUsage>,
    /// Why it failed, when it did.
    pub error_message: Option<String>,
    /// The whole response as JSON (fields this version does not model included).
    pub json: String,
}

impl From<poke::Response> for Response {
    fn from(r: poke::Response) -> Self {
        Self {
            output: r.output.iter().map(Into::into).collect(),
            output_text: r.output_text(),
            usage: r.usage.as_ref().map(|u| ResponseUsage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                total_tokens: u.total_tokens,
            }),
            error_message: r.error.as_ref().map(|e| e.message.clone()),
            json: json_text(&r),
            id: r.id,
            status: r.status,
            model: r.model,
            created_at: r.created_at,
        }
    }
}

/// The event types of a streamed response; anything newer is `Other` (see `event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ResponseEventKind {
    /// `response.created`.
    Created,
    /// `response.in_progress`.
    InProgress,
    /// `response.output_item.added`.
    OutputItemAdded,
    /// `response.output_item.done`.
    OutputItemDone,
    /// `response.content_part.added`.
    ContentPartAdded,
    /// `response.content_part.done`.
    ContentPartDone,
    /// `response.output_text.delta`.
    OutputTextDelta,
    /// `response.output_text.done`.
    OutputTextDone,
    /// `response.function_call_arguments.delta`.
    FunctionCallArgumentsDelta,
    /// `response.function_call_arguments.done`.
    FunctionCallArgumentsDone,
    /// `response.completed`: terminal.
    Completed,
    /// `response.failed`: terminal.
    Failed,
    /// `response.cancelled`: terminal.
    Cancelled,
    /// `response.incomplete`: terminal.
    Incomplete,
    /// An event type this version does not know.
    Other,
}

impl From<poke::ResponseEventKind> for ResponseEventKind {
    fn from(kind: poke::ResponseEventKind) -> Self {
        use poke::ResponseEventKind as K;
        match kind {
            K::Created => Self::Created,
            K::InProgress => Self::InProgress,
            K::OutputItemAdded => Self::OutputItemAdded,
            K::OutputItemDone => Self::OutputItemDone,
            K::ContentPartAdded => Self::ContentPartAdded,
            K::ContentPartDone => Self::ContentPartDone,
            K::OutputTextDelta => Self::OutputTextDelta,
            K::OutputTextDone => Self::OutputTextDone,
            K::FunctionCallArgumentsDelta => Self::FunctionCallArgumentsDelta,
            K::FunctionCallArgumentsDone => Self::FunctionCallArgumentsDone,
            K::Completed => Self::Completed,
            K::Failed => Self::Failed,
            K::Cancelled => Self::Cancelled,
            K::Incomplete => Self::Incomplete,
            _ => Self::Other,
        }
    }
}

/// One event of a streamed response, with OpenAI's fields.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResponseEvent {
    /// The event's `id:` (its sequence number as text).
    pub id: Option<String>,
    /// The event's name, e.g. `response.output_text.delta`.
    pub event: String,
    /// The event's type.
    pub kind: ResponseEventKind,
    /// `sequence_number`.
    pub sequence_number: Option<u64>,
    /// The item the event is about.
    pub item_id: Option<String>,
    /// The item's place in the output.
    pub output_index: Option<u64>,
    /// The part's place in the item.
    pub content_index: Option<u64>,
    /// The next piece of text or arguments (the `.delta` events).
    pub delta: Option<String>,
    /// The whole text of a part (`response.output_text.done`).
    pub text: Option<String>,
    /// The whole arguments of a call (`response.function_call_arguments.done`).
    pub arguments: Option<String>,
    /// The item of `response.output_item.added` / `.done`.
    pub item: Option<ResponseOutputItem>,
    /// The snapshot of the lifecycle events (created, in progress, terminal).
    pub response: Option<Response>,
    /// Why the response failed (`response.failed`).
    pub error_message: Option<String>,
    /// True for the event that ends the stream.
    pub is_terminal: bool,
    /// The payload exactly as received.
    pub raw: String,
}

impl From<poke::ResponseEvent> for ResponseEvent {
    fn from(ev: poke::ResponseEvent) -> Self {
        Self {
            id: ev.id().map(str::to_owned),
            event: ev.name().to_owned(),
            kind: ev.kind().into(),
            sequence_number: ev.sequence_number(),
            item_id: ev.item_id().map(str::to_owned),
            output_index: ev.output_index(),
            content_index: ev.content_index(),
            delta: ev.delta().map(str::to_owned),
            text: ev.text().map(str::to_owned),
            arguments: ev.arguments().map(str::to_owned),
            item: ev.item().as_ref().map(Into::into),
            response: ev.response().map(Into::into),
            error_message: ev.error().map(|e| e.message),
            // The same rule the stream ends by.
            is_terminal: ev.as_turn_event().is_terminal(),
            raw: ev.raw().to_owned(),
        }
    }
}

impl poke::binding::ReadEvent for ResponseEvent {
    fn event_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn ends_turn(&self) -> bool {
        self.is_terminal
    }
}

/// The events of a streamed response, resumed automatically after a drop; each event exactly
/// once and in order. `next()` returns null after the terminal event or after `close()`.
#[derive(uniffi::Object)]
pub struct ResponseStream {
    reader: poke::binding::TurnReader<ResponseEvent>,
}

impl ResponseStream {
    fn new(stream: poke::ResponseStream) -> Result<Arc<Self>, PokeError> {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle,
            Err(_) => poke::binding::runtime::shared()?.handle().clone(),
        };
        let convert = Box::new(|batch: Vec<poke::TurnEvent>| {
            batch
                .into_iter()
                .map(|e| poke::ResponseEvent::from(e).into())
                .collect()
        });
        Ok(Arc::new(Self {
            reader: poke::binding::TurnReader::new(stream.into_turn_stream(), runtime, convert),
        }))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl ResponseStream {
    /// The next event, or null once the response is over (or the stream was closed).
    pub async fn next(&self) -> Result<Option<ResponseEvent>, PokeError> {
        Ok(self.reader.next().await?)
    }

    /// `next()` for readers that can be cancelled after the event left the stream but before
    /// they received it: confirm with `confirm_read(read_id)` (as `Turn.nextTracked`).
    pub async fn next_tracked(&self, read_id: u64) -> Result<Option<ResponseEvent>, PokeError> {
        Ok(self.reader.next_tracked(read_id).await?)
    }

    /// Claims the event of `next_tracked(read_id)`: false if another read took it over.
    pub fn confirm_read(&self, read_id: u64) -> bool {
        self.reader.confirm(read_id)
    }

    /// The response id (`X-Response-Id`, else `response.created`'s).
    pub fn response_id(&self) -> Option<String> {
        self.reader.position().response_id
    }

    /// The id of the last event delivered, for a manual `resumeResponse`.
    pub fn last_event_id(&self) -> Option<String> {
        self.reader.position().last_event_id
    }

    /// The `Idempotency-Key` the request was sent with (null for a resumed stream).
    pub fn idempotency_key(&self) -> Option<String> {
        self.reader.idempotency_key().map(str::to_owned)
    }

    /// Stops reading now (a pending `next()` returns null); the response goes on on the
    /// server. Kotlin calls this `closeStream()`.
    pub fn close(&self) {
        self.reader.close();
    }

    /// Asks the server to cancel the response; the stream then ends with
    /// `response.cancelled`.
    pub async fn cancel(&self) -> Result<CancelResult, PokeError> {
        Ok(self.reader.handle().cancel().await?.into())
    }
}

/// Runs the functions of a tool loop, implemented in Kotlin or Swift. Called once per
/// function call, off the runtime's threads; throwing stops the loop with that error.
#[uniffi::export(with_foreign)]
pub trait ToolHandler: Send + Sync {
    /// Runs function `name` with `arguments` (a JSON object as text) and returns its output
    /// text (often JSON).
    fn call(&self, name: String, arguments: String, call_id: String) -> Result<String, PokeError>;
}

/// What `runTools` produced.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ToolRunResult {
    /// The last response: the one that asked for no function call.
    pub response: Response,
    /// The conversation as a JSON array of input items.
    pub history_json: String,
    /// Requests made.
    pub rounds: u32,
}

#[uniffi::export(async_runtime = "tokio")]
impl PokeeClient {
    /// One stateless call (`POST /v1/responses`), answered whole. A failed response comes
    /// back with status `failed` and its error message.
    pub async fn create_response(
        &self,
        params: CreateResponseParams,
    ) -> Result<Response, PokeError> {
        let request = params.into_core()?;
        Ok(self.inner.create_response(&request).await?.into())
    }

    /// The same call streamed: typed events, resumed after a drop. The `Idempotency-Key`
    /// (`idempotency_key`, else a fresh one) is reused on every retry.
    #[uniffi::method(default(idempotency_key = None))]
    pub async fn stream_response(
        &self,
        params: CreateResponseParams,
        idempotency_key: Option<String>,
    ) -> Result<Arc<ResponseStream>, PokeError> {
        let request = params.into_core()?;
        let client = match idempotency_key {
            Some(key) => self
                .inner
                .with_options(self.inner.options().clone().idempotency_key(key)),
            None => self.inner.clone(),
        };
        ResponseStream::new(client.stream_response(&request).await?)
    }

    /// Reopens a streamed response's events after `last_event_id` (from the start when
    /// null); only its creator may (`NotFound` otherwise).
    #[uniffi::method(default(last_event_id = None))]
    pub async fn resume_response(
        &self,
        response_id: String,
        last_event_id: Option<String>,
    ) -> Result<Arc<ResponseStream>, PokeError> {
        let stream = self
            .inner
            .resume_response(&response_id, last_event_id.as_deref())
            .await?;
        ResponseStream::new(stream)
    }

    /// Cancels a streamed response: `cancelling` or `already_complete`.
    pub async fn cancel_response(&self, response_id: String) -> Result<CancelResult, PokeError> {
        Ok(self.inner.cancel_response(&response_id).await?.into())
    }

    /// Runs the function-tool loop: sends the request, runs each function call through
    /// `handler`, sends the outputs with the whole history, and stops at a reply with no
    /// call, after at most `max_rounds` requests (default 10; `ToolRounds` beyond).
    #[uniffi::method(default(max_rounds = None))]
    pub async fn run_tools(
        &self,
        params: CreateResponseParams,
        handler: Arc<dyn ToolHandler>,
        max_rounds: Option<u32>,
    ) -> Result<ToolRunResult, PokeError> {
        let request = params.into_core()?;
        let rounds = max_rounds.unwrap_or(poke::DEFAULT_MAX_ROUNDS);
        let run = self
            .inner
            .run_tools(&request, rounds, |call: poke::FunctionCall| {
                let handler = handler.clone();
                async move {
                    // Foreign code may take its time: it runs off the runtime's threads.
                    tokio::task::spawn_blocking(move || {
                        handler.call(call.name, call.arguments, call.call_id)
                    })
                    .await
                    .map_err(|e| PokeError::Internal {
                        msg: format!("the tool handler did not finish: {e}"),
                    })?
                }
            })
            .await?;
        Ok(ToolRunResult {
            history_json: json_text(&run.history),
            rounds: run.rounds,
            response: run.response.into(),
        })
    }
}

#[cfg(test)]
#[path = "tests/responses.rs"]
mod tests;
