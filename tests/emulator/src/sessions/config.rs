//! Settings of the sessions API emulation: agent pace, limits, timeouts, credits and format
//! switches. Defaults follow the spec; tests change them through
//! [`crate::Emulator::set_sessions_config`] or `POST /_emulator/sessions/config`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether credits only record debits (`soft`) or also refuse turns with 402 (`hard`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum CreditsMode {
    /// Debits are recorded, turns are never refused.
    #[default]
    Soft,
    /// A turn is refused with 402 while the balance is under `credits_min_balance`.
    Hard,
}

/// Knobs of the sessions API; every field has the spec's default.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// Real milliseconds the scripted agent waits between two events (a message's `pace_ms=N`
    /// or a script's `pace_ms` overrides it for one turn).
    pub pace_ms: u64,
    /// Real milliseconds of stream silence before a `: ping` comment; 0 disables pings.
    pub ping_interval_ms: u64,
    /// Live sessions allowed at once; one more is refused with 429.
    pub max_sessions: usize,
    /// Virtual seconds after its last activity that an idle non-persistent session is destroyed.
    pub idle_timeout_secs: f64,
    /// Virtual seconds a finished turn's event buffer stays resumable.
    pub resume_grace_secs: f64,
    /// Virtual seconds a turn may run before it ends with `message.error` "turn timeout".
    pub turn_timeout_secs: f64,
    /// Virtual seconds the agent waits for a client tool result (`None`: the turn timeout).
    pub tool_result_timeout_secs: Option<f64>,
    /// Virtual seconds an `Idempotency-Key` is remembered.
    pub idempotency_retention_secs: f64,
    /// Largest file upload, in bytes; larger uploads get 413.
    pub upload_limit_bytes: u64,
    /// Largest total size of the workspace, in bytes; an upload past it gets 413.
    pub workspace_limit_bytes: u64,
    /// Stream in the old format: no `id:` lines, no `sequence_number`, no `X-Response-Id`.
    pub old_stream_format: bool,
    /// Report `GET /v1/usage` in the old flat-`windows` shape.
    pub old_usage_shape: bool,
    /// Model names accepted at session creation.
    pub models: Vec<String>,
    /// Model used when a session names none.
    pub default_model: String,
    /// Session turns allowed per rolling hour.
    pub hour_max_turns: u64,
    /// Tokens allowed per rolling hour.
    pub hour_max_tokens: u64,
    /// Session turns allowed per rolling day.
    pub day_max_turns: u64,
    /// Tokens allowed per rolling day.
    pub day_max_tokens: u64,
    /// Whether credits are reported and debited.
    pub credits_enabled: bool,
    /// `soft` or `hard`.
    pub credits_mode: CreditsMode,
    /// Current balance; completed turns debit it.
    pub credits_balance: f64,
    /// Debit per completed turn.
    pub credits_per_turn: f64,
    /// In `hard` mode, a turn needs at least this balance to start.
    pub credits_min_balance: f64,
    /// Answer `GET /health` with 503.
    pub degraded: bool,
    /// Most regular files in one skill bundle; one more is refused with 413.
    pub skill_max_files: u64,
    /// Largest unpacked size of one skill bundle, in bytes (50 MB); larger is 413.
    pub skill_max_total_bytes: u64,
    /// Largest unpacked file in a skill bundle, in bytes (25 MB); larger is 413.
    pub skill_max_file_bytes: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            pace_ms: 3,
            ping_interval_ms: 15_000,
            max_sessions: 10,
            idle_timeout_secs: 300.0,
            resume_grace_secs: 120.0,
            turn_timeout_secs: 90.0 * 60.0,
            tool_result_timeout_secs: None,
            idempotency_retention_secs: 24.0 * 3600.0,
            upload_limit_bytes: 104_857_600,
            workspace_limit_bytes: 100 * 1024 * 1024 * 1024,
            old_stream_format: false,
            old_usage_shape: false,
            models: vec![
                "pokee-isaac-high-reasoning".to_owned(),
                "pokee-isaac".to_owned(),
            ],
            default_model: "pokee-isaac-high-reasoning".to_owned(),
            hour_max_turns: 500,
            hour_max_tokens: 100_000_000,
            day_max_turns: 5000,
            day_max_tokens: 1_000_000_000,
            credits_enabled: true,
            credits_mode: CreditsMode::Soft,
            credits_balance: 100_000.0,
            credits_per_turn: 1.0,
            credits_min_balance: 1.0,
            degraded: false,
            skill_max_files: 1000,
            skill_max_total_bytes: 50_000_000,
            skill_max_file_bytes: 25_000_000,
        }
    }
}

impl SessionsConfig {
    /// This config with the fields of the JSON object `patch` replaced; unknown fields and
    /// wrong types are errors.
    pub(crate) fn merged(&self, patch: &Value) -> Result<SessionsConfig, String> {
        let Value::Object(patch) = patch else {
            return Err("config patch must be a JSON object".into());
        };
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        if let Value::Object(fields) = &mut current {
            for (name, value) in patch {
                fields.insert(name.clone(), value.clone());
            }
        }
        serde_json::from_value(current).map_err(|e| e.to_string())
    }

    /// How long the agent waits for a client tool result, in virtual seconds.
    pub(crate) fn tool_wait_secs(&self) -> f64 {
        self.tool_result_timeout_secs
            .unwrap_or(self.turn_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_replaces_known_fields_only() {
        let base = SessionsConfig::default();
        let merged = base
            .merged(&json!({"pace_ms": 0, "credits_mode": "hard"}))
            .expect("valid patch");
        assert_eq!(merged.pace_ms, 0);
        assert_eq!(merged.credits_mode, CreditsMode::Hard);
        assert_eq!(merged.max_sessions, 10);
        assert!(base.merged(&json!({"nope": 1})).is_err());
        assert!(base.merged(&json!({"pace_ms": "fast"})).is_err());
        assert!(base.merged(&json!([1])).is_err());
    }
}
