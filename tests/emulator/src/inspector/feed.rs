//! `GET /_emulator/ui/feed[?session=ID]`: the one SSE stream that keeps the page current.
//!
//! Events: `hello` (journal stats, clock, settings, faults, sessions), `requests` (new or
//! changed rows, a JSON array), `cleared`, `resync` (the feed fell behind: fetch the list
//! again), `journal`, `clock`, `config`, `faults`, `sessions` (`upsert`, `remove`, `ended`), and
//! for the session named in the query, `files` and `turn` (its turns' events as they are
//! produced, in order).
//!
//! Request rows are pushed as the journal changes, in batches at most every [`ROWS_EVERY`];
//! everything else is compared with what was last sent whenever a control action or an API
//! request may have changed it, and at least every [`LOOK_EVERY`], so only differences travel.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, watch};

use super::redact;
use super::views::{files_value, overview_value, sessions_value, summary};
use crate::journal::Note;
use crate::sessions::Turn;
use crate::state::AppState;

/// Longest time between two looks at sessions, faults and settings.
const LOOK_EVERY: Duration = Duration::from_millis(250);
/// Shortest time between two batches of request rows.
const ROWS_EVERY: Duration = Duration::from_millis(50);
/// Shortest time between two looks prompted by API traffic.
const LOOK_AT_MOST_EVERY: Duration = Duration::from_millis(100);
/// Shortest time between two batches of turn events, so a turn streaming as fast as it can
/// does not flood the page.
const TURN_BATCH_EVERY: Duration = Duration::from_millis(40);
/// Events read from a turn per batch.
const TURN_BATCH: usize = 300;
/// A turn further ahead than this skips to its last [`TURN_KEEP`] events.
const TURN_BACKLOG: usize = 1000;
const TURN_KEEP: usize = 300;
/// Silence after which a comment keeps proxies and the browser from timing out.
const PING_EVERY: Duration = Duration::from_secs(15);

type Chunk = Result<Bytes, Infallible>;

/// Starts a feed; the optional `session` query parameter picks the session whose turns and
/// files are streamed.
pub(super) async fn feed(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let watched = params.get("session").filter(|s| !s.is_empty()).cloned();
    let (tx, rx) = mpsc::channel::<Chunk>(32);
    // Subscribed before the hello is built, so no change falls between the two.
    let notes = state.journal.subscribe();
    tokio::spawn(Feed::new(state, watched, tx).run(notes));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// One open feed and what it last sent.
struct Feed {
    state: Arc<AppState>,
    tx: mpsc::Sender<Chunk>,
    watched: Option<String>,
    sessions: HashMap<String, String>,
    ended: HashSet<String>,
    files: String,
    clock: String,
    faults: String,
    config: String,
    journal: String,
    /// Turns of the watched session and the index of the next event to send.
    turns: Vec<(Arc<Turn>, usize)>,
    /// Wakes the feed when the watched session's running turn buffers an event.
    live: Option<(String, watch::Receiver<usize>)>,
    /// A turn had more events than one batch.
    backlog: bool,
    /// Journal entries added or changed since the last `requests` event.
    rows: BTreeSet<u64>,
    last_rows: Instant,
    last_look: Instant,
    last_turn_batch: Instant,
    last_write: Instant,
}

enum Wake {
    Notes,
    Rows,
    Look,
    Turn,
    Closed,
}

impl Feed {
    fn new(state: Arc<AppState>, watched: Option<String>, tx: mpsc::Sender<Chunk>) -> Self {
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        Feed {
            state,
            tx,
            watched,
            sessions: HashMap::new(),
            ended: HashSet::new(),
            files: String::new(),
            clock: String::new(),
            faults: String::new(),
            config: String::new(),
            journal: String::new(),
            turns: Vec::new(),
            live: None,
            backlog: false,
            rows: BTreeSet::new(),
            last_rows: long_ago,
            last_look: long_ago,
            last_turn_batch: long_ago,
            last_write: Instant::now(),
        }
    }

    async fn run(mut self, mut notes: broadcast::Receiver<Note>) {
        let mut changes = self.state.changes.subscribe();
        let mut clock = self.state.sessions.clock.subscribe();
        let mut tick = tokio::time::interval(LOOK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let hello = overview_value(&self.state);
        self.faults = hello["faults"].to_string();
        self.clock = format!(
            "{} {}",
            hello["clock"]["offset_secs"], hello["clock"]["frozen"]
        );
        self.config = hello["config"].to_string();
        self.journal = hello["journal"].to_string();
        let (live, ended) = sessions_value(&self.state);
        for session in &live {
            let id = session["id"].as_str().unwrap_or_default().to_owned();
            self.sessions.insert(id, session.to_string());
        }
        self.ended = ended
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect();
        let mut hello = hello;
        hello["session"] = json!(self.watched);
        hello["sessions"] = json!({"live": live, "ended": ended});
        if !self.send("hello", &hello).await || !self.look().await {
            return;
        }
        loop {
            let wake = tokio::select! {
                biased;
                () = self.tx.closed() => Wake::Closed,
                _ = changes.changed() => Wake::Look,
                _ = clock.changed() => Wake::Look,
                note = notes.recv() => match note {
                    Ok(note) => {
                        if !self.on_notes(note, &mut notes).await {
                            return;
                        }
                        Wake::Notes
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.send("resync", &json!({})).await {
                            return;
                        }
                        Wake::Notes
                    }
                    Err(broadcast::error::RecvError::Closed) => Wake::Closed,
                },
                () = tokio::time::sleep_until(self.rows_due()), if !self.rows.is_empty() => {
                    Wake::Rows
                }
                () = turn_changed(&mut self.live) => Wake::Turn,
                () = std::future::ready(()), if self.backlog => Wake::Turn,
                _ = tick.tick() => Wake::Look,
            };
            let ok = match wake {
                Wake::Closed => return,
                Wake::Look => self.look().await,
                Wake::Notes if self.last_look.elapsed() >= LOOK_AT_MOST_EVERY => self.look().await,
                Wake::Notes | Wake::Rows => true,
                Wake::Turn => {
                    let wait = TURN_BATCH_EVERY.saturating_sub(self.last_turn_batch.elapsed());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    self.send_turn_events().await
                }
            };
            let rows_ok = self.rows.is_empty()
                || self.last_rows.elapsed() < ROWS_EVERY
                || self.send_rows().await;
            if !ok || !rows_ok || !self.ping().await {
                return;
            }
        }
    }

    /// Collects the rows named by `first` and every note already queued behind it; they are
    /// sent together by [`Feed::send_rows`].
    async fn on_notes(&mut self, first: Note, notes: &mut broadcast::Receiver<Note>) -> bool {
        let mut next = Some(first);
        while let Some(note) = next {
            match note {
                Note::Entry(seq) => {
                    self.rows.insert(seq);
                }
                Note::Cleared => {
                    self.rows.clear();
                    if !self.send("cleared", &json!({})).await {
                        return false;
                    }
                }
            }
            next = match notes.try_recv() {
                Ok(note) => Some(note),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    self.rows.clear();
                    if !self.send("resync", &json!({})).await {
                        return false;
                    }
                    None
                }
                Err(_) => None,
            };
        }
        true
    }

    /// When rows wait to be sent: at once after a quiet spell, else [`ROWS_EVERY`] after the
    /// last batch, so a burst of requests travels in a few batches rather than one by one.
    fn rows_due(&self) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.last_rows + ROWS_EVERY)
    }

    /// Sends the waiting rows as one `requests` event, then the journal's stats if they moved.
    async fn send_rows(&mut self) -> bool {
        self.last_rows = Instant::now();
        let secrets = &self.state.secrets;
        let rows: Vec<Value> = std::mem::take(&mut self.rows)
            .into_iter()
            .filter_map(|seq| {
                self.state
                    .journal
                    .read_entry(seq, |entry| summary(entry, secrets))
            })
            .collect();
        if !rows.is_empty() && !self.send("requests", &Value::Array(rows)).await {
            return false;
        }
        self.send_if_changed_journal().await
    }

    async fn send_if_changed_journal(&mut self) -> bool {
        let stats = json!(self.state.journal.stats());
        let text = stats.to_string();
        if text == self.journal {
            return true;
        }
        self.journal = text;
        self.send("journal", &stats).await
    }

    /// Compares sessions, faults, settings, the clock and the watched session's files and
    /// turns with what was sent, and sends what differs.
    async fn look(&mut self) -> bool {
        self.last_look = Instant::now();
        let overview = overview_value(&self.state);
        // The page moves the clock on by itself; only a jump or a freeze needs sending.
        let clock = &overview["clock"];
        let clock_key = format!("{} {}", clock["offset_secs"], clock["frozen"]);
        if clock_key != self.clock && !self.send("clock", clock).await {
            return false;
        }
        self.clock = clock_key;
        let faults = overview["faults"].to_string();
        if faults != self.faults {
            self.faults = faults;
            if !self.send("faults", &overview["faults"]).await {
                return false;
            }
        }
        let config = overview["config"].to_string();
        if config != self.config {
            self.config = config;
            if !self.send("config", &overview["config"]).await {
                return false;
            }
        }
        if !self.send_if_changed_journal().await || !self.send_sessions().await {
            return false;
        }
        let Some(watched) = self.watched.clone() else {
            return true;
        };
        if let Some(files) = files_value(&self.state, &watched) {
            let text = files.to_string();
            if text != self.files {
                self.files = text;
                if !self.send("files", &files).await {
                    return false;
                }
            }
        }
        self.follow_turns(&watched);
        self.send_turn_events().await
    }

    async fn send_sessions(&mut self) -> bool {
        let (live, ended) = sessions_value(&self.state);
        let mut upsert = Vec::new();
        let mut seen = HashSet::new();
        for session in live {
            let id = session["id"].as_str().unwrap_or_default().to_owned();
            let text = session.to_string();
            if self.sessions.get(&id) != Some(&text) {
                self.sessions.insert(id.clone(), text);
                upsert.push(session);
            }
            seen.insert(id);
        }
        let remove: Vec<String> = self
            .sessions
            .keys()
            .filter(|id| !seen.contains(*id))
            .cloned()
            .collect();
        for id in &remove {
            self.sessions.remove(id);
        }
        let ended = ended.as_array().cloned().unwrap_or_default();
        let ids: HashSet<String> = ended
            .iter()
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect();
        let new_ended: Vec<Value> = ended
            .into_iter()
            .filter(|e| e["id"].as_str().is_some_and(|id| !self.ended.contains(id)))
            .collect();
        self.ended = ids;
        if upsert.is_empty() && remove.is_empty() && new_ended.is_empty() {
            return true;
        }
        self.send(
            "sessions",
            &json!({"upsert": upsert, "remove": remove, "ended": new_ended}),
        )
        .await
    }

    /// Picks up new turns of the watched session and listens to the one still running.
    fn follow_turns(&mut self, watched: &str) {
        for turn in self.state.sessions.turns_of(watched) {
            if !self.turns.iter().any(|(t, _)| t.rid == turn.rid) {
                self.turns.push((turn, 0));
            }
        }
        let running = self
            .turns
            .iter()
            .rev()
            .find(|(t, _)| t.status() == "in_progress")
            .map(|(t, _)| t.clone());
        match running {
            Some(turn) if self.live.as_ref().is_none_or(|(rid, _)| *rid != turn.rid) => {
                self.live = Some((turn.rid.clone(), turn.subscribe()));
            }
            Some(_) => {}
            None => self.live = None,
        }
    }

    /// Sends the events of the watched session's turns that the page has not seen yet.
    async fn send_turn_events(&mut self) -> bool {
        self.backlog = false;
        let Some(watched) = self.watched.clone() else {
            return true;
        };
        let mut batches = Vec::new();
        for (turn, next) in &mut self.turns {
            let count = turn.event_count();
            let mut skipped = 0;
            if count.saturating_sub(*next) > TURN_BACKLOG {
                skipped = count - TURN_KEEP - *next;
                *next = count - TURN_KEEP;
            }
            let (frames, _) = turn.read(*next, TURN_BATCH);
            if frames.is_empty() && skipped == 0 {
                continue;
            }
            *next += frames.len();
            if *next < turn.event_count() {
                self.backlog = true;
            }
            let events: Vec<Value> = frames
                .iter()
                .map(|frame| {
                    let mut data = serde_json::from_str::<Value>(&frame.payload)
                        .unwrap_or_else(|_| Value::String(frame.payload.clone()));
                    redact::json_value(&mut data, &self.state.secrets);
                    json!({"seq": frame.seq, "event": frame.event, "data": data})
                })
                .collect();
            batches.push(json!({
                "session": watched,
                "response_id": turn.rid,
                "status": turn.status(),
                "skipped": skipped,
                "events": events,
            }));
        }
        if !batches.is_empty() {
            self.last_turn_batch = Instant::now();
        }
        for batch in batches {
            if !self.send("turn", &batch).await {
                return false;
            }
        }
        true
    }

    async fn ping(&mut self) -> bool {
        if self.last_write.elapsed() < PING_EVERY {
            return true;
        }
        self.last_write = Instant::now();
        self.tx
            .send(Ok(Bytes::from_static(b": ping\n\n")))
            .await
            .is_ok()
    }

    /// Writes one SSE event; false once the page has gone.
    async fn send(&mut self, event: &str, data: &Value) -> bool {
        self.last_write = Instant::now();
        let frame = format!("event: {event}\ndata: {data}\n\n");
        self.tx.send(Ok(Bytes::from(frame))).await.is_ok()
    }
}

/// Resolves when the running turn buffers another event; never while there is none.
async fn turn_changed(live: &mut Option<(String, watch::Receiver<usize>)>) {
    match live {
        Some((_, receiver)) => {
            if receiver.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
