//! What `POST /v1/responses` sends: the input (text or `OpenAI` Responses items), model, tools,
//! reasoning, and any other `OpenAI` field passed through.

use super::response::OutputItem;
use super::tools::FunctionTool;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One item of a response's input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InputItem {
    /// A message: `role` is `user`, `assistant`, `system` or `developer`.
    Message {
        /// Who speaks.
        role: String,
        /// What they say.
        content: String,
    },
    /// The result of a `function_call`, answering it by `call_id`.
    FunctionCallOutput {
        /// The call answered.
        call_id: String,
        /// What the function returned (text, often JSON).
        output: String,
    },
    /// An item of an earlier response's output, sent back as it came (the history).
    Output(OutputItem),
    /// Any other item, as JSON.
    Raw(Value),
}

impl InputItem {
    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::message("user", content)
    }

    /// A message from `role`.
    pub fn message(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self::Message {
            role: role.into(),
            content: content.into(),
        }
    }

    /// The output of the call `call_id`.
    pub fn function_call_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Self::FunctionCallOutput {
            call_id: call_id.into(),
            output: output.into(),
        }
    }
}

impl From<OutputItem> for InputItem {
    fn from(item: OutputItem) -> Self {
        Self::Output(item)
    }
}

impl Serialize for InputItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Message { role, content } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("type", "message")?;
                m.serialize_entry("role", role)?;
                m.serialize_entry("content", content)?;
                m.end()
            }
            Self::FunctionCallOutput { call_id, output } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("type", "function_call_output")?;
                m.serialize_entry("call_id", call_id)?;
                m.serialize_entry("output", output)?;
                m.end()
            }
            Self::Output(item) => item.serialize(s),
            Self::Raw(value) => value.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for InputItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        let kind = raw.get("type").and_then(Value::as_str);
        Ok(match kind {
            None | Some("message") => match (text("role"), text("content")) {
                (Some(role), Some(content)) => Self::Message { role, content },
                _ => Self::Output(OutputItem::from_value(raw)),
            },
            Some("function_call_output") => match (text("call_id"), text("output")) {
                (Some(call_id), Some(output)) => Self::FunctionCallOutput { call_id, output },
                _ => Self::Raw(raw),
            },
            Some(_) => Self::Output(OutputItem::from_value(raw)),
        })
    }
}

/// A response's input: one user message, or items (the conversation so far).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ResponseInput {
    /// One user message.
    Text(String),
    /// Items, oldest first.
    Items(Vec<InputItem>),
}

impl Default for ResponseInput {
    fn default() -> Self {
        Self::Items(Vec::new())
    }
}

impl ResponseInput {
    /// The input as items (text becomes one user message).
    pub fn into_items(self) -> Vec<InputItem> {
        match self {
            Self::Text(text) => vec![InputItem::user(text)],
            Self::Items(items) => items,
        }
    }
}

impl From<&str> for ResponseInput {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for ResponseInput {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Vec<InputItem>> for ResponseInput {
    fn from(items: Vec<InputItem>) -> Self {
        Self::Items(items)
    }
}

/// Extended thinking: `effort` is `minimal` (none), `low`, `medium` or `high`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reasoning {
    /// How hard the model thinks.
    pub effort: String,
}

impl Reasoning {
    /// Reasoning at `effort`.
    pub fn effort(effort: impl Into<String>) -> Self {
        Self {
            effort: effort.into(),
        }
    }
}

/// A stateless response request (`POST /v1/responses`); `stream` is set by the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateResponse {
    /// Text (one user message) or the conversation's items.
    pub input: ResponseInput,
    /// The model (tenant default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// System instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Functions the model may call (at most 128; checked before sending).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<FunctionTool>,
    /// Extended thinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Other `OpenAI` Responses fields, sent as given (`temperature`, `metadata`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateResponse {
    /// A request for `input` (text or items).
    pub fn new(input: impl Into<ResponseInput>) -> Self {
        Self {
            input: input.into(),
            ..Self::default()
        }
    }

    /// Sets the model.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the system instructions.
    #[must_use]
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Adds a function tool.
    #[must_use]
    pub fn tool(mut self, tool: FunctionTool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Sets the reasoning effort (`minimal`, `low`, `medium`, `high`).
    #[must_use]
    pub fn reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.reasoning = Some(Reasoning::effort(effort));
        self
    }

    /// Sets any other `OpenAI` Responses field.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_serialize_in_the_openai_shape() {
        let request = CreateResponse::new(vec![
            InputItem::message("system", "be brief"),
            InputItem::user("hi"),
            InputItem::function_call_output("call_1", "42"),
        ])
        .model("pokee-isaac")
        .reasoning_effort("low")
        .param("temperature", json!(0.2));
        assert_eq!(
            serde_json::to_value(&request).ok(),
            Some(json!({
                "input": [
                    {"type": "message", "role": "system", "content": "be brief"},
                    {"type": "message", "role": "user", "content": "hi"},
                    {"type": "function_call_output", "call_id": "call_1", "output": "42"}
                ],
                "model": "pokee-isaac",
                "reasoning": {"effort": "low"},
                "temperature": 0.2
            }))
        );
        assert_eq!(
            serde_json::to_value(CreateResponse::new("hello")).ok(),
            Some(json!({"input": "hello"}))
        );
        let items = ResponseInput::from("q").into_items();
        assert_eq!(items, [InputItem::user("q")]);
    }
}
