//! When and how often a dropped turn stream is resumed.

use std::time::Duration;

/// When and how often a dropped turn stream is resumed.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ResumePolicy {
    /// Reconnects in a row that deliver nothing new before giving up; `0` never resumes.
    pub max_attempts_without_progress: u32,
    /// First backoff delay; doubled on each reconnect without progress.
    pub initial_delay: Duration,
    /// Largest backoff delay.
    pub max_delay: Duration,
    /// Lower bound applied to a server's `retry:` or `Retry-After` hint.
    pub min_server_retry: Duration,
    /// Upper bound applied to a server's `retry:` or `Retry-After` hint.
    pub max_server_retry: Duration,
    /// How many recent event ids are remembered to drop replays.
    pub dedupe_capacity: usize,
}

impl Default for ResumePolicy {
    fn default() -> Self {
        Self {
            max_attempts_without_progress: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            min_server_retry: Duration::from_millis(500),
            max_server_retry: Duration::from_secs(60),
            dedupe_capacity: 1024,
        }
    }
}

impl ResumePolicy {
    /// Gives up after `n` reconnects in a row that deliver nothing new (`0` never resumes).
    #[must_use]
    pub fn with_max_attempts_without_progress(mut self, n: u32) -> Self {
        self.max_attempts_without_progress = n;
        self
    }

    /// Sets the first reconnect delay (doubled on each reconnect without progress) and its cap.
    #[must_use]
    pub fn with_delay(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// Clamps the server's `retry:` / `Retry-After` hints to `min..=max`.
    #[must_use]
    pub fn with_server_retry_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_server_retry = min;
        self.max_server_retry = max.max(min);
        self
    }

    /// Remembers this many recent event ids to drop replays (at least 1).
    #[must_use]
    pub fn with_dedupe_capacity(mut self, n: usize) -> Self {
        self.dedupe_capacity = n.max(1);
        self
    }

    /// A policy that never reconnects: a drop ends the stream with [`Error::Stream`](crate::Error::Stream).
    pub fn never() -> Self {
        Self {
            max_attempts_without_progress: 0,
            ..Self::default()
        }
    }

    /// The wait before reconnect number `step` (0-based since the last progress): the server's
    /// hint clamped to `[min_server_retry, max_server_retry]`, else
    /// `min(initial · 2^step, max) · (1 − 0.25·jitter)` for a jitter draw in `[0, 1)`.
    pub fn delay(&self, step: u32, server_hint: Option<Duration>, jitter: f64) -> Duration {
        if let Some(hint) = server_hint {
            return hint.clamp(
                self.min_server_retry,
                self.max_server_retry.max(self.min_server_retry),
            );
        }
        crate::http::backoff(self.initial_delay, self.max_delay, step, jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_table() {
        let p = ResumePolicy::default();
        assert_eq!(p.delay(0, None, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(1, None, 0.0), Duration::from_secs(1));
        assert_eq!(p.delay(4, None, 0.0), Duration::from_secs(8));
        assert_eq!(p.delay(5, None, 0.0), Duration::from_secs(10));
        assert_eq!(p.delay(40, None, 0.0), Duration::from_secs(10));
        assert_eq!(p.delay(0, None, 1.0), Duration::from_millis(375));
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(10)), 0.9),
            Duration::from_millis(500)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(5)), 0.9),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(600)), 0.9),
            Duration::from_secs(60)
        );
    }
}
