//! A download read ahead in blocks, for readers that are not tokio tasks (a blocking thread,
//! an asyncio loop): a read-ahead (a runtime's task, or a lane's thread, see
//! [`ByteReader::with_start`]) reads the [`Download`] and hands blocks of the chunks already
//! received over a short queue, so memory stays bounded whatever the file's size.
//!
//! Reads are cancel-safe: what the task sent is filed before [`ByteReader::wait`] returns,
//! so a wait dropped halfway (Ctrl-C, a cancelled asyncio task) loses no byte.

use super::Download;
use crate::error::{Error, Result};
use bytes::Bytes;
use futures_util::future::{AbortHandle, AbortRegistration, Abortable};
use futures_util::{FutureExt, StreamExt};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tokio::sync::mpsc;

/// Bytes gathered into one block (a chunk bigger than this travels alone).
pub const BLOCK_BYTES: usize = 256 * 1024;

/// Blocks in flight between the read-ahead task and the reader; with [`BLOCK_BYTES`] this
/// bounds what is read ahead (about 1 MiB, plus the block being gathered).
pub const FEED_DEPTH: usize = 4;

/// The request that starts a download, run by the read-ahead task on the first read.
pub type OpenDownload = Pin<Box<dyn Future<Output = Result<Download>> + Send>>;

/// Starts the read-ahead of a reader made with [`ByteReader::with_start`] (on its first read).
pub type StartReadAhead = Box<dyn FnOnce(Feeder) + Send>;

/// The sending end of a reader: [`Feeder::run`] is its read-ahead, to run wherever the
/// reader's maker chose (a runtime's task, a lane's thread).
pub struct Feeder {
    tx: mpsc::Sender<Fed>,
    abort: AbortRegistration,
}

impl std::fmt::Debug for Feeder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feeder").finish_non_exhaustive()
    }
}

impl Feeder {
    /// Opens the download with `open` and reads it ahead until the end, a failure, or the
    /// reader's `close()` (or drop), which ends this future at once.
    pub async fn run(self, open: impl Future<Output = Result<Download>>) {
        let _ = Abortable::new(read_ahead(open, self.tx), self.abort).await;
    }

    /// Hands the reader the failure that kept the read-ahead from starting.
    pub fn fail(self, error: Error) {
        let _ = self.tx.try_send(Fed::Failed(error));
    }
}

/// Consecutive chunks of a download, handed over together.
///
/// Dropped, its chunks go back to the read-ahead task to be freed there: the allocator keeps
/// memory freed by a thread that did not allocate it for a while, and a reader's thread
/// (Python's) freeing every chunk made the process grow with the size of the download.
#[derive(Debug, Default)]
pub struct Block {
    chunks: Vec<Bytes>,
    len: usize,
    spent: Option<mpsc::UnboundedSender<Vec<Bytes>>>,
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Some(spent) = self.spent.take() {
            if !self.chunks.is_empty() {
                // A task that is gone drops them here instead.
                let _ = spent.send(std::mem::take(&mut self.chunks));
            }
        }
    }
}

impl Block {
    fn push(&mut self, chunk: Bytes) {
        self.len += chunk.len();
        self.chunks.push(chunk);
    }

    /// The number of bytes in the block.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a block of no bytes (never handed out).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order, as the network delivered them.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// Copies the block into `out`, which must be [`Block::len`] bytes long (one copy, e.g.
    /// straight into a host-language bytes object).
    pub fn copy_to(&self, out: &mut [u8]) {
        let mut at = 0;
        for chunk in &self.chunks {
            let end = (at + chunk.len()).min(out.len());
            out[at..end].copy_from_slice(&chunk[..end - at]);
            at = end;
        }
    }

    /// The block as one buffer (no copy when it holds a single chunk).
    pub fn into_bytes(mut self) -> Bytes {
        if self.chunks.len() == 1 {
            self.spent = None;
            return self.chunks.pop().unwrap_or_default();
        }
        let mut out = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        Bytes::from(out)
    }
}

/// What a read finds among the blocks already handed over.
#[derive(Debug)]
pub enum NextBlock {
    /// The next bytes of the file.
    Block(Block),
    /// The download failed (once; later reads see `End`).
    Failed(Error),
    /// All bytes were handed out (or the reader was closed).
    End,
    /// Nothing yet: wait with [`ByteReader::wait`].
    Empty,
}

/// What the read-ahead task hands over.
enum Fed {
    /// The response arrived; the size it announced.
    Opened(Option<u64>),
    Block(Block),
    Failed(Error),
    End,
}

struct Feed {
    rx: tokio::sync::Mutex<mpsc::Receiver<Fed>>,
    abort: AbortHandle,
}

struct Inner {
    /// What starts the read-ahead, until the first read does.
    pending: Mutex<Option<StartReadAhead>>,
    feed: OnceLock<Feed>,
    /// Received and not yet handed out, in order (never `Opened`).
    received: Mutex<VecDeque<Fed>>,
    /// Set once the end (or a failure) has been handed out, or the reader closed.
    ended: AtomicBool,
    content_length: OnceLock<Option<u64>>,
    /// Bytes handed out so far.
    delivered: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(feed) = self.feed.get() {
            feed.abort.abort();
        }
    }
}

/// A download read ahead in [`Block`]s; cheap to clone (clones share the reading).
#[derive(Clone)]
pub struct ByteReader {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ByteReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteReader")
            .field("delivered", &self.delivered())
            .field("content_length", &self.content_length())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values are plain data that a panic elsewhere cannot leave half-written.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ByteReader {
    /// A reader of the download that `open` starts; nothing is sent until the first read,
    /// whose read-ahead task runs on `runtime`.
    pub fn new(open: OpenDownload, runtime: tokio::runtime::Handle) -> Self {
        Self::with_start(Box::new(move |feeder: Feeder| {
            drop(runtime.spawn(feeder.run(open)));
        }))
    }

    /// A reader whose read-ahead `start` runs (given the [`Feeder`]) on the first read.
    pub fn with_start(start: StartReadAhead) -> Self {
        Self {
            inner: Arc::new(Inner {
                pending: Mutex::new(Some(start)),
                feed: OnceLock::new(),
                received: Mutex::new(VecDeque::new()),
                ended: AtomicBool::new(false),
                content_length: OnceLock::new(),
                delivered: AtomicU64::new(0),
            }),
        }
    }

    /// The size the server announced, once the response has arrived (and it sent one).
    pub fn content_length(&self) -> Option<u64> {
        self.inner.content_length.get().copied().flatten()
    }

    /// Bytes handed out so far.
    pub fn delivered(&self) -> u64 {
        self.inner.delivered.load(Ordering::Acquire)
    }

    /// Stops now: the read-ahead task ends (closing its connection), a waiting read ends,
    /// blocks read ahead are dropped, and later reads see `End`.
    pub fn close(&self) {
        self.inner.ended.store(true, Ordering::Release);
        lock(&self.inner.pending).take();
        if let Some(feed) = self.inner.feed.get() {
            feed.abort.abort();
        }
        lock(&self.inner.received).clear();
    }

    /// The next block if one is here already, without waiting.
    pub fn try_next(&self) -> NextBlock {
        let next = self.pop();
        if !matches!(next, NextBlock::Empty) {
            return next;
        }
        let feed = self.feed();
        if let Ok(mut rx) = feed.rx.try_lock() {
            loop {
                match rx.try_recv() {
                    Ok(Fed::Opened(n)) => self.opened(n),
                    Ok(fed) => {
                        lock(&self.inner.received).push_back(fed);
                        break;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => return NextBlock::Empty,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        self.stopped();
                        break;
                    }
                }
            }
            drop(rx);
            return self.pop();
        }
        NextBlock::Empty
    }

    /// Waits until a read would find something (a block, the end, a failure). Cancel-safe:
    /// what is received is filed before this returns.
    pub async fn wait(&self) {
        let feed = self.feed();
        let mut rx = feed.rx.lock().await;
        loop {
            if !lock(&self.inner.received).is_empty() || self.inner.ended.load(Ordering::Acquire) {
                return;
            }
            match rx.recv().await {
                Some(Fed::Opened(n)) => self.opened(n),
                Some(fed) => lock(&self.inner.received).push_back(fed),
                None => self.stopped(),
            }
        }
    }

    /// The next block, `Ok(None)` at the end; waits when none is ready. Cancel-safe.
    pub async fn next(&self) -> Result<Option<Block>> {
        loop {
            match self.try_next() {
                NextBlock::Block(b) => return Ok(Some(b)),
                NextBlock::End => return Ok(None),
                NextBlock::Failed(e) => return Err(e),
                NextBlock::Empty => self.wait().await,
            }
        }
    }

    fn opened(&self, content_length: Option<u64>) {
        let _ = self.inner.content_length.set(content_length);
    }

    /// The task's queue closed: after `close()` that is the end; without an end or failure
    /// sent first, the task died (a panic), which must not pass for a complete file.
    fn stopped(&self) {
        let mut received = lock(&self.inner.received);
        let ends = matches!(received.back(), Some(Fed::End | Fed::Failed(_)));
        if !ends && !self.inner.ended.load(Ordering::Acquire) {
            received.push_back(Fed::Failed(Error::Connection {
                reason: "the download stopped unexpectedly".into(),
                maybe_sent: true,
                source: None,
            }));
        }
    }

    /// Takes what a read returns among what was received.
    fn pop(&self) -> NextBlock {
        if self.inner.ended.load(Ordering::Acquire) {
            return NextBlock::End;
        }
        match lock(&self.inner.received).pop_front() {
            Some(Fed::Block(block)) => {
                self.inner
                    .delivered
                    .fetch_add(block.len() as u64, Ordering::AcqRel);
                NextBlock::Block(block)
            }
            Some(Fed::Failed(e)) => {
                self.inner.ended.store(true, Ordering::Release);
                NextBlock::Failed(e)
            }
            Some(Fed::End) => {
                self.inner.ended.store(true, Ordering::Release);
                NextBlock::End
            }
            Some(Fed::Opened(_)) | None => NextBlock::Empty,
        }
    }

    /// The read-ahead's receiving end, starting the read-ahead on first use.
    fn feed(&self) -> &Feed {
        self.inner.feed.get_or_init(|| {
            let (tx, rx) = mpsc::channel(FEED_DEPTH);
            let (abort, registration) = AbortHandle::new_pair();
            // Closed before the first read: nothing to fetch; the queue closes at once and
            // reads see `End`.
            if let Some(start) = lock(&self.inner.pending).take() {
                start(Feeder {
                    tx,
                    abort: registration,
                });
            }
            Feed {
                rx: tokio::sync::Mutex::new(rx),
                abort,
            }
        })
    }
}

/// Opens the download and reads it ahead, in blocks of the chunks already received.
async fn read_ahead(open: impl Future<Output = Result<Download>>, tx: mpsc::Sender<Fed>) {
    let mut download = match open.await {
        Ok(d) => d,
        Err(e) => {
            let _ = tx.send(Fed::Failed(e)).await;
            return;
        }
    };
    if tx
        .send(Fed::Opened(download.content_length()))
        .await
        .is_err()
    {
        return;
    }
    // A chunk that would have made the last block bigger than `BLOCK_BYTES`.
    let mut held: Option<Bytes> = None;
    let (spent_tx, mut spent) = mpsc::unbounded_channel();
    loop {
        // Frees here the blocks the reader is done with (see `Block`).
        while spent.try_recv().is_ok() {}
        let mut block = Block {
            chunks: Vec::new(),
            len: 0,
            spent: Some(spent_tx.clone()),
        };
        if let Some(chunk) = held.take() {
            block.push(chunk);
        }
        let mut end = None;
        while block.len() < BLOCK_BYTES {
            // Wait for the network only while the block is empty: a block carries what is
            // already here.
            let next = if block.is_empty() {
                Some(download.next().await)
            } else {
                download.next().now_or_never()
            };
            match next {
                None => break,
                Some(Some(Ok(chunk))) if chunk.is_empty() => {}
                Some(Some(Ok(chunk)))
                    if !block.is_empty() && block.len() + chunk.len() > BLOCK_BYTES =>
                {
                    held = Some(chunk);
                    break;
                }
                Some(Some(Ok(chunk))) => block.push(chunk),
                Some(Some(Err(e))) => {
                    end = Some(Fed::Failed(e));
                    break;
                }
                Some(None) => {
                    end = Some(Fed::End);
                    break;
                }
            }
        }
        if !block.is_empty() && tx.send(Fed::Block(block)).await.is_err() {
            return;
        }
        if let Some(end) = end {
            let _ = tx.send(end).await;
            return;
        }
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
