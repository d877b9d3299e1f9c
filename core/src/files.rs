//! Workspace files: list, download (streamed, or saved atomically), upload (streamed), delete.

use crate::api_error::Flavor;
use crate::config::Timeouts;
use crate::error::{Error, Result, TimeoutPhase};
use crate::resume::ByteStream;
use crate::retry::{Decision, Idempotency};
use crate::sessions::{PokeeClient, encode_component, id_segment};
use crate::transport::{
    Body, CallOptions, bearer_header, error_from_response, map_body_error, map_send_error,
    read_capped, retry_outcome,
};
use bytes::Bytes;
use futures_util::stream::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// Longest workspace path the server accepts, in bytes.
const MAX_PATH_BYTES: usize = 1024;
/// Size of the pieces an upload is read and sent in.
const UPLOAD_CHUNK: usize = 64 * 1024;
/// Size of the buffers a download to a file is gathered in and written from.
const WRITE_BUFFER: usize = 1024 * 1024;
/// How many such buffers one download uses at most: one being filled, one ready to continue
/// in, the others queued or being written.
const WRITE_BUFFERS: usize = 4;
/// Largest single write to the file. Here (Linux 6.18, ext4, a VM), page-cache writes of
/// 1 MiB and more were 2 to 8 times slower about one time in three (likely the large folios
/// the kernel gives them), while writes of 256 KiB never were and cost no more otherwise.
const WRITE_PIECE: usize = 256 * 1024;
/// A download to a file reports progress after every hundredth of the file, and at least
/// after every MiB (when the file is small or its size unknown) …
const PROGRESS_BYTES: u64 = 1024 * 1024;
/// … or after this long without a report.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// In-memory uploads up to this size go through the ordinary call path (total timeout);
/// larger ones are streamed under the idle timeout, like files.
const SMALL_UPLOAD: usize = 1024 * 1024;
/// Uploads are raw bytes; the server does not interpret the type.
const OCTET_STREAM: &str = "application/octet-stream";

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FileEntry {
    /// The bare entry name, not a path.
    pub name: String,
    /// Open type string: `file`, `directory`, or anything newer.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Size in bytes (0 for directories).
    #[serde(default)]
    pub size: u64,
    /// Modification time, Unix seconds.
    #[serde(default)]
    pub modified: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FileEntry {
    /// True for directories.
    pub fn is_dir(&self) -> bool {
        self.kind == "directory"
    }

    /// True for regular files.
    pub fn is_file(&self) -> bool {
        self.kind == "file"
    }
}

/// Answer of an upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UploadResult {
    /// The normalised workspace-relative path written.
    #[serde(default)]
    pub path: String,
    /// Bytes stored.
    #[serde(default)]
    pub size: u64,
    /// Modification time, Unix seconds.
    #[serde(default)]
    pub modified: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Checks a workspace path against the server's rules (spec §6.5) and percent-encodes each
/// segment, so nothing the server would refuse, or resolve elsewhere, is ever sent.
pub(crate) fn encode_path(path: &str, allow_trailing_slash: bool) -> Result<String> {
    let reason = if path.is_empty() {
        Some("must not be empty")
    } else if path.len() > MAX_PATH_BYTES {
        Some("must be at most 1024 bytes")
    } else if path.starts_with('/') {
        Some("must be relative to the workspace (no leading '/')")
    } else if path.contains('\\') {
        Some("must not contain a backslash")
    } else if path.chars().any(char::is_control) {
        Some("must not contain NUL or other control characters")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(Error::InvalidInput {
            field: "path",
            reason: reason.into(),
        });
    }
    let (body, slash) = match path.strip_suffix('/') {
        Some(rest) if allow_trailing_slash => (rest, "/"),
        _ => (path, ""),
    };
    let mut segments = Vec::new();
    for segment in body.split('/') {
        let reason = match segment {
            "" => "must not have empty segments ('//' or a trailing '/')",
            "." | ".." => "must not have '.' or '..' segments",
            s => {
                segments.push(encode_component(s));
                continue;
            }
        };
        return Err(Error::InvalidInput {
            field: "path",
            reason: reason.into(),
        });
    }
    Ok(format!("{}{slash}", segments.join("/")))
}

/// A file being downloaded: a `Stream` of chunks, or [`Download::save_to`] a local path.
pub struct Download {
    inner: ByteStream,
    content_length: Option<u64>,
    content_type: Option<String>,
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

    /// Writes the file to `dest` in constant memory and returns its size.
    ///
    /// Bytes go to a temporary file in the same directory, which is renamed over `dest` only
    /// once complete; on any failure (or if this future is dropped) it is removed, so `dest`
    /// never holds a partial file. `progress(done, total)` runs first with 0, then while
    /// bytes arrive (after every hundredth of the file, or MiB if that is more, or 100 ms),
    /// and last with the final size once every byte is written, before the rename.
    ///
    /// A task of the runtime copies the body into a few 1 MiB buffers (4 at most) that one
    /// blocking thread writes with plain blocking writes: the network is read while the disk
    /// is written, with neither a runtime round trip nor a wakeup per chunk.
    pub async fn save_to(
        self,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.save(dest.as_ref(), progress, Writes::Thread).await
    }

    /// [`Download::save_to`] with every write made by the task that awaits this future, as
    /// plain blocking writes of 1 MiB, and no other thread or task involved.
    ///
    /// This is the fastest way when the runtime is a current-thread one that the calling
    /// thread drives for this download alone (as a blocking client would do it: one thread
    /// reads the socket and writes the file). On a runtime shared with other tasks, use
    /// `save_to`: each write here blocks the runtime's thread while the disk takes it.
    pub async fn save_to_inline(
        self,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.save(dest.as_ref(), progress, Writes::Inline).await
    }

    async fn save(
        self,
        dest: &Path,
        mut progress: impl FnMut(u64, Option<u64>),
        writes: Writes,
    ) -> Result<u64> {
        let name = dest.file_name().ok_or_else(|| Error::InvalidInput {
            field: "dest",
            reason: "names no file".into(),
        })?;
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let tmp = dir.join(format!(
            ".{}.{}.part",
            name.to_string_lossy(),
            tag.get(..12).unwrap_or(&tag)
        ));
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        let file = match writes {
            // Inline writes block this task anyway; the open and the rename need no
            // hand-off to a blocking thread (a new one, on a fresh runtime) either.
            Writes::Inline => open.open(&tmp),
            Writes::Thread => match tokio::fs::OpenOptions::from(open).open(&tmp).await {
                Ok(f) => Ok(f.into_std().await),
                Err(e) => Err(e),
            },
        }
        .map_err(|e| file_error(&tmp, &e))?;
        let mut guard = TempFile(Some(tmp.clone()));
        let total = self.content_length;
        let step = total.map_or(PROGRESS_BYTES, |t| (t / 100).max(PROGRESS_BYTES));
        progress(0, total);
        let (done, reported) = match writes {
            Writes::Thread => {
                self.write_on_thread(file, &tmp, step, &mut progress)
                    .await?
            }
            Writes::Inline => {
                write_inline(self.inner, file, &tmp, step, &mut progress, total).await?
            }
        };
        if let Some(total) = total.filter(|t| *t != done) {
            return Err(Error::Connection {
                reason: format!("download ended after {done} of {total} bytes"),
                maybe_sent: true,
            });
        }
        if reported != done {
            progress(done, total);
            // A caller that acts on reports (and may drop this future, as the Python binding
            // does when its callback raises) sees the last one before the rename, which
            // cannot be called back once started.
            tokio::task::yield_now().await;
        }
        // The rename makes the file appear whole or not at all. No fsync: like curl, httpx and
        // requests, durability across a power loss is left to the caller (it cost a third of
        // the time of a 256 MiB download here).
        match writes {
            Writes::Inline => std::fs::rename(&tmp, dest),
            Writes::Thread => tokio::fs::rename(&tmp, dest).await,
        }
        .map_err(|e| file_error(dest, &e))?;
        guard.0 = None;
        Ok(done)
    }

    /// The writing of `save_to`: see there. Returns the bytes written and the last report.
    async fn write_on_thread(
        self,
        file: std::fs::File,
        tmp: &Path,
        step: u64,
        progress: &mut impl FnMut(u64, Option<u64>),
    ) -> Result<(u64, u64)> {
        let total = self.content_length;
        // No larger than the file: a small download needs no MiB buffers.
        let size = total.map_or(WRITE_BUFFER, |t| {
            usize::try_from(t).map_or(WRITE_BUFFER, |t| t.clamp(1, WRITE_BUFFER))
        });
        let (full_tx, full_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(WRITE_BUFFERS);
        let (free_tx, free_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(WRITE_BUFFERS);
        // Ends once `full_tx` is gone, after the buffers already queued (a bounded amount): if
        // this future is dropped, they go to a file the guard has already removed.
        let writer = tokio::task::spawn_blocking(move || write_buffers(file, full_rx, free_tx));
        let (seen_tx, mut seen) = tokio::sync::watch::channel(0u64);
        let mut reader = AbortOnDrop(tokio::spawn(gather(
            self.inner, size, full_tx, free_rx, seen_tx, step,
        )));
        let mut reported = 0u64;
        let gathered = loop {
            tokio::select! {
                biased;
                r = &mut reader.0 => break r,
                Ok(()) = seen.changed() => {
                    reported = *seen.borrow_and_update();
                    progress(reported, total);
                }
            }
        };
        let done = match gathered {
            Ok(Ok(Gathered::All(done))) => Some(done),
            Ok(Ok(Gathered::WriterStopped)) => None,
            Ok(Err(e)) => return Err(e),
            Err(e) if e.is_cancelled() => return Err(Error::Cancelled),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match writer.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(file_error(tmp, &e)),
            Err(e) if e.is_cancelled() => return Err(Error::Cancelled),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
        let Some(done) = done else {
            // Unreachable: the writer stops early only on an error, returned just above.
            return Err(Error::File {
                path: tmp.display().to_string(),
                reason: "the writing thread stopped".into(),
            });
        };
        Ok((done, reported))
    }
}

/// Who writes a download to its file.
#[derive(Clone, Copy)]
enum Writes {
    /// A blocking thread of its own ([`Download::save_to`]).
    Thread,
    /// The awaiting task itself ([`Download::save_to_inline`]).
    Inline,
}

/// The writing of [`Download::save_to_inline`]: the body's chunks are held (see [`Held`])
/// until they add up to [`WRITE_BUFFER`] bytes, then written with one vectored blocking write;
/// `progress` is called after every `step` bytes or [`PROGRESS_EVERY`]. Returns the bytes
/// written and the last report.
async fn write_inline(
    mut body: ByteStream,
    mut file: std::fs::File,
    tmp: &Path,
    step: u64,
    progress: &mut impl FnMut(u64, Option<u64>),
    total: Option<u64>,
) -> Result<(u64, u64)> {
    let mut held = Held::default();
    let (mut done, mut told) = (0u64, 0u64);
    let mut told_at = tokio::time::Instant::now();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        done += chunk.len() as u64;
        held.push(chunk);
        held.write_full(&mut file)
            .map_err(|e| file_error(tmp, &e))?;
        if done > told && (done - told >= step || told_at.elapsed() >= PROGRESS_EVERY) {
            progress(done, total);
            told = done;
            told_at = tokio::time::Instant::now();
        }
    }
    held.write_rest(&mut file)
        .map_err(|e| file_error(tmp, &e))?;
    Ok((done, told))
}

/// Chunks smaller than this are copied together rather than held one by one.
const SMALL_CHUNK: usize = 64 * 1024;

/// A download's chunks waiting to be written: large ones held as they came (no copy), small
/// ones copied together, so that few pieces are held (at most one large chunk and one piece
/// of small ones before it per `SMALL_CHUNK` bytes, plus two).
/// Every write but the last is [`WRITE_BUFFER`] bytes long, at a multiple of it, as a
/// buffered copy would write it.
///
/// Not copying matters: the copy into a buffer was about 8% of a download's CPU (`perf`), on
/// top of the two copies the kernel makes (socket to chunk, chunk to page cache).
#[derive(Default)]
struct Held {
    chunks: Vec<Bytes>,
    small: bytes::BytesMut,
    len: usize,
}

impl Held {
    fn push(&mut self, chunk: Bytes) {
        self.len += chunk.len();
        if chunk.len() < SMALL_CHUNK {
            if self.small.is_empty() {
                // One allocation per piece, never grown: a piece is sealed before it
                // reaches 2 * SMALL_CHUNK.
                self.small.reserve(2 * SMALL_CHUNK);
            }
            self.small.extend_from_slice(&chunk);
            if self.small.len() >= SMALL_CHUNK {
                self.seal_small();
            }
        } else {
            self.seal_small();
            self.chunks.push(chunk);
        }
    }

    fn seal_small(&mut self) {
        if !self.small.is_empty() {
            self.chunks.push(self.small.split().freeze());
        }
    }

    /// Writes [`WRITE_BUFFER`] bytes as long as that many are held.
    fn write_full(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        while self.len >= WRITE_BUFFER {
            self.seal_small();
            let over = self.len - WRITE_BUFFER;
            // `over` is less than the last piece: the held bytes were fewer than
            // WRITE_BUFFER before it came.
            let tail = match self.chunks.last_mut() {
                Some(last) if over > 0 => Some(last.split_off(last.len().saturating_sub(over))),
                _ => None,
            };
            write_chunks(file, &self.chunks)?;
            self.chunks.clear();
            self.chunks.extend(tail);
            self.len = over;
        }
        Ok(())
    }

    /// Writes whatever is held.
    fn write_rest(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        self.seal_small();
        write_chunks(file, &self.chunks)?;
        self.chunks.clear();
        self.len = 0;
        Ok(())
    }
}

/// Writes every byte of `chunks`, in as few vectored writes as the file accepts.
fn write_chunks(file: &mut std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<std::io::IoSlice<'_>> =
        chunks.iter().map(|c| std::io::IoSlice::new(c)).collect();
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match file.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => std::io::IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// How [`gather`] ended without a network error.
enum Gathered {
    /// Every byte was queued for the writer: this many.
    All(u64),
    /// The writer stopped early, on an error of its own.
    WriterStopped,
}

/// The reading end of [`Download::save_to`], a task of its own: copies the chunks into
/// buffers of `size` bytes, handing each full one to the writer and taking back written
/// ones (at most [`WRITE_BUFFERS`] exist), and tells `seen` how far it got after every
/// `step` bytes or [`PROGRESS_EVERY`].
///
/// A task, not the caller's future (which may be driven by another thread, e.g. a Python
/// caller's), so that it usually runs on the runtime thread that received the chunk: no
/// wakeup of another thread per chunk. Copying (once) rather than queueing the chunks
/// themselves frees each one at once, so the connection can reuse its read buffer instead
/// of allocating one per read, and the memory held is these buffers whatever the chunk sizes.
async fn gather(
    mut body: ByteStream,
    size: usize,
    full: tokio::sync::mpsc::Sender<Vec<u8>>,
    mut free: tokio::sync::mpsc::Receiver<Vec<u8>>,
    seen: tokio::sync::watch::Sender<u64>,
    step: u64,
) -> Result<Gathered> {
    let mut buf = Vec::with_capacity(size);
    // The buffer to continue in once `buf` is full, obtained before taking a chunk so that
    // no chunk is held across a wait for the writer (see above).
    let mut spare: Option<Vec<u8>> = None;
    let mut made = 1;
    let mut done = 0u64;
    let mut told = 0u64;
    let mut told_at = tokio::time::Instant::now();
    loop {
        if spare.is_none() {
            spare = Some(if made < WRITE_BUFFERS {
                made += 1;
                Vec::with_capacity(size)
            } else {
                match free.recv().await {
                    Some(b) => b,
                    None => return Ok(Gathered::WriterStopped),
                }
            });
        }
        let Some(chunk) = body.next().await else {
            break;
        };
        let chunk = chunk?;
        done += chunk.len() as u64;
        let mut rest = &chunk[..];
        loop {
            let n = (buf.capacity() - buf.len()).min(rest.len());
            let (head, tail) = rest.split_at(n);
            buf.extend_from_slice(head);
            rest = tail;
            if buf.len() < buf.capacity() {
                break;
            }
            let next = match spare.take() {
                Some(b) => b,
                // Only for a chunk larger than a buffer.
                None => match free.recv().await {
                    Some(b) => b,
                    None => return Ok(Gathered::WriterStopped),
                },
            };
            if !hand_over(&full, std::mem::replace(&mut buf, next)).await {
                return Ok(Gathered::WriterStopped);
            }
            if rest.is_empty() {
                break;
            }
        }
        drop(chunk);
        if done > told && (done - told >= step || told_at.elapsed() >= PROGRESS_EVERY) {
            seen.send_replace(done);
            told = done;
            told_at = tokio::time::Instant::now();
        }
    }
    if !buf.is_empty() && !hand_over(&full, buf).await {
        return Ok(Gathered::WriterStopped);
    }
    Ok(Gathered::All(done))
}

/// Queues a full buffer for the writer; false if it is gone. The queue has room for every
/// buffer, so this does not wait (nor yield, as an awaited send could).
async fn hand_over(full: &tokio::sync::mpsc::Sender<Vec<u8>>, buf: Vec<u8>) -> bool {
    match full.try_send(buf) {
        Ok(()) => true,
        Err(tokio::sync::mpsc::error::TrySendError::Full(buf)) => full.send(buf).await.is_ok(),
        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// Aborts a task when dropped, so that dropping [`Download::save_to`] stops its reading.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The writing end of [`Download::save_to`], on a blocking thread: writes each full buffer
/// it receives and hands it back for reuse, until the sender is gone; the file is closed
/// before it returns.
fn write_buffers(
    mut file: std::fs::File,
    mut full: tokio::sync::mpsc::Receiver<Vec<u8>>,
    free: tokio::sync::mpsc::Sender<Vec<u8>>,
) -> std::io::Result<()> {
    while let Some(mut buf) = full.blocking_recv() {
        for piece in buf.chunks(WRITE_PIECE) {
            file.write_all(piece)?;
        }
        buf.clear();
        // Never full (one slot per buffer); an error means the download is over.
        let _ = free.try_send(buf);
    }
    Ok(())
}

/// A response body bounded by an idle timeout: a wait for the next chunk that lasts longer
/// than `idle` ends the stream with [`TimeoutPhase::ReadIdle`].
///
/// One timer serves the whole body: each wait only notes when it began, and the timer is
/// re-armed lazily, when it fires early, instead of once per chunk.
struct IdleBody<S> {
    body: S,
    idle: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// When the current wait for a chunk began; `None` between a chunk and the next poll.
    waiting_since: Option<tokio::time::Instant>,
    ended: bool,
}

impl<S> IdleBody<S> {
    fn new(body: S, idle: Duration) -> Self {
        Self {
            body,
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            waiting_since: None,
            ended: false,
        }
    }
}

impl<S> Stream for IdleBody<S>
where
    S: Stream<Item = reqwest::Result<Bytes>> + Unpin,
{
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let since = *this
            .waiting_since
            .get_or_insert_with(tokio::time::Instant::now);
        match this.body.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.waiting_since = None;
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                return Poll::Ready(Some(Err(map_body_error(e))));
            }
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let deadline = since + this.idle;
        loop {
            if this.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The timer was armed for an earlier wait: move it to this one's deadline.
            if tokio::time::Instant::now() < deadline {
                this.sleep.as_mut().reset(deadline);
                continue;
            }
            this.ended = true;
            return Poll::Ready(Some(Err(Error::Timeout {
                phase: TimeoutPhase::ReadIdle,
                after: this.idle,
            })));
        }
    }
}

impl Stream for Download {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Removes a temporary file unless disarmed, including when a download future is dropped.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn file_error(path: &Path, e: &std::io::Error) -> Error {
    Error::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// What an upload reads from; reopened on every attempt.
enum Source {
    File(PathBuf),
    Bytes(Bytes),
}

type Progress = Arc<Mutex<Box<dyn FnMut(u64, Option<u64>) + Send>>>;

impl PokeeClient {
    fn files_url(&self, session_id: &str, path: &str, trailing_slash: bool) -> Result<String> {
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

    /// Deletes a file.
    pub async fn delete_file(&self, session_id: &str, path: &str) -> Result<()> {
        let url = self.files_url(session_id, path, false)?;
        self.call_empty(self.request(Method::DELETE, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// The upload loop: a streamed body cannot be cloned, so each attempt reopens the source
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
    use std::io::Seek;

    #[test]
    fn path_rules() {
        assert_eq!(
            encode_path("output/deck.pptx", false).ok().as_deref(),
            Some("output/deck.pptx")
        );
        assert_eq!(
            encode_path("my docs/r&d #1.md", false).ok().as_deref(),
            Some("my%20docs/r%26d%20%231.md")
        );
        assert_eq!(
            encode_path("%2e%2e/x", false).ok().as_deref(),
            Some("%252e%252e/x")
        );
        assert_eq!(
            encode_path("output/", true).ok().as_deref(),
            Some("output/")
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a/./b",
            ".",
            "a//b",
            "a\\b",
            "a\0b",
            "a\nb",
            "output/",
        ] {
            assert!(
                matches!(
                    encode_path(bad, false),
                    Err(Error::InvalidInput { field: "path", .. })
                ),
                "{bad:?}"
            );
        }
        assert!(encode_path(&"a".repeat(1025), false).is_err());
        assert!(encode_path(&"a".repeat(1024), false).is_ok());
    }

    #[test]
    fn file_entry_keeps_unknown_type() {
        let e: FileEntry = serde_json::from_str(
            r#"{"name":"x","type":"symlink","size":3,"modified":1.5,"target":"y"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!e.is_dir() && !e.is_file());
        assert_eq!(e.kind, "symlink");
        assert_eq!(e.extra.get("target"), Some(&Value::from("y")));
    }

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

    /// A fresh, empty directory for one test.
    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("poke-files-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()
            .unwrap_or_else(|e| panic!("{e}"));
        names.sort();
        names
    }

    fn download(chunks: Vec<Bytes>, content_length: Option<u64>, then_stall: bool) -> Download {
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok));
        let inner = if then_stall {
            body.chain(futures_util::stream::pending()).boxed()
        } else {
            body.boxed()
        };
        Download {
            inner,
            content_length,
            content_type: None,
        }
    }

    /// Odd-sized chunks, larger in all than the write buffers, so that buffers fill across
    /// chunk boundaries and get reused.
    fn chunks() -> (Vec<Bytes>, Vec<u8>) {
        let data: Vec<u8> = (0..(3 * WRITE_BUFFERS * WRITE_BUFFER + 12_345))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut chunks = Vec::new();
        let mut at = 0;
        for size in [1, 7, 65_536, 417_792, 3 * WRITE_BUFFER, 0].iter().cycle() {
            if at == data.len() {
                break;
            }
            let end = (at + size).min(data.len());
            chunks.push(Bytes::copy_from_slice(&data[at..end]));
            at = end;
        }
        (chunks, data)
    }

    #[test]
    fn held_chunks_are_written_whole_in_aligned_pieces_and_stay_few() {
        let dir = scratch();
        let path = dir.join("held.bin");
        let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        let (mut pieces, data) = chunks();
        // Many tiny chunks too (a slow stream), which must not be held one by one, then tiny
        // and large chunks in turn (each large one seals the tiny one before it).
        let tiny_at = data.len();
        let mut tiny: Vec<u8> = (0..200_000).map(|i| (i % 13) as u8).collect();
        pieces.extend(tiny.chunks(3).map(Bytes::copy_from_slice));
        for i in 0..40u8 {
            let large = vec![i; SMALL_CHUNK];
            pieces.push(Bytes::copy_from_slice(&[i]));
            pieces.push(Bytes::copy_from_slice(&large));
            tiny.push(i);
            tiny.extend_from_slice(&large);
        }
        let mut held = Held::default();
        let mut most = 0;
        for piece in pieces {
            held.push(piece);
            most = most.max(held.chunks.len());
            held.write_full(&mut file).unwrap_or_else(|e| panic!("{e}"));
            let at = file.stream_position().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                at % WRITE_BUFFER as u64,
                0,
                "a write ends on a buffer boundary"
            );
            assert!(held.len < WRITE_BUFFER);
        }
        held.write_rest(&mut file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            most > WRITE_BUFFER / SMALL_CHUNK,
            "the turns were held: {most}"
        );
        assert!(
            most <= 2 * (WRITE_BUFFER / SMALL_CHUNK) + 2,
            "{most} pieces held"
        );
        let written = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written.len(), tiny_at + tiny.len());
        assert!(written[..tiny_at] == data[..] && written[tiny_at..] == tiny[..]);
        std::fs::remove_dir_all(dir).ok();
    }

    /// `save_to`, or `save_to_inline` when `inline`: both must behave the same.
    async fn save(
        d: Download,
        dest: &Path,
        inline: bool,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        if inline {
            d.save_to_inline(dest, progress).await
        } else {
            d.save_to(dest, progress).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn save_to_writes_every_byte_and_reports_the_total() {
        for inline in [false, true] {
            let dir = scratch();
            let dest = dir.join("out.bin");
            let (chunks, data) = chunks();
            let total = data.len() as u64;
            let mut reports = Vec::new();
            let d = download(chunks, Some(total), false);
            let n = save(d, &dest, inline, |done, total| reports.push((done, total)))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(n, total);
            assert!(
                std::fs::read(&dest).is_ok_and(|got| got == data),
                "inline {inline}"
            );
            assert_eq!(reports.first(), Some(&(0, Some(total))));
            assert_eq!(reports.last(), Some(&(total, Some(total))));
            assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "{reports:?}");
            assert_eq!(names(&dir), ["out.bin"]);

            // Without a length, and empty.
            let empty = dir.join("empty.bin");
            let n = save(download(Vec::new(), None, false), &empty, inline, |_, _| {})
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(n, 0);
            assert!(std::fs::read(&empty).is_ok_and(|got| got.is_empty()));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[tokio::test]
    async fn save_to_refuses_a_short_body_and_leaves_no_file() {
        for inline in [false, true] {
            let dir = scratch();
            let dest = dir.join("out.bin");
            std::fs::write(&dest, b"old").unwrap_or_else(|e| panic!("{e}"));
            let (chunks, data) = chunks();
            let d = download(chunks, Some(data.len() as u64 + 1), false);
            let err = save(d, &dest, inline, |_, _| {})
                .await
                .expect_err("short body");
            assert!(matches!(err, Error::Connection { .. }), "{err:?}");
            assert!(std::fs::read(&dest).is_ok_and(|got| got == b"old"));
            assert_eq!(names(&dir), ["out.bin"]);

            let nowhere = dir.join("missing").join("x");
            let err = save(
                download(Vec::new(), None, false),
                &nowhere,
                inline,
                |_, _| {},
            )
            .await
            .expect_err("no such directory");
            assert!(matches!(err, Error::File { .. }), "{err:?}");
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_save_to_removes_its_partial_file() {
        for inline in [false, true] {
            let dir = scratch();
            let (chunks, _) = chunks();
            let dest = dir.join("out.bin");
            let saving = save(download(chunks, None, true), &dest, inline, |_, _| {});
            let cut = tokio::time::timeout(Duration::from_millis(300), saving).await;
            assert!(cut.is_err(), "the body never ends");
            assert!(names(&dir).is_empty(), "{:?}", names(&dir));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    fn idle_body(
        chunks: Vec<Bytes>,
        idle: Duration,
    ) -> IdleBody<futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>> {
        let body = futures_util::stream::iter(chunks.into_iter().map(Ok))
            .chain(futures_util::stream::pending())
            .boxed();
        IdleBody::new(body, idle)
    }

    #[tokio::test(start_paused = true)]
    async fn idle_body_times_out_only_on_a_silent_server() {
        let idle = Duration::from_secs(30);
        let mut body = idle_body(
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")],
            idle,
        );
        let start = tokio::time::Instant::now();
        assert!(matches!(body.next().await, Some(Ok(c)) if c == "a"));
        // A slow reader is not a silent server: the wait starts when it asks again.
        tokio::time::sleep(idle * 3).await;
        assert!(matches!(body.next().await, Some(Ok(c)) if c == "b"));
        let asked = tokio::time::Instant::now();
        assert!(matches!(
            body.next().await,
            Some(Err(Error::Timeout {
                phase: TimeoutPhase::ReadIdle,
                ..
            }))
        ));
        assert!(tokio::time::Instant::now() >= asked + idle);
        assert!(tokio::time::Instant::now() >= start + idle * 4);
        assert!(body.next().await.is_none());
    }
}
