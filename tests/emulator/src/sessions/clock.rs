//! The virtual clock of the sessions API: real time plus an offset that tests advance, so
//! TTLs, idle timeouts, buffer eviction and turn timeouts can be crossed without waiting.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

use crate::state::lock;

/// Virtual time in Unix epoch seconds; every change is announced to waiting turns.
pub(crate) struct VirtualClock {
    state: Mutex<ClockState>,
    changes: watch::Sender<u64>,
}

#[derive(Default)]
struct ClockState {
    offset_secs: f64,
    /// While frozen, time stands still at this value (advancing still moves it).
    frozen_at: Option<f64>,
}

/// What `GET /_emulator/clock` reports.
#[derive(Serialize)]
pub(crate) struct ClockView {
    now: f64,
    offset_secs: f64,
    frozen: bool,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock {
            state: Mutex::new(ClockState::default()),
            changes: watch::channel(0).0,
        }
    }
}

impl VirtualClock {
    /// The current virtual time.
    pub(crate) fn now(&self) -> f64 {
        let state = lock(&self.state);
        state
            .frozen_at
            .unwrap_or_else(|| real_now() + state.offset_secs)
    }

    /// Moves virtual time forward by `secs`.
    pub(crate) fn advance(&self, secs: f64) {
        {
            let mut state = lock(&self.state);
            state.offset_secs += secs;
            if let Some(frozen) = state.frozen_at.as_mut() {
                *frozen += secs;
            }
        }
        self.announce();
    }

    /// Stops or restarts the passing of real time; the current value is kept either way.
    pub(crate) fn set_frozen(&self, frozen: bool) {
        {
            let mut state = lock(&self.state);
            match (frozen, state.frozen_at) {
                (true, None) => state.frozen_at = Some(real_now() + state.offset_secs),
                (false, Some(at)) => {
                    state.offset_secs = at - real_now();
                    state.frozen_at = None;
                }
                _ => {}
            }
        }
        self.announce();
    }

    /// Back to real time.
    pub(crate) fn reset(&self) {
        *lock(&self.state) = ClockState::default();
        self.announce();
    }

    /// A receiver that wakes whenever the clock is moved by hand.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub(crate) fn view(&self) -> ClockView {
        let state = lock(&self.state);
        ClockView {
            now: state
                .frozen_at
                .unwrap_or_else(|| real_now() + state.offset_secs),
            offset_secs: state.offset_secs,
            frozen: state.frozen_at.is_some(),
        }
    }

    fn announce(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }
}

fn real_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Rounds a timestamp to milliseconds, so records print like the docs' `1777222996.07`.
pub(crate) fn round_ms(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}
