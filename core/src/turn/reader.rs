//! A turn read ahead in batches, for readers that are not tokio tasks (a blocking thread, an
//! asyncio loop, a Kotlin coroutine, a Swift task): a task reads the [`TurnStream`] ahead,
//! converts what is ready in batches, and hands them over through a short queue, so a read
//! only waits when nothing is ready.
//!
//! Reads are cancel-safe: what the read-ahead task sent is filed before a wait returns, so a
//! cancelled wait loses nothing. A *tracked* read keeps its event until the reader confirms
//! it; an unconfirmed event (its reader was cancelled after the read completed, as a Kotlin
//! coroutine or an asyncio task can be) goes to the next read instead of being lost.

use super::event::TurnEvent;
use super::handle::TurnHandle;
use super::stream::TurnStream;
use crate::error::{Error, Result};
use crate::sessions::ReplayNotice;
use futures_util::FutureExt;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tokio::sync::mpsc;

/// Most events in one batch handed over by the read-ahead task.
const BATCH: usize = 256;

/// Batches in flight between the read-ahead task and the reader; with [`BATCH`], this bounds
/// the events read ahead.
const FEED_DEPTH: usize = 4;

/// What a reader needs to know of an event it holds (the id and whether it ends the turn).
pub trait ReadEvent: Send + 'static {
    /// The event's id, if it has one.
    fn event_id(&self) -> Option<&str>;
    /// True for the event that ends the turn.
    fn ends_turn(&self) -> bool;
}

impl ReadEvent for TurnEvent {
    fn event_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn ends_turn(&self) -> bool {
        self.is_terminal()
    }
}

/// Turns a batch of events into the reader's own type, on the read-ahead task.
pub type Convert<E> = Box<dyn FnMut(Vec<TurnEvent>) -> Vec<E> + Send>;

/// Where a turn is, as of the last event handed to the reader.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Position {
    /// The turn's response id, once known.
    pub response_id: Option<String>,
    /// The id of the last event delivered.
    pub last_event_id: Option<String>,
    /// True once the terminal event was delivered.
    pub finished: bool,
}

impl Position {
    fn of(handle: &TurnHandle) -> Self {
        Self {
            response_id: handle.response_id(),
            last_event_id: handle.last_event_id(),
            finished: handle.is_finished(),
        }
    }
}

/// The position after an event read ahead.
enum After {
    /// The usual case, recorded without copying: the event's own id is the last event id,
    /// it is final if the event is terminal, and the response id did not change.
    Event,
    /// Anything else, in full.
    Full(Position),
}

/// What the read-ahead task hands over.
enum Fed<E> {
    /// Events in order, each with the position after it.
    Events(Vec<(E, After)>),
    /// The stream failed; the position where it stopped.
    Failed(Error, Position),
    /// The stream ended (terminal event delivered, or closed).
    End(Position),
}

/// What a read finds among the events already handed over.
#[derive(Debug)]
pub enum Next<E> {
    /// The next event.
    Event(E),
    /// The stream failed (once; later reads see `End`).
    Failed(Error),
    /// The turn is over (or the reader was closed).
    End,
    /// Nothing yet: wait with [`TurnReader::wait`].
    Empty,
}

struct Feed<E> {
    rx: tokio::sync::Mutex<mpsc::Receiver<Fed<E>>>,
    task: tokio::task::AbortHandle,
}

struct Inner<E> {
    /// The stream and its converter until the first read starts the read-ahead task.
    pending: Mutex<Option<(TurnStream, Convert<E>)>>,
    runtime: tokio::runtime::Handle,
    handle: TurnHandle,
    position: Mutex<Position>,
    ready: Mutex<VecDeque<(E, After)>>,
    /// How the stream ended, once received; delivered after the ready events.
    outcome: Mutex<Option<std::result::Result<Position, (Error, Position)>>>,
    /// Set once the end (or a failure) has been delivered, or the reader closed.
    ended: AtomicBool,
    feed: OnceLock<Feed<E>>,
    /// Events of tracked reads not yet confirmed, oldest first, by read id.
    in_flight: Mutex<VecDeque<(u64, E)>>,
    /// Reads served in the order they were issued (see [`Ticket`]).
    order: Mutex<Order>,
    /// Woken when the read being served changes.
    turn: tokio::sync::Notify,
    session_id: Option<String>,
    idempotency_key: Option<String>,
    replayed: Option<ReplayNotice>,
}

impl<E> Drop for Inner<E> {
    fn drop(&mut self) {
        if let Some(feed) = self.feed.get() {
            feed.task.abort();
        }
    }
}

/// A turn read ahead in batches of `E`; cheap to clone (clones share the reading).
pub struct TurnReader<E> {
    inner: Arc<Inner<E>>,
}

impl<E> Clone for TurnReader<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<E> std::fmt::Debug for TurnReader<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnReader")
            .field("position", &*lock(&self.inner.position))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values are plain data that a panic elsewhere cannot leave half-written.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<E: ReadEvent> TurnReader<E> {
    /// A reader of `stream` whose read-ahead task will run on `runtime` (started by the first
    /// read), converting each batch with `convert`.
    pub fn new(stream: TurnStream, runtime: tokio::runtime::Handle, convert: Convert<E>) -> Self {
        Self {
            inner: Arc::new(Inner {
                handle: stream.handle(),
                position: Mutex::new(Position::of(&stream.handle())),
                session_id: stream.session_id().map(str::to_owned),
                idempotency_key: stream.idempotency_key().map(str::to_owned),
                replayed: stream.replayed().cloned(),
                pending: Mutex::new(Some((stream, convert))),
                runtime,
                ready: Mutex::new(VecDeque::new()),
                outcome: Mutex::new(None),
                ended: AtomicBool::new(false),
                feed: OnceLock::new(),
                in_flight: Mutex::new(VecDeque::new()),
                order: Mutex::new(Order::default()),
                turn: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The turn's controls (cancel on the server, close), usable while a read waits.
    pub fn handle(&self) -> &TurnHandle {
        &self.inner.handle
    }

    /// Where the turn is as of the last event handed out.
    pub fn position(&self) -> Position {
        lock(&self.inner.position).clone()
    }

    /// The session the turn runs in, when the stream came from a client.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session_id.as_deref()
    }

    /// The `Idempotency-Key` the turn was started with.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.inner.idempotency_key.as_deref()
    }

    /// Set when an idempotent re-send found the turn long finished: no events follow.
    pub fn replayed(&self) -> Option<&ReplayNotice> {
        self.inner.replayed.as_ref()
    }

    /// Stops reading now: the stream closes, a waiting read ends, events read ahead are
    /// dropped. The turn keeps running on the server.
    pub fn close(&self) {
        self.inner.handle.close();
        self.inner.ended.store(true, Ordering::Release);
        if let Some(feed) = self.inner.feed.get() {
            feed.task.abort();
        }
        lock(&self.inner.ready).clear();
        lock(&self.inner.in_flight).clear();
    }

    /// The next event if one is here already, without waiting (an unconfirmed event of a
    /// tracked read first).
    pub fn try_next(&self) -> Next<E> {
        if let Some((_, event)) = lock(&self.inner.in_flight).pop_front() {
            return Next::Event(event);
        }
        self.try_next_fresh()
    }

    /// The next event the reader has not handed out yet, without waiting.
    fn try_next_fresh(&self) -> Next<E> {
        let next = self.pop();
        if !matches!(next, Next::Empty) {
            return next;
        }
        let feed = self.feed();
        if let Ok(mut rx) = feed.rx.try_lock() {
            let got = match rx.try_recv() {
                Ok(fed) => Some(fed),
                Err(mpsc::error::TryRecvError::Disconnected) => None,
                Err(mpsc::error::TryRecvError::Empty) => return Next::Empty,
            };
            self.accept(got);
            drop(rx);
            return self.pop();
        }
        Next::Empty
    }

    /// Waits until the read-ahead task has sent something (or another reader took it).
    /// Cancel-safe: what is received is filed before this returns.
    pub async fn wait(&self) {
        let feed = self.feed();
        let mut rx = feed.rx.lock().await;
        if !lock(&self.inner.ready).is_empty()
            || lock(&self.inner.outcome).is_some()
            || self.inner.ended.load(Ordering::Acquire)
        {
            return;
        }
        let fed = rx.recv().await;
        self.accept(fed);
    }

    /// The next event, `Ok(None)` at the end; waits for the read-ahead task when none is
    /// ready. Cancel-safe.
    pub async fn next(&self) -> Result<Option<E>> {
        loop {
            match self.try_next() {
                Next::Event(e) => return Ok(Some(e)),
                Next::End => return Ok(None),
                Next::Failed(e) => return Err(e),
                Next::Empty => self.wait().await,
            }
        }
    }

    /// [`TurnReader::next`] for readers that can be cancelled after the read completed but
    /// before they got its event: the event stays unconfirmed under `read_id` until
    /// [`TurnReader::confirm`]; meanwhile the next read (tracked or not) takes it over.
    pub async fn next_tracked(&self, read_id: u64) -> Result<Option<E>>
    where
        E: Clone,
    {
        let event = self.next().await?;
        if let Some(e) = &event {
            lock(&self.inner.in_flight).push_back((read_id, e.clone()));
        }
        Ok(event)
    }

    /// Claims the event of `next_tracked(read_id)`: true if it is still that read's, false if
    /// another read took it over meanwhile (then it must not be used).
    pub fn confirm(&self, read_id: u64) -> bool {
        let mut in_flight = lock(&self.inner.in_flight);
        match in_flight.iter().position(|(id, _)| *id == read_id) {
            Some(at) => in_flight.remove(at).is_some(),
            None => false,
        }
    }

    /// A place in line for a read: reads with tickets are served in the order the tickets
    /// were taken, whatever order their waits end in.
    pub fn ticket(&self) -> Ticket<E> {
        let mut order = lock(&self.inner.order);
        let number = order.next;
        order.next += 1;
        Ticket {
            number,
            reader: self.clone(),
        }
    }

    /// The next event without waiting, if no read holding a ticket is still in line (else
    /// `None`: take a ticket and wait your turn).
    pub fn try_next_in_order(&self) -> Option<Next<E>> {
        let order = lock(&self.inner.order);
        (order.serving == order.next).then(|| {
            drop(order);
            self.try_next()
        })
    }

    /// The next event for `ticket`, once the reads ahead of it are served: a tracked read
    /// under the ticket's number (confirm it with [`TurnReader::confirm`]). The line moves on
    /// when the ticket is dropped, so keep it until the event is in its reader's hands.
    pub async fn next_in_order(&self, ticket: &Ticket<E>) -> Result<Option<E>>
    where
        E: Clone,
    {
        loop {
            let turn = self.inner.turn.notified();
            tokio::pin!(turn);
            turn.as_mut().enable();
            if lock(&self.inner.order).serving == ticket.number {
                break;
            }
            turn.await;
        }
        self.next_tracked(ticket.number).await
    }

    /// The read-ahead task's receiving end, starting the task on first use.
    fn feed(&self) -> &Feed<E> {
        self.inner.feed.get_or_init(|| {
            let (tx, rx) = mpsc::channel(FEED_DEPTH);
            let task = match lock(&self.inner.pending).take() {
                Some((stream, convert)) => {
                    self.inner.runtime.spawn(read_ahead(stream, convert, tx))
                }
                // Unreachable (taken once, here): a closed feed reads as the end.
                None => self.inner.runtime.spawn(async {}),
            };
            Feed {
                rx: tokio::sync::Mutex::new(rx),
                task: task.abort_handle(),
            }
        })
    }

    /// Files what the read-ahead task sent (`None`: it stopped, so the stream is over).
    fn accept(&self, fed: Option<Fed<E>>) {
        match fed {
            Some(Fed::Events(batch)) => lock(&self.inner.ready).extend(batch),
            Some(Fed::Failed(e, position)) => {
                *lock(&self.inner.outcome) = Some(Err((e, position)));
            }
            Some(Fed::End(position)) => *lock(&self.inner.outcome) = Some(Ok(position)),
            None => {
                let mut outcome = lock(&self.inner.outcome);
                if outcome.is_none() {
                    *outcome = Some(Ok(self.position()));
                }
            }
        }
    }

    /// Takes what a read returns among what was handed over: the ready events first, then
    /// the end or failure (once), then the end again.
    fn pop(&self) -> Next<E> {
        if self.inner.ended.load(Ordering::Acquire) {
            return Next::End;
        }
        let mut ready = lock(&self.inner.ready);
        if let Some((event, after)) = ready.pop_front() {
            drop(ready);
            self.apply(&event, after);
            return Next::Event(event);
        }
        // Taken under the lock that filling holds too, so no batch slips in between.
        let outcome = lock(&self.inner.outcome).take();
        drop(ready);
        let Some(outcome) = outcome else {
            return Next::Empty;
        };
        self.inner.ended.store(true, Ordering::Release);
        match outcome {
            Ok(position) => {
                *lock(&self.inner.position) = position;
                Next::End
            }
            Err((e, position)) => {
                *lock(&self.inner.position) = position;
                Next::Failed(e)
            }
        }
    }

    /// Moves the position to just after `event`.
    fn apply(&self, event: &E, after: After) {
        let mut p = lock(&self.inner.position);
        match after {
            After::Full(position) => *p = position,
            After::Event => {
                if let Some(id) = event.event_id() {
                    match p.last_event_id.as_mut() {
                        Some(last) => {
                            last.clear();
                            last.push_str(id);
                        }
                        None => p.last_event_id = Some(id.to_owned()),
                    }
                }
                p.finished = event.ends_turn();
            }
        }
    }
}

/// The line of reads holding tickets.
#[derive(Debug, Default)]
struct Order {
    /// The next ticket to hand out.
    next: u64,
    /// The ticket being served.
    serving: u64,
    /// Tickets given up before their turn, skipped when it comes.
    abandoned: std::collections::BTreeSet<u64>,
}

/// A read's place in line ([`TurnReader::ticket`]); dropping it lets the next read go.
#[derive(Debug)]
pub struct Ticket<E> {
    number: u64,
    reader: TurnReader<E>,
}

impl<E> Ticket<E> {
    /// The ticket's number, also the id of its tracked read.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl<E> Drop for Ticket<E> {
    fn drop(&mut self) {
        let inner = &self.reader.inner;
        let mut order = lock(&inner.order);
        if order.serving != self.number {
            order.abandoned.insert(self.number);
            return;
        }
        let mut next = order.serving + 1;
        while order.abandoned.remove(&next) {
            next += 1;
        }
        order.serving = next;
        drop(order);
        inner.turn.notify_waiters();
    }
}

/// Reads the stream ahead of the reader, in batches of the events already received.
async fn read_ahead<E: ReadEvent>(
    mut stream: TurnStream,
    mut convert: Convert<E>,
    tx: mpsc::Sender<Fed<E>>,
) {
    // The response id as of the last position sent, to spot a change.
    let mut response_id = stream.response_id();
    let mut events = Vec::with_capacity(BATCH);
    let mut afters = Vec::with_capacity(BATCH);
    loop {
        // Wait for the network only while the batch is empty: a batch carries what is
        // already here.
        let next = if events.is_empty() {
            Some(stream.next_event().await)
        } else {
            stream.next_event().now_or_never()
        };
        let event = match next {
            Some(Ok(Some(event))) => event,
            None => {
                if !send(&tx, &mut convert, &mut events, &mut afters).await {
                    return;
                }
                continue;
            }
            Some(end) => {
                if !events.is_empty() && !send(&tx, &mut convert, &mut events, &mut afters).await {
                    return;
                }
                let position = Position::of(&stream.handle());
                let _ = match end {
                    Err(e) => tx.send(Fed::Failed(e, position)).await,
                    Ok(_) => tx.send(Fed::End(position)).await,
                };
                return;
            }
        };
        let after = stream.with_position(|rid, last, finished| {
            if rid == response_id.as_deref()
                && last == event.id.as_deref()
                && finished == event.is_terminal()
            {
                After::Event
            } else {
                response_id = rid.map(str::to_owned);
                After::Full(Position {
                    response_id: response_id.clone(),
                    last_event_id: last.map(str::to_owned),
                    finished,
                })
            }
        });
        events.push(event);
        afters.push(after);
        if events.len() == BATCH && !send(&tx, &mut convert, &mut events, &mut afters).await {
            return;
        }
    }
}

/// Converts and sends the batch gathered so far; false once the reader is gone.
async fn send<E>(
    tx: &mpsc::Sender<Fed<E>>,
    convert: &mut Convert<E>,
    events: &mut Vec<TurnEvent>,
    afters: &mut Vec<After>,
) -> bool {
    // Converted here, on the thread that made the events, which also frees them.
    let converted = convert(std::mem::replace(events, Vec::with_capacity(BATCH)));
    let batch = converted.into_iter().zip(afters.drain(..)).collect();
    tx.send(Fed::Events(batch)).await.is_ok()
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
