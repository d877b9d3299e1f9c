//! `send_message` round trips over loopback against the in-process emulator: the core's own
//! per-call cost (request building, reqwest/hyper, thread hand-offs, reply validation), without
//! Python. Compares `block_on` from a non-runtime thread on the shared multi-thread runtime
//! (the connection is driven by a runtime thread: two hand-offs per call), with and without the
//! 100 ms signal tick of the Python binding, and on a current-thread runtime with its own
//! client, driven by the calling thread (the Python binding's blocking "lanes").
//!
//! `CARGO_TARGET_DIR=… cargo bench -p poke-sdk --bench roundtrip -- --warm-up-time 1 --measurement-time 3`

// Benchmarks run on fixed, known-good inputs: a failure there is a bug to see at once.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use poke_emulator::{Emulator, EmulatorConfig};
use std::time::Duration;

const SHORT: &str = "Summarize my unread emails from today and tell me which ones need a reply";

fn roundtrip(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            host: "127.0.0.1".into(),
            port: 0,
            api_key: None,
        }))
        .unwrap();
    let client = poke::Client::builder()
        .api_key("bench-key")
        .base_url(emu.poke_api_url())
        .sdk(poke::binding::SdkLang::Python, "0.0.0")
        .build()
        .unwrap();
    rt.block_on(client.send_message(SHORT)).unwrap();

    let mut g = c.benchmark_group("send_message_loopback");
    g.bench_function("block_on", |b| {
        b.iter(|| rt.block_on(client.send_message(SHORT)).unwrap())
    });
    g.bench_function("block_on_with_tick", |b| {
        b.iter(|| {
            rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(100), client.send_message(SHORT)).await
            })
            .unwrap()
            .unwrap()
        })
    });
    let lane = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let lane_client = poke::Client::builder()
        .api_key("bench-key")
        .base_url(emu.poke_api_url())
        .sdk(poke::binding::SdkLang::Python, "0.0.0")
        .build()
        .unwrap();
    lane.block_on(lane_client.send_message(SHORT)).unwrap();
    g.bench_function("current_thread_lane_with_tick", |b| {
        b.iter(|| {
            lane.block_on(async {
                tokio::time::timeout(Duration::from_millis(100), lane_client.send_message(SHORT))
                    .await
            })
            .unwrap()
            .unwrap()
        })
    });
    g.finish();
    drop(emu);
}

criterion_group!(benches, roundtrip);
criterion_main!(benches);
