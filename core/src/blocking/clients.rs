//! The blocking clients: each method is its async twin, waited for.

use super::lanes::Lanes;
use super::turn::Turn;
use super::{refuse_inside_runtime, wait};
use crate::Result;
use crate::files::{FileEntry, UploadResult};
use crate::http::CallOptions;
use crate::poke_api::{SendMessageResponse, Webhook, WebhookResponse};
use crate::secret::Secret;
use crate::sessions::{
    BulkDelete, BulkDeleteResult, CancelResult, CreateSession, SessionRecord, ToolResultAck, Usage,
    WaitOptions,
};
use bytes::Bytes;
use serde::Serialize;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// A blocking [`crate::Client`] (the Poke API).
///
/// Each call runs on a lane: a current-thread runtime with a connection pool of its own,
/// driven by the calling thread, so a call makes no hand-off to a runtime thread and back
/// (sequential calls run about twice as fast as on a multi-thread runtime). Concurrent calls
/// from several threads each get a lane; clones and [`Client::with_options`] share them.
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
    lanes: Arc<Lanes<crate::Client>>,
}

impl Client {
    /// Wraps an async client (built with [`crate::Client::builder`]).
    pub fn new(inner: crate::Client) -> Self {
        Self {
            inner,
            lanes: Arc::new(Lanes::new()),
        }
    }

    /// A client from the environment (`POKE_API_KEY`, `POKE_API`, credentials file).
    ///
    /// # Errors
    ///
    /// [`Error::MissingApiKey`](crate::Error::MissingApiKey) when no key is found.
    pub fn from_env() -> Result<Self> {
        crate::Client::from_env().map(Self::new)
    }

    /// The async client this one waits for.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// The same client whose calls all use `opts`.
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> Self {
        Self {
            inner: self.inner.with_options(opts),
            lanes: self.lanes.clone(),
        }
    }

    /// Runs `call` with this client's options on a lane, driven by the calling thread.
    fn run<'a, T, F>(&'a self, call: impl FnOnce(crate::Client) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>> + 'a,
    {
        self.run_unless(call, || false)
    }

    /// [`Client::run`] for the bindings' blocking calls (which need the raw replies):
    /// `stop` is asked before the call starts (true: nothing is sent) and every
    /// [`crate::runtime::TICK`] while it waits, and true drops the call (a Java thread
    /// interrupted, say).
    ///
    /// # Errors
    ///
    /// As `call`; [`Error::Cancelled`](crate::Error::Cancelled) when `stop` said so;
    /// [`Error::Config`](crate::Error::Config) inside an async runtime.
    #[doc(hidden)]
    pub fn run_unless<'a, T, F>(
        &'a self,
        call: impl FnOnce(crate::Client) -> F,
        mut stop: impl FnMut() -> bool,
    ) -> Result<T>
    where
        F: Future<Output = Result<T>> + 'a,
    {
        refuse_inside_runtime()?;
        // A stop asked before the call starts sends nothing (as OkHttp on an interrupted thread).
        if stop() {
            return Err(crate::Error::Cancelled);
        }
        let interrupted = || {
            if stop() {
                Err(crate::Error::Cancelled)
            } else {
                Ok(())
            }
        };
        self.lanes.run(&self.inner, call, interrupted)?
    }

    /// [`crate::Client::send_message`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn send_message(&self, message: &str) -> Result<SendMessageResponse> {
        self.run(|c| async move { c.send_message(message).await })
    }

    /// [`crate::Client::create_webhook`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn create_webhook(&self, condition: &str, action: &str) -> Result<Webhook> {
        self.run(|c| async move { c.create_webhook(condition, action).await })
    }

    /// [`crate::Client::send_webhook`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn send_webhook<T: Serialize + ?Sized>(
        &self,
        webhook: &Webhook,
        data: &T,
    ) -> Result<WebhookResponse> {
        self.run(|c| async move { c.send_webhook(webhook, data).await })
    }

    /// [`crate::Client::send_webhook_to`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn send_webhook_to<T: Serialize + ?Sized>(
        &self,
        webhook_url: &str,
        webhook_token: &Secret,
        data: &T,
    ) -> Result<WebhookResponse> {
        self.run(|c| async move { c.send_webhook_to(webhook_url, webhook_token, data).await })
    }
}

/// A blocking [`crate::PokeeClient`] (the Pokee Enterprise sessions API).
#[derive(Debug, Clone)]
pub struct PokeeClient {
    inner: crate::PokeeClient,
}

impl PokeeClient {
    /// Wraps an async client (built with [`crate::PokeeClient::builder`]).
    pub fn new(inner: crate::PokeeClient) -> Self {
        Self { inner }
    }

    /// A client from the environment (`POKEE_KEY`, `POKEE_API`).
    ///
    /// # Errors
    ///
    /// [`Error::MissingSetting`](crate::Error::MissingSetting) when either is missing.
    pub fn from_env() -> Result<Self> {
        crate::PokeeClient::from_env().map(Self::new)
    }

    /// The async client this one waits for.
    pub fn as_async(&self) -> &crate::PokeeClient {
        &self.inner
    }

    /// The same client whose calls all use `opts`.
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> Self {
        Self::new(self.inner.with_options(opts))
    }

    /// The handle of the session `id`; sends nothing.
    pub fn session(&self, id: impl Into<String>) -> Session {
        Session {
            inner: self.inner.session(id),
        }
    }

    /// [`crate::PokeeClient::create_session`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn create_session(&self, params: &CreateSession) -> Result<SessionRecord> {
        wait(self.inner.create_session(params))
    }

    /// [`crate::PokeeClient::list_sessions`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn list_sessions(&self) -> Result<Vec<SessionRecord>> {
        wait(self.inner.list_sessions())
    }

    /// [`crate::PokeeClient::delete_sessions`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn delete_sessions(&self, filter: &BulkDelete) -> Result<BulkDeleteResult> {
        wait(self.inner.delete_sessions(filter))
    }

    /// [`crate::PokeeClient::usage`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn usage(&self) -> Result<Usage> {
        wait(self.inner.usage())
    }
}

/// A blocking [`crate::Session`].
#[derive(Debug, Clone)]
pub struct Session {
    inner: crate::Session,
}

impl Session {
    /// The session id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// [`crate::Session::get`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn get(&self) -> Result<SessionRecord> {
        wait(self.inner.get())
    }

    /// [`crate::Session::delete`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn delete(&self) -> Result<()> {
        wait(self.inner.delete())
    }

    /// [`crate::Session::send_message`], blocking: the turn's events as an iterator.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn send_message(&self, message: &str) -> Result<Turn> {
        wait(self.inner.send_message(message)).map(Turn::new)
    }

    /// [`crate::Session::resume`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn resume(&self, response_id: &str, last_event_id: Option<&str>) -> Result<Turn> {
        wait(self.inner.resume(response_id, last_event_id)).map(Turn::new)
    }

    /// [`crate::Session::cancel`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn cancel(&self, response_id: &str) -> Result<CancelResult> {
        wait(self.inner.cancel(response_id))
    }

    /// [`crate::Session::submit_tool_result`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn submit_tool_result<T: Serialize + ?Sized>(
        &self,
        call_id: &str,
        output: &T,
    ) -> Result<ToolResultAck> {
        wait(self.inner.submit_tool_result(call_id, output))
    }

    /// [`crate::Session::wait_idle`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn wait_idle(
        &self,
        opts: WaitOptions,
        on_progress: impl FnMut(&SessionRecord),
    ) -> Result<SessionRecord> {
        wait(self.inner.wait_idle(opts, on_progress))
    }

    /// [`crate::Session::list_files`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn list_files(&self, dir: Option<&str>) -> Result<Vec<FileEntry>> {
        wait(self.inner.list_files(dir))
    }

    /// [`crate::Session::download_to`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn download_to(
        &self,
        path: &str,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        wait(self.inner.download_to(path, dest, progress))
    }

    /// [`crate::Session::upload_file`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn upload_file(
        &self,
        path: &str,
        src: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>) + Send + 'static,
    ) -> Result<UploadResult> {
        wait(self.inner.upload_file(path, src, progress))
    }

    /// [`crate::Session::upload_bytes`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn upload_bytes(&self, path: &str, data: impl Into<Bytes>) -> Result<UploadResult> {
        wait(self.inner.upload_bytes(path, data))
    }

    /// [`crate::Session::delete_file`], blocking.
    ///
    /// # Errors
    ///
    /// As the async call.
    pub fn delete_file(&self, path: &str) -> Result<()> {
        wait(self.inner.delete_file(path))
    }
}
