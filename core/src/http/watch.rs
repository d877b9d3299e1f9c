//! The phase clock of one attempt: which phase of the exchange it is in (waiting for a
//! connection slot, connecting, writing the body, reading the response) and when it last made
//! progress, so each phase's bound fires alone and says so.
//!
//! The attempt's watch travels in a task-local, so the connector (which reqwest calls with only
//! a URI) and the body readers can report to it without extra arguments.

use super::timeouts::Timeouts;
use crate::error::{Error, TimeoutPhase};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

tokio::task_local! {
    static ATTEMPT: Watch;
}

/// One attempt's phase and progress; cheap to clone.
#[derive(Clone)]
pub(crate) struct Watch(Arc<State>);

struct State {
    origin: Instant,
    bounds: Timeouts,
    phase: AtomicU8,
    /// When the phase began or last made progress, in µs since `origin`.
    since_us: AtomicU64,
    /// Woken when the phase changes (progress within a phase only moves `since_us` later).
    changed: Notify,
    /// The phase to go back to once a connection is up (writing or reading).
    after_connect: AtomicU8,
}

const POOL: u8 = 0;
const CONNECT: u8 = 1;
const WRITE: u8 = 2;
const READ: u8 = 3;

impl Watch {
    /// A watch starting in the pool phase.
    pub(crate) fn new(bounds: Timeouts) -> Self {
        Self(Arc::new(State {
            origin: Instant::now(),
            bounds,
            phase: AtomicU8::new(POOL),
            since_us: AtomicU64::new(0),
            changed: Notify::new(),
            after_connect: AtomicU8::new(READ),
        }))
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.0.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.0.since_us.store(self.now_us(), Ordering::Release);
        if self.0.phase.swap(phase, Ordering::AcqRel) != phase {
            self.0.changed.notify_one();
        }
    }

    /// The request is being written (a streamed body follows).
    pub(crate) fn writing(&self) {
        self.0.after_connect.store(WRITE, Ordering::Release);
        self.enter(WRITE);
    }

    /// The request is sent: waiting for (more of) the response.
    pub(crate) fn reading(&self) {
        self.0.after_connect.store(READ, Ordering::Release);
        self.enter(READ);
    }

    /// A new connection is being made; returns the connect bound.
    pub(crate) fn connecting(&self) -> Duration {
        self.enter(CONNECT);
        self.0.bounds.connect
    }

    /// The connection is up: back to writing or reading.
    pub(crate) fn connected(&self) {
        self.enter(self.0.after_connect.load(Ordering::Acquire));
    }

    /// The current phase made progress (a chunk was sent or received).
    pub(crate) fn touch(&self) {
        self.0.since_us.store(self.now_us(), Ordering::Release);
    }

    /// Resolves with the timeout error of the first phase that outlives its bound.
    pub(crate) async fn expired(&self) -> Error {
        loop {
            let phase = self.0.phase.load(Ordering::Acquire);
            let (kind, bound) = match phase {
                POOL => (TimeoutPhase::Pool, self.0.bounds.pool),
                // The connector enforces the connect bound itself, with its real error.
                CONNECT => (TimeoutPhase::Connect, None),
                WRITE => (TimeoutPhase::Write, self.0.bounds.write),
                _ => (TimeoutPhase::ReadIdle, self.0.bounds.read),
            };
            let Some(bound) = bound else {
                self.0.changed.notified().await;
                continue;
            };
            let since = Duration::from_micros(self.0.since_us.load(Ordering::Acquire));
            let deadline = self.0.origin + since + bound;
            tokio::select! {
                () = self.0.changed.notified() => {}
                () = tokio::time::sleep_until(deadline) => {
                    let moved = self.0.since_us.load(Ordering::Acquire) != since.as_micros() as u64;
                    if !moved && self.0.phase.load(Ordering::Acquire) == phase {
                        return Error::timeout(kind, bound);
                    }
                }
            }
        }
    }

    /// Runs `fut` with this watch as the current attempt's.
    pub(crate) async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        ATTEMPT.scope(self, fut).await
    }

    /// The watch of the attempt this task is running, if any.
    pub(crate) fn current() -> Option<Self> {
        ATTEMPT.try_with(Clone::clone).ok()
    }

    /// The current attempt's phase made progress, if an attempt is running.
    pub(crate) fn progress() {
        let _ = ATTEMPT.try_with(Watch::touch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(read: u64, write: u64, pool: u64) -> Timeouts {
        Timeouts::none()
            .with_read(Duration::from_secs(read))
            .with_write(Duration::from_secs(write))
            .with_pool(Duration::from_secs(pool))
    }

    async fn fired(w: &Watch) -> (TimeoutPhase, Duration) {
        match w.expired().await {
            Error::Timeout { phase, limit, .. } => (phase, limit),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_phase_fires_with_its_own_bound() {
        let w = Watch::new(bounds(3, 5, 7));
        let start = Instant::now();
        assert_eq!(
            fired(&w).await,
            (TimeoutPhase::Pool, Duration::from_secs(7))
        );
        assert_eq!(start.elapsed(), Duration::from_secs(7));

        let w = Watch::new(bounds(3, 5, 7));
        w.writing();
        assert_eq!(
            fired(&w).await,
            (TimeoutPhase::Write, Duration::from_secs(5))
        );

        let w = Watch::new(bounds(3, 5, 7));
        w.reading();
        assert_eq!(
            fired(&w).await,
            (TimeoutPhase::ReadIdle, Duration::from_secs(3))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn progress_and_a_shorter_phase_move_the_deadline() {
        let w = Watch::new(bounds(2, 100, 50));
        let start = Instant::now();
        let watching = w.clone();
        let dog = tokio::spawn(async move { fired(&watching).await });
        tokio::time::sleep(Duration::from_secs(10)).await;
        // Entering a phase with a shorter bound re-arms the watchdog at once.
        w.reading();
        tokio::time::sleep(Duration::from_secs(1)).await;
        w.touch();
        let (phase, _) = dog.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(phase, TimeoutPhase::ReadIdle);
        assert_eq!(start.elapsed(), Duration::from_secs(13));
    }

    #[tokio::test(start_paused = true)]
    async fn unbounded_phases_never_fire() {
        let w = Watch::new(Timeouts::none());
        w.reading();
        let r = tokio::time::timeout(Duration::from_secs(3600), w.expired()).await;
        assert!(r.is_err());
    }
}
