//! The E19 request body (spec §2.18): `input` (a string, or OpenAI Responses items), `model`,
//! `tools` (flat function tools, within the §2.18 limits), `reasoning`, `stream`. Other
//! OpenAI fields are accepted and ignored, so OpenAI's SDKs can send their usual bodies.

use serde_json::{Map, Value};

use crate::sessions::parse_tools;

/// A function output sent after the last user message: the answer quotes it.
pub(crate) struct FreshOutput {
    pub(crate) name: String,
    pub(crate) output: String,
}

/// A checked request.
pub(crate) struct Parsed {
    pub(crate) model: String,
    pub(crate) tools: Vec<Value>,
    pub(crate) instructions: Option<String>,
    pub(crate) effort: Option<String>,
    pub(crate) stream: bool,
    /// The text of the last user message (where the magic words are read).
    pub(crate) last_user_text: String,
    /// `function_call_output` items after the last user message, in order.
    pub(crate) fresh_outputs: Vec<FreshOutput>,
    /// Characters of input text, for the usage estimate.
    pub(crate) input_chars: usize,
}

impl Parsed {
    /// The declared tool called `name`.
    pub(crate) fn tool(&self, name: &str) -> Option<&Value> {
        self.tools
            .iter()
            .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
    }
}

const EFFORTS: [&str; 4] = ["minimal", "low", "medium", "high"];

/// Checks `body`; the error is the 400 message.
pub(crate) fn parse(
    body: &Map<String, Value>,
    models: &[String],
    default_model: &str,
) -> Result<Parsed, String> {
    let model = match body.get("model") {
        None | Some(Value::Null) => default_model.to_owned(),
        Some(Value::String(m)) if models.contains(m) => m.clone(),
        Some(Value::String(m)) => return Err(format!("unknown model {m:?}")),
        Some(_) => return Err("model must be a string".into()),
    };
    let tools = match body.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tools)) => parse_tools(tools)?,
        Some(_) => return Err("tools must be an array".into()),
    };
    let instructions = match body.get("instructions") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("instructions must be a string".into()),
    };
    let effort = match body.get("reasoning") {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => match r.get("effort") {
            None | Some(Value::Null) => None,
            Some(Value::String(e)) if EFFORTS.contains(&e.as_str()) => Some(e.clone()),
            Some(_) => {
                return Err("reasoning.effort must be minimal, low, medium or high".into());
            }
        },
        Some(_) => return Err("reasoning must be an object".into()),
    };
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("stream must be a boolean".into()),
    };
    let mut parsed = Parsed {
        model,
        tools,
        instructions,
        effort,
        stream,
        last_user_text: String::new(),
        fresh_outputs: Vec::new(),
        input_chars: 0,
    };
    match body.get("input") {
        None | Some(Value::Null) => return Err("input is required".into()),
        Some(Value::String(text)) if text.is_empty() => {
            return Err("input must not be empty".into());
        }
        Some(Value::String(text)) => {
            parsed.input_chars = text.chars().count();
            parsed.last_user_text = text.clone();
        }
        Some(Value::Array(items)) if items.is_empty() => {
            return Err("input must not be empty".into());
        }
        Some(Value::Array(items)) => read_items(items, &mut parsed)?,
        Some(_) => return Err("input must be a string or an array of items".into()),
    }
    Ok(parsed)
}

/// Reads the items of an `input` array into `parsed`.
fn read_items(items: &[Value], parsed: &mut Parsed) -> Result<(), String> {
    // call_id → name of the function calls seen so far.
    let mut calls: Vec<(String, String)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            return Err(format!("input[{i}] must be an object"));
        };
        let kind = match item.get("type") {
            None => "message",
            Some(Value::String(t)) => t.as_str(),
            Some(_) => return Err(format!("input[{i}].type must be a string")),
        };
        let text = |field: &str| -> Result<String, String> {
            match item.get(field) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(format!("input[{i}].{field} must be a non-empty string")),
            }
        };
        match kind {
            "message" => {
                let role = text("role")?;
                if !["user", "assistant", "system", "developer"].contains(&role.as_str()) {
                    return Err(format!("input[{i}].role {role:?} is not a known role"));
                }
                let content = message_text(item.get("content"))
                    .ok_or_else(|| format!("input[{i}].content must be a string or parts"))?;
                parsed.input_chars += content.chars().count();
                if role == "user" {
                    parsed.last_user_text = content;
                    parsed.fresh_outputs.clear();
                }
            }
            "function_call" => {
                let call_id = text("call_id")?;
                let name = text("name")?;
                if !matches!(item.get("arguments"), Some(Value::String(_))) {
                    return Err(format!("input[{i}].arguments must be a JSON string"));
                }
                calls.push((call_id, name));
            }
            "function_call_output" => {
                let call_id = text("call_id")?;
                let output = match item.get("output") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => {
                        return Err(format!("input[{i}].output is required"));
                    }
                    Some(other) => other.to_string(),
                };
                let Some((_, name)) = calls.iter().find(|(id, _)| *id == call_id) else {
                    return Err(format!(
                        "input[{i}]: no function_call with call_id {call_id:?} precedes this output"
                    ));
                };
                parsed.input_chars += output.chars().count();
                parsed.fresh_outputs.push(FreshOutput {
                    name: name.clone(),
                    output,
                });
            }
            // Items OpenAI's SDKs send back from earlier outputs; nothing to read in them.
            "reasoning" | "item_reference" => {}
            other => return Err(format!("input[{i}]: unsupported item type {other:?}")),
        }
    }
    Ok(())
}

/// The text of a message's `content`: a string, or the text of its text parts.
fn message_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let mut text = String::new();
            for part in parts {
                let Value::Object(part) = part else {
                    return None;
                };
                match part.get("type").and_then(Value::as_str) {
                    Some("input_text" | "output_text" | "text") => {
                        text.push_str(part.get("text")?.as_str()?);
                    }
                    Some(_) => {}
                    None => return None,
                }
            }
            Some(text)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(body: Value) -> Result<Parsed, String> {
        let Value::Object(body) = body else {
            panic!("object")
        };
        parse(&body, &["m".to_owned()], "m")
    }

    #[test]
    fn inputs_and_their_last_user_message() {
        let p = parsed(json!({"input": "hi tool=f"})).expect("string input");
        assert_eq!(p.last_user_text, "hi tool=f");
        let p = parsed(json!({"input": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "input_text", "text": "weather tool=f"}]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"}
        ]}))
        .expect("items");
        assert_eq!(p.last_user_text, "weather tool=f");
        assert_eq!(p.fresh_outputs.len(), 1);
        assert_eq!(p.fresh_outputs[0].name, "f");
        let p = parsed(json!({"input": [
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {"role": "user", "content": "again"}
        ]}))
        .expect("items");
        assert!(p.fresh_outputs.is_empty());
    }

    #[test]
    fn bad_bodies_are_400() {
        for body in [
            json!({}),
            json!({"input": ""}),
            json!({"input": []}),
            json!({"input": 3}),
            json!({"input": [3]}),
            json!({"input": [{"role": "robot", "content": "x"}]}),
            json!({"input": [{"type": "function_call_output", "call_id": "nope", "output": "x"}]}),
            json!({"input": [{"type": "mystery"}]}),
            json!({"input": "x", "model": "other"}),
            json!({"input": "x", "stream": "yes"}),
            json!({"input": "x", "reasoning": {"effort": "extreme"}}),
            json!({"input": "x", "tools": [{"type": "function", "name": "x".repeat(65)}]}),
        ] {
            assert!(parsed(body.clone()).is_err(), "{body}");
        }
    }
}
