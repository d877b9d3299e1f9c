//! Polling a session until its turn is over, reporting progress metadata on the way.

use super::client::PokeeClient;
use super::records::SessionRecord;
use crate::error::{Error, Result, TimeoutPhase};
use std::time::Duration;

/// How [`PokeeClient::wait_idle`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// First wait between two reads (default 1 s).
    pub poll_interval: Duration,
    /// The wait doubles up to this (default 10 s).
    pub max_interval: Duration,
    /// Give up with [`Error::Timeout`] after this long; `None` waits as long as it takes.
    pub deadline: Option<Duration>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            deadline: None,
        }
    }
}

impl WaitOptions {
    /// Polls every `interval`, doubling up to `max` (at least `interval`).
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration, max: Duration) -> Self {
        self.poll_interval = interval;
        self.max_interval = max.max(interval);
        self
    }

    /// Gives up with a [`TimeoutPhase::Wait`] timeout after `deadline`.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

impl PokeeClient {
    /// Polls the session until it is no longer busy and returns that record; `on_progress`
    /// sees the first record and every record that differs from the one before. With a
    /// deadline, the whole wait (polls included) is bounded and ends with a
    /// [`TimeoutPhase::Wait`] timeout.
    pub async fn wait_idle<F>(
        &self,
        session_id: &str,
        opts: WaitOptions,
        on_progress: F,
    ) -> Result<SessionRecord>
    where
        F: FnMut(&SessionRecord),
    {
        let polling = self.poll_until_idle(session_id, opts, on_progress);
        match opts.deadline {
            None => polling.await,
            Some(deadline) => tokio::time::timeout(deadline, polling)
                .await
                .unwrap_or_else(|_| Err(Error::timeout(TimeoutPhase::Wait, deadline))),
        }
    }

    async fn poll_until_idle<F>(
        &self,
        session_id: &str,
        opts: WaitOptions,
        mut on_progress: F,
    ) -> Result<SessionRecord>
    where
        F: FnMut(&SessionRecord),
    {
        let floor = opts.poll_interval.max(Duration::from_millis(1));
        let mut interval = floor;
        let mut previous: Option<SessionRecord> = None;
        loop {
            let record = self.get_session(session_id).await?;
            let changed = previous.as_ref() != Some(&record);
            if changed {
                on_progress(&record);
            }
            if !record.is_busy() {
                return Ok(record);
            }
            if changed && previous.is_some() {
                // Visible progress: look again soon rather than at the backed-off pace.
                interval = floor;
            }
            previous = Some(record);
            tokio::time::sleep(interval).await;
            interval = interval.saturating_mul(2).min(opts.max_interval.max(floor));
        }
    }
}
