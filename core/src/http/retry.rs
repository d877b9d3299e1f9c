//! Retry policy: which failures are retried, how long to wait, and the pure decision function.

use crate::error::{Error, TimeoutPhase};
use std::time::Duration;

/// How a client retries failed requests.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (`0` behaves like the official SDK).
    pub max_retries: u32,
    /// First backoff delay; doubled each retry.
    pub initial_backoff: Duration,
    /// Largest backoff delay.
    pub max_backoff: Duration,
    /// Longest server-requested wait honoured; a longer `Retry-After` fails at once instead.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// No retries: one attempt, as the official SDK makes.
    pub fn none() -> Self {
        Self::default().with_max_retries(0)
    }

    /// Sets the number of retries after the first attempt.
    #[must_use]
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first backoff delay (doubled each retry) and its cap.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest `Retry-After` honoured; a longer one fails at once.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Whether a request may be repeated after it might have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads and deletes: repeating is harmless.
    Safe,
    /// A POST whose `Idempotency-Key` the server honours.
    Keyed,
    /// A POST the server may process twice (the Poke API honours no key).
    Unsafe,
}

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// The server answered with this status (`should_retry` from `x-should-retry`).
    Status {
        status: u16,
        should_retry: Option<bool>,
        retry_after: Option<Duration>,
    },
    /// Failed before the request could reach the server (refused, DNS, connect timeout).
    NotSent,
    /// Failed after the request may have been sent (reset, read timeout).
    MaybeSent,
}

/// The policy's verdict on one attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Give the outcome to the caller.
    Return,
    /// Wait this long, then try again.
    Retry(Duration),
}

impl RetryPolicy {
    /// Decides whether attempt number `attempt` (0-based) is retried, given a jitter draw in
    /// `[0, 1)`.
    pub(crate) fn decide(
        &self,
        idem: Idempotency,
        outcome: Outcome,
        attempt: u32,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_retries {
            return Decision::Return;
        }
        let may_repeat = idem != Idempotency::Unsafe;
        let (retry, hint) = match outcome {
            Outcome::NotSent => (true, None),
            Outcome::MaybeSent => (may_repeat, None),
            Outcome::Status {
                should_retry: Some(forced),
                retry_after,
                ..
            } => (forced, retry_after),
            Outcome::Status {
                status,
                retry_after,
                ..
            } => {
                let retry = match status {
                    408 | 429 | 502 | 503 | 504 => true,
                    500..=599 => may_repeat,
                    _ => false,
                };
                (retry, retry_after)
            }
        };
        if !retry {
            return Decision::Return;
        }
        match hint {
            Some(wait) if wait > self.max_retry_after => Decision::Return,
            Some(wait) => Decision::Retry(wait),
            None => Decision::Retry(self.backoff(attempt, jitter)),
        }
    }

    /// `min(initial · 2^attempt, max) · (1 − 0.25·jitter)`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        backoff(self.initial_backoff, self.max_backoff, attempt, jitter)
    }
}

/// `min(initial · 2^step, max) · (1 − 0.25·jitter)` for a jitter draw in `[0, 1)`: the one
/// backoff of the crate (request retries, turn resumes, MCP callbacks).
pub(crate) fn backoff(initial: Duration, max: Duration, step: u32, jitter: f64) -> Duration {
    let base = initial.saturating_mul(1u32 << step.min(20)).min(max);
    base.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
}

/// [`crate::Error::is_retryable`]: what the policy would retry for a call that may be repeated.
pub(crate) fn is_retryable(e: &Error) -> bool {
    let policy = RetryPolicy {
        max_retries: 1,
        max_retry_after: Duration::MAX,
        ..RetryPolicy::default()
    };
    classify(e).is_some_and(|o| policy.decide(Idempotency::Keyed, o, 0, 0.0) != Decision::Return)
}

/// How the retry policy sees an error.
pub(crate) fn classify(e: &Error) -> Option<Outcome> {
    match e {
        Error::Api(api) => {
            let should_retry = api
                .headers
                .iter()
                .find(|(k, _)| k == "x-should-retry")
                .and_then(|(_, v)| match v.trim() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                });
            Some(Outcome::Status {
                status: api.status,
                should_retry,
                retry_after: api.retry_after,
            })
        }
        Error::Connection {
            maybe_sent: false, ..
        }
        | Error::Timeout {
            phase: TimeoutPhase::Connect | TimeoutPhase::Pool,
            ..
        } => Some(Outcome::NotSent),
        // The call's own bounds: no time is left for another attempt.
        Error::Timeout {
            phase: TimeoutPhase::Total | TimeoutPhase::Wait,
            ..
        } => None,
        Error::Connection { .. } | Error::Timeout { .. } => Some(Outcome::MaybeSent),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> Outcome {
        Outcome::Status {
            status: s,
            should_retry: None,
            retry_after: None,
        }
    }

    #[test]
    fn classification_table() {
        let p = RetryPolicy::default();
        let cases = [
            (Idempotency::Unsafe, status(408), true),
            (Idempotency::Unsafe, status(429), true),
            (Idempotency::Unsafe, status(502), true),
            (Idempotency::Unsafe, status(503), true),
            (Idempotency::Unsafe, status(504), true),
            (Idempotency::Unsafe, status(500), false),
            (Idempotency::Keyed, status(500), true),
            (Idempotency::Safe, status(500), true),
            (Idempotency::Safe, status(400), false),
            (Idempotency::Safe, status(401), false),
            (Idempotency::Safe, status(403), false),
            (Idempotency::Safe, status(404), false),
            (Idempotency::Safe, status(422), false),
            (Idempotency::Unsafe, Outcome::NotSent, true),
            (Idempotency::Unsafe, Outcome::MaybeSent, false),
            (Idempotency::Keyed, Outcome::MaybeSent, true),
        ];
        for (idem, outcome, expected) in cases {
            let got = p.decide(idem, outcome, 0, 0.0) != Decision::Return;
            assert_eq!(got, expected, "{idem:?} {outcome:?}");
        }
    }

    #[test]
    fn should_retry_header_wins() {
        let p = RetryPolicy::default();
        let forced = |v, s| Outcome::Status {
            status: s,
            should_retry: Some(v),
            retry_after: None,
        };
        assert_ne!(
            p.decide(Idempotency::Unsafe, forced(true, 400), 0, 0.0),
            Decision::Return
        );
        assert_eq!(
            p.decide(Idempotency::Safe, forced(false, 503), 0, 0.0),
            Decision::Return
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let p = RetryPolicy::default();
        assert_ne!(
            p.decide(Idempotency::Safe, status(503), 1, 0.0),
            Decision::Return
        );
        assert_eq!(
            p.decide(Idempotency::Safe, status(503), 2, 0.0),
            Decision::Return
        );
        let none = RetryPolicy {
            max_retries: 0,
            ..p
        };
        assert_eq!(
            none.decide(Idempotency::Safe, Outcome::NotSent, 0, 0.0),
            Decision::Return
        );
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 0.0), Duration::from_secs(4));
        assert_eq!(p.backoff(10, 0.0), Duration::from_secs(8));
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(375));
    }

    #[test]
    fn retry_after_hint_is_used_and_capped() {
        let p = RetryPolicy::default();
        let with = |secs| Outcome::Status {
            status: 429,
            should_retry: None,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            p.decide(Idempotency::Unsafe, with(3), 0, 0.5),
            Decision::Retry(Duration::from_secs(3))
        );
        assert_eq!(
            p.decide(Idempotency::Unsafe, with(61), 0, 0.5),
            Decision::Return
        );
    }
}
