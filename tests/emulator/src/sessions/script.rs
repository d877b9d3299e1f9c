//! What the scripted agent does in a turn: [`TurnScript`], queued by tests for a session's
//! next turn, or built from the message text when no script is queued.
//!
//! Magic words in a message shape the default turn: `events=N` (exactly N events in total, at
//! most [`MAX_EVENTS`]),
//! `pace_ms=N`, `sleep_ms=N` (an interruptible pause before the answer), `tool=NAME` (call a
//! client tool and wait for E10) and `error=TEXT` (end with `message.error`). A message that
//! mentions a presentation (`presentation`, `ppt`, `slide`, `deck`) gets the long-running
//! recipe's turn: progress in `metadata.temasek_status` and `output/deck.pptx`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Token counts reported in `message.completed.usage`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
}

/// One turn of the scripted agent. `message.created` comes first and the terminal event last
/// on their own; the steps produce what lies between.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TurnScript {
    /// What happens, in order.
    pub steps: Vec<ScriptStep>,
    /// How the turn ends.
    pub outcome: TurnOutcome,
    /// Real milliseconds between events for this turn (default: the config's `pace_ms`).
    pub pace_ms: Option<u64>,
    /// Token counts to report (default: derived from the message and the text sent).
    pub usage: Option<TokenUsage>,
}

/// One step of a [`TurnScript`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScriptStep {
    /// `text.start`, deltas, `text.stop`: one delta per word of `text`, or exactly `deltas`
    /// deltas cycling through the words.
    Text {
        /// The text to send.
        text: String,
        /// Exact number of `text.delta` events.
        #[serde(default)]
        deltas: Option<u64>,
    },
    /// `thinking.start`, deltas, `thinking.stop`, like `Text`.
    Thinking {
        /// The reasoning trace to send.
        text: String,
        /// Exact number of `thinking.delta` events.
        #[serde(default)]
        deltas: Option<u64>,
    },
    /// The agent runs one of its own tools: `tool_use.start`, `tool_use.input_delta`,
    /// `tool_use.executing`, `tool_use.stop`, `tool_result`.
    ToolUse {
        /// Tool name, e.g. `web_search`.
        name: String,
        /// The tool's input object.
        #[serde(default)]
        input: Value,
        /// What `tool_result.content` carries.
        #[serde(default)]
        output: Value,
        /// `tool_result.is_error`.
        #[serde(default)]
        is_error: bool,
    },
    /// `tool_call.requested` for a client tool, then wait for E10, then `tool_result`.
    ToolCall {
        /// Tool name from the session's `tools`.
        name: String,
        /// Arguments object; sent as a JSON string, as OpenAI does.
        #[serde(default)]
        arguments: Value,
    },
    /// Any event verbatim (`data` must be a JSON object).
    Event {
        /// Event name.
        event: String,
        /// Event payload.
        #[serde(default)]
        data: Value,
    },
    /// Sets (or, with `null`, removes) keys of the session's `metadata`.
    Metadata {
        /// Keys to change.
        set: Map<String, Value>,
    },
    /// Writes a workspace file (under `.sessions/{id}/` when `path` is outside the session's
    /// write scope).
    File {
        /// Workspace-relative path.
        path: String,
        /// File content; repeated up to `size` bytes when `size` is given.
        #[serde(default)]
        content: String,
        /// Exact size in bytes.
        #[serde(default)]
        size: Option<u64>,
    },
    /// Waits this many real milliseconds (a cancel, abort or clock move interrupts it).
    Sleep {
        /// Milliseconds to wait.
        ms: u64,
    },
}

/// How a scripted turn ends.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TurnOutcome {
    /// `message.completed` with usage.
    #[default]
    Completed,
    /// `message.error` with this error text.
    Error {
        /// The `error` field.
        error: String,
    },
}

/// Most events one turn may have, so a message cannot make the emulator buffer without end.
pub(crate) const MAX_EVENTS: u64 = 1_000_000;
/// Largest file a script step may write.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Words recognised in a message.
#[derive(Default)]
pub(crate) struct Magic {
    pub(crate) events: Option<u64>,
    pub(crate) pace_ms: Option<u64>,
    pub(crate) sleep_ms: Option<u64>,
    pub(crate) tool: Option<String>,
    pub(crate) error: Option<String>,
}

/// The magic words of a message (also read from the last user message of a stateless
/// response's input).
pub(crate) fn parse_magic(message: &str) -> Magic {
    let mut magic = Magic::default();
    for word in message.split_whitespace() {
        let Some((key, value)) = word.split_once('=') else {
            continue;
        };
        let value = value.trim_end_matches(['.', ',', ';']);
        match key {
            "events" => magic.events = value.parse().ok().map(|n: u64| n.min(MAX_EVENTS)),
            "pace_ms" => magic.pace_ms = value.parse().ok(),
            "sleep_ms" => magic.sleep_ms = value.parse().ok(),
            "tool" if !value.is_empty() => magic.tool = Some(value.to_owned()),
            "error" if !value.is_empty() => magic.error = Some(value.to_owned()),
            _ => {}
        }
    }
    magic
}

fn mentions_presentation(message: &str) -> bool {
    let lower = message.to_lowercase();
    ["presentation", "ppt", "slide", "deck"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Path of the deck the presentation turn writes.
pub(crate) const DECK_PATH: &str = "output/deck.pptx";
/// Path of the answer file the echo turn writes.
pub(crate) const RESULT_PATH: &str = "output/result.md";

/// The turn the agent runs for `message` when no script is queued.
pub(crate) fn default_script(message: &str) -> TurnScript {
    let magic = parse_magic(message);
    let mut steps = Vec::new();
    let mut fixed_events = 4; // created, text.start, text.stop, terminal
    if let Some(ms) = magic.sleep_ms {
        steps.push(ScriptStep::Sleep { ms });
    }
    if let Some(name) = &magic.tool {
        steps.push(ScriptStep::ToolCall {
            name: name.clone(),
            arguments: json!({"query": message}),
        });
        fixed_events += 2;
    }
    let presentation = magic.events.is_none() && mentions_presentation(message);
    if presentation {
        steps.extend(presentation_steps(message));
    } else {
        let answer = format!("Echo: {message}");
        steps.push(ScriptStep::Metadata {
            set: progress("running"),
        });
        steps.push(ScriptStep::Text {
            text: answer.clone(),
            deltas: magic.events.map(|n| n.saturating_sub(fixed_events)),
        });
        steps.push(ScriptStep::File {
            path: RESULT_PATH.to_owned(),
            content: format!("# Result\n\n{answer}\n"),
            size: None,
        });
        steps.push(ScriptStep::Metadata {
            set: progress("done"),
        });
    }
    TurnScript {
        steps,
        outcome: match magic.error {
            Some(error) => TurnOutcome::Error { error },
            None => TurnOutcome::Completed,
        },
        pace_ms: magic.pace_ms,
        usage: None,
    }
}

fn progress(value: &str) -> Map<String, Value> {
    let mut set = Map::new();
    set.insert("progress".into(), Value::String(value.into()));
    set
}

fn status(value: &str) -> ScriptStep {
    let mut set = Map::new();
    set.insert("temasek_status".into(), Value::String(value.into()));
    ScriptStep::Metadata { set }
}

/// The long-running presentation recipe: research, draft, render, with progress keys.
fn presentation_steps(message: &str) -> Vec<ScriptStep> {
    vec![
        status("researching"),
        ScriptStep::Thinking {
            text: "Plan: gather the figures, outline the slides, render the deck.".into(),
            deltas: None,
        },
        ScriptStep::ToolUse {
            name: "web_search".into(),
            input: json!({"query": message}),
            output: json!("Found quarterly figures and analyst commentary."),
            is_error: false,
        },
        status("drafting"),
        ScriptStep::Text {
            text: "Drafting the outline: summary, revenue, segments, outlook.".into(),
            deltas: None,
        },
        status("rendering"),
        ScriptStep::ToolUse {
            name: "python".into(),
            input: json!({"code": "build_deck('/opt/sandbox/workspace/output/deck.pptx')"}),
            output: json!("wrote output/deck.pptx"),
            is_error: false,
        },
        ScriptStep::File {
            path: DECK_PATH.into(),
            // A zip signature first, so tools that sniff the type see an Office file.
            content: "PK\u{3}\u{4}pokee-emulator fake pptx deck; ".into(),
            size: Some(4096),
        },
        ScriptStep::Text {
            text: format!("Your presentation is ready: {DECK_PATH}"),
            deltas: None,
        },
        status("done"),
    ]
}

/// Checks what a queued script must get right: file paths follow the workspace path rules,
/// event names fit on one line, event data is an object, and sizes stay bounded.
pub(crate) fn validate(script: &TurnScript) -> Result<(), String> {
    for step in &script.steps {
        match step {
            ScriptStep::File { path, size, .. } => {
                super::paths::normalize(path, false)
                    .map_err(|reason| format!("file step {path:?}: {reason}"))?;
                if size.is_some_and(|n| n > MAX_FILE_BYTES) {
                    return Err(format!("file step {path:?}: size above {MAX_FILE_BYTES}"));
                }
            }
            ScriptStep::Text { deltas, .. } | ScriptStep::Thinking { deltas, .. }
                if deltas.is_some_and(|n| n > MAX_EVENTS) =>
            {
                return Err(format!("at most {MAX_EVENTS} deltas per block"));
            }
            ScriptStep::Event { event, data } => {
                if event.is_empty() || event.chars().any(char::is_control) {
                    return Err(format!("event step: invalid event name {event:?}"));
                }
                if !(data.is_null() || data.is_object()) {
                    return Err(format!("event step {event:?}: data must be an object"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_words() {
        let script = default_script("hello events=200 pace_ms=0 tool=get_weather error=boom.");
        assert_eq!(script.pace_ms, Some(0));
        assert_eq!(
            script.outcome,
            TurnOutcome::Error {
                error: "boom".into()
            }
        );
        let deltas = script.steps.iter().find_map(|s| match s {
            ScriptStep::Text { deltas, .. } => *deltas,
            _ => None,
        });
        assert_eq!(deltas, Some(194));
        assert!(
            script
                .steps
                .iter()
                .any(|s| matches!(s, ScriptStep::ToolCall { name, .. } if name == "get_weather"))
        );
    }

    #[test]
    fn limits() {
        let script = default_script("events=99999999999999999");
        let deltas = script.steps.iter().find_map(|s| match s {
            ScriptStep::Text { deltas, .. } => *deltas,
            _ => None,
        });
        assert_eq!(deltas, Some(MAX_EVENTS - 4));
        let huge = |step: ScriptStep| TurnScript {
            steps: vec![step],
            ..TurnScript::default()
        };
        assert!(
            validate(&huge(ScriptStep::File {
                path: "a".into(),
                content: String::new(),
                size: Some(u64::MAX),
            }))
            .is_err()
        );
        assert!(
            validate(&huge(ScriptStep::Text {
                text: String::new(),
                deltas: Some(u64::MAX),
            }))
            .is_err()
        );
        assert!(
            validate(&huge(ScriptStep::Event {
                event: "a\nb".into(),
                data: json!({}),
            }))
            .is_err()
        );
    }

    #[test]
    fn presentation_turn_writes_a_deck() {
        let script = default_script("Build a Temasek-style PPT on Q3 NVIDIA performance.");
        assert!(
            script
                .steps
                .iter()
                .any(|s| matches!(s, ScriptStep::File { path, .. } if path == DECK_PATH))
        );
    }

    #[test]
    fn scripts_parse_from_json() {
        let script: TurnScript = serde_json::from_value(json!({
            "steps": [
                {"type": "text", "text": "hi there"},
                {"type": "metadata", "set": {"k": 1}},
                {"type": "sleep", "ms": 5}
            ],
            "outcome": {"type": "error", "error": "x"}
        }))
        .expect("valid script");
        assert_eq!(script.steps.len(), 3);
        assert!(
            serde_json::from_value::<TurnScript>(json!({"steps": [{"type": "nope"}]})).is_err()
        );
    }
}
