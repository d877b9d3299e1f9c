//! Lanes: current-thread runtimes lent to blocking calls, each with a client of its own whose
//! connections live on that runtime, so the calling thread drives every step of the call
//! itself (no hand-off to a runtime thread and back). Lanes are kept in a stack and lent to
//! one call at a time: sequential calls, from any thread, reuse the same lane and its
//! keep-alive connection, and N concurrent calls use N lanes.

use crate::error::{Error, Result};
use crate::http::CallOptions;
use crate::runtime::block_on_interruptible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Idle lanes kept at most; more concurrent calls than this make lanes that are dropped after.
const MAX_IDLE_LANES: usize = 64;

/// A lane unused for longer than this first lets its connections see what happened meanwhile
/// (a server closing an idle keep-alive connection).
const LANE_IDLE_CHECK: Duration = Duration::from_millis(1);

struct Lane<C> {
    rt: LaneRuntime,
    client: C,
    last_used: Instant,
}

/// A client a lane can hold: a copy with a connection pool of its own is made for each new
/// lane, and each call's options go on top of that copy (a lane outlives the handle that made
/// it, so it must not keep that handle's options).
pub trait LaneClient: Clone {
    /// The same client with a connection pool of its own.
    ///
    /// # Errors
    ///
    /// When the pool cannot be made.
    fn own_pool(&self) -> Result<Self>;

    /// The options of this handle's calls.
    fn call_options(&self) -> CallOptions;

    /// The same client whose calls use `opts`.
    #[must_use]
    fn with_call_options(&self, opts: CallOptions) -> Self;
}

/// The clients of the crate hold their options in a field `opts` and make their own pools.
macro_rules! lane_client {
    ($($client:ty),*) => {$(
        impl LaneClient for $client {
            fn own_pool(&self) -> Result<Self> {
                self.with_own_pool()
            }

            fn call_options(&self) -> CallOptions {
                self.opts.clone()
            }

            fn with_call_options(&self, opts: CallOptions) -> Self {
                self.with_options(opts)
            }
        }
    )*};
}

lane_client!(crate::Client, crate::PokeeClient);

/// The lanes of one client; `C` is the client type each lane holds a copy of.
pub struct Lanes<C> {
    idle: Mutex<Vec<Lane<C>>>,
    /// Set by `close()`: later calls must go to the closed client, which refuses them.
    closed: AtomicBool,
    /// The process the lanes were made in; a forked child must not drive them.
    pid: u32,
}

impl<C> std::fmt::Debug for Lanes<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes")
            .field("idle", &lock(&self.idle).len())
            .field("closed", &self.closed.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<C: LaneClient> Default for Lanes<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: LaneClient> Lanes<C> {
    /// No lanes yet; they are made by the calls that need them.
    pub fn new() -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            pid: std::process::id(),
        }
    }

    /// True after `close()`.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Runs `call` on an idle lane, or on a new one holding `client` with a pool of its own,
    /// with `client`'s options on top, driven by the calling thread until it completes or
    /// `interrupted` fails (checked every [`crate::runtime::TICK`]; the call is then dropped,
    /// which cancels it). The lane is kept for the next call.
    pub fn run<T, E, F>(
        &self,
        client: &C,
        call: impl FnOnce(C) -> F,
        interrupted: impl FnMut() -> std::result::Result<(), E>,
    ) -> std::result::Result<Result<T>, E>
    where
        F: Future<Output = Result<T>>,
    {
        if self.pid != std::process::id() {
            return Ok(Err(Error::Forked));
        }
        let popped = lock(&self.idle).pop();
        let mut lane = match popped {
            Some(lane) => lane,
            None => match (LaneRuntime::new(), client.own_pool()) {
                (Ok(rt), Ok(client)) => Lane {
                    rt,
                    client,
                    last_used: Instant::now(),
                },
                (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
            },
        };
        if lane.last_used.elapsed() > LANE_IDLE_CHECK {
            lane.rt.catch_up();
        }
        let call = call(lane.client.with_call_options(client.call_options()));
        let result = block_on_interruptible(&lane.rt.0, call, interrupted);
        lane.last_used = Instant::now();
        let mut lanes = lock(&self.idle);
        if lanes.len() < MAX_IDLE_LANES && !self.is_closed() {
            lanes.push(lane);
        } else {
            drop(lanes);
            lane.rt.shut_down();
        }
        result
    }

    /// Runs `call` as [`Lanes::run`] does, on a lane driven by a new thread of its own, for work that goes on
    /// while the caller does something else (a download read ahead while Python consumes
    /// it); the lane is kept when `call` ends. `failed` gets the error when no lane could be
    /// had (a forked child, a runtime that could not start).
    pub fn spawn<F>(
        self: &std::sync::Arc<Self>,
        client: C,
        call: impl FnOnce(C) -> F + Send + 'static,
        failed: impl FnOnce(Error) + Send + 'static,
    ) -> std::io::Result<()>
    where
        C: Send + 'static,
        F: Future<Output = ()> + 'static,
    {
        let lanes = self.clone();
        std::thread::Builder::new()
            .name("poke-lane".into())
            .spawn(move || {
                let ran = lanes.run(
                    &client,
                    |client| async move {
                        call(client).await;
                        // Lets the connection tasks see what `call` dropped (a body read
                        // halfway closes its connection) now, not when the lane is next lent.
                        tokio::task::yield_now().await;
                        tokio::task::yield_now().await;
                        Ok(())
                    },
                    // Nothing to check: the caller's own thread handles Ctrl-C.
                    || Ok::<(), std::convert::Infallible>(()),
                );
                if let Ok(Err(e)) = ran {
                    failed(e);
                }
            })
            .map(drop)
    }

    /// Refuses later lanes and drops the idle ones with their connections (a call in flight
    /// finishes; its lane is dropped after).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let idle = std::mem::take(&mut *lock(&self.idle));
        for lane in idle {
            lane.rt.shut_down();
        }
    }
}

impl<C> Drop for Lanes<C> {
    fn drop(&mut self) {
        for lane in std::mem::take(&mut *lock(&self.idle)) {
            lane.rt.shut_down();
        }
    }
}

/// A current-thread runtime lent to one blocking call at a time.
struct LaneRuntime(tokio::runtime::Runtime);

impl LaneRuntime {
    fn new() -> Result<Self> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(Self)
            .map_err(|e| Error::Config(format!("could not start a runtime: {e}")))
    }

    /// Lets the runtime's connection tasks see what happened while it was idle (a server that
    /// closed a pooled keep-alive connection), so the pool drops such connections before
    /// the next request picks one: two scheduler turns, each polling the I/O driver once.
    fn catch_up(&self) {
        self.0.block_on(async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        });
    }
}

impl LaneRuntime {
    /// Ends the runtime and its connections without blocking: a plain drop is refused inside
    /// another runtime's context, which is where a client may be dropped.
    fn shut_down(self) {
        self.0.shutdown_background();
    }
}
