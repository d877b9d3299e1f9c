//! Uploads: a local file or bytes, streamed, under an idle bound, retried by reopening.

use super::records::UploadResult;
use super::save::file_error;
use crate::error::{Error, Result, TimeoutPhase};
use crate::http::{
    Body, Decision, Flavor, Idempotency, bearer_header, error_from_response, map_send_error,
    read_capped, retry_outcome,
};
use crate::sessions::PokeeClient;
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Size of the pieces an upload is read and sent in.
const UPLOAD_CHUNK: usize = 64 * 1024;
/// In-memory uploads up to this size go through the ordinary call path (total timeout);
/// larger ones are streamed under the idle timeout, like files.
const SMALL_UPLOAD: usize = 1024 * 1024;
/// Uploads are raw bytes; the server does not interpret the type.
const OCTET_STREAM: &str = "application/octet-stream";

/// What an upload reads from; reopened on every attempt.
enum Source {
    File(PathBuf),
    Bytes(Bytes),
}

type Progress = Arc<Mutex<Box<dyn FnMut(u64, Option<u64>) + Send>>>;

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
        self.put(session_id, path, Source::File(src), Box::new(progress))
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
                content_type: OCTET_STREAM.into(),
            };
            return self
                .call_json(self.request(Method::PUT, url, body, Idempotency::Safe))
                .await;
        }
        self.put(session_id, path, Source::Bytes(data), Box::new(|_, _| {}))
            .await
    }

    /// (which `Http::execute` cannot do) and the same retry policy decides.
    async fn put(
        &self,
        session_id: &str,
        path: &str,
        source: Source,
        progress: Box<dyn FnMut(u64, Option<u64>) + Send>,
    ) -> Result<UploadResult> {
        let url = self.files_url(session_id, path, false)?;
        let url = reqwest::Url::parse(&url).map_err(|e| Error::InvalidInput {
            field: "url",
            reason: e.to_string(),
        })?;
        let auth = bearer_header(self.api_key())?;
        let total = match &source {
            Source::File(p) => tokio::fs::metadata(p)
                .await
                .map_err(|e| file_error(p, &e))?
                .len(),
            Source::Bytes(b) => b.len() as u64,
        };
        let progress: Progress = Arc::new(Mutex::new(progress));
        let idle = self.transfer_read_idle();
        let policy = self.config().retry;
        let mut attempt = 0u32;
        loop {
            let chunks = open_source(&source).await?;
            let activity = Activity::new();
            let read_error: Arc<Mutex<Option<String>>> = Arc::default();
            let body = counted(
                chunks,
                total,
                progress.clone(),
                activity.clone(),
                read_error.clone(),
            );
            let mut rb = self
                .http()
                .client
                .put(url.clone())
                .header(USER_AGENT, &self.config().user_agent)
                .header(AUTHORIZATION, auth.clone())
                .header(CONTENT_TYPE, OCTET_STREAM)
                .header(CONTENT_LENGTH, total)
                .body(reqwest::Body::wrap_stream(body));
            if attempt > 0 {
                rb = rb.header("x-poke-retry-count", attempt.to_string());
            }
            let max_bytes = self.config().max_response_bytes;
            let once = async {
                let resp = rb.send().await.map_err(map_send_error)?;
                if !resp.status().is_success() {
                    return Err(error_from_response(resp, Flavor::Pokee).await);
                }
                let status = resp.status().as_u16();
                let raw = read_capped(resp, max_bytes).await?;
                serde_json::from_slice::<UploadResult>(&raw).map_err(|e| Error::Decode {
                    what: "UploadResult",
                    detail: e.to_string(),
                    status,
                })
            };
            let result = tokio::select! {
                r = once => r,
                () = activity.idle_for(idle) => Err(Error::Timeout {
                    phase: TimeoutPhase::ReadIdle,
                    after: idle,
                }),
            };
            let err = match result {
                Ok(done) => return Ok(done),
                Err(e) => e,
            };
            let local = read_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let (Some(reason), Source::File(p)) = (local, &source) {
                // The file failed, not the network: another attempt would not help.
                return Err(Error::File {
                    path: p.display().to_string(),
                    reason,
                });
            }
            let decision = match retry_outcome(&err) {
                Some(outcome) => {
                    policy.decide(Idempotency::Safe, outcome, attempt, fastrand::f64())
                }
                None => Decision::Return,
            };
            match decision {
                Decision::Return => return Err(err),
                Decision::Retry(wait) => {
                    tracing::info!(
                        target: "poke",
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = %err,
                        "retrying upload"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}

type IoChunks = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

async fn open_source(source: &Source) -> Result<IoChunks> {
    Ok(match source {
        Source::File(p) => {
            let f = tokio::fs::File::open(p)
                .await
                .map_err(|e| file_error(p, &e))?;
            tokio_util::io::ReaderStream::with_capacity(f, UPLOAD_CHUNK).boxed()
        }
        Source::Bytes(b) => {
            let b = b.clone();
            let len = b.len();
            futures_util::stream::iter(
                (0..len)
                    .step_by(UPLOAD_CHUNK)
                    .map(move |i| Ok(b.slice(i..(i + UPLOAD_CHUNK).min(len)))),
            )
            .boxed()
        }
    })
}

/// Wraps upload chunks: reports progress, marks activity for the idle watchdog, and keeps a
/// local read error so it is not mistaken for a network failure.
fn counted(
    chunks: IoChunks,
    total: u64,
    progress: Progress,
    activity: Activity,
    read_error: Arc<Mutex<Option<String>>>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let mut sent = 0u64;
    chunks.map(move |item| {
        activity.touch();
        match item {
            Ok(chunk) => {
                sent += chunk.len() as u64;
                let mut report = progress.lock().unwrap_or_else(PoisonError::into_inner);
                (*report)(sent, Some(total));
                Ok(chunk)
            }
            Err(e) => {
                *read_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
                Err(e)
            }
        }
    })
}

/// Last time an upload made progress, for an idle bound that a total bound cannot give.
#[derive(Clone)]
struct Activity {
    start: tokio::time::Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: tokio::time::Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing happened for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn activity_watchdog_fires_only_after_silence() {
        let a = Activity::new();
        let watch = a.clone();
        let idle = Duration::from_secs(30);
        tokio::time::advance(Duration::from_secs(20)).await;
        a.touch();
        let fired_at = async move {
            watch.idle_for(idle).await;
            tokio::time::Instant::now()
        }
        .await;
        assert!(fired_at >= a.start + Duration::from_secs(50));
    }
}
