//! Function tools (`OpenAI`'s flat form) and their limits (spec §2.18), checked before sending.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most tools in one request.
pub const MAX_TOOLS: usize = 128;
/// Longest tool name, in characters.
pub const MAX_TOOL_NAME_CHARS: usize = 64;
/// Longest tool description, in bytes (16 KiB).
pub const MAX_TOOL_DESCRIPTION_BYTES: usize = 16 * 1024;

/// A function the model may call: `{"type": "function", "name", "description", "parameters"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "function")]
#[non_exhaustive]
pub struct FunctionTool {
    /// The function's name.
    pub name: String,
    /// What it does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON schema of its arguments object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Whether the model must follow the schema exactly (`OpenAI`'s `strict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

impl FunctionTool {
    /// A tool called `name` taking the arguments `parameters` describes.
    pub fn new(name: impl Into<String>, parameters: Value) -> Self {
        Self {
            name: name.into(),
            description: None,
            parameters: Some(parameters),
            strict: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets `OpenAI`'s `strict` flag.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = Some(strict);
        self
    }
}

/// Checks the documented limits: at most 128 tools, names of 1 to 64 characters,
/// descriptions of at most 16 KiB.
pub fn check_tools(tools: &[FunctionTool]) -> Result<()> {
    let refuse = |reason: String| Error::InvalidInput {
        field: "tools",
        reason,
    };
    if tools.len() > MAX_TOOLS {
        return Err(refuse(format!(
            "{} tools given, at most {MAX_TOOLS} are allowed",
            tools.len()
        )));
    }
    for (i, tool) in tools.iter().enumerate() {
        let chars = tool.name.chars().count();
        if chars == 0 || chars > MAX_TOOL_NAME_CHARS {
            return Err(refuse(format!(
                "tool {i}: the name must be 1 to {MAX_TOOL_NAME_CHARS} characters, not {chars}"
            )));
        }
        if let Some(d) = tool
            .description
            .as_ref()
            .filter(|d| d.len() > MAX_TOOL_DESCRIPTION_BYTES)
        {
            return Err(refuse(format!(
                "tool {:?}: the description is {} bytes, at most {MAX_TOOL_DESCRIPTION_BYTES} are allowed",
                tool.name,
                d.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tools_serialize_flat_and_limits_hold() {
        let tool = FunctionTool::new("get_weather", json!({"type": "object"})).description("d");
        assert_eq!(
            serde_json::to_value(&tool).ok(),
            Some(
                json!({"type": "function", "name": "get_weather", "description": "d", "parameters": {"type": "object"}})
            )
        );
        let ok = FunctionTool::new("n".repeat(64), json!({})).description("d".repeat(16 * 1024));
        assert!(check_tools(&vec![ok.clone(); 128]).is_ok());
        assert!(check_tools(&vec![ok.clone(); 129]).is_err());
        assert!(check_tools(&[FunctionTool::new("n".repeat(65), json!({}))]).is_err());
        assert!(check_tools(&[FunctionTool::new("", json!({}))]).is_err());
        assert!(check_tools(&[ok.description("d".repeat(16 * 1024 + 1))]).is_err());
        // Characters, not bytes, for names.
        assert!(check_tools(&[FunctionTool::new("é".repeat(64), json!({}))]).is_ok());
    }
}
