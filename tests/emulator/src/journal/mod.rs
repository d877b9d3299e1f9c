//! The request journal: every API request as received (recorded before faults apply), what
//! came back, and markers for control actions. It is bounded (by entries and by bytes) and
//! counts what it dropped; every change is announced to the inspector's feed.

mod entry;
mod record;
mod tap;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub(crate) use entry::{Answer, ApiCall, BodyEnd, Entry, EntryKind, Outcome};
pub(crate) use record::{JournalSeq, is_control_path, record};

use crate::state::lock;

/// Entries kept by default; older ones are dropped (and counted) as new ones arrive.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;
/// Largest capacity a caller may set.
pub(crate) const MAX_CAPACITY: usize = 1_000_000;
/// Bytes of bodies (request bodies and captured answers) kept at most; past it the oldest
/// entries are dropped even below the entry capacity.
pub(crate) const BYTE_BUDGET: usize = 256 * 1024 * 1024;
/// Changes the feed may fall behind by before it is told to start over.
const NOTE_BACKLOG: usize = 4096;

/// One request as the emulator received it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Raw path and query string exactly as sent, e.g. `/api/v1/x?a=1`.
    pub target: String,
    /// Path without the query string.
    pub path: String,
    /// Headers with lowercase names in arrival order (repeated names are grouped together);
    /// values are decoded as lossy UTF-8.
    pub headers: Vec<(String, String)>,
    /// Body decoded as lossy UTF-8 (empty when the body was too large to keep, and for file
    /// uploads, which are streamed to the handler instead of buffered).
    pub body: String,
    /// Body length in bytes (for file uploads: the declared `Content-Length`, else 0).
    pub body_len: usize,
}

impl RecordedRequest {
    /// Returns the first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How full the journal is: `len` of `capacity` entries kept, `dropped` evicted since the
/// last clear, `total` ever recorded.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalStats {
    /// Entries kept at most.
    pub capacity: usize,
    /// Entries kept now (API requests and control markers).
    pub len: usize,
    /// Entries evicted to stay within the bounds since the journal was last cleared.
    pub dropped: u64,
    /// Entries recorded since the emulator started (the last sequence number).
    pub total: u64,
}

/// What changed in the journal, for the inspector's feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Note {
    /// The entry with this sequence number was added or updated.
    Entry(u64),
    /// Every entry was removed.
    Cleared,
}

/// The journal's storage.
pub(crate) struct Journal {
    ring: Mutex<Ring>,
    notes: broadcast::Sender<Note>,
}

struct Ring {
    /// Oldest first; sequence numbers are contiguous, so an entry is found by subtraction.
    entries: VecDeque<Entry>,
    capacity: usize,
    byte_budget: usize,
    bytes: usize,
    dropped: u64,
    next_seq: u64,
    /// How many kept API entries carry each (method, path, idempotency key): an attempt's
    /// number without a scan of the journal per request.
    keyed: HashMap<AttemptKey, u32>,
}

/// A request's method, path and `Idempotency-Key`: the attempts of one call share it.
type AttemptKey = (String, String, String);

fn attempt_key(request: &RecordedRequest) -> Option<AttemptKey> {
    let key = request.header("idempotency-key")?;
    Some((request.method.clone(), request.path.clone(), key.to_owned()))
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                byte_budget: BYTE_BUDGET,
                bytes: 0,
                dropped: 0,
                next_seq: 1,
                keyed: HashMap::new(),
            }),
            notes: broadcast::channel(NOTE_BACKLOG).0,
        }
    }
}

impl Ring {
    fn index_of(&self, seq: u64) -> Option<usize> {
        let first = self.entries.front()?.seq;
        let index = usize::try_from(seq.checked_sub(first)?).ok()?;
        (index < self.entries.len()).then_some(index)
    }

    /// Drops the oldest entries until both bounds hold; the newest entry always stays.
    fn evict(&mut self) {
        while self.entries.len() > 1
            && (self.entries.len() > self.capacity || self.bytes > self.byte_budget)
        {
            if let Some(old) = self.entries.pop_front() {
                self.bytes = self.bytes.saturating_sub(old.weight());
                self.dropped += 1;
                if let EntryKind::Api(call) = &old.kind {
                    self.forget_key(&call.request);
                }
            }
        }
    }

    fn forget_key(&mut self, request: &RecordedRequest) {
        if let Some(key) = attempt_key(request)
            && let Some(n) = self.keyed.get_mut(&key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.keyed.remove(&key);
            }
        }
    }

    /// The attempt number of `request`, which is then counted: from the SDK's
    /// `x-poke-retry-count` when present, else one more than the kept requests that carried
    /// the same method, path and idempotency key.
    fn attempt_of(&mut self, request: &RecordedRequest) -> u32 {
        let earlier = match attempt_key(request) {
            Some(key) => {
                let n = self.keyed.entry(key).or_insert(0);
                *n = n.saturating_add(1);
                *n - 1
            }
            None => 0,
        };
        if let Some(retries) = request
            .header("x-poke-retry-count")
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            return retries.saturating_add(1);
        }
        earlier.saturating_add(1)
    }
}

impl Journal {
    /// Records an API call (its attempt number is worked out here) and returns its sequence
    /// number.
    pub(crate) fn push_api(&self, mut call: ApiCall) -> u64 {
        let mut ring = lock(&self.ring);
        call.attempt = ring.attempt_of(&call.request);
        self.push_locked(&mut ring, EntryKind::Api(Box::new(call)))
    }

    /// Records a control action (a fault added, the clock moved...) as a marker that the
    /// inspector shows between requests; markers are not part of [`Journal::snapshot`].
    pub(crate) fn push_control(&self, text: String) -> u64 {
        let mut ring = lock(&self.ring);
        self.push_locked(&mut ring, EntryKind::Control(text))
    }

    fn push_locked(&self, ring: &mut Ring, kind: EntryKind) -> u64 {
        let seq = ring.next_seq;
        ring.next_seq += 1;
        let entry = Entry {
            seq,
            at: entry::wall_clock(),
            kind,
        };
        ring.bytes += entry.weight();
        ring.entries.push_back(entry);
        ring.evict();
        // Sent under the lock so the feed sees changes in sequence order; nobody listening
        // is not an error.
        let _ = self.notes.send(Note::Entry(seq));
        seq
    }

    /// Changes the API call `seq` if it is still kept; returns whether it was.
    pub(crate) fn update(&self, seq: u64, change: impl FnOnce(&mut ApiCall)) -> bool {
        let mut ring = lock(&self.ring);
        let Some(index) = ring.index_of(seq) else {
            return false;
        };
        let entry = &mut ring.entries[index];
        let before = entry.weight();
        let EntryKind::Api(call) = &mut entry.kind else {
            return false;
        };
        change(call);
        let after = entry.weight();
        ring.bytes = ring.bytes.saturating_sub(before) + after;
        ring.evict();
        let _ = self.notes.send(Note::Entry(seq));
        true
    }

    /// Every API request kept, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        lock(&self.ring)
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Api(call) => Some(call.request.clone()),
                EntryKind::Control(_) => None,
            })
            .collect()
    }

    /// Removes every entry and resets the dropped count (sequence numbers keep counting).
    pub(crate) fn clear(&self) {
        let mut ring = lock(&self.ring);
        ring.entries.clear();
        ring.keyed.clear();
        ring.bytes = 0;
        ring.dropped = 0;
        let _ = self.notes.send(Note::Cleared);
    }

    pub(crate) fn stats(&self) -> JournalStats {
        let ring = lock(&self.ring);
        JournalStats {
            capacity: ring.capacity,
            len: ring.entries.len(),
            dropped: ring.dropped,
            total: ring.next_seq - 1,
        }
    }

    /// Sets how many entries are kept (1 to [`MAX_CAPACITY`]), dropping the oldest at once
    /// if there are more.
    pub(crate) fn set_capacity(&self, capacity: usize) -> Result<(), String> {
        if !(1..=MAX_CAPACITY).contains(&capacity) {
            return Err(format!("capacity must be between 1 and {MAX_CAPACITY}"));
        }
        let mut ring = lock(&self.ring);
        ring.capacity = capacity;
        ring.evict();
        Ok(())
    }

    /// Runs `read` over the entries, oldest first, under the journal's lock.
    pub(crate) fn read<R>(&self, read: impl FnOnce(&VecDeque<Entry>) -> R) -> R {
        read(&lock(&self.ring).entries)
    }

    /// Runs `read` on entry `seq` if it is still kept.
    pub(crate) fn read_entry<R>(&self, seq: u64, read: impl FnOnce(&Entry) -> R) -> Option<R> {
        let ring = lock(&self.ring);
        let index = ring.index_of(seq)?;
        Some(read(&ring.entries[index]))
    }

    /// A receiver of every change from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Note> {
        self.notes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(path: &str, headers: &[(&str, &str)], body: &str) -> ApiCall {
        ApiCall::new(
            RecordedRequest {
                method: "POST".into(),
                target: path.into(),
                path: path.into(),
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                body: body.into(),
                body_len: body.len(),
            },
            "req_1".into(),
            true,
            0.0,
        )
    }

    #[test]
    fn bounded_by_capacity_and_counts_what_it_dropped() {
        let journal = Journal::default();
        assert_eq!(journal.stats().capacity, DEFAULT_CAPACITY);
        journal.set_capacity(3).expect("valid capacity");
        for i in 0..5 {
            journal.push_api(call(&format!("/p{i}"), &[], ""));
        }
        let stats = journal.stats();
        assert_eq!((stats.len, stats.dropped, stats.total), (3, 2, 5));
        let paths: Vec<_> = journal.snapshot().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/p2", "/p3", "/p4"]);
        // Entries that were dropped can no longer be updated; kept ones can.
        assert!(!journal.update(1, |_| {}));
        assert!(journal.update(5, |c| c.session_id = Some("s".into())));
        journal.set_capacity(1).expect("valid capacity");
        assert_eq!(journal.stats().dropped, 4);
        assert!(journal.set_capacity(0).is_err());
        assert!(journal.set_capacity(MAX_CAPACITY + 1).is_err());
        journal.clear();
        let stats = journal.stats();
        assert_eq!((stats.len, stats.dropped, stats.total), (0, 0, 5));
    }

    #[test]
    fn default_bound_is_ten_thousand() {
        let journal = Journal::default();
        for _ in 0..DEFAULT_CAPACITY + 25 {
            journal.push_api(call("/x", &[], ""));
        }
        let stats = journal.stats();
        assert_eq!((stats.len, stats.dropped), (10_000, 25));
        assert_eq!(journal.read(|e| e.front().map(|e| e.seq)), Some(26));
    }

    #[test]
    fn bounded_by_bytes_keeping_the_newest_entry() {
        let journal = Journal::default();
        lock(&journal.ring).byte_budget = 10_000;
        let big = "x".repeat(5_000);
        journal.push_api(call("/a", &[], &big));
        journal.push_api(call("/b", &[], &big));
        let stats = journal.stats();
        assert_eq!((stats.len, stats.dropped), (1, 1));
        journal.push_api(call("/c", &[], &"y".repeat(20_000)));
        assert_eq!(journal.snapshot().len(), 1);
        assert_eq!(journal.snapshot()[0].path, "/c");
    }

    #[test]
    fn control_markers_are_not_requests_and_notes_follow_changes() {
        let journal = Journal::default();
        let mut notes = journal.subscribe();
        let first = journal.push_api(call("/a", &[], ""));
        let marker = journal.push_control("fault #1 added".into());
        assert_eq!(marker, first + 1);
        assert_eq!(journal.snapshot().len(), 1);
        assert_eq!(journal.stats().len, 2);
        assert!(!journal.update(marker, |_| {}));
        journal.clear();
        assert_eq!(notes.try_recv().ok(), Some(Note::Entry(first)));
        assert_eq!(notes.try_recv().ok(), Some(Note::Entry(marker)));
        assert_eq!(notes.try_recv().ok(), Some(Note::Cleared));
    }

    #[test]
    fn attempts_come_from_the_retry_header_or_repeated_keys() {
        let journal = Journal::default();
        let read_attempt = |seq| {
            journal
                .read_entry(seq, |e| match &e.kind {
                    EntryKind::Api(c) => c.attempt,
                    EntryKind::Control(_) => 0,
                })
                .unwrap_or(0)
        };
        let a = journal.push_api(call("/m", &[("idempotency-key", "k1")], ""));
        let b = journal.push_api(call("/m", &[("idempotency-key", "k1")], ""));
        let c = journal.push_api(call("/m", &[("idempotency-key", "k2")], ""));
        let d = journal.push_api(call("/m", &[("x-poke-retry-count", "3")], ""));
        let e = journal.push_api(call("/other", &[("idempotency-key", "k1")], ""));
        assert_eq!(
            [a, b, c, d, e].map(read_attempt),
            [1, 2, 1, 4, 1],
            "attempts"
        );
        // Counted among the kept entries: evicted and cleared ones no longer count.
        journal.set_capacity(2).expect("valid capacity");
        let f = journal.push_api(call("/m", &[("idempotency-key", "k2")], ""));
        assert_eq!(read_attempt(f), 1, "k2's first entry was evicted");
        let g = journal.push_api(call("/m", &[("idempotency-key", "k2")], ""));
        assert_eq!(read_attempt(g), 2);
        journal.clear();
        let h = journal.push_api(call("/m", &[("idempotency-key", "k2")], ""));
        assert_eq!(read_attempt(h), 1, "after a clear");
        assert_eq!(
            lock(&journal.ring).keyed.len(),
            1,
            "evicted keys are forgotten"
        );
    }
}
