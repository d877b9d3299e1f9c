//! The process's own tokio runtime, for callers that have none (the blocking API and the
//! bindings): made on first use, and made anew in a child process after `fork()`.
//!
//! A runtime's threads do not survive `fork()`: in the child, the parent's runtime is a shell
//! whose workers are gone, and every task given to it would wait forever. So the runtime is
//! kept with the id of the process that made it, and a process with another id makes its own.
//! The parent's is left alone (never dropped: dropping would wait for threads that do not
//! exist here).

use crate::error::{Error, Result};
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The runtime of this process, and that process's id.
static SHARED: Mutex<Option<(u32, &'static tokio::runtime::Runtime)>> = Mutex::new(None);

/// The shared multi-thread runtime of this process, made on first use (again after a fork).
pub fn shared() -> Result<&'static tokio::runtime::Runtime> {
    let pid = std::process::id();
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, rt)) = *slot {
        if owner == pid {
            return Ok(rt);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("poke-runtime")
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("could not start the runtime: {e}")))?;
    // Lives as long as the process (a child's copy of the parent's is leaked the same way).
    let rt: &'static tokio::runtime::Runtime = Box::leak(Box::new(rt));
    *slot = Some((pid, rt));
    Ok(rt)
}

/// How often a blocked caller gets control back to look for an interruption (Ctrl-C).
pub const TICK: Duration = Duration::from_millis(100);

/// Runs `fut` on `rt`, driven by the calling thread, until it completes or `interrupted`
/// returns an error: every [`TICK`] the caller gets control to check (e.g. for a pending
/// signal); on an error `fut` is dropped, which cancels it, and the error is returned.
pub fn block_on_interruptible<T, E>(
    rt: &tokio::runtime::Runtime,
    fut: impl Future<Output = T>,
    mut interrupted: impl FnMut() -> std::result::Result<(), E>,
) -> std::result::Result<T, E> {
    let mut fut = std::pin::pin!(fut);
    loop {
        // The timer is made inside `block_on`: tokio refuses timers made outside a runtime.
        match rt.block_on(async { tokio::time::timeout(TICK, &mut fut).await }) {
            Ok(value) => return Ok(value),
            Err(_) => interrupted()?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_runtime_serves_a_process() {
        let a = shared().expect("runtime") as *const _;
        let b = shared().expect("runtime") as *const _;
        assert_eq!(a, b);
    }

    #[test]
    fn an_interruption_drops_the_future() {
        let rt = shared().expect("runtime");
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flag = Flag(dropped.clone());
        let mut ticks = 0;
        let out: std::result::Result<(), &str> = block_on_interruptible(
            rt,
            async move {
                let _flag = flag;
                std::future::pending::<()>().await;
            },
            || {
                ticks += 1;
                if ticks == 2 { Err("stop") } else { Ok(()) }
            },
        );
        assert_eq!(out, Err("stop"));
        assert_eq!(ticks, 2);
        assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
    }
}
