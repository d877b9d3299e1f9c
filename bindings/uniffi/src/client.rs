//! `PokeClient`: the Poke developer API (send a message, create and fire a webhook).
//!
//! Arguments become core types, results become records, errors become [`PokeError`]; every
//! decision (env fallback, defaults, retries, timeouts, URLs, headers) is the core's.

use crate::error::{PokeError, invalid_input};
use crate::interruption::BlockingInterruption;
use poke::binding::LaneClient;
use poke::{CallOptions, JsonResponse};
use serde_json::value::RawValue;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The package version sent in `User-Agent` (the workspace version, same as the core's).
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which foreign package drives the client; picks the `User-Agent` (`poke-kotlin/…`,
/// `poke-swift/…`).
///
/// The Kotlin and Swift packages fill it in their `PokeClient.create(…)` helpers; the
/// generated bindings share one native library and cannot tell the two apart themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HostLanguage {
    /// The Kotlin/JVM/Android package.
    Kotlin,
    /// The Swift package.
    Swift,
}

impl From<HostLanguage> for poke::binding::SdkLang {
    fn from(lang: HostLanguage) -> Self {
        match lang {
            HostLanguage::Kotlin => Self::Kotlin,
            HostLanguage::Swift => Self::Swift,
        }
    }
}

/// Time bounds in seconds; a missing value keeps the core's default (connect 5 s, total
/// 60 s, no read-idle bound).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct Timeouts {
    /// Bound on establishing a connection.
    #[uniffi(default = None)]
    pub connect_secs: Option<f64>,
    /// Bound on a whole request, headers and body.
    #[uniffi(default = None)]
    pub total_secs: Option<f64>,
    /// Bound on any gap between two reads of a response.
    #[uniffi(default = None)]
    pub read_secs: Option<f64>,
}

/// Options of [`PokeClient::new`]; every missing value is resolved by the core.
#[derive(Clone, Default, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct PokeClientOptions {
    /// The API key; else `POKE_API_KEY`, else the `poke login` credentials file.
    #[uniffi(default = None)]
    pub api_key: Option<String>,
    /// The base URL; else `POKE_API`, else `https://poke.com/api/v1`.
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Time bounds of every call.
    #[uniffi(default = None)]
    pub timeouts: Option<Timeouts>,
    /// Retries after the first attempt (core default 2; `0` behaves like the official SDK).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// The foreign package, for `User-Agent`; missing: the core's own identity.
    #[uniffi(default = None)]
    pub language: Option<HostLanguage>,
}

// Written by hand so the key never prints: Kotlin's `toString()` and Swift's
// `description`/`debugDescription` come from these two impls.
impl fmt::Debug for PokeClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PokeClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "****"))
            .field("base_url", &self.base_url)
            .field("timeouts", &self.timeouts)
            .field("max_retries", &self.max_retries)
            .field("language", &self.language)
            .finish()
    }
}

impl fmt::Display for PokeClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Per-call overrides of the client's options.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct RequestOptions {
    /// Replaces the client's time bounds for this call.
    #[uniffi(default = None)]
    pub timeouts: Option<Timeouts>,
    /// Replaces the client's retry count for this call.
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// The `Idempotency-Key` to send (else a fresh one, reused on every attempt).
    #[uniffi(default = None)]
    pub idempotency_key: Option<String>,
}

/// The reply of `send_message`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SendMessageResult {
    /// True when Poke accepted the message for processing.
    pub success: bool,
    /// Human-readable status, when the server sent one.
    pub message: Option<String>,
    /// The `x-request-id` response header.
    pub request_id: Option<String>,
    /// The reply exactly as received (JSON).
    pub raw_json: String,
}

/// A webhook trigger made by `create_webhook`; keep `webhook_url` and `webhook_token` to fire
/// it later with `send_webhook`. Prints without its token.
#[derive(Clone, PartialEq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Webhook {
    /// Trigger id.
    pub trigger_id: String,
    /// Absolute URL to POST to.
    pub webhook_url: String,
    /// Bearer token for `webhook_url` (a secret).
    pub webhook_token: String,
    /// The `x-request-id` response header of the creating call.
    pub request_id: Option<String>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("trigger_id", &self.trigger_id)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_token", &"****")
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl fmt::Display for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A 2xx JSON reply whose shape the API leaves open (e.g. firing a webhook).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JsonReply {
    /// HTTP status.
    pub status: u16,
    /// The body exactly as received; the core checked it is JSON.
    pub json: String,
    /// The `x-request-id` response header.
    pub request_id: Option<String>,
}

/// One HTTP header (request headers for `extractCallbackContext`, the emulator's journal).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HttpHeader {
    /// Name (the emulator's journal lowercases it).
    pub name: String,
    /// Value (lossy UTF-8).
    pub value: String,
}

/// A Poke API client. One per app is enough: calls share its connection pool.
///
/// Kotlin: every call is a `suspend fun`; Swift: `async throws`. Cancelling the coroutine
/// drops the request; so does cancelling the Swift `Task` (the Swift package's call helper
/// cancels the Rust future: scripts/swift-bindings.py).
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct PokeClient {
    inner: poke::Client,
    /// The same client for the blocking calls, which run on lanes driven by the calling thread.
    blocking: poke::blocking::Client,
    /// Asked while a blocking call waits (see `set_blocking_interruption`).
    interruption: Mutex<Option<Arc<dyn BlockingInterruption>>>,
}

impl fmt::Debug for PokeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The core's Debug shows the base URL only, never the key.
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for PokeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PokeClient(base_url={})", self.inner.base_url())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl PokeClient {
    /// Builds a client; missing options come from the environment, then the core's defaults.
    #[uniffi::constructor]
    pub fn new(options: PokeClientOptions) -> Result<Arc<Self>, PokeError> {
        let builder = common_options!(poke::Client::builder(), options);
        let inner = builder.build()?;
        Ok(Arc::new(Self {
            blocking: poke::blocking::Client::new(inner.clone()),
            inner,
            interruption: Mutex::new(None),
        }))
    }

    /// Sets what the blocking calls ask, while they wait, whether to stop (the Kotlin package:
    /// "was the calling thread interrupted?").
    pub fn set_blocking_interruption(&self, check: Arc<dyn BlockingInterruption>) {
        *self
            .interruption
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(check);
    }

    /// The same client (sharing its connections and lanes) whose calls use `options` unless a
    /// call passes its own. Blocking calls take no options of their own, so a call without any
    /// lowers nothing for them (on the JVM each lowered value is an allocation and an FFI call).
    pub fn with_options(&self, options: RequestOptions) -> Result<Arc<Self>, PokeError> {
        let opts = to_call_options(Some(options))?;
        let interruption = self
            .interruption
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Ok(Arc::new(Self {
            inner: self.inner.with_options(opts.clone()),
            blocking: self.blocking.with_options(opts),
            interruption: Mutex::new(interruption),
        }))
    }

    /// `send_message`, blocking the calling thread, which drives the call itself (no hand-off
    /// to a runtime thread and back); Kotlin's `…Blocking` calls.
    pub fn send_message_blocking(&self, message: String) -> Result<SendMessageResult, PokeError> {
        let reply = self.run_blocking(|c| async move {
            c.send_message_with(message.as_str(), &c.call_options())
                .await
        })?;
        send_message_result(&reply)
    }

    /// `create_webhook`, blocking the calling thread (as `send_message_blocking`).
    pub fn create_webhook_blocking(
        &self,
        condition: String,
        action: String,
    ) -> Result<Webhook, PokeError> {
        let reply = self.run_blocking(|c| async move {
            c.create_webhook_with(condition.as_str(), action.as_str(), &c.call_options())
                .await
        })?;
        webhook(reply)
    }

    /// `send_webhook`, blocking the calling thread (as `send_message_blocking`).
    pub fn send_webhook_blocking(
        &self,
        webhook_url: String,
        webhook_token: String,
        data_json: String,
    ) -> Result<JsonReply, PokeError> {
        let fire = WebhookFire::new(webhook_url, webhook_token, &data_json, CallOptions::new())?;
        let reply = self.run_blocking(|c| async move {
            let fire = WebhookFire {
                opts: c.call_options(),
                ..fire
            };
            fire.send(&c).await
        })?;
        Ok(json_reply(reply))
    }

    /// The resolved base URL, without trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// Sends `{"message": message}` to `POST /inbound/api-message`.
    #[uniffi::method(default(options = None))]
    pub async fn send_message(
        &self,
        message: String,
        options: Option<RequestOptions>,
    ) -> Result<SendMessageResult, PokeError> {
        let opts = self.options(options)?;
        let reply = self
            .inner
            .send_message_with(message.as_str(), &opts)
            .await?;
        send_message_result(&reply)
    }

    /// Creates a webhook trigger (`POST /api-keys/webhook`) with a condition and an action.
    #[uniffi::method(default(options = None))]
    pub async fn create_webhook(
        &self,
        condition: String,
        action: String,
        options: Option<RequestOptions>,
    ) -> Result<Webhook, PokeError> {
        let opts = self.options(options)?;
        let reply = self
            .inner
            .create_webhook_with(condition.as_str(), action.as_str(), &opts)
            .await?;
        webhook(reply)
    }

    /// Fires a webhook: POSTs `data_json` (any JSON text) to `webhook_url` with
    /// `webhook_token` (an empty token uses the API key, as the official SDK does).
    #[uniffi::method(default(options = None))]
    pub async fn send_webhook(
        &self,
        webhook_url: String,
        webhook_token: String,
        data_json: String,
        options: Option<RequestOptions>,
    ) -> Result<JsonReply, PokeError> {
        let fire = WebhookFire::new(
            webhook_url,
            webhook_token,
            &data_json,
            self.options(options)?,
        )?;
        let reply = fire.send(&self.inner).await?;
        Ok(json_reply(reply))
    }
}

impl PokeClient {
    /// A call's own options, else this client's (see `with_options`).
    fn options(&self, options: Option<RequestOptions>) -> Result<CallOptions, PokeError> {
        match options {
            Some(o) => to_call_options(Some(o)),
            None => Ok(self.inner.call_options()),
        }
    }

    /// Runs `call` on a lane driven by the calling thread, stopped when the interruption
    /// check says so.
    fn run_blocking<T, F>(&self, call: impl FnOnce(poke::Client) -> F) -> Result<T, PokeError>
    where
        F: Future<Output = poke::Result<T>>,
    {
        let check = self
            .interruption
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let stop = || check.as_ref().is_some_and(|c| c.is_interrupted());
        Ok(self.blocking.run_unless(call, stop)?)
    }
}

fn send_message_result(reply: &JsonResponse) -> Result<SendMessageResult, PokeError> {
    let parsed: poke::SendMessageResponse = reply.json()?;
    Ok(SendMessageResult {
        success: parsed.success,
        message: parsed.message,
        request_id: reply.request_id.clone(),
        raw_json: text(reply),
    })
}

fn webhook(reply: JsonResponse) -> Result<Webhook, PokeError> {
    let hook: poke::Webhook = reply.json()?;
    Ok(Webhook {
        trigger_id: hook.trigger_id,
        webhook_url: hook.webhook_url,
        // Handing the token to its owner is the point of this call.
        webhook_token: hook.webhook_token.expose().to_owned(),
        request_id: reply.request_id,
    })
}

/// The arguments of `send_webhook` and its blocking twin, converted.
struct WebhookFire {
    url: String,
    token: poke::Secret,
    data: Box<RawValue>,
    opts: CallOptions,
}

impl WebhookFire {
    fn new(
        url: String,
        token: String,
        data_json: &str,
        opts: CallOptions,
    ) -> Result<Self, PokeError> {
        Ok(Self {
            opts,
            data: serde_json::from_str(data_json)
                .map_err(|e| invalid_input("data_json", format!("not JSON: {e}")))?,
            token: poke::Secret::new(token),
            url,
        })
    }

    async fn send(self, client: &poke::Client) -> poke::Result<JsonResponse> {
        client
            .send_webhook_with(&self.url, Some(&self.token), &self.data, &self.opts)
            .await
    }
}

fn json_reply(reply: JsonResponse) -> JsonReply {
    JsonReply {
        status: reply.status,
        json: text(&reply),
        request_id: reply.request_id,
    }
}

fn text(reply: &JsonResponse) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Applies the options both clients share (language, key, base URL, timeouts, retries) to a
/// core builder; both core builders have these setters.
macro_rules! common_options {
    ($builder:expr, $options:expr) => {{
        let mut builder = $builder;
        if let Some(lang) = $options.language {
            builder = builder.sdk(lang.into(), VERSION);
        }
        if let Some(key) = $options.api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = $options.base_url {
            builder = builder.base_url(url);
        }
        if let Some(t) = &$options.timeouts {
            builder = builder.timeouts(to_core_timeouts(t)?);
        }
        if let Some(n) = $options.max_retries {
            builder = builder.max_retries(n);
        }
        builder
    }};
}
pub(crate) use common_options;

/// Foreign seconds as a `Duration` (`field` names a bad value). Public for the emulator module
/// that `poke-ffi-testing` compiles too.
#[doc(hidden)]
pub fn secs(field: &'static str, value: Option<f64>) -> Result<Option<Duration>, PokeError> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .map_err(|e| invalid_input(field, format!("{s} seconds: {e}")))
        })
        .transpose()
}

/// Foreign seconds to the core's bounds; a missing value keeps the core's default.
pub(crate) fn to_core_timeouts(t: &Timeouts) -> Result<poke::Timeouts, PokeError> {
    let default = poke::Timeouts::default();
    Ok(default
        .with_connect(secs("timeouts.connect_secs", t.connect_secs)?.unwrap_or(default.connect))
        .with_read(secs("timeouts.read_secs", t.read_secs)?.or(default.read))
        .with_total(secs("timeouts.total_secs", t.total_secs)?.or(default.total)))
}

fn to_call_options(options: Option<RequestOptions>) -> Result<CallOptions, PokeError> {
    let Some(o) = options else {
        return Ok(CallOptions::default());
    };
    let mut opts = CallOptions::new();
    opts.timeouts = o.timeouts.as_ref().map(to_core_timeouts).transpose()?;
    opts.max_retries = o.max_retries;
    opts.idempotency_key = o.idempotency_key;
    Ok(opts)
}

#[cfg(test)]
#[path = "tests/client.rs"]
mod tests;
