//! Saving a download to a local file: the bytes go to a temporary file in the destination's
//! directory, renamed over the destination once complete, so it never holds a partial file.
//!
//! One writer: the body's chunks are held (see [`Held`]) until they make [`WRITE_BUFFER`]
//! bytes, then written with one vectored write, either by the awaiting task itself
//! ([`Download::save_to_inline`]) or by a blocking thread fed through a short queue
//! ([`Download::save_to`]).

use super::download::Download;
use crate::error::{Error, Result};
use bytes::Bytes;
use futures_util::stream::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bytes gathered before one write to the file.
const WRITE_BUFFER: usize = 1024 * 1024;
/// Gathered writes queued for the writing thread at most (with one being filled).
const WRITE_QUEUE: usize = 3;
/// A download to a file reports progress after every hundredth of the file, and at least
/// after every MiB (when the file is small or its size unknown) …
const PROGRESS_BYTES: u64 = 1024 * 1024;
/// … or after this long without a report.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Download {
    /// Writes the file to `dest` in constant memory and returns its size.
    ///
    /// Bytes go to a temporary file in the same directory, which is renamed over `dest` only
    /// once complete; on any failure (or if this future is dropped) it is removed, so `dest`
    /// never holds a partial file. `progress(done, total)` runs first with 0, then while
    /// bytes arrive (after every hundredth of the file, or MiB if that is more, or 100 ms),
    /// and last with the final size once every byte is written, before the rename.
    ///
    /// The writes are made by a blocking thread, so the runtime's threads never wait for the
    /// disk, and the network is read while the disk is written.
    pub async fn save_to(
        self,
        dest: impl AsRef<Path>,
        progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64> {
        self.save(dest.as_ref(), progress, Writes::Thread).await
    }

    /// [`Download::save_to`] with every write made by the task that awaits this future, as
    /// plain blocking writes of 1 MiB, and no other thread involved (the blocking clients).
    ///
    /// This is the fastest way when the runtime is a current-thread one that the calling
    /// thread drives for this download alone (as a blocking client does: one thread reads
    /// the socket and writes the file). On a runtime shared with other tasks, use `save_to`.
    #[doc(hidden)]
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
        let target = Target::of(dest)?;
        let (tmp, file) = temp_file(&target, writes).await?;
        let mut guard = TempFile(Some(tmp.clone()));
        // Write failures name the caller's path, not the temporary file.
        let failed = |e: std::io::Error| file_error(dest, &e);
        let total = self.content_length;
        let step = total.map_or(PROGRESS_BYTES, |t| (t / 100).max(PROGRESS_BYTES));
        progress(0, total);
        let mut sink = Sink::new(file, writes);
        let mut held = Held::default();
        let (mut done, mut told) = (0u64, 0u64);
        let mut told_at = tokio::time::Instant::now();
        let mut body = self.inner;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            done += chunk.len() as u64;
            held.push(chunk);
            while let Some(batch) = held.take_full() {
                sink.write(batch).await.map_err(failed)?;
            }
            if done > told && (done - told >= step || told_at.elapsed() >= PROGRESS_EVERY) {
                progress(done, total);
                told = done;
                told_at = tokio::time::Instant::now();
            }
        }
        sink.write(held.take_rest()).await.map_err(failed)?;
        sink.finish().await.map_err(failed)?;
        if let Some(total) = total.filter(|t| *t != done) {
            return Err(Error::Connection {
                reason: format!("download ended after {done} of {total} bytes"),
                maybe_sent: true,
                source: None,
            });
        }
        if told != done {
            progress(done, total);
            // A caller that acts on reports (and may drop this future, as the bindings do
            // when a callback fails) sees the last one before the rename, which cannot be
            // called back once started.
            tokio::task::yield_now().await;
        }
        if let Some(mode) = &target.keep {
            std::fs::set_permissions(&tmp, mode.clone()).map_err(failed)?;
        }
        // The rename makes the file appear whole or not at all. No fsync: like curl, httpx and
        // requests, durability across a power loss is left to the caller.
        match writes {
            Writes::Inline => std::fs::rename(&tmp, &target.path),
            Writes::Thread => tokio::fs::rename(&tmp, &target.path).await,
        }
        .map_err(failed)?;
        guard.0 = None;
        Ok(done)
    }
}

/// Where a download lands, checked the way writing to the path directly would be.
struct Target {
    /// The file replaced: the destination, or what it links to.
    path: PathBuf,
    /// The permissions of the file replaced, kept on the new one.
    keep: Option<std::fs::Permissions>,
}

impl Target {
    /// A symlink is written through (its target replaced, the link kept); an existing file
    /// must be writable (a read-only one is refused, not replaced) and keeps its mode; a
    /// directory is refused.
    fn of(dest: &Path) -> Result<Self> {
        let path = match std::fs::symlink_metadata(dest) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::canonicalize(dest).or_else(|_| link_target(dest))?
            }
            _ => dest.to_path_buf(),
        };
        let keep = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                return Err(file_error(
                    dest,
                    &std::io::Error::from(std::io::ErrorKind::IsADirectory),
                ));
            }
            Ok(m) => {
                // Opening for writing (no truncation) is the writability test the OS applies.
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| file_error(dest, &e))?;
                Some(m.permissions())
            }
            Err(_) => None,
        };
        Ok(Self { path, keep })
    }
}

/// The target of a dangling symlink, relative to the link's directory.
fn link_target(link: &Path) -> Result<PathBuf> {
    let target = std::fs::read_link(link).map_err(|e| file_error(link, &e))?;
    Ok(match link.parent() {
        Some(dir) if target.is_relative() => dir.join(target),
        _ => target,
    })
}

/// Who writes a download to its file.
#[derive(Clone, Copy)]
enum Writes {
    /// A blocking thread of its own ([`Download::save_to`]).
    Thread,
    /// The awaiting task itself ([`Download::save_to_inline`]).
    Inline,
}

/// Creates the temporary file next to the file it will replace (never an existing one).
async fn temp_file(target: &Target, writes: Writes) -> Result<(PathBuf, std::fs::File)> {
    let dest = &target.path;
    let name = dest.file_name().ok_or_else(|| Error::InvalidInput {
        field: "dest",
        reason: "names no file".into(),
    })?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tag = crate::ids::uuid_v4().simple().to_string();
    let tmp = dir.join(format!(
        ".{}.{}.part",
        name.to_string_lossy(),
        tag.get(..12).unwrap_or(&tag)
    ));
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    let file = match writes {
        // Inline writes block this task anyway: the open needs no hand-off either.
        Writes::Inline => open.open(&tmp),
        Writes::Thread => match tokio::fs::OpenOptions::from(open).open(&tmp).await {
            Ok(f) => Ok(f.into_std().await),
            Err(e) => Err(e),
        },
    }
    // Named after the destination: a missing directory is the caller's path missing.
    .map_err(|e| file_error(dest, &e))?;
    Ok((tmp, file))
}

/// Where gathered chunks are written: the file itself, or the queue of a writing thread.
enum Sink {
    Inline(std::fs::File),
    Thread {
        queue: tokio::sync::mpsc::Sender<Vec<Bytes>>,
        writer: tokio::task::JoinHandle<std::io::Result<()>>,
    },
}

impl Sink {
    fn new(file: std::fs::File, writes: Writes) -> Self {
        match writes {
            Writes::Inline => Self::Inline(file),
            Writes::Thread => {
                let (queue, mut rx) = tokio::sync::mpsc::channel::<Vec<Bytes>>(WRITE_QUEUE);
                // Ends once the queue's sender is gone (the download ended or was dropped),
                // after the writes already queued, a bounded amount.
                let writer = tokio::task::spawn_blocking(move || {
                    let mut file = file;
                    while let Some(batch) = rx.blocking_recv() {
                        write_chunks(&mut file, &batch)?;
                    }
                    Ok(())
                });
                Self::Thread { queue, writer }
            }
        }
    }

    async fn write(&mut self, batch: Vec<Bytes>) -> std::io::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        match self {
            Self::Inline(file) => write_chunks(file, &batch),
            Self::Thread { queue, writer } => {
                if queue.send(batch).await.is_ok() {
                    return Ok(());
                }
                // The writer stopped: its own error says why.
                Err(match writer.await {
                    Ok(Err(e)) => e,
                    _ => std::io::Error::other("the writing thread stopped"),
                })
            }
        }
    }

    /// Waits until every queued write is done, the file closed.
    async fn finish(self) -> std::io::Result<()> {
        match self {
            Self::Inline(_) => Ok(()),
            Self::Thread { queue, writer } => {
                drop(queue);
                writer
                    .await
                    .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
            }
        }
    }
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

    /// The first [`WRITE_BUFFER`] bytes held, once that many are.
    fn take_full(&mut self) -> Option<Vec<Bytes>> {
        if self.len < WRITE_BUFFER {
            return None;
        }
        self.seal_small();
        let over = self.len - WRITE_BUFFER;
        // `over` is less than the last piece: the held bytes were fewer than WRITE_BUFFER
        // before it came.
        let tail = match self.chunks.last_mut() {
            Some(last) if over > 0 => Some(last.split_off(last.len().saturating_sub(over))),
            _ => None,
        };
        let full = std::mem::take(&mut self.chunks);
        self.chunks.extend(tail);
        self.len = over;
        Some(full)
    }

    /// Whatever is held.
    fn take_rest(&mut self) -> Vec<Bytes> {
        self.seal_small();
        self.len = 0;
        std::mem::take(&mut self.chunks)
    }

    /// Writes [`WRITE_BUFFER`] bytes as long as that many are held.
    #[cfg(test)]
    fn write_full(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        while let Some(batch) = self.take_full() {
            write_chunks(file, &batch)?;
        }
        Ok(())
    }

    /// Writes whatever is held.
    #[cfg(test)]
    fn write_rest(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        write_chunks(file, &self.take_rest())
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

/// Removes a temporary file unless disarmed, including when a download future is dropped.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The error of a local file operation on `path` (the caller's path, never a temporary one).
pub(crate) fn file_error(path: &Path, e: &std::io::Error) -> Error {
    let text = e.to_string();
    Error::File {
        path: path.display().to_string(),
        reason: text.split(" (os error").next().unwrap_or(&text).to_owned(),
        kind: e.kind(),
        errno: e.raw_os_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Seek;

    /// Writes in flight in the old two-engine design; sizes the fixture so buffers fill
    /// across chunk boundaries many times.
    const WRITE_BUFFERS: usize = WRITE_QUEUE + 1;

    /// A fresh, empty directory for one test.
    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("poke-files-{}", crate::ids::uuid_v4()));
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
}
