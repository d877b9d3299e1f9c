//! Downloads: a file as a stream of chunks, whole or a byte range.

use crate::error::{Error, Result};
use crate::http::{Body, ByteStream, CallOptions, Idempotency, IdleBody, Timeouts};
use crate::sessions::PokeeClient;
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A file being downloaded: a `Stream` of chunks, or [`Download::save_to`] a local path.
pub struct Download {
    pub(crate) inner: ByteStream,
    pub(crate) content_length: Option<u64>,
    pub(crate) content_type: Option<String>,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("content_length", &self.content_length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Download {
    fn new(resp: reqwest::Response, idle: Duration) -> Self {
        let content_length = resp.content_length();
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let inner = IdleBody::new(resp.bytes_stream().boxed(), idle).boxed();
        Self {
            inner,
            content_length,
            content_type,
        }
    }

    /// The size announced by the server, when it sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The `Content-Type` the server sent.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
}

impl Stream for Download {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl PokeeClient {
    /// Starts downloading a file; read it as a stream or call [`Download::save_to`].
    pub async fn download(&self, session_id: &str, path: &str) -> Result<Download> {
        self.get_file(session_id, path, None).await
    }

    /// Downloads bytes `start..=end` of a file (to its end when `end` is `None`) with an HTTP
    /// `Range` request, e.g. to continue an interrupted download; a range the file cannot
    /// satisfy fails with a 416 [`Error::Api`].
    pub async fn download_range(
        &self,
        session_id: &str,
        path: &str,
        start: u64,
        end: Option<u64>,
    ) -> Result<Download> {
        if end.is_some_and(|e| e < start) {
            return Err(Error::InvalidInput {
                field: "range",
                reason: "end is before start".into(),
            });
        }
        let range = match end {
            Some(end) => format!("bytes={start}-{end}"),
            None => format!("bytes={start}-"),
        };
        self.get_file(session_id, path, Some(range)).await
    }

    async fn get_file(
        &self,
        session_id: &str,
        path: &str,
        range: Option<String>,
    ) -> Result<Download> {
        let url = self.files_url(session_id, path, false)?;
        let idle = self.transfer_read_idle();
        let mut req = self.request(Method::GET, url, Body::Empty, Idempotency::Safe);
        if let Some(range) = range {
            req.headers.push(("range", range));
        }
        // `total` bounds only the wait for headers: `execute` returns once they arrive, and
        // the body is then bounded by the idle timeout between chunks.
        let opts = CallOptions {
            timeouts: Some(Timeouts {
                connect: self.config().timeouts.connect,
                read_idle: Some(idle),
                total: Some(idle),
            }),
            ..CallOptions::default()
        };
        let resp = self
            .http()
            .execute(&req, &opts, |resp| async move { Ok(resp) })
            .await?;
        Ok(Download::new(resp, idle))
    }

    /// Downloads a file to `dest` atomically (see [`Download::save_to`]); returns its size.
    pub async fn download_to(
        &self,
        session_id: &str,
        path: &str,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.download(session_id, path)
            .await?
            .save_to(dest, progress)
            .await
    }
}
