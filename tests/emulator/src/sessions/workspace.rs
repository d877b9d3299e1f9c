//! The tenant's workspace: an in-memory file tree shared by all sessions and outliving them.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

/// One file or directory; the root (`""`) is implicit.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    File { data: Bytes, modified: f64 },
    Dir { modified: f64 },
}

/// One row of a directory listing (spec §2.10).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) size: u64,
    pub(crate) modified: f64,
}

/// Why a write was refused.
#[derive(Debug, PartialEq)]
pub(crate) enum WriteError {
    /// The path names a directory, or one of its parents is a file.
    NotAFile(String),
}

/// Why a delete was refused.
#[derive(Debug, PartialEq)]
pub(crate) enum DeleteError {
    Missing,
    IsDirectory,
}

/// Paths (normalised, `/`-separated, no leading `/`) to nodes.
#[derive(Default)]
pub(crate) struct Workspace {
    nodes: BTreeMap<String, Node>,
    total_bytes: u64,
}

impl Workspace {
    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Whether `path` is a directory; the root always is.
    pub(crate) fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || matches!(self.nodes.get(path), Some(Node::Dir { .. }))
    }

    /// Sum of all file sizes.
    pub(crate) fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Size of the file at `path`, 0 when there is none.
    pub(crate) fn file_size(&self, path: &str) -> u64 {
        match self.nodes.get(path) {
            Some(Node::File { data, .. }) => data.len() as u64,
            _ => 0,
        }
    }

    /// Every file with its size and modification time, sorted by path.
    pub(crate) fn files(&self) -> impl Iterator<Item = (&str, u64, f64)> {
        self.nodes.iter().filter_map(|(path, node)| match node {
            Node::File { data, modified } => Some((path.as_str(), data.len() as u64, *modified)),
            Node::Dir { .. } => None,
        })
    }

    /// The direct children of directory `dir`, sorted by name.
    pub(crate) fn list(&self, dir: &str) -> Vec<Entry> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter_map(|(path, node)| {
                let name = &path[prefix.len()..];
                if name.contains('/') {
                    return None;
                }
                Some(match node {
                    Node::File { data, modified } => Entry {
                        name: name.to_owned(),
                        kind: "file",
                        size: data.len() as u64,
                        modified: *modified,
                    },
                    Node::Dir { modified } => Entry {
                        name: name.to_owned(),
                        kind: "directory",
                        size: 0,
                        modified: *modified,
                    },
                })
            })
            .collect()
    }

    /// Creates or replaces the file at `path`, creating parent directories.
    pub(crate) fn put(&mut self, path: &str, data: Bytes, now: f64) -> Result<(), WriteError> {
        if matches!(self.nodes.get(path), Some(Node::Dir { .. })) {
            return Err(WriteError::NotAFile(path.to_owned()));
        }
        let parents: Vec<&str> = path.match_indices('/').map(|(at, _)| &path[..at]).collect();
        if let Some(file) = parents
            .iter()
            .find(|p| matches!(self.nodes.get(**p), Some(Node::File { .. })))
        {
            return Err(WriteError::NotAFile((*file).to_owned()));
        }
        for parent in &parents {
            self.nodes
                .entry((*parent).to_owned())
                .or_insert(Node::Dir { modified: now });
        }
        if let Some(parent) = parents.last() {
            self.nodes
                .insert((*parent).to_owned(), Node::Dir { modified: now });
        }
        let size = data.len() as u64;
        let old = self.file_size(path);
        self.nodes.insert(
            path.to_owned(),
            Node::File {
                data,
                modified: now,
            },
        );
        self.total_bytes = self.total_bytes - old + size;
        Ok(())
    }

    /// Removes the file at `path`.
    pub(crate) fn delete(&mut self, path: &str, now: f64) -> Result<(), DeleteError> {
        match self.nodes.get(path) {
            None => Err(DeleteError::Missing),
            Some(Node::Dir { .. }) => Err(DeleteError::IsDirectory),
            Some(Node::File { data, .. }) => {
                self.total_bytes -= data.len() as u64;
                self.nodes.remove(path);
                if let Some((parent, _)) = path.rsplit_once('/') {
                    self.nodes
                        .insert(parent.to_owned(), Node::Dir { modified: now });
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_delete() {
        let mut ws = Workspace::default();
        ws.put("a/b/c.txt", Bytes::from_static(b"hello"), 1.0)
            .expect("put");
        ws.put("a/z.md", Bytes::from_static(b"zz"), 2.0)
            .expect("put");
        assert!(ws.is_dir("a") && ws.is_dir("a/b") && ws.is_dir(""));
        let names: Vec<_> = ws.list("a").into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["b", "z.md"]);
        assert_eq!(ws.list("").len(), 1);
        assert_eq!(ws.total_bytes(), 7);
        ws.put("a/z.md", Bytes::from_static(b"z"), 3.0)
            .expect("put");
        assert_eq!(ws.total_bytes(), 6);
        assert_eq!(
            ws.put("a/b", Bytes::new(), 3.0),
            Err(WriteError::NotAFile("a/b".into()))
        );
        assert_eq!(
            ws.put("a/z.md/x", Bytes::new(), 3.0),
            Err(WriteError::NotAFile("a/z.md".into()))
        );
        assert_eq!(ws.delete("a", 4.0), Err(DeleteError::IsDirectory));
        assert_eq!(ws.delete("a/nope", 4.0), Err(DeleteError::Missing));
        ws.delete("a/z.md", 4.0).expect("delete");
        assert_eq!(ws.total_bytes(), 5);
    }
}
