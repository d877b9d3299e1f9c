//! Random values (idempotency keys, temporary file names, retry jitter) that two processes
//! never share.
//!
//! A forked child inherits its parent's generator state, so two gunicorn workers would send
//! the same "unique" `Idempotency-Key`, and the server would answer the second message as a
//! replay of the first without delivering it. The generator is therefore reseeded whenever
//! the process id changes.

use std::cell::RefCell;

thread_local! {
    static RNG: RefCell<Option<(u32, fastrand::Rng)>> = const { RefCell::new(None) };
}

fn with_rng<T>(f: impl FnOnce(&mut fastrand::Rng) -> T) -> T {
    let pid = std::process::id();
    RNG.with_borrow_mut(|slot| {
        if slot.as_ref().is_some_and(|(owner, _)| *owner != pid) {
            *slot = None;
        }
        let (_, rng) = slot.get_or_insert_with(|| (pid, fresh(pid)));
        f(rng)
    })
}

/// A generator whose seed differs between processes and threads.
fn fresh(pid: u32) -> fastrand::Rng {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    fastrand::Rng::with_seed(fastrand::u64(..) ^ (u64::from(pid) << 32) ^ nanos)
}

/// A random (version 4) UUID.
pub(crate) fn uuid_v4() -> uuid::Uuid {
    let bytes = with_rng(|r| r.u128(..)).to_le_bytes();
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A draw in `[0, 1)` for retry jitter.
pub(crate) fn jitter() -> f64 {
    with_rng(fastrand::Rng::f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = uuid_v4();
        let b = uuid_v4();
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 4);
        assert!(matches!(a.get_variant(), uuid::Variant::RFC4122));
    }
}
