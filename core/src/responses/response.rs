//! A stateless response as the server returns it (`OpenAI`'s Responses shape): output items,
//! usage, status, error. Unknown fields and item types are kept.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One content part of an output message (`output_text`, `refusal`, or anything newer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContentPart {
    /// The part's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of an `output_text` part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields this version does not model (annotations, logprobs, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An assistant message item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutputMessage {
    /// The item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Who speaks (`assistant`).
    #[serde(default)]
    pub role: String,
    /// `in_progress`, `completed`, or anything newer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its parts.
    #[serde(default)]
    pub content: Vec<ContentPart>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OutputMessage {
    /// The text of its `output_text` parts, joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter(|p| p.kind == "output_text")
            .filter_map(|p| p.text.as_deref())
            .collect()
    }
}

/// A call the model asks for; answer it with a `function_call_output` carrying `call_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The item's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the answer refers to.
    pub call_id: String,
    /// The function's name.
    pub name: String,
    /// The arguments object, as JSON text.
    #[serde(default)]
    pub arguments: String,
    /// `in_progress`, `completed`, or anything newer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FunctionCall {
    /// The arguments parsed as JSON.
    pub fn parsed_arguments(&self) -> crate::Result<Value> {
        serde_json::from_str(&self.arguments).map_err(|e| crate::Error::Decode {
            api: "Pokee API",
            what: format!("the arguments of {}", self.name),
            detail: e.to_string(),
            status: 200,
        })
    }
}

/// One item of a response's output.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OutputItem {
    /// `message`: text from the model.
    Message(OutputMessage),
    /// `function_call`: the model wants a function run.
    FunctionCall(FunctionCall),
    /// Any other item (`reasoning`, ...), as JSON.
    Other(Value),
}

impl OutputItem {
    /// Reads an item from its JSON; an unknown or malformed item is kept as `Other`.
    pub fn from_value(raw: Value) -> Self {
        match raw.get("type").and_then(Value::as_str) {
            Some("message") => {
                serde_json::from_value(raw.clone()).map_or(Self::Other(raw), Self::Message)
            }
            Some("function_call") => {
                serde_json::from_value(raw.clone()).map_or(Self::Other(raw), Self::FunctionCall)
            }
            _ => Self::Other(raw),
        }
    }

    /// The item's JSON, `type` included.
    pub fn to_value(&self) -> Value {
        let (kind, mut value) = match self {
            Self::Message(m) => ("message", serde_json::to_value(m).unwrap_or_default()),
            Self::FunctionCall(c) => ("function_call", serde_json::to_value(c).unwrap_or_default()),
            Self::Other(raw) => return raw.clone(),
        };
        if let Value::Object(fields) = &mut value {
            fields.insert("type".into(), Value::String(kind.into()));
        }
        value
    }

    /// The item's type (`message`, `function_call`, ...).
    pub fn kind(&self) -> &str {
        match self {
            Self::Message(_) => "message",
            Self::FunctionCall(_) => "function_call",
            Self::Other(raw) => raw.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl Serialize for OutputItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for OutputItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(Self::from_value)
    }
}

/// Token counts of a response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseUsage {
    /// Prompt tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Generated tokens (reasoning included).
    #[serde(default)]
    pub output_tokens: u64,
    /// Both.
    #[serde(default)]
    pub total_tokens: u64,
    /// Details this version does not model (cached and reasoning tokens, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a response failed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseError {
    /// A short code, when the server gives one.
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: String,
}

/// A stateless response (`resp_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Response {
    /// The response id.
    pub id: String,
    /// `response`.
    #[serde(default)]
    pub object: String,
    /// Creation time, Unix seconds.
    #[serde(default)]
    pub created_at: Option<f64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// `completed`, `failed`, `cancelled`, `in_progress`, or anything newer.
    #[serde(default)]
    pub status: String,
    /// What the model produced, in order.
    #[serde(default)]
    pub output: Vec<OutputItem>,
    /// Token counts, on completion.
    #[serde(default)]
    pub usage: Option<ResponseUsage>,
    /// Why it failed, when it did.
    #[serde(default)]
    pub error: Option<ResponseError>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Response {
    /// The text of every message item, joined (`OpenAI`'s `output_text`).
    pub fn output_text(&self) -> String {
        self.output
            .iter()
            .filter_map(|item| match item {
                OutputItem::Message(m) => Some(m.text()),
                _ => None,
            })
            .collect()
    }

    /// The function calls the model asks for, in order.
    pub fn function_calls(&self) -> Vec<&FunctionCall> {
        self.output
            .iter()
            .filter_map(|item| match item {
                OutputItem::FunctionCall(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// True when the status is `completed`.
    pub fn is_completed(&self) -> bool {
        self.status == "completed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn responses_read_liberally_and_round_trip_items() {
        let raw = json!({
            "id": "resp_1",
            "object": "response",
            "created_at": 1777222996,
            "status": "completed",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                 "content": [{"type": "output_text", "text": "Hi ", "annotations": []},
                             {"type": "refusal", "refusal": "no"},
                             {"type": "output_text", "text": "there"}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f",
                 "arguments": "{\"a\":1}", "status": "completed"}
            ],
            "usage": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7,
                      "output_tokens_details": {"reasoning_tokens": 0}},
            "error": null,
            "brand_new": true
        });
        let response: Response = serde_json::from_value(raw.clone()).expect("decodes");
        assert_eq!(response.output_text(), "Hi there");
        assert_eq!(response.function_calls().len(), 1);
        assert_eq!(
            response.function_calls()[0].parsed_arguments().ok(),
            Some(json!({"a": 1}))
        );
        assert_eq!(response.output[0].kind(), "reasoning");
        assert_eq!(response.usage.as_ref().map(|u| u.total_tokens), Some(7));
        assert!(response.is_completed());
        assert_eq!(response.extra.get("brand_new"), Some(&json!(true)));
        for (item, original) in response
            .output
            .iter()
            .zip(raw["output"].as_array().into_iter().flatten())
        {
            assert_eq!(&item.to_value(), original);
        }
        let failed: Response = serde_json::from_value(json!({
            "id": "resp_2", "status": "failed", "error": {"code": "server_error", "message": "boom"}
        }))
        .expect("decodes");
        assert_eq!(failed.error.map(|e| e.message).as_deref(), Some("boom"));
    }
}
