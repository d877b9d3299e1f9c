//! The emulator under abuse: it is our users' test server, so it must not fall over. 10,000
//! concurrent connections (or as many as the fd limit allows), malformed requests, huge
//! headers, oversized bodies and uploads: it answers errors, stays up, and its memory stays
//! within the figures stated here.
//!
//! The emulator runs as its own process (the `poke-emulator` binary), so its RSS, peak RSS,
//! open descriptors and threads are its own (`/proc/<pid>/status`, `/proc/<pid>/fd`).

#![allow(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_poke-emulator");
const MIB: u64 = 1024 * 1024;

/// A `poke-emulator` process, killed when the test ends.
struct Emulator {
    child: Child,
    addr: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    fn start() -> Self {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--exit-on-stdin-close"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let addr = line
            .trim()
            .strip_prefix("poke emulator listening on http://")
            .unwrap_or_else(|| panic!("unexpected line {line:?}"))
            .to_owned();
        Emulator { child, addr }
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the emulator is running");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field}"))
    }

    fn rss_mib(&self) -> u64 {
        self.status_kib("VmRSS:") / 1024
    }

    /// Peak RSS since the last reset, in MiB.
    fn peak_mib(&self) -> u64 {
        self.status_kib("VmHWM:") / 1024
    }

    /// Resets the peak RSS to the current RSS.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    fn threads(&self) -> u64 {
        self.status_kib("Threads:")
    }

    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(Iterator::count)
            .unwrap_or(0)
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }
}

/// Raises this process's soft limit of open files to its hard limit (the emulator inherits
/// it) and returns it.
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max.min(1 << 20);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

/// Sends `raw` on a new connection and returns the status code of the answer, `None` when
/// the connection closed without one. Reads at most the head, within 10 s.
async fn exchange(addr: &str, raw: &[u8]) -> Option<u16> {
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    // A server may answer and close before reading everything: a failed write is fine.
    let _ = sock.write_all(raw).await;
    read_status(&mut sock).await
}

async fn read_status(sock: &mut TcpStream) -> Option<u16> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    let line = String::from_utf8_lossy(&head);
    line.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_connections_are_all_served() {
    let limit = raise_fd_limit();
    // Each side holds one descriptor per connection, plus a margin for everything else.
    let n = 10_000usize.min(usize::try_from(limit).unwrap_or(0).saturating_sub(200));
    let mut emu = Emulator::start();
    let (rss0, fds0, threads0) = (emu.rss_mib(), emu.fds(), emu.threads());
    emu.reset_peak();
    let addr = emu.addr.clone();
    let socks: Vec<TcpStream> = futures_util::stream::iter(0..n)
        .map(|_| TcpStream::connect(addr.clone()))
        .buffer_unordered(256)
        .map(|s| s.expect("connect"))
        .collect()
        .await;
    // Every connection open at once, then every one asks and is answered.
    let answers: Vec<(Option<u16>, TcpStream)> = futures_util::stream::iter(socks)
        .map(|mut sock| async move {
            let _ = sock.write_all(HEALTH).await;
            (read_status(&mut sock).await, sock)
        })
        .buffer_unordered(1024)
        .collect()
        .await;
    let ok = answers.iter().filter(|(s, _)| *s == Some(200)).count();
    let (rss_open, fds_open) = (emu.rss_mib(), emu.fds());
    drop(answers);
    // Closed connections are let go: the descriptors come back.
    let mut fds_after = emu.fds();
    for _ in 0..100 {
        if fds_after <= fds0 + 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        fds_after = emu.fds();
    }
    let peak = emu.peak_mib();
    eprintln!(
        "{n} connections (fd limit {limit}): {ok} answered 200; emulator RSS {rss0} MiB → {rss_open} MiB open (peak {peak} MiB), fds {fds0} → {fds_open} → {fds_after}, threads {threads0} → {}",
        emu.threads()
    );
    assert!(n >= 900, "fd limit {limit} too low to test");
    assert_eq!(ok, n);
    assert!(fds_open >= fds0 + n, "the connections were open at once");
    assert!(
        fds_after <= fds0 + 8,
        "descriptors leaked: {fds0} → {fds_after}"
    );
    assert_eq!(exchange(&emu.addr, HEALTH).await, Some(200));
    assert!(emu.alive());
    // About 15 KiB per open connection (hyper's buffers and task) was measured; the bound is
    // 24 KiB each plus 48 MiB.
    assert!(
        peak.saturating_sub(rss0) * MIB < 48 * MIB + (n as u64) * 24 * 1024,
        "peak RSS grew by {} MiB for {n} connections",
        peak.saturating_sub(rss0)
    );
}

#[tokio::test]
async fn malformed_requests_get_error_answers_and_the_emulator_stays_up() {
    let mut emu = Emulator::start();
    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(1 << 20));
    let many_headers = format!(
        "GET /health HTTP/1.1\r\nhost: x\r\n{}\r\n",
        (0..200)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"GARBAGE\r\n\r\n".to_vec()),
        ("binary", (0u8..=255).cycle().take(4096).collect()),
        ("tls hello on plain http", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec()),
        ("unknown version", b"GET /health HTTP/9.9\r\nhost: x\r\n\r\n".to_vec()),
        ("bad header name", b"GET /health HTTP/1.1\r\nbad header: x\r\n\r\n".to_vec()),
        ("control char in header", b"GET /health HTTP/1.1\r\nx: a\x01b\r\n\r\n".to_vec()),
        ("non-utf8 path", b"GET /v1/sessions/\xff\xfe HTTP/1.1\r\nhost: x\r\n\r\n".to_vec()),
        ("bad content-length", b"POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n".to_vec()),
        ("two content-lengths", b"POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}".to_vec()),
        ("bad chunk size", b"POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec()),
        ("not json", b"POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{nope".to_vec()),
        ("json of the wrong shape", b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n{\"ttl\": \"big\"}".to_vec()),
        ("dot segments", b"GET /v1/sessions/../../../etc/passwd HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n\r\n".to_vec()),
        ("1 MiB uri", long_uri.into_bytes()),
        ("200 headers", many_headers.into_bytes()),
        ("10 GB declared body", b"POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000000\r\n\r\n".to_vec()),
        ("10 GB declared upload", b"PUT /v1/sessions/sess_x/files/big.bin HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-length: 10000000000\r\n\r\n".to_vec()),
    ];
    let mut report = Vec::new();
    for (name, raw) in &cases {
        let status = exchange(&emu.addr, raw).await;
        report.push(format!("{name}: {status:?}"));
        assert!(
            status.is_some_and(|s| (400..500).contains(&s)),
            "{name}: {status:?}"
        );
        assert_eq!(exchange(&emu.addr, HEALTH).await, Some(200), "after {name}");
    }
    eprintln!("{}", report.join("; "));
    assert!(emu.alive());
}

#[tokio::test]
async fn a_huge_header_gets_431() {
    let emu = Emulator::start();
    // Up to hyper's ~400 KB head buffer a header is served; past it the answer is 431.
    for (size, status) in [(64 << 10, 200), (1 << 20, 431), (16 << 20, 431)] {
        let raw = format!(
            "GET /health HTTP/1.1\r\nhost: x\r\nx-huge: {}\r\n\r\n",
            "a".repeat(size)
        );
        assert_eq!(
            exchange(&emu.addr, raw.as_bytes()).await,
            Some(status),
            "{size}"
        );
    }
    assert_eq!(exchange(&emu.addr, HEALTH).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_fd_limit_the_emulator_stays_up_and_recovers() {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(BIN);
    command
        .args(["--port", "0", "--exit-on-stdin-close"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe setrlimit between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 128,
                rlim_max: 128,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let mut child = command.spawn().expect("emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .strip_prefix("poke emulator listening on http://")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_owned();
    let mut emu = Emulator { child, addr };
    // Four times its limit: the kernel queues the connections it cannot accept. Once its
    // backlog is full too, a connect waits for SYN retries (minutes): those give up after 2 s.
    let socks: Vec<TcpStream> = futures_util::stream::iter(0..512)
        .map(|_| tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(emu.addr.clone())))
        .buffer_unordered(64)
        .filter_map(|s| async move { s.ok().and_then(Result::ok) })
        .collect()
        .await;
    let answered = futures_util::stream::iter(socks)
        .map(|mut sock| async move {
            let _ = sock.write_all(HEALTH).await;
            let status = tokio::time::timeout(Duration::from_secs(2), read_status(&mut sock))
                .await
                .ok()
                .flatten();
            (status, sock)
        })
        .buffer_unordered(512)
        .collect::<Vec<_>>()
        .await;
    let ok = answered.iter().filter(|(s, _)| *s == Some(200)).count();
    assert!(emu.alive());
    assert!(
        ok < 512,
        "all {ok} answered although the limit is 128 descriptors"
    );
    drop(answered);
    // Once the clients let go, it serves again.
    let mut status = None;
    for _ in 0..50 {
        status = exchange(&emu.addr, HEALTH).await;
        if status == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "fd limit 128: {ok} of 512 connections answered while all were open; then {status:?}"
    );
    assert_eq!(status, Some(200));
    assert!(emu.alive());
}

/// Sends a `content-length` body of `size` bytes (zeros) and returns the status.
async fn post_body(addr: &str, head: &str, size: u64) -> Option<u16> {
    let mut sock = TcpStream::connect(addr).await.expect("connect");
    let head = format!("{head}content-length: {size}\r\n\r\n");
    if sock.write_all(head.as_bytes()).await.is_err() {
        return read_status(&mut sock).await;
    }
    let piece = vec![0u8; 256 * 1024];
    let mut sent = 0u64;
    while sent < size {
        let n = piece
            .len()
            .min(usize::try_from(size - sent).unwrap_or(usize::MAX));
        if sock.write_all(&piece[..n]).await.is_err() {
            break;
        }
        sent += n as u64;
    }
    read_status(&mut sock).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_uploads_get_413_in_bounded_memory() {
    let mut emu = Emulator::start();
    let addr = emu.addr.clone();
    let rss0 = emu.rss_mib();
    emu.reset_peak();
    // One at a time: a JSON route (bodies over 64 MiB refused) and a file upload (over the
    // 100 MiB upload limit).
    let json = "POST /api/v1/inbound/api-message HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\n";
    assert_eq!(post_body(&addr, json, 100 * MIB).await, Some(413));
    let session = {
        let raw = b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        let mut sock = TcpStream::connect(&addr).await.expect("connect");
        sock.write_all(raw).await.expect("write");
        let mut text = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut text)).await;
        let text = String::from_utf8_lossy(&text).into_owned();
        let at = text.find("\"id\":\"").expect("a session id") + 6;
        text[at..].split('"').next().expect("id").to_owned()
    };
    let upload = format!(
        "PUT /v1/sessions/{session}/files/input/big.bin HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
    );
    assert_eq!(post_body(&addr, &upload, 120 * MIB).await, Some(413));
    let sequential = emu.peak_mib().saturating_sub(rss0);
    // Eight at once.
    emu.reset_peak();
    let rss1 = emu.rss_mib();
    let statuses: Vec<Option<u16>> = futures_util::stream::iter(0..8)
        .map(|i| {
            let (addr, head) = if i % 2 == 0 {
                (addr.clone(), json.to_owned())
            } else {
                (addr.clone(), upload.clone())
            };
            async move { post_body(&addr, &head, 120 * MIB).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let concurrent = emu.peak_mib().saturating_sub(rss1);
    eprintln!(
        "peak RSS growth: {sequential} MiB one at a time, {concurrent} MiB for 8 at once; statuses {statuses:?}"
    );
    // A body that waits too long for room in the budget is refused with 503.
    assert!(
        statuses.iter().all(|s| matches!(s, Some(413 | 503))),
        "{statuses:?}"
    );
    assert_eq!(exchange(&addr, HEALTH).await, Some(200));
    assert!(emu.alive());
    // One body is held whole while read (64 MiB for a JSON route, the 100 MiB upload limit);
    // all bodies being read share one 256 MiB budget (src/budget.rs), plus what the kernel and
    // hyper buffer per connection.
    assert!(sequential < 160, "{sequential} MiB");
    assert!(concurrent < 400, "{concurrent} MiB");
}
