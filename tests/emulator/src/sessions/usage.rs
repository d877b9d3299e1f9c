//! Rate-limit windows and credits for `GET /v1/usage` (spec §7): turns are counted when they
//! start, tokens added when they complete, both in rolling windows of virtual time.

use serde_json::{Value, json};

use super::config::{CreditsMode, SessionsConfig};

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

struct TurnRecord {
    rid: String,
    at: f64,
    tokens: u64,
}

/// Session turns of the last day.
#[derive(Default)]
pub(crate) struct UsageLog {
    turns: Vec<TurnRecord>,
}

struct Window {
    name: &'static str,
    secs: f64,
    max_turns: u64,
    max_tokens: u64,
}

fn windows(config: &SessionsConfig) -> [Window; 2] {
    [
        Window {
            name: "hour",
            secs: HOUR,
            max_turns: config.hour_max_turns,
            max_tokens: config.hour_max_tokens,
        },
        Window {
            name: "day",
            secs: DAY,
            max_turns: config.day_max_turns,
            max_tokens: config.day_max_tokens,
        },
    ]
}

impl UsageLog {
    fn prune(&mut self, now: f64) {
        self.turns.retain(|t| now - t.at < DAY);
    }

    fn totals(&self, now: f64, secs: f64) -> (u64, u64) {
        self.turns
            .iter()
            .filter(|t| now - t.at < secs)
            .fold((0, 0), |(n, tokens), t| (n + 1, tokens + t.tokens))
    }

    /// `Err(retry_after_secs)` when a window is exhausted.
    pub(crate) fn check(&mut self, now: f64, config: &SessionsConfig) -> Result<(), u64> {
        self.prune(now);
        for window in windows(config) {
            let (turns, tokens) = self.totals(now, window.secs);
            if turns >= window.max_turns || tokens >= window.max_tokens {
                let oldest = self
                    .turns
                    .iter()
                    .filter(|t| now - t.at < window.secs)
                    .map(|t| t.at)
                    .fold(now, f64::min);
                let wait = (oldest + window.secs - now).ceil().max(1.0);
                return Err(wait as u64);
            }
        }
        Ok(())
    }

    /// Counts a turn that starts now.
    pub(crate) fn start_turn(&mut self, rid: &str, now: f64) {
        self.prune(now);
        self.turns.push(TurnRecord {
            rid: rid.to_owned(),
            at: now,
            tokens: 0,
        });
    }

    /// Adds a completed turn's tokens.
    pub(crate) fn add_tokens(&mut self, rid: &str, tokens: u64) {
        if let Some(turn) = self.turns.iter_mut().find(|t| t.rid == rid) {
            turn.tokens += tokens;
        }
    }

    /// The E15 body, in the current (`buckets`) or old (flat `windows`) shape; this log is the
    /// `session_turn` bucket, `responses` the `response` bucket (stateless responses).
    pub(crate) fn body(
        &mut self,
        responses: &mut UsageLog,
        now: f64,
        config: &SessionsConfig,
    ) -> Value {
        self.prune(now);
        responses.prune(now);
        let window_rows = |log: &UsageLog| -> Vec<Value> {
            windows(config)
                .iter()
                .map(|w| {
                    let (turns, tokens) = log.totals(now, w.secs);
                    json!({
                        "name": w.name,
                        "duration_seconds": w.secs as u64,
                        "turns": turns,
                        "max_turns": w.max_turns,
                        "tokens": tokens,
                        "max_tokens": w.max_tokens,
                        "enabled": true,
                    })
                })
                .collect()
        };
        let rate_limit = if config.old_usage_shape {
            json!({"caller_id": "default", "windows": window_rows(self)})
        } else {
            json!({
                "caller_id": "default",
                "buckets": {
                    "session_turn": {"windows": window_rows(self)},
                    "response": {"windows": window_rows(responses)},
                },
            })
        };
        let mode = match config.credits_mode {
            CreditsMode::Soft => "soft",
            CreditsMode::Hard => "hard",
        };
        json!({
            "rate_limit": rate_limit,
            "credits": {
                "enabled": config.credits_enabled,
                "mode": mode,
                "balance": (config.credits_balance * 100.0).round() / 100.0,
            },
        })
    }
}

/// Whether `hard` credits refuse a new turn (402).
pub(crate) fn credits_exhausted(config: &SessionsConfig) -> bool {
    config.credits_enabled
        && config.credits_mode == CreditsMode::Hard
        && config.credits_balance < config.credits_min_balance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_roll_and_limit() {
        let config = SessionsConfig {
            hour_max_turns: 2,
            ..SessionsConfig::default()
        };
        let mut log = UsageLog::default();
        log.start_turn("a", 0.0);
        log.add_tokens("a", 10);
        assert!(log.check(1.0, &config).is_ok());
        log.start_turn("b", 10.0);
        assert_eq!(log.check(20.0, &config), Err(3580));
        assert!(log.check(3601.0, &config).is_ok());
        let mut responses = UsageLog::default();
        responses.start_turn("resp_1", 5.0);
        let body = log.body(&mut responses, 20.0, &config);
        assert_eq!(
            body["rate_limit"]["buckets"]["response"]["windows"][0]["turns"],
            1
        );
        let hour = &body["rate_limit"]["buckets"]["session_turn"]["windows"][0];
        assert_eq!(hour["turns"], 2);
        assert_eq!(hour["tokens"], 10);
        let old = log.body(
            &mut responses,
            20.0,
            &SessionsConfig {
                old_usage_shape: true,
                ..config
            },
        );
        assert_eq!(old["rate_limit"]["windows"][1]["name"], "day");
    }
}
