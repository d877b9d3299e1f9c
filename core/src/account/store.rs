//! Writing and removing the credentials file that `poke login` creates and the SDK reads.
//!
//! The file is written to a temporary file in the same directory and renamed over the old one,
//! so a crash never leaves a half-written file; on Unix the directory is created 0700 and the
//! file 0600 from the start, so the token is never readable by others, not even briefly.

use crate::credentials::credentials_path;
use crate::secret::Secret;
use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `{"token": <token>}` (2-space indented) to the credentials file atomically and
/// returns its path.
pub fn save_credentials_token(token: &Secret) -> Result<PathBuf> {
    let path = credentials_path().ok_or_else(|| {
        Error::Config("no config directory: set XDG_CONFIG_HOME or HOME".to_owned())
    })?;
    let dir = path
        .parent()
        .ok_or_else(|| Error::Config("the credentials path has no directory".to_owned()))?;
    create_private_dir(dir)?;
    let mut text = serde_json::to_string_pretty(&serde_json::json!({"token": token.expose()}))
        .map_err(|e| Error::Config(e.to_string()))?;
    text.push('\n');
    let tmp = dir.join(format!(
        ".credentials.json.{}.{}.tmp",
        std::process::id(),
        crate::ids::uuid_v4().simple()
    ));
    let written = write_private(&tmp, text.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| file_error(&path, &e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable; a failure here leaves a complete file either way.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// Deletes the credentials file; returns whether there was one.
pub fn remove_credentials() -> bool {
    credentials_path().is_some_and(|p| std::fs::remove_file(p).is_ok())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| file_error(dir, &e))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| file_error(path, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| file_error(path, &e))
}

fn file_error(path: &Path, e: &std::io::Error) -> Error {
    let text = e.to_string();
    Error::File {
        path: path.display().to_string(),
        reason: text.split(" (os error").next().unwrap_or(&text).to_owned(),
        kind: e.kind(),
        errno: e.raw_os_error(),
    }
}
