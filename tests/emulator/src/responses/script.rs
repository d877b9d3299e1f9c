//! What a stateless response produces: a [`ResponseScript`] queued through the control
//! surface, or one built from the request (the magic words of its last user message, a
//! `function_call_output` to quote).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::request::Parsed;
use crate::sessions::{MAX_EVENTS, TokenUsage, parse_magic};

/// The output of one stateless response (E19). The lifecycle events (`response.created`,
/// `response.in_progress`, the terminal) come on their own; the steps make the output items.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseScript {
    /// Output items, in order.
    pub output: Vec<ResponseStep>,
    /// How the response ends.
    pub outcome: ResponseOutcome,
    /// Real milliseconds between streamed events (default: the sessions config's `pace_ms`).
    pub pace_ms: Option<u64>,
    /// Real milliseconds to wait (interruptibly) before the first output item.
    pub sleep_ms: Option<u64>,
    /// Token counts to report (default: derived from the input and the output).
    pub usage: Option<TokenUsage>,
}

/// One output item of a [`ResponseScript`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResponseStep {
    /// An assistant `message` item with one `output_text` part: one delta per word of `text`,
    /// or exactly `deltas` deltas cycling through the words.
    Text {
        /// The text.
        text: String,
        /// Exact number of `response.output_text.delta` events.
        #[serde(default)]
        deltas: Option<u64>,
    },
    /// A `function_call` item; `arguments` (an object) is sent as a JSON string.
    FunctionCall {
        /// The function's name.
        name: String,
        /// The arguments object.
        #[serde(default)]
        arguments: Value,
    },
}

/// How a stateless response ends.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResponseOutcome {
    /// `response.completed` with usage.
    #[default]
    Completed,
    /// `response.failed` with this error message.
    Failed {
        /// The error message.
        error: String,
    },
}

/// Lifecycle and part events of a text answer besides its deltas: created, in_progress,
/// output_item.added, content_part.added, output_text.done, content_part.done,
/// output_item.done, and the terminal.
const FIXED_TEXT_EVENTS: u64 = 8;

/// Checks what a queued script must get right.
pub(crate) fn validate(script: &ResponseScript) -> Result<(), String> {
    for step in &script.output {
        match step {
            ResponseStep::Text { deltas, .. } if deltas.is_some_and(|n| n > MAX_EVENTS) => {
                return Err(format!("at most {MAX_EVENTS} deltas per text item"));
            }
            ResponseStep::FunctionCall { name, arguments } => {
                if name.is_empty() || name.chars().any(char::is_control) {
                    return Err(format!("function_call: invalid name {name:?}"));
                }
                if !(arguments.is_null() || arguments.is_object()) {
                    return Err(format!(
                        "function_call {name:?}: arguments must be an object"
                    ));
                }
            }
            ResponseStep::Text { .. } => {}
        }
    }
    Ok(())
}

/// The response for a request when no script is queued: the answer quoting the function
/// outputs sent after the last user message; else a `function_call` for `tool=NAME` (a
/// declared tool); else an echo of the last user message. `events=N`, `pace_ms=N`,
/// `sleep_ms=N` and `error=TEXT` work as for session turns.
pub(crate) fn default_script(request: &Parsed) -> ResponseScript {
    let magic = parse_magic(&request.last_user_text);
    let step = if !request.fresh_outputs.is_empty() {
        let quoted: Vec<String> = request
            .fresh_outputs
            .iter()
            .map(|o| format!("{} returned: {}", o.name, o.output))
            .collect();
        ResponseStep::Text {
            text: quoted.join("\n"),
            deltas: None,
        }
    } else if let Some(tool) = magic.tool.as_ref().and_then(|name| request.tool(name)) {
        ResponseStep::FunctionCall {
            name: tool
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            arguments: example(tool.get("parameters").unwrap_or(&Value::Null), "", 0),
        }
    } else {
        ResponseStep::Text {
            text: format!("Echo: {}", request.last_user_text),
            deltas: magic.events.map(|n| n.saturating_sub(FIXED_TEXT_EVENTS)),
        }
    };
    ResponseScript {
        output: vec![step],
        outcome: match magic.error {
            Some(error) => ResponseOutcome::Failed { error },
            None => ResponseOutcome::Completed,
        },
        pace_ms: magic.pace_ms,
        sleep_ms: magic.sleep_ms,
        usage: None,
    }
}

/// A value valid for the JSON schema `schema` (the common subset: `type`, `enum`, `const`,
/// `properties`, `items`); `key` names the property it fills.
fn example(schema: &Value, key: &str, depth: usize) -> Value {
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() || key.is_empty() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if depth < 8 {
                if let Some(Value::Object(properties)) = schema.get("properties") {
                    for (name, sub) in properties {
                        object.insert(name.clone(), example(sub, name, depth + 1));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => match schema.get("items") {
            Some(items) if depth < 8 => json!([example(items, key, depth + 1)]),
            _ => json!([]),
        },
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => json!(example_text(key)),
    }
}

fn example_text(key: &str) -> String {
    match key {
        "location" | "city" => "Paris".to_owned(),
        "" => "example".to_owned(),
        other => format!("example {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "exact": {"type": ["boolean", "null"]},
                "nested": {"type": "object", "properties": {"x": {"type": "number"}}}
            },
            "required": ["location"],
            "additionalProperties": false
        });
        assert_eq!(
            example(&schema, "", 0),
            json!({
                "location": "Paris",
                "unit": "celsius",
                "days": 1,
                "tags": ["example tags"],
                "exact": true,
                "nested": {"x": 1.5}
            })
        );
        assert_eq!(example(&Value::Null, "", 0), json!({}));
    }

    #[test]
    fn scripts_parse_and_validate() {
        let script: ResponseScript = serde_json::from_value(json!({
            "output": [
                {"type": "text", "text": "hi", "deltas": 3},
                {"type": "function_call", "name": "f", "arguments": {"a": 1}}
            ],
            "outcome": {"type": "failed", "error": "boom"}
        }))
        .expect("valid script");
        assert!(validate(&script).is_ok());
        let bad = ResponseScript {
            output: vec![ResponseStep::FunctionCall {
                name: "f".into(),
                arguments: json!([1]),
            }],
            ..ResponseScript::default()
        };
        assert!(validate(&bad).is_err());
        assert!(serde_json::from_value::<ResponseScript>(json!({"nope": 1})).is_err());
    }
}
