//! The resume driver, structure-aware: a turn streamed through `TurnStream` by a server that
//! cuts the body anywhere (mid-line, mid-event, mid-UTF-8), breaks or closes connections,
//! replays events the client already has, answers 503, refuses connections, and sometimes
//! gives up (204, 404). Whatever it does, the caller gets a prefix of the turn's events, each
//! once, in order; the whole turn unless the server gave up; and a typed error that names the
//! last event delivered when it ends early.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use futures_util::StreamExt;
use libfuzzer_sys::fuzz_target;
use poke::fuzzing::{Answer, Server};
use poke::{Error, ResumePolicy, TurnEvent};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One connection's body: the events from the resume point (`replay` already-delivered ones
/// included), cut after `bytes` bytes, written `chunk` bytes at a time (0: one write).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Cut {
    replay: u8,
    bytes: u16,
    chunk: u8,
    reset: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Reply {
    Events(Cut),
    NoContent,
    Unavailable(u8),
    Refused,
    Gone,
}

#[derive(Arbitrary, Debug)]
struct Input {
    events: u8,
    text_ids: bool,
    crlf: bool,
    comments: bool,
    kinds: Vec<u8>,
    first: Cut,
    replies: Vec<Reply>,
}

const KINDS: [&str; 5] = ["text.delta", "thinking.delta", "tool_result", "text.start", "x.new"];

struct Turn {
    /// Each event's bytes on the wire.
    frames: Vec<Vec<u8>>,
    events: Vec<TurnEvent>,
    text_ids: bool,
}

impl Turn {
    fn new(input: &Input) -> Self {
        let n = usize::from(input.events % 48) + 2;
        let eol = if input.crlf { "\r\n" } else { "\n" };
        let mut frames = Vec::new();
        let mut events = Vec::new();
        for i in 0..n {
            let kind = if i == 0 {
                "message.created"
            } else if i + 1 == n {
                "message.completed"
            } else {
                let k = input.kinds.get(i).copied().unwrap_or(0);
                KINDS[usize::from(k) % KINDS.len()]
            };
            let id = if input.text_ids { format!("evt_{i}") } else { i.to_string() };
            // Multi-byte text, so a cut can fall inside a character.
            let data = format!("{{\"sequence_number\": {i}, \"content\": \"é🦀 {i}\"}}");
            let mut frame = String::new();
            if input.comments && i % 3 == 1 {
                frame.push_str(&format!(": keep-alive{eol}"));
            }
            frame.push_str(&format!("id: {id}{eol}event: {kind}{eol}data: {data}{eol}{eol}"));
            frames.push(frame.into_bytes());
            events.push(TurnEvent::new(Some(id), kind, data));
        }
        Turn { frames, events, text_ids: input.text_ids }
    }

    fn index_of(&self, id: &str) -> usize {
        let n = if self.text_ids { id.strip_prefix("evt_").unwrap_or(id) } else { id };
        n.parse::<usize>().expect("the client only sends ids it was given") + 1
    }

    /// The body of a connection that starts after `last` (from the start when `None`).
    fn body(&self, last: Option<&str>, cut: Cut) -> Answer {
        let next = last.map_or(0, |id| self.index_of(id));
        let from = next.saturating_sub(usize::from(cut.replay));
        let mut bytes: Vec<u8> = self.frames[from..].concat();
        let whole = bytes.len();
        bytes.truncate(usize::from(cut.bytes));
        let chunks = if cut.chunk == 0 {
            vec![Bytes::from(bytes)]
        } else {
            bytes.chunks(usize::from(cut.chunk)).map(Bytes::copy_from_slice).collect()
        };
        Answer::Events { chunks, reset: cut.reset && cut.bytes as usize <= whole }
    }
}

struct Fake {
    turn: Turn,
    replies: Mutex<VecDeque<Reply>>,
    asked: Mutex<Vec<Option<String>>>,
    gave_up: Mutex<bool>,
}

impl Server for Fake {
    fn answer(&self, last_event_id: Option<&str>) -> Answer {
        self.asked.lock().expect("lock").push(last_event_id.map(str::to_owned));
        let reply = self.replies.lock().expect("lock").pop_front();
        match reply {
            // Past the script, the server sends the rest of the turn.
            None => self.turn.body(
                last_event_id,
                Cut { replay: 0, bytes: u16::MAX, chunk: 0, reset: false },
            ),
            Some(Reply::Events(cut)) => self.turn.body(last_event_id, cut),
            Some(Reply::NoContent) => {
                *self.gave_up.lock().expect("lock") = true;
                Answer::NoContent
            }
            Some(Reply::Gone) => {
                *self.gave_up.lock().expect("lock") = true;
                Answer::Gone
            }
            Some(Reply::Unavailable(ms)) => Answer::Unavailable(u16::from(ms)),
            Some(Reply::Refused) => Answer::Refused,
        }
    }
}

fuzz_target!(|input: Input| {
    if input.replies.len() > 24 {
        return;
    }
    let turn = Turn::new(&input);
    let expected = turn.events.clone();
    let first = match turn.body(None, input.first) {
        Answer::Events { chunks, reset } => (chunks, reset),
        _ => unreachable!("a body"),
    };
    let fake = Arc::new(Fake {
        turn,
        replies: Mutex::new(input.replies.iter().copied().collect()),
        asked: Mutex::new(Vec::new()),
        gave_up: Mutex::new(false),
    });
    // Enough attempts that the scripted replies alone never exhaust them.
    let policy = ResumePolicy::default()
        .with_max_attempts_without_progress(
            u32::try_from(input.replies.len()).unwrap_or(0) + 2,
        )
        .with_delay(Duration::from_millis(1), Duration::from_millis(8))
        .with_server_retry_bounds(Duration::from_millis(1), Duration::from_millis(300));
    let mut stream = poke::fuzzing::scripted_turn(first.0, first.1, fake.clone(), policy);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let (got, error) = rt.block_on(async {
        let mut got: Vec<TurnEvent> = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(ev) => got.push(ev),
                Err(e) => return (got, Some(e)),
            }
        }
        (got, None)
    });

    assert!(got.len() <= expected.len());
    assert_eq!(got[..], expected[..got.len()], "not a prefix of the turn, each once, in order");
    let gave_up = *fake.gave_up.lock().expect("lock");
    match error {
        None => {
            assert_eq!(got.len(), expected.len(), "ended early without an error");
            assert!(stream.is_finished());
        }
        Some(Error::Stream { last_event_id, .. }) => {
            assert!(gave_up, "gave up although the server would have sent the rest");
            assert_eq!(last_event_id, got.last().and_then(|e| e.id.clone()));
        }
        Some(other) => panic!("not a stream error: {other:?}"),
    }
    // Every reconnect asked for the events after the last one delivered before it.
    let asked = fake.asked.lock().expect("lock").clone();
    let delivered: Vec<Option<String>> = std::iter::once(None)
        .chain(got.iter().map(|e| e.id.clone()))
        .collect();
    let mut at = 0;
    for a in &asked {
        let pos = delivered[at..]
            .iter()
            .position(|d| d == a)
            .unwrap_or_else(|| panic!("asked from {a:?}, not a delivered position"));
        at += pos;
    }
});
