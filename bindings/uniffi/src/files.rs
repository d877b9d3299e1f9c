//! Workspace files of the sessions API: list, download to a path, upload from a path or
//! bytes, delete. Streaming, atomic saves, path checks and progress are the core's.

use crate::error::PokeError;
use crate::listener::{self, TransferProgressListener};
use crate::sessions::PokeeClient;
use poke::binding::progress::Reporter;
use std::sync::Arc;

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FileEntry {
    /// The bare entry name, not a path.
    pub name: String,
    /// Open type string: `file`, `directory`, or anything newer.
    pub kind: String,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Modification time, Unix seconds.
    pub modified: Option<f64>,
}

impl From<poke::FileEntry> for FileEntry {
    fn from(e: poke::FileEntry) -> Self {
        Self {
            name: e.name,
            kind: e.kind,
            size: e.size,
            modified: e.modified,
        }
    }
}

/// Answer of an upload.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UploadResult {
    /// The normalised workspace-relative path written.
    pub path: String,
    /// Bytes stored.
    pub size: u64,
    /// Modification time, Unix seconds.
    pub modified: Option<f64>,
}

impl From<poke::UploadResult> for UploadResult {
    fn from(u: poke::UploadResult) -> Self {
        Self {
            path: u.path,
            size: u.size,
            modified: u.modified,
        }
    }
}

/// The core's byte-progress closure, reporting to `reports`.
fn progress(reports: Reporter<(u64, Option<u64>)>) -> impl FnMut(u64, Option<u64>) + Send {
    move |done, total| reports.send((done, total))
}

fn report(
    l: &Arc<dyn TransferProgressListener>,
    (done, total): (u64, Option<u64>),
) -> Result<(), PokeError> {
    l.on_progress(done, total)
}

#[uniffi::export(async_runtime = "tokio")]
impl PokeeClient {
    /// Lists one workspace directory (the root without `dir`), filtered by the session's scope.
    #[uniffi::method(default(dir = None))]
    pub async fn list_files(
        &self,
        session_id: String,
        dir: Option<String>,
    ) -> Result<Vec<FileEntry>, PokeError> {
        let list = self.inner.list_files(&session_id, dir.as_deref()).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Downloads a workspace file to the local path `dest` in constant memory and returns its
    /// size. `dest` appears only once complete: a failed download leaves no partial file.
    #[uniffi::method(default(listener = None))]
    pub async fn download_file(
        &self,
        session_id: String,
        path: String,
        dest: String,
        listener: Option<Arc<dyn TransferProgressListener>>,
    ) -> Result<u64, PokeError> {
        let op = |reports| {
            self.inner
                .download_to(&session_id, &path, &dest, progress(reports))
        };
        listener::run(listener, op, report).await
    }

    /// Uploads the local file `src` to the workspace path `path`, streamed in constant memory;
    /// replaces any file there.
    #[uniffi::method(default(listener = None))]
    pub async fn upload_file(
        &self,
        session_id: String,
        path: String,
        src: String,
        listener: Option<Arc<dyn TransferProgressListener>>,
    ) -> Result<UploadResult, PokeError> {
        let op = |reports| {
            self.inner
                .upload_file(&session_id, &path, &src, progress(reports))
        };
        Ok(listener::run(listener, op, report).await?.into())
    }

    /// Uploads bytes from memory to the workspace path `path`; replaces any file there.
    pub async fn upload_bytes(
        &self,
        session_id: String,
        path: String,
        data: Vec<u8>,
    ) -> Result<UploadResult, PokeError> {
        Ok(self
            .inner
            .upload_bytes(&session_id, &path, data)
            .await?
            .into())
    }

    /// Deletes a workspace file.
    pub async fn delete_file(&self, session_id: String, path: String) -> Result<(), PokeError> {
        Ok(self.inner.delete_file(&session_id, &path).await?)
    }
}
