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

    /// The grammar of spec §6.5, written out on its own: 1 to 1024 bytes, relative, no
    /// backslash or control character, `/`-separated segments that are neither empty nor
    /// `.`/`..` (one trailing `/` allowed for a directory).
    fn in_grammar(path: &str, trailing: bool) -> bool {
        if path.is_empty() || path.len() > 1024 || path.starts_with('/') {
            return false;
        }
        if path.contains('\\') || path.chars().any(char::is_control) {
            return false;
        }
        let body = match path.strip_suffix('/') {
            Some(b) if trailing => b,
            _ => path,
        };
        body.split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
    }

    fn path_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("/".to_owned()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("\\".to_owned()),
            Just("\0".to_owned()),
            Just("\n".to_owned()),
            Just("\u{85}".to_owned()),
            Just(" ".to_owned()),
            Just("%2e".to_owned()),
            Just("é".to_owned()),
            Just("🦀".to_owned()),
            (1000usize..1030).prop_map(|n| "x".repeat(n)),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The validator accepts exactly its grammar, and what it accepts decodes back to the
        /// path with unreserved characters, `%XX` and `/` only.
        #[test]
        fn accepts_exactly_its_grammar(path in path_text(), trailing in proptest::prelude::any::<bool>()) {
            let got = encode_path(&path, trailing);
            proptest::prop_assert_eq!(got.is_ok(), in_grammar(&path, trailing), "{:?}", path);
            if let Ok(encoded) = got {
                proptest::prop_assert!(encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)));
                let mut decoded = Vec::new();
                let bytes = encoded.as_bytes();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                        decoded.push(u8::from_str_radix(hex, 16).unwrap_or_default());
                        i += 3;
                    } else {
                        decoded.push(bytes[i]);
                        i += 1;
                    }
                }
                proptest::prop_assert_eq!(decoded, path.as_bytes());
            }
        }
    }
}
