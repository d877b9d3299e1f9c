//! SSE decoding throughput on a recorded-style stream: 200,000 events of about 100 bytes, in
//! the shape the Pokee API sends (`id:`, `event:`, a JSON `data:` line), fed in 64 KiB chunks.
//!
//! `cargo bench -p poke-sdk --bench sse`. Three steps are timed: the byte-level decoder alone;
//! decoder plus `TurnEvent`, which is what a turn stream does per event before handing it over
//! (the payload is parsed only when read); and the same with `data()` read, as a Rust reader
//! of every payload pays. Each reports bytes/s and events/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use poke::TurnEvent;
use poke::binding::SseDecoder;
use std::hint::black_box;

const EVENTS: usize = 200_000;
const CHUNK: usize = 64 * 1024;

/// The stream, built once: mostly `text.delta` events with varied text, as a long answer is.
fn recorded_stream() -> Vec<u8> {
    let words = [
        "Echo: ",
        "the quick ",
        "brown fox ",
        "jumps over ",
        "a lazy dog. ",
    ];
    let mut out = String::with_capacity(EVENTS * 100);
    out.push_str("id: 0\nevent: message.created\ndata: {\"id\":\"msg_4c181d549c484451af37215d\",\"session_id\":\"sess_1046ced336e0\",\"status\":\"in_progress\",\"sequence_number\":0}\n\n");
    for seq in 1..EVENTS - 1 {
        let text = words[seq % words.len()];
        out.push_str(&format!(
            "id: {seq}\nevent: text.delta\ndata: {{\"content\":\"{text}\",\"sequence_number\":{seq}}}\n\n"
        ));
    }
    let last = EVENTS - 1;
    out.push_str(&format!(
        "id: {last}\nevent: message.completed\ndata: {{\"id\":\"msg_4c181d549c484451af37215d\",\"status\":\"completed\",\"usage\":{{\"input_tokens\":25,\"output_tokens\":{last},\"total_tokens\":{}}},\"sequence_number\":{last}}}\n\n",
        last + 25
    ));
    out.into_bytes()
}

fn decode_all(stream: &[u8], mut each: impl FnMut(poke::binding::SseEvent)) -> usize {
    let mut decoder = SseDecoder::new();
    let mut n = 0;
    for chunk in stream.chunks(CHUNK) {
        for ev in decoder.feed(chunk) {
            n += 1;
            each(ev);
        }
    }
    n
}

fn sse(c: &mut Criterion) {
    let stream = recorded_stream();
    assert_eq!(decode_all(&stream, |_| {}), EVENTS);
    eprintln!(
        "stream: {EVENTS} events, {} bytes ({:.1} bytes/event)",
        stream.len(),
        stream.len() as f64 / EVENTS as f64
    );

    for (unit, throughput) in [
        ("bytes", Throughput::Bytes(stream.len() as u64)),
        ("events", Throughput::Elements(EVENTS as u64)),
    ] {
        let mut g = c.benchmark_group(format!("sse_decode_{unit}"));
        g.sample_size(20);
        g.throughput(throughput);
        g.bench_function("decoder", |b| {
            b.iter(|| decode_all(black_box(&stream), |ev| drop(black_box(ev))))
        });
        g.bench_function("decoder_and_turn_event", |b| {
            b.iter(|| {
                decode_all(black_box(&stream), |ev| {
                    drop(black_box(TurnEvent::from(ev)))
                })
            })
        });
        g.bench_function("decoder_turn_event_and_data", |b| {
            b.iter(|| {
                decode_all(black_box(&stream), |ev| {
                    let ev = TurnEvent::from(ev);
                    black_box(ev.data());
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, sse);
criterion_main!(benches);
