//! The SSE decoder: any bytes, cut into chunks anywhere, give the same events, last event id
//! and retry as the whole input fed at once (and as one byte at a time).
//!
//! Input: byte 0 = number of cuts n (mod 32), then n little-endian u16 cut positions, then
//! the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poke::TurnEvent;
use poke::binding::{SseDecoder, SseEvent};

fn decode(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseDecoder) {
    let mut d = SseDecoder::new();
    let mut events = Vec::new();
    for c in chunks {
        events.extend(d.feed(c));
    }
    (events, d)
}

fn same(a: &(Vec<SseEvent>, SseDecoder), b: &(Vec<SseEvent>, SseDecoder), how: &str) {
    assert_eq!(a.0, b.0, "events differ ({how})");
    assert_eq!(a.1.last_event_id(), b.1.last_event_id(), "last id ({how})");
    assert_eq!(a.1.retry(), b.1.retry(), "retry ({how})");
    assert_eq!(a.1.buffered_len(), b.1.buffered_len(), "buffered ({how})");
}

fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 32).min(rest.len() / 2);
    let (cut_bytes, stream) = rest.split_at(n * 2);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (stream.len() + 1))
        .collect();
    cuts.push(0);
    cuts.push(stream.len());
    cuts.sort_unstable();
    let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &stream[w[0]..w[1]]).collect();

    let whole = decode(&[stream]);
    same(&whole, &decode(&chunks), "cut");
    if stream.len() <= 4096 {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        same(&whole, &decode(&bytes), "byte by byte");
    }

    let (events, d) = &whole;
    // Invalid UTF-8 grows by at most 3x as U+FFFD; nothing else is held.
    assert!(d.buffered_len() <= 3 * stream.len() + 3);
    assert!(!d.last_event_id().contains('\0'));
    for e in events {
        assert!(!e.event.is_empty());
        assert!(!e.event.contains(['\r', '\n']));
        assert!(!e.data.contains('\r'));
        assert!(!e.last_event_id.contains(['\0', '\r', '\n']));
        if let Some(id) = &e.id {
            assert!(!id.contains(['\0', '\r', '\n']));
            assert_eq!(id, &e.last_event_id, "an event's own id is the last id");
        }
        let ev = TurnEvent::from(e.clone());
        let _ = (ev.data(), ev.kind(), ev.sequence_number(), ev.content(), ev.error());
        assert_eq!(ev.kind().as_str(), e.event);
    }
});
