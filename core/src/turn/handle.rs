//! Handles on a turn stream: its position and its controls, usable while another task reads.

use crate::error::{Error, Result};
use crate::sessions::{CancelResult, PokeeClient};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use tokio_util::sync::CancellationToken;

/// Stops a [`TurnStream`](super::TurnStream) from any thread without waiting for it; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(pub(crate) CancellationToken);

impl CancelHandle {
    /// Stops reading now: a pending `next()` returns `None` and the connection is dropped.
    /// The turn keeps running on the server; use [`TurnStream::cancel`](super::TurnStream::cancel) to stop it there.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Where a stream is, shared between the reading task and the accessors.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) response_id: Option<String>,
    pub(crate) last_event_id: Option<String>,
    pub(crate) finished: bool,
}

pub(crate) fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A panic elsewhere cannot leave these plain fields half-written.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A cloneable view of a [`TurnStream`](super::TurnStream): its position and its controls, without the stream.
#[derive(Clone)]
pub struct TurnHandle {
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) cancel: CancelHandle,
    pub(crate) control: Option<TurnControl>,
}

impl fmt::Debug for TurnHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnHandle")
            .field("response_id", &self.response_id())
            .field("last_event_id", &self.last_event_id())
            .finish_non_exhaustive()
    }
}

impl TurnHandle {
    /// The turn's response id, once the server has sent it.
    pub fn response_id(&self) -> Option<String> {
        lock(&self.shared).response_id.clone()
    }

    /// The id of the last event delivered.
    pub fn last_event_id(&self) -> Option<String> {
        lock(&self.shared).last_event_id.clone()
    }

    /// True once the terminal event was delivered.
    pub fn is_finished(&self) -> bool {
        lock(&self.shared).finished
    }

    /// The session this turn runs in, when the stream came from a client (none for a
    /// stateless response).
    pub fn session_id(&self) -> Option<&str> {
        self.control.as_ref().and_then(|c| c.session_id.as_deref())
    }

    /// Stops the stream's reading now; the turn keeps running on the server.
    pub fn close(&self) {
        self.cancel.cancel();
    }

    /// Asks the server to cancel the turn; the stream then ends with `message.cancelled`
    /// (`response.cancelled` for a stateless response).
    pub async fn cancel(&self) -> Result<CancelResult> {
        let control = self.control.as_ref().ok_or_else(|| Error::InvalidInput {
            field: "turn",
            reason: "this stream is not attached to a client".into(),
        })?;
        let rid = self.response_id().ok_or_else(|| Error::InvalidInput {
            field: "response_id",
            reason: "the server has not sent the turn's response id yet".into(),
        })?;
        match &control.session_id {
            Some(session_id) => control.client.cancel(session_id, &rid).await,
            None => control.client.cancel_response(&rid).await,
        }
    }
}

/// The client and session a stream belongs to, for [`TurnStream::cancel`](super::TurnStream::cancel);
/// no session for a stateless response (cancelled through E21).
#[derive(Clone)]
pub(crate) struct TurnControl {
    pub client: PokeeClient,
    pub session_id: Option<String>,
}
