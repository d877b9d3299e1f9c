//! What the skills endpoints answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One custom skill in the listing (`GET /v1/skills`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Skill {
    /// The skill's name.
    pub name: String,
    /// Size of its `SKILL.md`, in bytes.
    #[serde(default)]
    pub skill_md_size: u64,
    /// When it was installed, Unix seconds.
    #[serde(default)]
    pub modified: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of an install (`POST /v1/skills/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstalledSkill {
    /// The skill's name.
    pub name: String,
    /// Its regular files, relative to the skill root, sorted.
    #[serde(default)]
    pub files: Vec<String>,
    /// Unpacked size of every file, in bytes.
    #[serde(default)]
    pub total_bytes: u64,
    /// Size of its `SKILL.md`, in bytes.
    #[serde(default)]
    pub skill_md_size: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
