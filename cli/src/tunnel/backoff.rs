//! The reconnect backoff of piko's agent: 100 ms doubling up to 15 s, with jitter.

use std::time::Duration;

const MIN: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(15);

/// Successive waits between connection attempts.
#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The next wait: 100 ms × 2ⁿ capped at 15 s, then ±20 % jitter.
    pub fn next_wait(&mut self) -> Duration {
        let base = MIN.saturating_mul(1u32 << self.attempt.min(10)).min(MAX);
        self.attempt += 1;
        base.mul_f64(0.8 + 0.4 * fastrand::f64())
    }

    /// Back to the shortest wait (after a successful connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_bounded_jitter() {
        let mut b = Backoff::default();
        let waits: Vec<Duration> = (0..12).map(|_| b.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(80) && waits[0] <= Duration::from_millis(120));
        assert!(waits[3] >= Duration::from_millis(640) && waits[3] <= Duration::from_millis(960));
        for w in &waits[8..] {
            assert!(
                *w >= Duration::from_secs(12) && *w <= Duration::from_secs(18),
                "{w:?}"
            );
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(120));
    }
}
