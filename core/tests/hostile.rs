//! Memory bounds under hostile servers: a 1 GB reply to a JSON call, an endless SSE line, an
//! endless header, an endless chunked body, a server that sends one byte a second. Each ends
//! with a typed error within the configured bounds, and the client's peak RSS grows by less
//! than the figure stated in `SCENARIOS`.
//!
//! The client runs in a child process (this test binary, running the ignored test below) so
//! its peak RSS is its own: it resets its high-water mark (`/proc/self/clear_refs`), notes its
//! RSS, makes the call, and reports the error and `VmHWM − VmRSS before`. The hostile server
//! runs in the parent, on plain threads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// A scenario: what the server does, what the child calls, and the stated peak RSS growth.
struct Scenario {
    name: &'static str,
    serve: fn(&mut TcpStream),
    /// The bound on the client's peak RSS growth, in MiB.
    max_growth_mib: u64,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "json_1gb_declared",
        serve: json_1gb_declared,
        max_growth_mib: 8,
    },
    Scenario {
        name: "json_1gb_chunked",
        serve: endless_chunked_json,
        max_growth_mib: 56,
    },
    Scenario {
        name: "endless_sse_line",
        serve: endless_sse_line,
        max_growth_mib: 40,
    },
    Scenario {
        name: "endless_sse_event",
        serve: endless_sse_event,
        max_growth_mib: 40,
    },
    Scenario {
        name: "endless_header",
        serve: endless_header,
        max_growth_mib: 8,
    },
    Scenario {
        name: "endless_chunked_download",
        serve: endless_chunked_json,
        max_growth_mib: 56,
    },
    Scenario {
        name: "slow_loris_body",
        serve: slow_loris_body,
        max_growth_mib: 8,
    },
    Scenario {
        name: "slow_loris_head",
        serve: slow_loris_head,
        max_growth_mib: 8,
    },
];

// ---- the hostile server -------------------------------------------------------------------

/// Reads the request head (and ignores any body).
fn read_head(sock: &mut TcpStream) {
    let mut held = Vec::new();
    let mut buf = [0u8; 4096];
    while !held.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => held.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `piece` over and over until the client hangs up or `limit` bytes are out.
fn repeat(sock: &mut TcpStream, piece: &[u8], limit: u64) {
    let mut sent = 0u64;
    while sent < limit {
        if sock.write_all(piece).is_err() {
            return;
        }
        sent += piece.len() as u64;
    }
}

/// One chunk of chunked transfer encoding.
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

fn json_1gb_declared(sock: &mut TcpStream) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n";
    if sock.write_all(head.as_bytes()).is_ok() {
        repeat(sock, &[b' '; 64 * 1024], 1 << 30);
    }
}

/// A JSON reply (or a `.bin` download served as JSON) that never ends (stops at 4 GiB).
fn endless_chunked_json(sock: &mut TcpStream) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    if sock.write_all(head.as_bytes()).is_ok() && sock.write_all(&chunk(b"[")).is_ok() {
        repeat(sock, &chunk(&[b' '; 64 * 1024]), 4 << 30);
    }
}

fn sse_head(sock: &mut TcpStream) -> bool {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-response-id: resp_h\r\ntransfer-encoding: chunked\r\n\r\n";
    sock.write_all(head.as_bytes()).is_ok()
        && sock
            .write_all(&chunk(b"id: 0\nevent: message.created\ndata: {}\n\ndata: "))
            .is_ok()
}

/// One `data:` line that never ends.
fn endless_sse_line(sock: &mut TcpStream) {
    if sse_head(sock) {
        repeat(sock, &chunk(&[b'a'; 64 * 1024]), 1 << 30);
    }
}

/// One event of endless short `data:` lines, never dispatched.
fn endless_sse_event(sock: &mut TcpStream) {
    if sse_head(sock) {
        repeat(sock, &chunk(&b"x\ndata: ".repeat(8 * 1024)), 1 << 30);
    }
}

/// A header line that never ends.
fn endless_header(sock: &mut TcpStream) {
    if sock.write_all(b"HTTP/1.1 200 OK\r\nx-endless: ").is_ok() {
        repeat(sock, &[b'a'; 64 * 1024], 1 << 30);
    }
}

/// A complete head, then one body byte a second.
fn slow_loris_body(sock: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
    if sock.write_all(head.as_bytes()).is_ok() {
        drip(sock, b" ");
    }
}

/// The head itself, one byte a second.
fn slow_loris_head(sock: &mut TcpStream) {
    drip(
        sock,
        b"HTTP/1.1 200 OK\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );
}

fn drip(sock: &mut TcpStream, bytes: &[u8]) {
    for b in bytes.iter().cycle().take(60) {
        if sock.write_all(std::slice::from_ref(b)).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Serves `serve` to every connection on a loopback port, each on its own thread.
fn hostile_server(serve: fn(&mut TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { return };
            std::thread::spawn(move || {
                read_head(&mut sock);
                serve(&mut sock);
            });
        }
    });
    addr
}

// ---- the parent ---------------------------------------------------------------------------

/// Runs the child against a hostile server; returns its report (`error=… growth_kib=…`).
fn run(name: &str) -> (String, u64) {
    let scenario = SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .expect("known scenario");
    let addr = hostile_server(scenario.serve);
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args(["--ignored", "--exact", "hostile_child", "--nocapture"])
        .env("POKE_HOSTILE", name)
        .env("POKE_HOSTILE_ADDR", &addr)
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("HOSTILE "))
        .unwrap_or_else(|| panic!("no report: {stdout}"));
    let growth_kib: u64 = line
        .rsplit_once("growth_kib=")
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no growth in {line}"));
    eprintln!("{name}: {line} (bound {} MiB)", scenario.max_growth_mib);
    assert!(
        growth_kib * 1024 < scenario.max_growth_mib * MIB,
        "{name}: peak RSS grew by {growth_kib} KiB, over the {} MiB bound",
        scenario.max_growth_mib
    );
    (line.to_owned(), growth_kib)
}

#[test]
fn a_1gb_reply_with_its_length_is_refused_before_reading() {
    let (line, _) = run("json_1gb_declared");
    assert!(
        line.starts_with("error=BodyTooLarge limit=33554432 "),
        "{line}"
    );
}

#[test]
fn a_1gb_chunked_reply_stops_at_the_response_cap() {
    let (line, _) = run("json_1gb_chunked");
    assert!(
        line.starts_with("error=BodyTooLarge limit=33554432 "),
        "{line}"
    );
}

#[test]
fn an_endless_sse_line_ends_the_stream_at_the_event_cap() {
    let (line, _) = run("endless_sse_line");
    assert!(
        line.starts_with("error=Stream delivered=1 reason=an event exceeded 16777216 bytes "),
        "{line}"
    );
}

#[test]
fn an_endless_sse_event_ends_the_stream_at_the_event_cap() {
    let (line, _) = run("endless_sse_event");
    assert!(
        line.starts_with("error=Stream delivered=1 reason=an event exceeded 16777216 bytes "),
        "{line}"
    );
}

#[test]
fn an_endless_header_is_a_connection_error() {
    let (line, _) = run("endless_header");
    assert!(line.starts_with("error=Connection "), "{line}");
}

#[test]
fn an_endless_chunked_download_streams_in_bounded_memory() {
    // Served as JSON for a `.bin` path, so the download first checks it is not a listing.
    let (line, _) = run("endless_chunked_download");
    assert!(line.starts_with("read=268435456 "), "{line}");
}

#[test]
fn a_server_sending_a_byte_a_second_meets_the_total_bound() {
    let (line, _) = run("slow_loris_body");
    assert!(
        line.starts_with("error=Timeout phase=Total limit=2s "),
        "{line}"
    );
}

#[test]
fn a_head_sent_a_byte_a_second_meets_the_read_bound() {
    let (line, _) = run("slow_loris_head");
    assert!(
        line.starts_with("error=Timeout phase=ReadIdle limit=2s "),
        "{line}"
    );
}

// ---- the child ----------------------------------------------------------------------------

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// What one scenario's call ended with, for the parent to check.
fn describe(e: &poke::Error) -> String {
    match e {
        poke::Error::BodyTooLarge { limit } => format!("error=BodyTooLarge limit={limit}"),
        poke::Error::Timeout { phase, limit, .. } => {
            format!("error=Timeout phase={phase:?} limit={}s", limit.as_secs())
        }
        poke::Error::Connection { reason, .. } => format!("error=Connection reason={reason}"),
        poke::Error::Stream { reason, .. } => format!("error=Stream reason={reason}"),
        other => format!("error=Other {other:?}"),
    }
}

async fn scenario(name: &str, addr: &str) -> String {
    let poke = poke::Client::builder()
        .api_key("k")
        .base_url(format!("http://{addr}/api/v1"))
        .max_retries(0)
        .timeouts(poke::Timeouts::default().with_total(Duration::from_secs(2)))
        .build()
        .expect("client");
    let pokee = poke::PokeeClient::builder()
        .api_key("k")
        .base_url(format!("http://{addr}"))
        .max_retries(0)
        .stream_read_idle(Duration::from_secs(2))
        .build()
        .expect("client");
    match name {
        "json_1gb_declared" | "json_1gb_chunked" | "slow_loris_body" => {
            let poke = if name == "slow_loris_body" {
                poke
            } else {
                // The default total bound (60 s) leaves the cap to end the call.
                poke::Client::builder()
                    .api_key("k")
                    .base_url(format!("http://{addr}/api/v1"))
                    .max_retries(0)
                    .build()
                    .expect("client")
            };
            match poke.send_message("hi").await {
                Ok(_) => "ok (unexpected)".into(),
                Err(e) => describe(&e),
            }
        }
        "endless_header" => match poke.send_message("hi").await {
            Ok(_) => "ok (unexpected)".into(),
            Err(e) => describe(&e),
        },
        "slow_loris_head" => match pokee.send_message("sess_1", "hi").await {
            Ok(_) => "ok (unexpected)".into(),
            Err(e) => describe(&e),
        },
        "endless_sse_line" | "endless_sse_event" => {
            use futures_util::StreamExt;
            let mut turn = pokee.send_message("sess_1", "hi").await.expect("opened");
            let mut delivered = 0;
            while let Some(item) = turn.next().await {
                match item {
                    Ok(_) => delivered += 1,
                    Err(e) => {
                        return describe(&e).replacen(
                            "error=Stream ",
                            &format!("error=Stream delivered={delivered} "),
                            1,
                        );
                    }
                }
            }
            format!("ended (unexpected) delivered={delivered}")
        }
        "endless_chunked_download" => {
            use futures_util::StreamExt;
            let mut download = match pokee.download("sess_1", "big.bin").await {
                Ok(d) => d,
                Err(e) => return describe(&e),
            };
            let mut read = 0u64;
            while read < 256 * MIB {
                match download.next().await {
                    Some(Ok(c)) => read += c.len() as u64,
                    Some(Err(e)) => return describe(&e),
                    None => break,
                }
            }
            format!("read={}", read.min(256 * MIB))
        }
        other => panic!("unknown scenario {other}"),
    }
}

#[test]
#[ignore = "run by the tests above, in a child process"]
fn hostile_child() {
    let (Ok(name), Ok(addr)) = (
        std::env::var("POKE_HOSTILE"),
        std::env::var("POKE_HOSTILE_ADDR"),
    ) else {
        panic!("run by the hostile tests, with POKE_HOSTILE and POKE_HOSTILE_ADDR");
    };
    let rt = poke::binding::runtime::shared().expect("runtime");
    // Everything but the call itself is in the baseline: runtime, TLS settings, a client.
    rt.block_on(async {
        let _ = poke::Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("client");
    });
    // "5" resets the peak RSS to the current RSS (Linux ≥ 4.0); if not allowed, the growth
    // is measured from the earlier peak, which only overstates it.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = if reset {
        status_kib("VmRSS:")
    } else {
        status_kib("VmRSS:").min(status_kib("VmHWM:"))
    };
    let outcome = rt.block_on(scenario(&name, &addr));
    let peak = status_kib("VmHWM:");
    println!(
        "HOSTILE {outcome} growth_kib={}",
        peak.saturating_sub(before)
    );
}
