//! Client construction: 1,000 `http://` clients and 100 `https://` clients (after the first),
//! which must cost microseconds, not a reload of the system's trusted roots per client.
//!
//! `cargo bench -p poke-sdk --bench clients -- --warm-up-time 1 --measurement-time 3`

// Benchmarks run on fixed, known-good inputs: a failure there is a bug to see at once.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn build(url: &str) -> poke::Client {
    poke::Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .unwrap()
}

fn construction(c: &mut Criterion) {
    // The first client of the process (and its first handshake) pays for process-wide setup.
    drop(build("https://127.0.0.1:9/api/v1"));
    let mut g = c.benchmark_group("client_construction");
    g.bench_function("http_x1000", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                black_box(build("http://127.0.0.1:9/api/v1"));
            }
        });
    });
    g.bench_function("https_x100", |b| {
        b.iter(|| {
            for _ in 0..100 {
                black_box(build("https://127.0.0.1:9/api/v1"));
            }
        });
    });
    g.bench_function("pokee_http_x1000", |b| {
        b.iter(|| {
            for _ in 0..1000 {
                black_box(
                    poke::PokeeClient::builder()
                        .api_key("k")
                        .base_url("http://127.0.0.1:9")
                        .build()
                        .unwrap(),
                );
            }
        });
    });
    g.finish();
}

criterion_group!(benches, construction);
criterion_main!(benches);
