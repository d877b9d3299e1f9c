//! The Rust half of the soak (`benchmarks/soak.py` runs it and samples its RSS, open
//! descriptors and threads): `send_message` calls, streamed turns cut at random points and
//! resumed, and file round trips, against an emulator already running at `--emulator URL`.
//! Prints one JSON line of counts at the end; progress goes to stderr.
//!
//! `cargo run --release -p poke-sdk --example soak -- --emulator http://127.0.0.1:PORT
//!  --calls 100000 --turns 2000 --files 500`

use std::time::Instant;

use futures_util::StreamExt;
use poke::{Client, CreateSession, PokeeClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Events per streamed turn.
const EVENTS: u64 = 50;

struct Args {
    emulator: String,
    calls: u64,
    turns: u64,
    files: u64,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        emulator: String::new(),
        calls: 100_000,
        turns: 2_000,
        files: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: {value:?}"))
        };
        match flag.as_str() {
            "--emulator" => args.emulator = value.trim_end_matches('/').to_owned(),
            "--calls" => args.calls = number()?,
            "--turns" => args.turns = number()?,
            "--files" => args.files = number()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.emulator.is_empty() {
        return Err("--emulator URL is required".into());
    }
    Ok(args)
}

/// POSTs a JSON body to the emulator's control API (a bare HTTP/1.1 request, so the soak's
/// own client is the only HTTP client in the process).
async fn control(
    base: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let host = base.trim_start_matches("http://");
    let mut sock = TcpStream::connect(host).await?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    let mut reply = Vec::new();
    sock.read_to_end(&mut reply).await?;
    if !reply.starts_with(b"HTTP/1.1 2") {
        return Err(format!("{path}: {}", String::from_utf8_lossy(&reply)).into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let base = args.emulator.clone();
    let poke = Client::builder()
        .api_key("pk_soak")
        .base_url(format!("{base}/api/v1"))
        .build()?;
    let pokee = PokeeClient::builder()
        .api_key("pk_soak")
        .base_url(base.clone())
        .build()?;
    control(
        &base,
        "POST",
        "/_emulator/sessions/config",
        r#"{"pace_ms": 0}"#,
    )
    .await?;
    let started = Instant::now();
    let phase = |name: &str| eprintln!("phase {name} {:.1}", started.elapsed().as_secs_f64());

    phase("calls");
    let mut calls_ok = 0u64;
    for i in 0..args.calls {
        poke.send_message(&format!("soak {i}")).await?;
        calls_ok += 1;
    }

    phase("turns");
    let session = pokee
        .create_session(&CreateSession::new().persistent(true))
        .await?;
    let mut rng = fastrand::Rng::with_seed(20);
    let (mut expected, mut got, mut lost, mut resumes) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..args.turns {
        // A cut after 1..EVENTS events of the first stream, sometimes mid-event, sometimes a
        // second cut of the resumed stream.
        let cut = rng.u64(1..EVENTS);
        let mid = rng.bool();
        control(
            &base,
            "POST",
            "/_emulator/faults",
            &format!(
                r#"{{"path": "/v1/sessions/*/messages", "drop_after_events": {cut}, "drop_mid_event": {mid}}}"#
            ),
        )
        .await?;
        resumes += 1;
        if rng.u8(0..4) == 0 {
            let again = rng.u64(1..EVENTS);
            control(
                &base,
                "POST",
                "/_emulator/faults",
                &format!(
                    r#"{{"path": "/v1/sessions/*/responses/*/events", "drop_after_events": {again}}}"#
                ),
            )
            .await?;
            resumes += 1;
        }
        let mut turn = pokee
            .send_message(&session.id, &format!("turn {k} events={EVENTS} pace_ms=0"))
            .await?;
        let mut ids = Vec::with_capacity(EVENTS as usize);
        while let Some(event) = turn.next().await {
            ids.push(event?.id.unwrap_or_default());
        }
        let want: Vec<String> = (0..EVENTS).map(|i| i.to_string()).collect();
        expected += EVENTS;
        got += ids.len() as u64;
        if ids != want {
            lost += want.iter().filter(|id| !ids.contains(id)).count() as u64;
            eprintln!("turn {k}: ids {ids:?}");
        }
        // Faults not consumed (a resume that was never needed) must not leak into the next turn.
        control(&base, "DELETE", "/_emulator/faults", "").await?;
    }

    phase("files");
    let dir = std::env::temp_dir().join(format!("poke-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut mismatched = 0u64;
    for i in 0..args.files {
        let size = rng.usize(1..2 * 1024 * 1024);
        let data: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
        let path = format!("inputs/soak-{}.bin", i % 16);
        pokee.upload_bytes(&session.id, &path, data.clone()).await?;
        let dest = dir.join("back.bin");
        pokee
            .download_to(&session.id, &path, &dest, |_, _| {})
            .await?;
        if std::fs::read(&dest)? != data {
            mismatched += 1;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    pokee.delete_session(&session.id).await?;
    phase("done");
    println!(
        r#"{{"calls": {calls_ok}, "turns": {}, "events_expected": {expected}, "events_got": {got}, "events_lost": {lost}, "resume_faults": {resumes}, "files": {}, "files_mismatched": {mismatched}}}"#,
        args.turns, args.files
    );
    Ok(())
}
