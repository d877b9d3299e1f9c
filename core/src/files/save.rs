//! Saving a download to a local file: a temporary file in the same directory, renamed over
//! the destination once complete.

use super::download::Download;
use crate::error::{Error, Result};
use crate::http::ByteStream;
use bytes::Bytes;
use futures_util::stream::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

impl Download {
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

/// Removes a temporary file unless disarmed, including when a download future is dropped.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

pub(crate) fn file_error(path: &Path, e: &std::io::Error) -> Error {
    Error::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Seek;

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
}
