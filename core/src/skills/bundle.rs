//! What a skill is installed from, and a directory zipped the same way every time: entries
//! sorted by path, fixed timestamps and modes, deflate. The directory is checked whole before
//! anything is sent: it must hold `SKILL.md`, and a symbolic link or a special file (which
//! could reach outside it) is refused.

use crate::error::{Error, Result};
use crate::files::{UploadFrom, file_error};
use bytes::Bytes;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

/// The file the server requires at the bundle's root.
const SKILL_MD: &str = "SKILL.md";
/// Deepest directory nesting followed, so a pathological tree cannot recurse without end.
const MAX_DEPTH: usize = 64;

/// Where a skill bundle comes from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SkillSource {
    /// A directory (zipped on the fly) or a `.zip` file (sent as it is).
    Path(PathBuf),
    /// Zip bytes, sent as they are.
    Bytes(Bytes),
}

impl From<PathBuf> for SkillSource {
    fn from(p: PathBuf) -> Self {
        Self::Path(p)
    }
}

impl From<&Path> for SkillSource {
    fn from(p: &Path) -> Self {
        Self::Path(p.to_path_buf())
    }
}

impl From<Bytes> for SkillSource {
    fn from(b: Bytes) -> Self {
        Self::Bytes(b)
    }
}

impl From<Vec<u8>> for SkillSource {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(Bytes::from(b))
    }
}

impl SkillSource {
    /// What to send and its length: a directory becomes its zip (in memory), a file is
    /// streamed from disk, bytes go as they are.
    pub(crate) async fn prepare(self) -> Result<(UploadFrom, u64)> {
        match self {
            Self::Bytes(b) => {
                let len = b.len() as u64;
                Ok((UploadFrom::Bytes(b), len))
            }
            Self::Path(path) => {
                let meta = tokio::fs::metadata(&path)
                    .await
                    .map_err(|e| file_error(&path, &e))?;
                if meta.is_dir() {
                    let zipped = tokio::task::spawn_blocking(move || zip_directory(&path))
                        .await
                        .map_err(|e| Error::InvalidInput {
                            field: "source",
                            reason: format!("zipping the directory failed: {e}"),
                        })??;
                    let len = zipped.len() as u64;
                    Ok((UploadFrom::Bytes(Bytes::from(zipped)), len))
                } else {
                    Ok((UploadFrom::File(path), meta.len()))
                }
            }
        }
    }
}

fn refused(path: &Path, why: &str) -> Error {
    Error::InvalidInput {
        field: "source",
        reason: format!("{} {why}", path.display()),
    }
}

/// The zip of `dir`: every regular file below it, by sorted relative path, with fixed
/// timestamps and modes, so the same tree always gives the same bytes.
pub(crate) fn zip_directory(dir: &Path) -> Result<Vec<u8>> {
    let root_md = dir.join(SKILL_MD);
    match std::fs::symlink_metadata(&root_md) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Err(refused(&root_md, "is not a regular file")),
        Err(_) => return Err(refused(dir, "has no SKILL.md at its root")),
    }
    let mut files = Vec::new();
    collect(dir, dir, 0, &mut files)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let fixed = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, path, executable) in files {
        let data = std::fs::read(&path).map_err(|e| file_error(&path, &e))?;
        let mode = if executable { 0o755 } else { 0o644 };
        let options = fixed
            .unix_permissions(mode)
            .large_file(data.len() as u64 >= u64::from(u32::MAX));
        out.start_file(name.as_str(), options)
            .and_then(|()| out.write_all(&data).map_err(Into::into))
            .map_err(|e| refused(&path, &format!("could not be zipped: {e}")))?;
    }
    out.finish()
        .map(Cursor::into_inner)
        .map_err(|e| refused(dir, &format!("could not be zipped: {e}")))
}

/// Adds the regular files below `dir` as (relative name, path, executable).
fn collect(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<(String, PathBuf, bool)>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(refused(dir, "is nested too deeply"));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| file_error(dir, &e))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| file_error(&path, &e))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(refused(
                &path,
                "is a symbolic link (a bundle holds only files inside its directory)",
            ));
        }
        if kind.is_dir() {
            collect(root, &path, depth + 1, out)?;
        } else if kind.is_file() {
            let name = relative_name(root, &path)?;
            out.push((name, path, is_executable(&meta)));
        } else {
            return Err(refused(&path, "is not a regular file"));
        }
    }
    Ok(())
}

/// `path` below `root` with `/` separators; names must be UTF-8 to go into a zip.
fn relative_name(root: &Path, path: &Path) -> Result<String> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| refused(path, "is outside the skill directory"))?;
    let mut parts = Vec::new();
    for part in rel.components() {
        match part {
            std::path::Component::Normal(p) => parts.push(
                p.to_str()
                    .ok_or_else(|| refused(path, "has a name that is not UTF-8"))?,
            ),
            _ => return Err(refused(path, "is outside the skill directory")),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("poke-skill-{}", crate::ids::uuid_v4()));
        for (name, content) in files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, content).expect("write");
        }
        dir
    }

    fn names(zipped: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(zipped)).expect("a zip");
        archive.file_names().map(str::to_owned).collect()
    }

    #[test]
    fn the_same_tree_zips_to_the_same_bytes() {
        let files = [
            ("SKILL.md", "# skill"),
            ("b/z.py", "z"),
            ("a.txt", "a"),
            ("b/a.py", "a"),
        ];
        let one = tree(&files);
        let mut reversed = files;
        reversed.reverse();
        let two = tree(&reversed);
        let (a, b) = (
            zip_directory(&one).expect("zips"),
            zip_directory(&two).expect("zips"),
        );
        assert_eq!(a, b);
        let mut listed = names(&a);
        listed.sort();
        assert_eq!(listed, ["SKILL.md", "a.txt", "b/a.py", "b/z.py"]);
        let _ = std::fs::remove_dir_all(one);
        let _ = std::fs::remove_dir_all(two);
    }

    #[test]
    fn a_directory_without_skill_md_or_with_a_symlink_is_refused() {
        let bare = tree(&[("README.md", "x")]);
        let err = zip_directory(&bare).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("has no SKILL.md")),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(bare);
        #[cfg(unix)]
        {
            let linked = tree(&[("SKILL.md", "x")]);
            std::os::unix::fs::symlink("/etc/passwd", linked.join("passwd")).expect("symlink");
            let err = zip_directory(&linked).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("symbolic link")),
                "{err:?}"
            );
            let _ = std::fs::remove_dir_all(linked);
        }
    }
}
