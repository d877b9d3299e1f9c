//! Uploads: a local file or bytes, streamed under the write and read bounds, through the one
//! retry loop (each attempt reopens the source).

use super::records::UploadResult;
use super::save::file_error;
use crate::error::{Error, Result};
use crate::http::{Body, CallOptions, Idempotency, StreamSource};
use crate::sessions::PokeeClient;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use reqwest::Method;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Size of the pieces an upload is read and sent in.
const UPLOAD_CHUNK: usize = 64 * 1024;
/// In-memory uploads up to this size go through the ordinary call path (total timeout);
/// larger ones are streamed under the idle bounds, like files.
const SMALL_UPLOAD: usize = 1024 * 1024;
/// Uploads are raw bytes; the server does not interpret the type.
const OCTET_STREAM: &str = "application/octet-stream";

type Progress = Arc<Mutex<Box<dyn FnMut(u64, Option<u64>) + Send>>>;

/// What an upload reads from, opened afresh by every attempt.
struct Upload {
    from: From,
    len: u64,
    content_type: &'static str,
    progress: Progress,
}

/// Where a streamed upload's bytes come from.
pub(crate) enum From {
    File(PathBuf),
    Bytes(Bytes),
}

/// A request body streamed from `from` (`len` bytes, sent as `content_type`), reopened by
/// every attempt, reporting `(sent, Some(len))` after each piece.
pub(crate) fn streamed_body(
    from: From,
    len: u64,
    content_type: &'static str,
    progress: Box<dyn FnMut(u64, Option<u64>) + Send>,
) -> Body {
    Body::Stream(Arc::new(Upload {
        from,
        len,
        content_type,
        progress: Arc::new(Mutex::new(progress)),
    }))
}

impl StreamSource for Upload {
    fn content_type(&self) -> &'static str {
        self.content_type
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> BoxFuture<'static, Result<BoxStream<'static, std::io::Result<Bytes>>>> {
        let progress = self.progress.clone();
        let total = self.len;
        let opened = match &self.from {
            From::File(p) => {
                let p = p.clone();
                Box::pin(async move {
                    let f = tokio::fs::File::open(&p)
                        .await
                        .map_err(|e| file_error(&p, &e))?;
                    Ok(tokio_util::io::ReaderStream::with_capacity(f, UPLOAD_CHUNK).boxed())
                })
                    as BoxFuture<'static, Result<BoxStream<'static, std::io::Result<Bytes>>>>
            }
            From::Bytes(b) => {
                let (b, len) = (b.clone(), b.len());
                let pieces = (0..len)
                    .step_by(UPLOAD_CHUNK)
                    .map(move |i| Ok(b.slice(i..(i + UPLOAD_CHUNK).min(len))));
                Box::pin(async move { Ok(futures_util::stream::iter(pieces).boxed()) })
            }
        };
        Box::pin(async move {
            let mut sent = 0u64;
            let chunks = opened.await?.inspect(move |item| {
                if let Ok(chunk) = item {
                    sent += chunk.len() as u64;
                    let mut report = progress.lock().unwrap_or_else(PoisonError::into_inner);
                    (*report)(sent, Some(total));
                }
            });
            Ok(chunks.boxed())
        })
    }

    fn read_failed(&self, e: &std::io::Error) -> Error {
        match &self.from {
            From::File(p) => file_error(p, e),
            From::Bytes(_) => Error::Connection {
                reason: e.to_string(),
                maybe_sent: true,
                source: None,
            },
        }
    }
}

impl PokeeClient {
    /// Uploads a local file, streamed in constant memory; replaces any file at `path`.
    pub async fn upload_file(
        &self,
        session_id: &str,
        path: &str,
        src: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>) + Send + 'static,
    ) -> Result<UploadResult> {
        let src = src.as_ref().to_path_buf();
        let len = tokio::fs::metadata(&src)
            .await
            .map_err(|e| file_error(&src, &e))?
            .len();
        self.put(session_id, path, From::File(src), len, Box::new(progress))
            .await
    }

    /// Uploads bytes from memory; replaces any file at `path`.
    pub async fn upload_bytes(
        &self,
        session_id: &str,
        path: &str,
        data: impl Into<Bytes>,
    ) -> Result<UploadResult> {
        let data = data.into();
        if data.len() <= SMALL_UPLOAD {
            // Small enough for the ordinary call path and its total timeout.
            let url = self.files_url(session_id, path, false)?;
            let body = Body::Bytes {
                data,
                content_type: OCTET_STREAM,
            };
            return self
                .call_json(self.request(Method::PUT, url, body, Idempotency::Safe))
                .await;
        }
        let len = data.len() as u64;
        self.put(
            session_id,
            path,
            From::Bytes(data),
            len,
            Box::new(|_, _| {}),
        )
        .await
    }

    /// A streamed upload: no total bound, the transfer's idle bound on writing and reading.
    async fn put(
        &self,
        session_id: &str,
        path: &str,
        from: From,
        len: u64,
        progress: Box<dyn FnMut(u64, Option<u64>) + Send>,
    ) -> Result<UploadResult> {
        let url = self.files_url(session_id, path, false)?;
        let body = streamed_body(from, len, OCTET_STREAM, progress);
        let opts = CallOptions {
            timeouts: Some(self.transfer_timeouts()),
            max_retries: self.opts.max_retries,
            idempotency_key: None,
            total: None,
        };
        self.call_json_with(
            self.request(Method::PUT, url, body, Idempotency::Safe),
            &opts,
        )
        .await
    }
}
