//! Lanes: current-thread runtimes lent to blocking calls, each with a client of its own whose
//! connections live on that runtime, so the calling thread drives every step of the call
//! itself (no hand-off to a runtime thread and back). Lanes are kept in a stack and lent to
//! one call at a time: sequential calls, from any thread, reuse the same lane and its
//! keep-alive connection, and N concurrent calls use N lanes.

use crate::runtime::{LaneRuntime, wait_on};
use pyo3::prelude::*;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Idle lanes kept at most; more concurrent calls than this create lanes that are dropped after.
const MAX_IDLE_LANES: usize = 64;

/// A lane unused for longer than this first lets its connections see what happened meanwhile
/// (a server closing an idle keep-alive connection).
const LANE_IDLE_CHECK: Duration = Duration::from_millis(1);

struct Lane<C> {
    rt: LaneRuntime,
    client: C,
    last_used: Instant,
}

/// The lanes of one client; `C` is the lane's own client (made by the caller of `run`).
pub(crate) struct Lanes<C> {
    idle: Mutex<Vec<Lane<C>>>,
    /// Set by `close()`: later calls must go to the closed client, which refuses them.
    closed: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<C: Clone> Lanes<C> {
    pub(crate) fn new() -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// True after `close()`.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Runs `call(client)` on an idle lane, or on a new one whose client `make` builds,
    /// blocking with the GIL released; the lane is kept for the next call.
    pub(crate) fn run<T, F>(
        &self,
        py: Python<'_>,
        make: impl FnOnce() -> PyResult<C>,
        call: impl FnOnce(C) -> F,
    ) -> PyResult<T>
    where
        T: Send,
        F: Future<Output = poke::Result<T>> + Send,
    {
        let popped = lock(&self.idle).pop();
        let mut lane = match popped {
            Some(lane) => lane,
            None => Lane {
                rt: LaneRuntime::new()?,
                client: make()?,
                last_used: Instant::now(),
            },
        };
        let idle = lane.last_used.elapsed() > LANE_IDLE_CHECK;
        let result = wait_on(py, &lane.rt, idle, call(lane.client.clone()));
        lane.last_used = Instant::now();
        let mut lanes = lock(&self.idle);
        if lanes.len() < MAX_IDLE_LANES && !self.is_closed() {
            lanes.push(lane);
        }
        result
    }

    /// Refuses later lanes and drops the idle ones with their connections (a call in flight
    /// finishes; its lane is dropped after).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let idle = std::mem::take(&mut *lock(&self.idle));
        drop(idle);
    }
}
