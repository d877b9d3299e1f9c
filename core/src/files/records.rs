//! Records of the files endpoints: directory entries and upload answers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileEntry {
    /// The bare entry name, not a path.
    pub name: String,
    /// Open type string: `file`, `directory`, or anything newer.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Size in bytes (0 for directories).
    #[serde(default)]
    pub size: u64,
    /// Modification time, Unix seconds.
    #[serde(default)]
    pub modified: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FileEntry {
    /// True for directories.
    pub fn is_dir(&self) -> bool {
        self.kind == "directory"
    }

    /// True for regular files.
    pub fn is_file(&self) -> bool {
        self.kind == "file"
    }
}

/// Answer of an upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadResult {
    /// The normalised workspace-relative path written.
    #[serde(default)]
    pub path: String,
    /// Bytes stored.
    #[serde(default)]
    pub size: u64,
    /// Modification time, Unix seconds.
    #[serde(default)]
    pub modified: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entry_keeps_unknown_type() {
        let e: FileEntry = serde_json::from_str(
            r#"{"name":"x","type":"symlink","size":3,"modified":1.5,"target":"y"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!e.is_dir() && !e.is_file());
        assert_eq!(e.kind, "symlink");
        assert_eq!(e.extra.get("target"), Some(&Value::from("y")));
    }

    #[test]
    fn numbers_of_unknown_fields_survive_a_round_trip() {
        // Fuzz finding (json_replies): without exact float parsing this came back one ulp off.
        let text = r#"{"path":"a","size":1,"tokens":1.0000001111111111e+33}"#;
        let first: UploadResult = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let again = serde_json::to_string(&first).unwrap_or_else(|e| panic!("{e}"));
        let back: UploadResult = serde_json::from_str(&again).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, first);
        assert_eq!(
            first.extra["tokens"].as_f64(),
            Some(1.000_000_111_111_111_1e33)
        );
    }
}
