//! `Session`: one session's calls without its id on every call.

use super::client::PokeeClient;
use super::records::{SessionRecord, ToolResultAck};
use super::wait::WaitOptions;
use crate::Result;
use crate::files::{Download, FileEntry, UploadResult};
use crate::http::CallOptions;
use crate::sessions::CancelResult;
use crate::turn::TurnStream;
use bytes::Bytes;
use serde::Serialize;
use std::path::Path;

/// One session of a [`PokeeClient`]: the same calls, without its id on every call. Cheap to
/// clone; made by [`PokeeClient::session`] (no request is sent).
#[derive(Debug, Clone)]
pub struct Session {
    client: PokeeClient,
    id: String,
}

impl PokeeClient {
    /// The handle of the session `id` (from [`SessionRecord::id`]); sends nothing.
    pub fn session(&self, id: impl Into<String>) -> Session {
        Session {
            client: self.clone(),
            id: id.into(),
        }
    }
}

impl Session {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client this handle calls through.
    pub fn client(&self) -> &PokeeClient {
        &self.client
    }

    /// The same session whose calls all use `opts` (see [`PokeeClient::with_options`]).
    #[must_use]
    pub fn with_options(&self, opts: CallOptions) -> Session {
        self.client.with_options(opts).session(self.id.clone())
    }

    /// Reads the session record: busy flag and progress metadata.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) with [`ErrorKind::NotFound`](crate::ErrorKind) once
    /// the session is gone; network failures and timeouts as for every call.
    pub async fn get(&self) -> Result<SessionRecord> {
        self.client.get_session(&self.id).await
    }

    /// Destroys the session; its workspace files stay.
    ///
    /// # Errors
    ///
    /// As [`Session::get`].
    pub async fn delete(&self) -> Result<()> {
        self.client.delete_session(&self.id).await
    }

    /// Runs a turn and streams its events, resuming automatically after a drop.
    ///
    /// The session's [`CallOptions`](crate::CallOptions) (timeouts, retries) bound opening the
    /// stream, not the turn: a turn may run for hours. Its reads are bounded by the
    /// [`ResumePolicy`](crate::ResumePolicy) and the read-idle timeout; `TurnStream::close`
    /// stops reading.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) when the turn cannot start (409 while another turn
    /// runs, 404 for a gone session); the stream's items fail with
    /// [`Error::Stream`](crate::Error::Stream) when a drop cannot be resumed.
    pub async fn send_message(&self, message: &str) -> Result<TurnStream> {
        self.client.send_message(&self.id, message).await
    }

    /// Reopens a turn's event stream after `last_event_id` (from the start when `None`).
    ///
    /// # Errors
    ///
    /// As [`Session::send_message`].
    pub async fn resume(
        &self,
        response_id: &str,
        last_event_id: Option<&str>,
    ) -> Result<TurnStream> {
        self.client
            .resume(&self.id, response_id, last_event_id)
            .await
    }

    /// Asks the server to cancel a turn; its stream then ends with `message.cancelled`.
    ///
    /// # Errors
    ///
    /// As [`Session::get`].
    pub async fn cancel(&self, response_id: &str) -> Result<CancelResult> {
        self.client.cancel(&self.id, response_id).await
    }

    /// Answers a `tool_call.requested` event; `output` is usually a string.
    ///
    /// # Errors
    ///
    /// [`Error::Api`](crate::Error::Api) with 409 when the call was already answered.
    pub async fn submit_tool_result<T: Serialize + ?Sized>(
        &self,
        call_id: &str,
        output: &T,
    ) -> Result<ToolResultAck> {
        self.client
            .submit_tool_result(&self.id, call_id, output)
            .await
    }

    /// Polls until the session is no longer busy (see [`PokeeClient::wait_idle`]).
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`](crate::Error::Timeout) (phase `Wait`) after the deadline of
    /// `opts`; the errors of [`Session::get`].
    pub async fn wait_idle(
        &self,
        opts: WaitOptions,
        on_progress: impl FnMut(&SessionRecord),
    ) -> Result<SessionRecord> {
        self.client.wait_idle(&self.id, opts, on_progress).await
    }

    /// Lists the workspace directory `dir` (the root when `None`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a path outside the workspace
    /// grammar (nothing is sent); the errors of [`Session::get`].
    pub async fn list_files(&self, dir: Option<&str>) -> Result<Vec<FileEntry>> {
        self.client.list_files(&self.id, dir).await
    }

    /// Starts downloading a workspace file, to read as a stream or save with
    /// [`Download::save_to`].
    ///
    /// # Errors
    ///
    /// As [`Session::list_files`].
    pub async fn download(&self, path: &str) -> Result<Download> {
        self.client.download(&self.id, path).await
    }

    /// Downloads a workspace file to `dest` atomically; returns its size.
    ///
    /// # Errors
    ///
    /// As [`Session::list_files`]; [`Error::File`](crate::Error::File) when `dest` cannot be
    /// written (it is then left as it was).
    pub async fn download_to(
        &self,
        path: &str,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.client
            .download_to(&self.id, path, dest, progress)
            .await
    }

    /// Uploads a local file, streamed in constant memory; replaces any file at `path`.
    ///
    /// # Errors
    ///
    /// As [`Session::list_files`]; [`Error::File`](crate::Error::File) when `src` cannot be
    /// read.
    pub async fn upload_file(
        &self,
        path: &str,
        src: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>) + Send + 'static,
    ) -> Result<UploadResult> {
        self.client.upload_file(&self.id, path, src, progress).await
    }

    /// Uploads bytes from memory; replaces any file at `path`.
    ///
    /// # Errors
    ///
    /// As [`Session::list_files`].
    pub async fn upload_bytes(&self, path: &str, data: impl Into<Bytes>) -> Result<UploadResult> {
        self.client.upload_bytes(&self.id, path, data).await
    }

    /// Deletes a workspace file.
    ///
    /// # Errors
    ///
    /// As [`Session::list_files`].
    pub async fn delete_file(&self, path: &str) -> Result<()> {
        self.client.delete_file(&self.id, path).await
    }
}
