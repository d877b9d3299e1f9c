//! Time bounds of a call, one per phase of an HTTP exchange, plus one for the whole call.

use std::time::Duration;

/// Time bounds of a call. Each bound is checked on its own, and the error says which fired.
///
/// - `connect`: establishing a new connection (TCP and TLS).
/// - `read`: the longest wait for bytes of the response: for the headers once the request is
///   sent, then between two chunks of the body.
/// - `write`: the longest wait for the server to take more of a streamed request body.
/// - `pool`: the longest wait for a free connection slot (see `max_connections`).
/// - `total`: the whole call, retries and the waits between them included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Bound on establishing a connection.
    pub connect: Duration,
    /// Bound on any wait for response bytes; `None` for no bound.
    pub read: Option<Duration>,
    /// Bound on any wait while sending a streamed body; `None` for no bound.
    pub write: Option<Duration>,
    /// Bound on the wait for a connection slot; `None` for no bound.
    pub pool: Option<Duration>,
    /// Bound on the whole call, retries included; `None` for no bound.
    pub total: Option<Duration>,
}

/// The connect bound when none is given.
const DEFAULT_CONNECT: Duration = Duration::from_secs(5);

impl Default for Timeouts {
    /// Connect 5 s, total 60 s, the other phases unbounded (the total covers them).
    fn default() -> Self {
        Self {
            connect: DEFAULT_CONNECT,
            read: None,
            write: None,
            pool: None,
            total: Some(Duration::from_secs(60)),
        }
    }
}

impl Timeouts {
    /// No bound at all but the default connect bound.
    pub fn none() -> Self {
        Self {
            connect: DEFAULT_CONNECT,
            read: None,
            write: None,
            pool: None,
            total: None,
        }
    }

    /// `secs` as the total bound, the connect bound kept at most that long. A negative or NaN
    /// value counts as zero and an infinite one as no total bound.
    pub fn total_secs(secs: f64) -> Self {
        let total = Duration::try_from_secs_f64(secs.max(0.0)).ok();
        Self {
            connect: total.map_or(DEFAULT_CONNECT, |t| t.min(DEFAULT_CONNECT)),
            total,
            ..Self::none()
        }
    }

    /// The same bounds with this connect bound.
    #[must_use]
    pub fn with_connect(mut self, bound: Duration) -> Self {
        self.connect = bound;
        self
    }

    /// The same bounds with this read bound (`None`: unbounded).
    #[must_use]
    pub fn with_read(mut self, bound: impl Into<Option<Duration>>) -> Self {
        self.read = bound.into();
        self
    }

    /// The same bounds with this write bound (`None`: unbounded).
    #[must_use]
    pub fn with_write(mut self, bound: impl Into<Option<Duration>>) -> Self {
        self.write = bound.into();
        self
    }

    /// The same bounds with this pool bound (`None`: unbounded).
    #[must_use]
    pub fn with_pool(mut self, bound: impl Into<Option<Duration>>) -> Self {
        self.pool = bound.into();
        self
    }

    /// The same bounds with this total bound (`None`: unbounded).
    #[must_use]
    pub fn with_total(mut self, bound: impl Into<Option<Duration>>) -> Self {
        self.total = bound.into();
        self
    }

    /// True when a phase other than connect has a bound, so an attempt needs a watchdog.
    pub(crate) fn watches_phases(&self) -> bool {
        self.read.is_some() || self.write.is_some() || self.pool.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_secs_never_panics() {
        assert_eq!(Timeouts::total_secs(f64::INFINITY).total, None);
        assert_eq!(
            Timeouts::total_secs(f64::NAN).total,
            Some(Duration::ZERO),
            "NaN counts as zero"
        );
        assert_eq!(Timeouts::total_secs(-1.0).total, Some(Duration::ZERO));
        let t = Timeouts::total_secs(0.3);
        assert_eq!(t.total, Some(Duration::from_millis(300)));
        assert_eq!(t.connect, Duration::from_millis(300));
        assert_eq!(Timeouts::total_secs(60.0).connect, DEFAULT_CONNECT);
    }
}
