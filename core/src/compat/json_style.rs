//! JSON encoding of request bodies, including the exact bytes of Python's `json.dumps`.

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};
use std::io::{self, Write};

/// How request bodies are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    /// `{"a":1}`, UTF-8 as is.
    Compact,
    /// `{"a": 1}` with non-ASCII escaped as `\uXXXX`: Python's `json.dumps` defaults.
    Python,
}

/// Serializes `value` in the given style.
pub fn to_vec<T: Serialize + ?Sized>(value: &T, style: JsonStyle) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    match style {
        JsonStyle::Compact => {
            let mut ser = serde_json::Serializer::with_formatter(&mut out, CompactFormatter);
            value.serialize(&mut ser)?;
        }
        JsonStyle::Python => {
            let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
            value.serialize(&mut ser)?;
        }
    }
    Ok(out)
}

/// `", "` and `": "` separators and `ensure_ascii=True`.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        // Byte scan: printable ASCII passes through, everything else becomes \uXXXX escapes.
        while i < bytes.len() {
            if (b' '..=b'~').contains(&bytes[i]) {
                i += 1;
                continue;
            }
            w.write_all(&bytes[start..i])?;
            let c = fragment[i..].chars().next().unwrap_or_default();
            let mut units = [0u16; 2];
            for &mut unit in c.encode_utf16(&mut units) {
                let u = usize::from(unit);
                w.write_all(&[
                    b'\\',
                    b'u',
                    HEX[u >> 12],
                    HEX[(u >> 8) & 0xf],
                    HEX[(u >> 4) & 0xf],
                    HEX[u & 0xf],
                ])?;
            }
            i += c.len_utf8();
            start = i;
        }
        w.write_all(&bytes[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_style_matches_json_dumps() {
        let v = json!({"message": "h\u{e9}llo \u{1F600}", "n": [1, 2], "q": "\"\n"});
        let s = String::from_utf8(to_vec(&v, JsonStyle::Python).expect("encode")).expect("utf-8");
        assert_eq!(
            s,
            r#"{"message": "h\u00e9llo \ud83d\ude00", "n": [1, 2], "q": "\"\n"}"#
        );
    }

    #[test]
    fn compact_style_keeps_utf8() {
        let v = json!({"m": "h\u{e9}"});
        assert_eq!(
            to_vec(&v, JsonStyle::Compact).expect("encode"),
            "{\"m\":\"h\u{e9}\"}".as_bytes()
        );
    }
}
