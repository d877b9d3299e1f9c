//! Progress listeners implemented in Kotlin or Swift (`with_foreign` traits).
//!
//! Methods are synchronous on purpose: async foreign traits run into Swift 6 strict-concurrency
//! errors, and a progress report has nothing to await. The core calls them inline, on the task
//! that drives the call, between two reads; the bindings hold no lock while they run. Keep them
//! short (copy the values, post to your UI thread).
//!
//! A listener that throws ends the call with that error (a `PokeError` as thrown, anything
//! else as `PokeError::Internal`), through the core's progress delivery (`poke::progress`):
//! the call is dropped, which the core handles like any cancellation (a download leaves no
//! partial file).

use crate::error::PokeError;
use crate::sessions::SessionRecord;
use poke::binding::progress::Reporter;
use std::future::Future;

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

/// Runs the operation `op` makes, handing its reports to `listener` through `call` (with no
/// lock held); a listener that throws ends the call with its error, the operation dropped.
pub(crate) async fn run<T, M, L, F, Fut>(
    listener: Option<L>,
    op: F,
    call: impl Fn(&L, M) -> Result<(), PokeError>,
) -> Result<T, PokeError>
where
    F: FnOnce(Reporter<M>) -> Fut,
    Fut: Future<Output = poke::Result<T>>,
{
    let (reporter, delivery) = poke::binding::progress::channel(listener.is_some());
    let op = op(reporter);
    let outcome = match &listener {
        None => {
            delivery
                .run(op, |_| async { Ok::<(), PokeError>(()) })
                .await
        }
        Some(l) => delivery.run(op, |m| std::future::ready(call(l, m))).await,
    };
    Ok(outcome?)
}

#[cfg(test)]
#[path = "tests/listener.rs"]
mod tests;
