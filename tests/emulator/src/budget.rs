//! One memory budget for the request bodies being read, across every connection of the
//! process: a body is buffered whole (for the journal, or as an upload), so without it N
//! concurrent large bodies would hold N times the per-request limit.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Bytes of request bodies being read at once, at most (in KiB permits).
const BUDGET_KIB: u32 = 256 * 1024;

/// How long a body waits for room before it is refused: bodies that each hold part of the
/// budget and wait for more would otherwise wait for each other forever.
const WAIT: Duration = Duration::from_secs(2);

static BUDGET: Semaphore = Semaphore::const_new(BUDGET_KIB as usize);

/// The budget stayed full for [`WAIT`]; the request is answered 503.
pub(crate) struct Busy;

/// The share of the budget one body being read holds; released when dropped.
#[derive(Default)]
pub(crate) struct Held {
    permit: Option<SemaphorePermit<'static>>,
    kib: u32,
}

impl Held {
    /// Waits until the body may hold `bytes` (a body larger than the whole budget holds all of
    /// it and goes on, so one request alone never waits forever).
    pub(crate) async fn grow(&mut self, bytes: usize) -> Result<(), Busy> {
        let want = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(BUDGET_KIB);
        if want <= self.kib {
            return Ok(());
        }
        let more = tokio::time::timeout(WAIT, BUDGET.acquire_many(want - self.kib))
            .await
            .map_err(|_| Busy)?
            // The semaphore is never closed.
            .map_err(|_| Busy)?;
        match &mut self.permit {
            Some(held) => held.merge(more),
            None => self.permit = Some(more),
        }
        self.kib = want;
        Ok(())
    }
}
