//! Workspace path rules (spec §6.5) and the session file scope (spec §3.4).

use std::collections::BTreeSet;

/// Longest accepted workspace path, in bytes.
const MAX_PATH_BYTES: usize = 1024;

/// Percent-decodes `raw` once; `None` for a malformed escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Checks a decoded workspace path and returns it without a trailing `/` (allowed only when
/// `directory_read`); the error is the reason for a 403 `invalid_path`.
pub(crate) fn normalize(path: &str, directory_read: bool) -> Result<String, String> {
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if directory_read && !rest.is_empty() => rest,
        _ => path,
    };
    if trimmed.is_empty() {
        return Err("empty path".into());
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!("path longer than {MAX_PATH_BYTES} bytes"));
    }
    if trimmed.starts_with('/') {
        return Err("path must be workspace-relative (no leading '/')".into());
    }
    if trimmed.chars().any(|c| c == '\\' || c.is_control()) {
        return Err("path contains a backslash or a control character".into());
    }
    for segment in trimmed.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(format!("path has an invalid segment {segment:?}"));
        }
    }
    Ok(trimmed.to_owned())
}

/// Why a scope entry given at session creation is refused (400), or `None` when it is fine.
pub(crate) fn scope_entry_problem(entry: &str) -> Option<&'static str> {
    if entry.starts_with('/') {
        return Some("file_access paths must not start with '/'");
    }
    if entry.contains('\\') || entry.contains('\0') {
        return Some("file_access paths must not contain a backslash or NUL");
    }
    if entry.split('/').any(|s| s == "..") {
        return Some("file_access paths must not contain '..'");
    }
    None
}

/// Whether scope entry `entry` covers `path`: itself and everything below it, by whole path
/// components; `""` is the workspace root.
fn covers(entry: &str, path: &str) -> bool {
    let entry = entry.trim_end_matches('/');
    entry.is_empty()
        || path == entry
        || path
            .strip_prefix(entry)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A session's file scope: what it may read and write.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    read: Vec<String>,
    write: Vec<String>,
    /// `.sessions/{id}`, always writable.
    own: String,
}

/// How much of a directory a listing may show.
pub(crate) enum ListAccess {
    /// The directory is readable.
    Full,
    /// Only these children lead to covered entries.
    Partial(BTreeSet<String>),
    /// Nothing below it is readable.
    Denied,
}

impl Scope {
    pub(crate) fn new(read: Vec<String>, write: Vec<String>, session_id: &str) -> Self {
        Scope {
            read,
            write,
            own: format!(".sessions/{session_id}"),
        }
    }

    pub(crate) fn can_write(&self, path: &str) -> bool {
        covers(&self.own, path) || self.write.iter().any(|e| covers(e, path))
    }

    /// Reads need read or write coverage (`write` implies `read`).
    pub(crate) fn can_read(&self, path: &str) -> bool {
        self.can_write(path) || self.read.iter().any(|e| covers(e, path))
    }

    /// What a listing of directory `dir` (`""` for the root) may show.
    pub(crate) fn list_access(&self, dir: &str) -> ListAccess {
        if self.can_read(dir) {
            return ListAccess::Full;
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let children: BTreeSet<String> = self
            .read
            .iter()
            .chain(&self.write)
            .chain(std::iter::once(&self.own))
            .filter_map(|entry| {
                let entry = entry.trim_end_matches('/');
                let rest = entry.strip_prefix(&prefix)?;
                let child = rest.split('/').next()?;
                (!child.is_empty()).then(|| child.to_owned())
            })
            .collect();
        if children.is_empty() {
            ListAccess::Denied
        } else {
            ListAccess::Partial(children)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%2Fb", false).as_deref(), Some("a/b"));
        assert_eq!(percent_decode("%2e%2e", false).as_deref(), Some(".."));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%zz", false), None);
        assert_eq!(percent_decode("%2", false), None);
        assert_eq!(percent_decode("%ff", false), None);
    }

    #[test]
    fn path_rules() {
        assert_eq!(normalize("a/b.txt", false).as_deref(), Ok("a/b.txt"));
        assert_eq!(normalize("a/b/", true).as_deref(), Ok("a/b"));
        for bad in [
            "", "/a", "a//b", "a/./b", "../a", "a/..", "a\\b", "a\0b", "a/", "a\nb",
        ] {
            assert!(normalize(bad, false).is_err(), "{bad:?}");
        }
        assert!(normalize(&"a".repeat(1025), false).is_err());
        assert!(normalize("/", true).is_err());
    }

    #[test]
    fn scope_matching() {
        let scope = Scope::new(
            vec!["projects/acme".into(), "shared/templates".into()],
            vec!["projects/acme/output".into()],
            "sess_1",
        );
        assert!(scope.can_read("projects/acme/x.md"));
        assert!(!scope.can_read("projects/acme2/x.md"));
        assert!(!scope.can_write("projects/acme/x.md"));
        assert!(scope.can_write("projects/acme/output/deck.pptx"));
        assert!(scope.can_write(".sessions/sess_1/notes.md"));
        assert!(!scope.can_read(".sessions/sess_2/notes.md"));
        match scope.list_access("") {
            ListAccess::Partial(children) => {
                assert_eq!(
                    children.into_iter().collect::<Vec<_>>(),
                    [".sessions", "projects", "shared"]
                );
            }
            _ => panic!("root is partially listable"),
        }
        assert!(matches!(
            scope.list_access("projects/acme"),
            ListAccess::Full
        ));
        assert!(matches!(scope.list_access("other"), ListAccess::Denied));
        let open = Scope::new(vec![String::new()], vec![String::new()], "s");
        assert!(matches!(open.list_access(""), ListAccess::Full));
        assert!(open.can_write("anything/at/all"));
    }

    #[test]
    fn scope_entries() {
        assert!(scope_entry_problem("a/b").is_none());
        assert!(scope_entry_problem("").is_none());
        assert!(scope_entry_problem("/a").is_some());
        assert!(scope_entry_problem("a/../b").is_some());
        assert!(scope_entry_problem("a\\b").is_some());
    }
}
