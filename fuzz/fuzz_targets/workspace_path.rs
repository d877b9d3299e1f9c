//! The workspace path validator accepts exactly its grammar (spec §6.5), and what it accepts
//! is encoded so that decoding gives the path back and no segment can resolve elsewhere.
//!
//! Input: byte 0 bit 0 = a trailing `/` is allowed (directory listings); the rest is the path.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The grammar, written out on its own: 1 to 1024 bytes, relative, no backslash, no control
/// character, `/`-separated segments that are neither empty nor `.` / `..` (one trailing `/`
/// allowed when asked).
fn in_grammar(path: &str, trailing: bool) -> bool {
    if path.is_empty() || path.len() > 1024 || path.starts_with('/') {
        return false;
    }
    if path.contains('\\') || path.chars().any(|c| c.is_control()) {
        return false;
    }
    let body = match path.strip_suffix('/') {
        Some(b) if trailing => b,
        _ => path,
    };
    body.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let Ok(path) = std::str::from_utf8(rest) else {
        return;
    };
    let trailing = flags & 1 == 1;
    match poke::fuzzing::workspace_path(path, trailing) {
        Ok(encoded) => {
            assert!(in_grammar(path, trailing), "accepted outside the grammar: {path:?}");
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)),
                "{encoded:?}"
            );
            assert_eq!(percent_decode(&encoded), path.as_bytes());
            // Encoded segments are never `.`/`..` and keep their count.
            let segments: Vec<&str> = encoded.trim_end_matches('/').split('/').collect();
            assert!(segments.iter().all(|s| !s.is_empty() && *s != "." && *s != ".."));
            assert_eq!(segments.len(), path.trim_end_matches('/').split('/').count());
        }
        Err(e) => {
            assert!(!in_grammar(path, trailing), "refused inside the grammar: {path:?}");
            assert!(
                matches!(e, poke::Error::InvalidInput { field: "path", .. }),
                "{e:?}"
            );
        }
    }
});
