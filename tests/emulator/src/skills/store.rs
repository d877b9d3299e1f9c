//! The tenant's installed skills.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Value, json};

/// One installed skill: its files, relative to the skill root.
pub(crate) struct Skill {
    pub(crate) files: BTreeMap<String, Bytes>,
    pub(crate) modified: f64,
}

impl Skill {
    /// Size of the root `SKILL.md`.
    pub(crate) fn skill_md_size(&self) -> u64 {
        self.files.get("SKILL.md").map_or(0, |b| b.len() as u64)
    }

    /// Unpacked size of every file.
    pub(crate) fn total_bytes(&self) -> u64 {
        self.files.values().map(|b| b.len() as u64).sum()
    }
}

/// Skills by name, tenant-wide.
#[derive(Default)]
pub(crate) struct SkillStore {
    skills: BTreeMap<String, Skill>,
}

impl SkillStore {
    /// The E16 listing, sorted by name.
    pub(crate) fn listing(&self) -> Value {
        Value::Array(
            self.skills
                .iter()
                .map(|(name, s)| {
                    json!({
                        "name": name,
                        "skill_md_size": s.skill_md_size(),
                        "modified": s.modified,
                    })
                })
                .collect(),
        )
    }

    /// Installs or replaces `name` in one step: the old bundle is whole until this moment.
    pub(crate) fn swap_in(&mut self, name: String, skill: Skill) {
        self.skills.insert(name, skill);
    }

    /// Removes a skill; false when there was none.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        self.skills.remove(name).is_some()
    }

    /// Installed names, sorted (what a new session sees).
    pub(crate) fn names(&self) -> Vec<String> {
        self.skills.keys().cloned().collect()
    }

    /// Every skill with its file list, for the control surface.
    pub(crate) fn debug_json(&self) -> Value {
        Value::Array(
            self.skills
                .iter()
                .map(|(name, s)| {
                    json!({
                        "name": name,
                        "files": s.files.keys().collect::<Vec<_>>(),
                        "total_bytes": s.total_bytes(),
                        "skill_md_size": s.skill_md_size(),
                        "modified": s.modified,
                    })
                })
                .collect(),
        )
    }

    /// The bytes of one file of a skill.
    pub(crate) fn file(&self, name: &str, path: &str) -> Option<Bytes> {
        self.skills.get(name)?.files.get(path).cloned()
    }
}
