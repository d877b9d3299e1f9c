//! Control actions shared by the Rust API ([`crate::Emulator`]) and the `/_emulator/*` routes
//! (which the inspector's page calls); each one leaves a marker in the journal so the
//! inspector shows it between the requests it affects.

use serde_json::Value;

use crate::faults::Fault;
use crate::sessions::{CancelRefusal, SessionsConfig, TurnScript};
use crate::state::AppState;

impl AppState {
    pub(crate) fn add_fault(&self, fault: Fault) -> u64 {
        let description = fault.describe();
        let id = self.faults.add(fault);
        self.note(format!("fault #{id} added: {description}"));
        id
    }

    pub(crate) fn remove_fault(&self, id: u64) -> bool {
        let removed = self.faults.remove(id);
        if removed {
            self.note(format!("fault #{id} removed"));
        }
        removed
    }

    pub(crate) fn clear_faults(&self) {
        self.faults.clear();
        self.note("faults cleared".to_owned());
    }

    pub(crate) fn clear_journal(&self) {
        self.journal.clear();
        self.note("journal cleared".to_owned());
    }

    pub(crate) fn set_journal_capacity(&self, capacity: usize) -> Result<(), String> {
        self.journal.set_capacity(capacity)?;
        self.note(format!("journal capacity set to {capacity}"));
        Ok(())
    }

    pub(crate) fn advance_clock(&self, secs: f64) {
        self.sessions.advance_clock(secs);
        self.note(format!("clock advanced {} s", trim_float(secs)));
    }

    pub(crate) fn freeze_clock(&self, frozen: bool) {
        self.sessions.clock.set_frozen(frozen);
        self.note(
            if frozen {
                "clock frozen"
            } else {
                "clock running"
            }
            .to_owned(),
        );
    }

    /// Replaces the sessions API's settings and names the ones that changed.
    pub(crate) fn set_sessions_config(&self, config: SessionsConfig) {
        let before = serde_json::to_value(self.sessions.config()).unwrap_or_default();
        let after = serde_json::to_value(&config).unwrap_or_default();
        self.sessions.set_config(config);
        let changed: Vec<String> = match (&before, &after) {
            (Value::Object(old), Value::Object(new)) => new
                .iter()
                .filter(|(name, value)| old.get(*name) != Some(value))
                .map(|(name, value)| format!("{name} = {value}"))
                .collect(),
            _ => Vec::new(),
        };
        if !changed.is_empty() {
            self.note(format!("config changed: {}", changed.join(", ")));
        }
    }

    pub(crate) fn script_turn(&self, session_id: &str, script: TurnScript) -> Result<(), String> {
        self.sessions.script_turn(session_id, script)?;
        self.note(format!("turn script queued for {session_id}"));
        Ok(())
    }

    /// Cancels the running turn of a session, as E9 does without a credential.
    pub(crate) fn cancel_turn(&self, session_id: &str) -> Result<(String, bool), CancelRefusal> {
        let (rid, running) = self.sessions.cancel_running(session_id)?;
        if running {
            self.note(format!("turn {rid} of {session_id} cancelled"));
        }
        Ok((rid, running))
    }
}

/// `3600` for whole numbers, `1.5` otherwise.
fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}
