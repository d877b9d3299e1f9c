//! Workspace files: list, download (streamed, or saved atomically), upload (streamed), delete.

mod download;
mod path;
mod reader;
mod records;
mod save;
mod upload;

pub use download::Download;
#[cfg(feature = "fuzzing")]
pub(crate) use download::{range_start, refuse_listing};
pub use path::download_destination;
pub(crate) use path::encode_path;
pub use reader::{
    BLOCK_BYTES, Block, ByteReader, FEED_DEPTH, Feeder, NextBlock, OpenDownload, StartReadAhead,
};
pub use records::{FileEntry, UploadResult};
pub(crate) use save::file_error;
pub(crate) use upload::{From as UploadFrom, streamed_body};

use crate::error::Result;
use crate::http::{Body, Idempotency};
use crate::sessions::{PokeeClient, id_segment};
use reqwest::Method;

impl PokeeClient {
    pub(crate) fn files_url(
        &self,
        session_id: &str,
        path: &str,
        trailing_slash: bool,
    ) -> Result<String> {
        let sid = id_segment("session_id", session_id)?;
        let path = encode_path(path, trailing_slash)?;
        Ok(self.url(&format!("/v1/sessions/{sid}/files/{path}")))
    }

    /// Lists one workspace directory (`None` or `""` for the root), filtered by the session's
    /// scope.
    pub async fn list_files(&self, session_id: &str, dir: Option<&str>) -> Result<Vec<FileEntry>> {
        let sid = id_segment("session_id", session_id)?;
        let mut url = self.url(&format!("/v1/sessions/{sid}/files"));
        if let Some(dir) = dir.filter(|d| !d.is_empty()) {
            // Same rules as a path: each segment encoded, '/' kept between them.
            let encoded = encode_path(dir, true)?;
            url = format!("{url}?path={encoded}");
        }
        self.call_json(self.request(Method::GET, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// Deletes a file.
    pub async fn delete_file(&self, session_id: &str, path: &str) -> Result<()> {
        let url = self.files_url(session_id, path, false)?;
        self.call_empty(self.request(Method::DELETE, url, Body::Empty, Idempotency::Safe))
            .await
    }
}
