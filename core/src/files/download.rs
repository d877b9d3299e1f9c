//! Downloads: a file as a stream of chunks, whole or a byte range, resumed with a `Range`
//! request when the connection drops in the middle.

use crate::error::{Error, Result};
use crate::http::{Body, ByteStream, CallOptions, Idempotency, IdleBody, header};
use crate::sessions::PokeeClient;
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use reqwest::Method;
use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A file being downloaded: a `Stream` of chunks, or [`Download::save_to`] a local path.
///
/// A connection that drops in the middle is resumed from the next byte with a `Range`
/// request (up to the client's retry count in a row without progress), so the chunks are the
/// whole file, or the stream ends with an error.
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

/// One response of a file: its body (under the read bound), and where it starts.
struct Part {
    body: ByteStream,
    /// First byte of the body within the file: the `Content-Range` start of a 206, else 0.
    start: u64,
    content_length: Option<u64>,
    content_type: Option<String>,
}

/// What a resumed download asks for again.
#[derive(Clone)]
struct Origin {
    client: PokeeClient,
    session_id: String,
    path: String,
    /// Last byte wanted (inclusive), for a ranged download.
    end: Option<u64>,
}

impl PokeeClient {
    /// Starts downloading a file; read it as a stream or call [`Download::save_to`].
    pub async fn download(&self, session_id: &str, path: &str) -> Result<Download> {
        self.download_part(session_id, path, 0, None).await
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
        self.download_part(session_id, path, start, end).await
    }

    async fn download_part(
        &self,
        session_id: &str,
        path: &str,
        start: u64,
        end: Option<u64>,
    ) -> Result<Download> {
        let origin = Origin {
            client: self.clone(),
            session_id: session_id.to_owned(),
            path: path.to_owned(),
            end,
        };
        let ranged = start > 0 || end.is_some();
        let mut first = origin.fetch(ranged.then_some(start)).await?;
        let body: ByteStream =
            std::mem::replace(&mut first.body, futures_util::stream::empty().boxed());
        first.body = refuse_listing(path, first.content_type.as_deref(), body).await?;
        let resumable = !ranged || first.start == start;
        Ok(Download {
            content_length: first.content_length,
            content_type: first.content_type,
            inner: resuming(first.body, resumable.then_some(origin), first.start),
        })
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

impl Origin {
    /// GETs the file (from byte `from` with a `Range` request when given).
    async fn fetch(&self, from: Option<u64>) -> Result<Part> {
        let client = &self.client;
        let url = client.files_url(&self.session_id, &self.path, false)?;
        let mut req = client.request(Method::GET, url, Body::Empty, Idempotency::Safe);
        if let Some(from) = from {
            let range = match self.end {
                Some(end) => format!("bytes={from}-{end}"),
                None => format!("bytes={from}-"),
            };
            req.headers.push(("range", range));
        }
        let opts = CallOptions {
            timeouts: Some(client.transfer_timeouts()),
            max_retries: client.opts.max_retries,
            idempotency_key: None,
            total: None,
        };
        let idle = client.transfer_timeouts().read;
        client
            .http()
            .execute(&req, &opts, |resp, slot| async move {
                let start = match resp.status().as_u16() {
                    206 => header(&resp, "content-range")
                        .as_deref()
                        .and_then(range_start)
                        .unwrap_or(0),
                    _ => 0,
                };
                let content_length = resp.content_length();
                let content_type = header(&resp, "content-type");
                // The slot goes with the body: the connection is in use until it is dropped.
                let chunks = resp.bytes_stream().map(move |chunk| {
                    let _slot = &slot;
                    chunk
                });
                let body = match idle {
                    Some(idle) => IdleBody::new(chunks.boxed(), idle).boxed(),
                    None => chunks
                        .map(|c| c.map_err(crate::http::map_body_error))
                        .boxed(),
                };
                Ok(Part {
                    body,
                    start,
                    content_length,
                    content_type,
                })
            })
            .await
    }
}

/// A directory answers with its JSON listing (spec E12): that is "is a directory", not a file
/// to save. A JSON reply for a path not named `*.json` is read (it is small) and checked; any
/// other body is passed on as it is.
async fn refuse_listing(
    path: &str,
    content_type: Option<&str>,
    body: ByteStream,
) -> Result<ByteStream> {
    let json = content_type.is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    if !json || path.to_ascii_lowercase().ends_with(".json") {
        return Ok(body);
    }
    let chunks: Vec<Result<Bytes>> = body.collect().await;
    let mut all = Vec::new();
    for chunk in &chunks {
        match chunk {
            Ok(c) => all.extend_from_slice(c),
            Err(_) => break,
        }
    }
    if serde_json::from_slice::<Vec<super::FileEntry>>(&all).is_ok() {
        return Err(super::save::file_error(
            Path::new(path),
            &std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    Ok(futures_util::stream::iter(chunks).boxed())
}

/// The start of `Content-Range: bytes <start>-<end>/<size>`.
fn range_start(value: &str) -> Option<u64> {
    let spec = value.trim().strip_prefix("bytes")?.trim_start();
    spec.split('-').next()?.trim().parse().ok()
}

/// True for a failure of the connection that a new request may get past.
fn resumable_failure(e: &Error) -> bool {
    matches!(e, Error::Connection { .. } | Error::Timeout { .. })
}

/// The body, continued from the next byte with a `Range` request after a drop (when `origin`
/// is given), up to the client's retry count of reconnects in a row that deliver nothing.
fn resuming(first: ByteStream, origin: Option<Origin>, start: u64) -> ByteStream {
    struct State {
        body: ByteStream,
        origin: Option<Origin>,
        /// Next byte expected, within the file.
        at: u64,
        failures: u32,
        done: bool,
    }
    let state = State {
        body: first,
        origin,
        at: start,
        failures: 0,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            let failure = match st.body.next().await {
                Some(Ok(chunk)) => {
                    st.at += chunk.len() as u64;
                    if !chunk.is_empty() {
                        st.failures = 0;
                    }
                    return Some((Ok(chunk), st));
                }
                None => return None,
                Some(Err(e)) => e,
            };
            let policy = match &st.origin {
                Some(o) if resumable_failure(&failure) => o.client.config().retry,
                _ => {
                    st.done = true;
                    return Some((Err(failure), st));
                }
            };
            if st.failures >= policy.max_retries {
                st.done = true;
                return Some((Err(failure), st));
            }
            tokio::time::sleep(policy.backoff(st.failures, crate::ids::jitter())).await;
            st.failures += 1;
            let Some(origin) = st.origin.clone() else {
                continue;
            };
            tracing::info!(target: "poke", at = st.at, error = %failure, "resuming download");
            match origin.fetch(Some(st.at)).await {
                Ok(part) if part.start == st.at => st.body = part.body,
                // The server sent something else than the rest of the file: give up with
                // the failure that started this.
                Ok(_) => {
                    st.done = true;
                    return Some((Err(failure), st));
                }
                Err(e) if resumable_failure(&e) => {
                    st.body = futures_util::stream::once(async move { Err(e) }).boxed();
                }
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_start() {
        assert_eq!(range_start("bytes 100-199/1000"), Some(100));
        assert_eq!(range_start("bytes 0-0/1"), Some(0));
        assert_eq!(range_start("bytes */1000"), None);
        assert_eq!(range_start("items 1-2/3"), None);
    }
}
