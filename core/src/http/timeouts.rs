//! Time bounds of a request.

use std::time::Duration;

/// Time bounds of a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Bound on establishing a connection.
    pub connect: Duration,
    /// Bound on any gap between two reads of a response; `None` for no bound.
    pub read_idle: Option<Duration>,
    /// Bound on a whole JSON request (headers and body); `None` for no bound.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            read_idle: None,
            total: Some(Duration::from_secs(60)),
        }
    }
}

impl Timeouts {
    /// One number of seconds as the total bound, the connect bound kept at most that long.
    pub fn total_secs(secs: f64) -> Self {
        let total = Duration::from_secs_f64(secs.max(0.0));
        Self {
            connect: total.min(Self::default().connect),
            read_idle: None,
            total: Some(total),
        }
    }
}
