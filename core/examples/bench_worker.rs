//! The Rust row of `benchmarks/langs.py`: sequential `send_message` calls against a server
//! already running, for `--duration` seconds after `--warmup`, as a Rust user makes them:
//! awaited one after another in `#[tokio::main]` (`--mode async`; `--mode current-thread`
//! for `#[tokio::main(flavor = "current_thread")]`), or with `poke::blocking::Client` from
//! plain code (`--mode blocking`). Prints one JSON object
//! (calls/s, p50/p99 latency in µs, process CPU µs per call), as `benchmarks/worker.py` does.
//!
//! `cargo run --release -p poke-sdk --features blocking --example bench_worker -- --url
//!  http://127.0.0.1:PORT/api/v1 --mode async --duration 2 --warmup 0.5`

use std::time::{Duration, Instant};

const MESSAGE: &str = "Summarize my unread emails from today and tell me which ones need a reply";

struct Args {
    url: String,
    mode: String,
    warmup: Duration,
    duration: Duration,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        url: String::new(),
        mode: "async".into(),
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let secs = || {
            value
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or(format!("{flag}: {value:?}"))
        };
        match flag.as_str() {
            "--url" => args.url = value,
            "--mode" => args.mode = value,
            "--warmup" => args.warmup = secs()?,
            "--duration" => args.duration = secs()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.url.is_empty() {
        return Err("--url is required".into());
    }
    Ok(args)
}

/// User + system CPU seconds of this process so far (`/proc/self/stat`, clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (tick(11) + tick(12)) / 100.0
}

/// Runs `call` for `warmup`, then for `duration`, timing each call.
fn measure(
    args: &Args,
    mut call: impl FnMut() -> Result<(), String>,
) -> Result<serde_json::Value, String> {
    let end = Instant::now() + args.warmup;
    while Instant::now() < end {
        call()?;
    }
    let mut latencies = Vec::new();
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    while t0.elapsed() < args.duration {
        let t = Instant::now();
        call()?;
        latencies.push(t.elapsed());
    }
    let seconds = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    latencies.sort_unstable();
    let pick = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    let calls = latencies.len();
    Ok(serde_json::json!({
        "calls": calls,
        "seconds": seconds,
        "per_s": calls as f64 / seconds,
        "p50_us": pick(0.5),
        "p99_us": pick(0.99),
        "cpu_us_per_call": cpu * 1e6 / calls.max(1) as f64,
    }))
}

fn main() -> Result<(), String> {
    let args = args()?;
    let result = match args.mode.as_str() {
        mode @ ("async" | "current-thread") => {
            let rt = if mode == "async" {
                tokio::runtime::Builder::new_multi_thread()
            } else {
                tokio::runtime::Builder::new_current_thread()
            }
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
            let client = poke::Client::builder()
                .api_key("bench-key")
                .base_url(&args.url)
                .build()
                .map_err(|e| e.to_string())?;
            // As `#[tokio::main]` does (`flavor = "current_thread"` for current-thread): the
            // calls are awaited by the main task.
            measure(&args, || {
                rt.block_on(client.send_message(MESSAGE))
                    .map(drop)
                    .map_err(|e| e.to_string())
            })?
        }
        "blocking" => {
            let client = poke::blocking::Client::new(
                poke::Client::builder()
                    .api_key("bench-key")
                    .base_url(&args.url)
                    .build()
                    .map_err(|e| e.to_string())?,
            );
            measure(&args, || {
                client
                    .send_message(MESSAGE)
                    .map(drop)
                    .map_err(|e| e.to_string())
            })?
        }
        other => {
            return Err(format!(
                "--mode {other:?}: async, current-thread or blocking"
            ));
        }
    };
    println!("{result}");
    Ok(())
}
