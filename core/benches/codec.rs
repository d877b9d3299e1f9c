//! Request building + JSON encoding, and response JSON decoding (no I/O).
//!
//! `CARGO_TARGET_DIR=… cargo bench -p poke-sdk --bench codec -- --warm-up-time 1 --measurement-time 3`

// Benchmarks run on fixed, known-good inputs: a failure there is a bug to see at once.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use poke::binding::{JsonStyle, encode_json};
use poke::{JsonResponse, SendMessageResponse, Webhook};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde::Serialize;
use serde_json::value::RawValue;
use std::hint::black_box;

/// The body of `send_message`, as `poke_api.rs` serializes it.
#[derive(Serialize)]
struct MessageBody<'a, T: ?Sized> {
    message: &'a T,
}

const SHORT: &str = "Summarize my unread emails from today and tell me which ones need a reply";

fn messages() -> Vec<(&'static str, String)> {
    vec![
        ("short_ascii", SHORT.to_owned()),
        ("4k_ascii", SHORT.repeat(4096 / SHORT.len())),
        (
            "4k_unicode",
            "Résumé des e-mails non lus 📬 — répondre à ceux qui l’exigent. ".repeat(64),
        ),
    ]
}

fn encoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode_send_message_body");
    for (name, msg) in messages() {
        g.throughput(Throughput::Bytes(msg.len() as u64));
        for (style_name, style) in [
            ("compact", JsonStyle::Compact),
            ("python", JsonStyle::Python),
        ] {
            g.bench_with_input(BenchmarkId::new(style_name, name), &msg, |b, msg| {
                b.iter(|| {
                    encode_json(
                        &MessageBody {
                            message: black_box(msg.as_str()),
                        },
                        style,
                    )
                });
            });
        }
        // The Python binding passes `json.dumps` output as a `RawValue`: validated once, then
        // copied verbatim into the body.
        let raw_text = String::from_utf8(encode_json(&msg, JsonStyle::Python).unwrap()).unwrap();
        g.bench_with_input(
            BenchmarkId::new("python_raw_value", name),
            &raw_text,
            |b, text| {
                b.iter(|| {
                    let raw = RawValue::from_string(black_box(text.clone())).unwrap();
                    encode_json(&MessageBody { message: &*raw }, JsonStyle::Python)
                });
            },
        );
    }
    g.finish();

    let data = serde_json::json!({
        "event": "deploy_failed", "service": "api", "build": 1234, "ok": false,
        "tags": ["prod", "eu-west-1"], "meta": {"commit": "3f2a9c1", "author": "ci"}
    });
    let mut g = c.benchmark_group("encode_webhook_data");
    for (style_name, style) in [
        ("compact", JsonStyle::Compact),
        ("python", JsonStyle::Python),
    ] {
        g.bench_function(style_name, |b| {
            b.iter(|| encode_json(black_box(&data), style))
        });
    }
    g.finish();
}

/// What `transport.rs` does per call before anything is sent: parse the URL, build the bearer
/// header, a UUIDv4 idempotency key, and the reqwest request with its headers and body.
fn request_building(c: &mut Criterion) {
    #[cfg(feature = "rustls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let base = "http://127.0.0.1:8080/api/v1";
    let key = "pk_live_0123456789abcdef0123456789abcdef";
    let ua = "poke-python/0.3.0 (Linux)";
    let body =
        Bytes::from(encode_json(&MessageBody { message: SHORT }, JsonStyle::Python).unwrap());
    let mut g = c.benchmark_group("build_request");
    g.bench_function("url_parse", |b| {
        b.iter(|| reqwest::Url::parse(&format!("{}/inbound/api-message", black_box(base))))
    });
    g.bench_function("uuid_v4_key", |b| {
        b.iter(|| uuid::Uuid::new_v4().to_string())
    });
    g.bench_function("bearer_header", |b| {
        b.iter(|| {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", black_box(key))).unwrap();
            v.set_sensitive(true);
            v
        })
    });
    let url = reqwest::Url::parse(&format!("{base}/inbound/api-message")).unwrap();
    let mut auth = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
    auth.set_sensitive(true);
    g.bench_function("reqwest_request", |b| {
        b.iter(|| {
            client
                .request(reqwest::Method::POST, url.clone())
                .header(USER_AGENT, ua)
                .header(AUTHORIZATION, auth.clone())
                .header(CONTENT_TYPE, "application/json")
                .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                .body(body.clone())
                .build()
                .unwrap()
        })
    });
    g.bench_function("full_send_message_request", |b| {
        b.iter(|| {
            let body = Bytes::from(
                encode_json(
                    &MessageBody {
                        message: black_box(SHORT),
                    },
                    JsonStyle::Python,
                )
                .unwrap(),
            );
            let url = reqwest::Url::parse(&format!("{base}/inbound/api-message")).unwrap();
            let mut auth = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
            auth.set_sensitive(true);
            client
                .request(reqwest::Method::POST, url)
                .header(USER_AGENT, ua)
                .header(AUTHORIZATION, auth)
                .header(CONTENT_TYPE, "application/json")
                .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                .body(body)
                .build()
                .unwrap()
        })
    });
    g.finish();
}

fn response(body: &'static str) -> JsonResponse {
    JsonResponse::new(200, Bytes::from_static(body.as_bytes()), None)
}

fn decoding(c: &mut Criterion) {
    let sent = response(r#"{"success": true, "message": "Message sent successfully"}"#);
    let hook = response(
        r#"{"triggerId": "trg_5f1c9e2a", "webhookUrl": "https://poke.com/api/v1/inbound/webhook", "webhookToken": "whk_4b2d8f0e1a3c5e7f"}"#,
    );
    let big: &'static str = Box::leak(
        serde_json::to_string(
            &(0..1000)
                .map(|i| serde_json::json!({"id": i, "text": "x".repeat(48), "ok": i % 2 == 0}))
                .collect::<Vec<_>>(),
        )
        .unwrap()
        .into_boxed_str(),
    );
    let big = response(big);

    let mut g = c.benchmark_group("decode_response");
    // transport.rs checks every 2xx body is JSON before handing the bytes on.
    g.bench_function("validate_ignored_any/send_message", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&sent.body)).unwrap())
    });
    g.bench_function("typed/send_message", |b| {
        b.iter(|| black_box(&sent).json::<SendMessageResponse>().unwrap())
    });
    g.bench_function("typed/webhook", |b| {
        b.iter(|| black_box(&hook).json::<Webhook>().unwrap())
    });
    g.bench_function("value/webhook", |b| {
        b.iter(|| black_box(&hook).json::<serde_json::Value>().unwrap())
    });
    g.throughput(Throughput::Bytes(big.body.len() as u64));
    g.bench_function("validate_ignored_any/list_64k", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&big.body)).unwrap())
    });
    g.bench_function("value/list_64k", |b| {
        b.iter(|| black_box(&big).json::<serde_json::Value>().unwrap())
    });
    g.finish();
}

criterion_group!(benches, encoding, request_building, decoding);
criterion_main!(benches);
