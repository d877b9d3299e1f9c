//! Unpacking a skill bundle in staging (spec §2.17): every entry is checked before anything is
//! kept, and decompression is bounded by the limits, so a zip bomb costs at most the limits in
//! memory.
//!
//! Refused with 400: not a zip, encrypted or unsupported entries, absolute paths, `..`
//! traversal, backslashes or control characters in a name, symlinks and other non-regular
//! entries, a missing root `SKILL.md` (after stripping exactly one wrapping folder). Refused
//! with 413: more regular files than allowed, a file or the whole bundle unpacking past its
//! limit.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use bytes::Bytes;
use zip::ZipArchive;

/// Why a bundle is refused.
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    /// 400 `bad_request`.
    Invalid(String),
    /// 413 `payload_too_large`.
    TooLarge(String),
}

/// The limits a bundle must fit (spec §2.17, configurable).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_files: u64,
    pub(crate) max_total: u64,
    pub(crate) max_file: u64,
}

/// The root `SKILL.md`.
const SKILL_MD: &str = "SKILL.md";
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

fn invalid(message: impl Into<String>) -> Refusal {
    Refusal::Invalid(message.into())
}

/// One entry of the archive, as checked before anything is decompressed.
struct Entry {
    index: usize,
    parts: Vec<String>,
    is_dir: bool,
}

/// Unpacks `data` into files keyed by their path below the skill root.
pub(crate) fn unpack(data: &[u8], limits: Limits) -> Result<BTreeMap<String, Bytes>, Refusal> {
    // The central directory is read whole by the zip reader: refuse an absurd entry count
    // from the end record first (directories count too, hence the slack).
    if declared_entries(data).is_some_and(|n| n > limits.max_files.saturating_mul(4) + 64) {
        return Err(Refusal::TooLarge(format!(
            "a skill bundle may hold at most {} files",
            limits.max_files
        )));
    }
    let mut archive = ZipArchive::new(Cursor::new(data))
        .map_err(|e| invalid(format!("the body is not a valid zip archive: {e}")))?;
    let entries = survey(&mut archive, limits)?;
    let strip = wrapping_folder(&entries)?;
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    for entry in entries.iter().filter(|e| !e.is_dir) {
        let path = entry.parts[strip..].join("/");
        let mut file = archive
            .by_index(entry.index)
            .map_err(|e| invalid(format!("entry {path:?} cannot be read: {e}")))?;
        let mut content = Vec::new();
        (&mut file)
            .take(limits.max_file + 1)
            .read_to_end(&mut content)
            .map_err(|e| invalid(format!("entry {path:?} is corrupt: {e}")))?;
        let size = content.len() as u64;
        if size > limits.max_file {
            return Err(Refusal::TooLarge(format!(
                "{path} unpacks to more than {} bytes",
                limits.max_file
            )));
        }
        total += size;
        if total > limits.max_total {
            return Err(Refusal::TooLarge(format!(
                "the bundle unpacks to more than {} bytes",
                limits.max_total
            )));
        }
        if files.insert(path.clone(), Bytes::from(content)).is_some() {
            return Err(invalid(format!("{path} appears twice in the bundle")));
        }
    }
    Ok(files)
}

/// Checks every entry's name and type, and the declared sizes, without decompressing.
fn survey(archive: &mut ZipArchive<Cursor<&[u8]>>, limits: Limits) -> Result<Vec<Entry>, Refusal> {
    let mut entries = Vec::with_capacity(archive.len());
    let mut regular: u64 = 0;
    for index in 0..archive.len() {
        let file = archive
            .by_index_raw(index)
            .map_err(|e| invalid(format!("entry {index} cannot be read: {e}")))?;
        let name = file.name().to_owned();
        let parts = entry_parts(&name)?;
        if file.encrypted() {
            return Err(invalid(format!("{name} is encrypted")));
        }
        let kind = file.unix_mode().map(|mode| mode & S_IFMT);
        let is_dir = file.is_dir() || kind == Some(S_IFDIR);
        match kind {
            Some(S_IFLNK) => return Err(invalid(format!("{name} is a symbolic link"))),
            Some(S_IFREG | S_IFDIR | 0) | None => {}
            Some(_) => return Err(invalid(format!("{name} is not a regular file"))),
        }
        if !is_dir {
            regular += 1;
            if regular > limits.max_files {
                return Err(Refusal::TooLarge(format!(
                    "a skill bundle may hold at most {} files",
                    limits.max_files
                )));
            }
            if file.size() > limits.max_file {
                return Err(Refusal::TooLarge(format!(
                    "{name} unpacks to more than {} bytes",
                    limits.max_file
                )));
            }
        }
        entries.push(Entry {
            index,
            parts,
            is_dir,
        });
    }
    Ok(entries)
}

/// The path components of an entry name; absolute paths, traversal and odd characters are
/// refused.
fn entry_parts(name: &str) -> Result<Vec<String>, Refusal> {
    if name.is_empty() {
        return Err(invalid("an entry has an empty name"));
    }
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Err(invalid(format!("{name:?} is an absolute path")));
    }
    if name.contains('\\') || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{name:?} holds a backslash or a control character"
        )));
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        match part {
            ".." => return Err(invalid(format!("{name:?} leaves the skill folder (..)"))),
            "" | "." => return Err(invalid(format!("{name:?} has an empty or '.' segment"))),
            other => parts.push(other.to_owned()),
        }
    }
    Ok(parts)
}

/// How many leading components to strip: 0 when `SKILL.md` is at the root, 1 when every
/// entry sits in one folder holding `SKILL.md`; otherwise the bundle has no `SKILL.md`.
fn wrapping_folder(entries: &[Entry]) -> Result<usize, Refusal> {
    let is_skill_md = |e: &Entry, depth: usize| {
        !e.is_dir && e.parts.len() == depth + 1 && e.parts[depth] == SKILL_MD
    };
    if entries.iter().any(|e| is_skill_md(e, 0)) {
        return Ok(0);
    }
    let first = entries.first().and_then(|e| e.parts.first());
    let one_folder = first.is_some_and(|top| {
        entries
            .iter()
            .all(|e| e.parts.first() == Some(top) && (e.is_dir || e.parts.len() > 1))
    });
    if one_folder && entries.iter().any(|e| is_skill_md(e, 1)) {
        // The folder's own directory entry has nothing left once stripped.
        return Ok(1);
    }
    Err(invalid(
        "the bundle has no SKILL.md at its root (or inside one wrapping folder)",
    ))
}

/// The entry count of the end-of-central-directory record (zip64 aware), if it can be found.
fn declared_entries(data: &[u8]) -> Option<u64> {
    const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const LOCATOR: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
    let window = data.len().saturating_sub(22 + 65_535);
    let at = (window..data.len().saturating_sub(21))
        .rev()
        .find(|&i| data[i..i + 4] == EOCD)?;
    let count = u16::from_le_bytes([data[at + 10], data[at + 11]]);
    if count != u16::MAX {
        return Some(u64::from(count));
    }
    let locator = at.checked_sub(20)?;
    if data[locator..locator + 4] != LOCATOR {
        return Some(u64::from(count));
    }
    let offset = u64::from_le_bytes(data[locator + 8..locator + 16].try_into().ok()?);
    let record = usize::try_from(offset).ok()?;
    let field = data.get(record + 32..record + 40)?;
    Some(u64::from_le_bytes(field.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    const LIMITS: Limits = Limits {
        max_files: 1000,
        max_total: 50_000_000,
        max_file: 25_000_000,
    };

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                out.add_directory(*name, options).expect("dir");
            } else {
                out.start_file(*name, options).expect("start");
                out.write_all(data).expect("write");
            }
        }
        out.finish().expect("finish").into_inner()
    }

    #[test]
    fn flat_and_wrapped_bundles_unpack() {
        let flat = unpack(&zip_of(&[("SKILL.md", b"# s"), ("run.py", b"x")]), LIMITS);
        assert_eq!(
            flat.expect("flat").keys().collect::<Vec<_>>(),
            ["SKILL.md", "run.py"]
        );
        let wrapped = unpack(
            &zip_of(&[
                ("outer/", b""),
                ("outer/SKILL.md", b"# s"),
                ("outer/lib/a.py", b"a"),
            ]),
            LIMITS,
        );
        assert_eq!(
            wrapped.expect("wrapped").keys().collect::<Vec<_>>(),
            ["SKILL.md", "lib/a.py"]
        );
    }

    #[test]
    fn bad_bundles_are_refused() {
        let refused = |entries: &[(&str, &[u8])]| match unpack(&zip_of(entries), LIMITS) {
            Err(Refusal::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(refused(&[("outer/inner/SKILL.md", b"x")]).contains("SKILL.md"));
        assert!(refused(&[("run.py", b"x")]).contains("SKILL.md"));
        assert!(refused(&[("SKILL.md", b"x"), ("../evil", b"x")]).contains(".."));
        assert!(refused(&[("SKILL.md", b"x"), ("a/../../evil", b"x")]).contains(".."));
        assert!(refused(&[("SKILL.md", b"x"), ("/etc/passwd", b"x")]).contains("absolute"));
        assert!(refused(&[("SKILL.md", b"x"), ("a\\b", b"x")]).contains("backslash"));
        assert!(matches!(
            unpack(b"not a zip at all", LIMITS),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn symlinks_are_refused() {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        out.start_file("SKILL.md", options).expect("start");
        out.write_all(b"# s").expect("write");
        out.add_symlink("link", "/etc/passwd", options)
            .expect("symlink");
        let data = out.finish().expect("finish").into_inner();
        assert!(
            matches!(unpack(&data, LIMITS), Err(Refusal::Invalid(m)) if m.contains("symbolic"))
        );
    }

    #[test]
    fn limits_and_bombs_are_413() {
        let small = Limits {
            max_files: 2,
            max_total: 1000,
            max_file: 600,
        };
        let zeros = vec![0u8; 700];
        assert!(matches!(
            unpack(&zip_of(&[("SKILL.md", b"x"), ("big", &zeros)]), small),
            Err(Refusal::TooLarge(_))
        ));
        let half = vec![0u8; 550];
        assert!(matches!(
            unpack(
                &zip_of(&[("SKILL.md", &half), ("b", &half)]),
                Limits {
                    max_files: 5,
                    ..small
                }
            ),
            Err(Refusal::TooLarge(_))
        ));
        assert!(matches!(
            unpack(
                &zip_of(&[("SKILL.md", b"x"), ("a", b"a"), ("b", b"b")]),
                small
            ),
            Err(Refusal::TooLarge(_))
        ));
        // A 30 MB run of zeros compresses to a few KB: refused from the declared size, and
        // again while decompressing if the header lied.
        let bomb = vec![0u8; 30_000_000];
        let data = zip_of(&[("SKILL.md", b"x"), ("bomb", &bomb)]);
        assert!(data.len() < 100_000);
        assert!(matches!(unpack(&data, LIMITS), Err(Refusal::TooLarge(_))));
        assert_eq!(declared_entries(&data), Some(2));
    }
}
