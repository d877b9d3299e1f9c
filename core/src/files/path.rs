//! Workspace paths: the server's rules (spec §6.5), checked before anything is sent.

use crate::error::{Error, Result};
use crate::sessions::encode_component;

/// Longest workspace path the server accepts, in bytes.
const MAX_PATH_BYTES: usize = 1024;

/// Checks a workspace path against the server's rules (spec §6.5) and percent-encodes each
/// segment, so nothing the server would refuse, or resolve elsewhere, is ever sent.
pub(crate) fn encode_path(path: &str, allow_trailing_slash: bool) -> Result<String> {
    let reason = if path.is_empty() {
        Some("must not be empty")
    } else if path.len() > MAX_PATH_BYTES {
        Some("must be at most 1024 bytes")
    } else if path.starts_with('/') {
        Some("must be relative to the workspace (no leading '/')")
    } else if path.contains('\\') {
        Some("must not contain a backslash")
    } else if path.chars().any(char::is_control) {
        Some("must not contain NUL or other control characters")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(Error::InvalidInput {
            field: "path",
            reason: reason.into(),
        });
    }
    let (body, slash) = match path.strip_suffix('/') {
        Some(rest) if allow_trailing_slash => (rest, "/"),
        _ => (path, ""),
    };
    let mut segments = Vec::new();
    for segment in body.split('/') {
        let reason = match segment {
            "" => "must not have empty segments ('//' or a trailing '/')",
            "." | ".." => "must not have '.' or '..' segments",
            s => {
                segments.push(encode_component(s));
                continue;
            }
        };
        return Err(Error::InvalidInput {
            field: "path",
            reason: reason.into(),
        });
    }
    Ok(format!("{}{slash}", segments.join("/")))
}

/// Where a download of the workspace file `remote` goes: `dest` itself, or inside it when it
/// is a directory (or ends with a separator), under the remote file's name; without `dest`,
/// that name in the current directory.
pub fn download_destination(remote: &str, dest: Option<&std::path::Path>) -> std::path::PathBuf {
    let name = std::path::Path::new(remote)
        .file_name()
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    match dest {
        None => name,
        Some(d)
            if d.is_dir()
                || d.as_os_str()
                    .to_string_lossy()
                    .ends_with(std::path::MAIN_SEPARATOR)
                || d.as_os_str().to_string_lossy().ends_with('/') =>
        {
            d.join(name)
        }
        Some(d) => d.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_rules() {
        assert_eq!(
            encode_path("output/deck.pptx", false).ok().as_deref(),
            Some("output/deck.pptx")
        );
        assert_eq!(
            encode_path("my docs/r&d #1.md", false).ok().as_deref(),
            Some("my%20docs/r%26d%20%231.md")
        );
        assert_eq!(
            encode_path("%2e%2e/x", false).ok().as_deref(),
            Some("%252e%252e/x")
        );
        assert_eq!(
            encode_path("output/", true).ok().as_deref(),
            Some("output/")
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a/./b",
            ".",
            "a//b",
            "a\\b",
            "a\0b",
            "a\nb",
            "output/",
        ] {
            assert!(
                matches!(
                    encode_path(bad, false),
                    Err(Error::InvalidInput { field: "path", .. })
                ),
                "{bad:?}"
            );
        }
        assert!(encode_path(&"a".repeat(1025), false).is_err());
        assert!(encode_path(&"a".repeat(1024), false).is_ok());
    }
}
