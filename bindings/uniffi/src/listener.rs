//! Progress listeners implemented in Kotlin or Swift (`with_foreign` traits).
//!
//! Methods are synchronous on purpose: async foreign traits run into Swift 6 strict-concurrency
//! errors, and a progress report has nothing to await. The core calls them inline, on the task
//! that drives the call, between two reads; the bindings hold no lock while they run. Keep them
//! short (copy the values, post to your UI thread).
//!
//! A listener that throws ends the call with that error (a `PokeError` as thrown, anything
//! else as `PokeError::Internal`), through [`ListenerFailure`]: the core's callbacks cannot
//! fail, so the error is parked here and the call is dropped, which the core handles like any
//! cancellation (a download leaves no partial file).

use crate::error::PokeError;
use crate::sessions::SessionRecord;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

/// Receives the session records that `PokeeClient.waitIdle` polls: the first one, then each
/// one that differs from the one before (busy flag, status, progress metadata, ...).
#[uniffi::export(with_foreign)]
pub trait WaitProgressListener: Send + Sync {
    /// One changed record; the last call is the idle record `waitIdle` returns. Throwing
    /// ends `waitIdle` with that error.
    fn on_progress(&self, session: SessionRecord) -> Result<(), PokeError>;
}

/// Receives the progress of a file upload or download, after every chunk.
#[uniffi::export(with_foreign)]
pub trait TransferProgressListener: Send + Sync {
    /// `done_bytes` transferred so far out of `total_bytes`, when the size is known. Throwing
    /// ends the transfer with that error.
    fn on_progress(&self, done_bytes: u64, total_bytes: Option<u64>) -> Result<(), PokeError>;
}

/// The first error a listener returned during one call; see the module docs.
#[derive(Clone, Default)]
pub(crate) struct ListenerFailure(Arc<Failure>);

#[derive(Default)]
struct Failure {
    error: Mutex<Option<PokeError>>,
    raised: tokio::sync::Notify,
}

impl ListenerFailure {
    /// Forwards one report unless a previous one failed; keeps the first failure.
    pub(crate) fn report(&self, call: impl FnOnce() -> Result<(), PokeError>) {
        let mut slot = self.0.error.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_some() {
            return;
        }
        // No lock may be held while foreign code runs.
        drop(slot);
        if let Err(e) = call() {
            slot = self.0.error.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert(e);
            drop(slot);
            // Stores a permit when nobody waits yet, so the failure is never missed.
            self.0.raised.notify_one();
        }
    }

    /// Runs `call` until it ends or a listener fails; a listener's failure wins.
    pub(crate) async fn run<T>(
        &self,
        call: impl Future<Output = Result<T, PokeError>>,
    ) -> Result<T, PokeError> {
        let outcome = tokio::select! {
            biased;
            () = self.0.raised.notified() => None,
            r = call => Some(r),
        };
        let failed = self
            .0
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match (failed, outcome) {
            (Some(e), _) => Err(e),
            (None, Some(r)) => r,
            (None, None) => Err(PokeError::Internal {
                msg: "a listener failure was signalled without an error".into(),
            }),
        }
    }
}

#[cfg(test)]
#[path = "tests/listener.rs"]
mod tests;
