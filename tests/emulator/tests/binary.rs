//! The `poke-emulator` binary: its one stdout line, signals and stdin handling.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_poke-emulator");

/// Reads the first stdout line on a thread so a silent binary fails the test instead of
/// hanging it.
fn first_line(stdout: ChildStdout) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("binary printed a line in time")
}

/// Kills the child when a test ends, passing or failing, so no emulator outlives it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    Running(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts"),
    )
}

fn wait_with_deadline(child: &mut Child, deadline: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test]
async fn prints_the_listening_line_and_serves() {
    let mut child = spawn(&["--host", "127.0.0.1", "--port", "0", "--api-key", "k"]);
    let line = first_line(child.0.stdout.take().expect("stdout piped"));
    let url = line
        .strip_prefix("poke emulator listening on http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{}", port.trim_end()))
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert!(line.ends_with('\n'));
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert_ne!(port, 0);

    // reqwest has TLS without a provider here (poke-sdk picks ring for its own clients).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let health = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("health answers");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly() {
    let mut child = spawn(&[]);
    let _ = first_line(child.0.stdout.take().expect("stdout piped"));
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = wait_with_deadline(&mut child.0, Duration::from_secs(5));
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}");
}

#[test]
fn exits_when_stdin_closes_if_asked() {
    let mut child = spawn(&["--exit-on-stdin-close"]);
    let _ = first_line(child.0.stdout.take().expect("stdout piped"));
    drop(child.0.stdin.take());
    let exit = wait_with_deadline(&mut child.0, Duration::from_secs(5));
    assert!(exit.is_some_and(|s| s.success()), "{exit:?}");
}

#[test]
fn help_and_bad_arguments() {
    let help = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--exit-on-stdin-close"));

    let bad = Command::new(BIN).arg("--bogus").output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
}

#[test]
fn tls_flag_serves_https_and_writes_the_ca() {
    let ca = std::env::temp_dir().join(format!("poke-emu-ca-{}.pem", std::process::id()));
    let ca_arg = ca.to_string_lossy().into_owned();
    let mut child = spawn(&["--tls", "--tls-ca-file", &ca_arg]);
    let line = first_line(child.0.stdout.take().expect("stdout piped"));
    assert!(
        line.starts_with("poke emulator listening on https://127.0.0.1:"),
        "{line}"
    );
    let pem = std::fs::read_to_string(&ca).expect("CA written before the line");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    std::fs::remove_file(&ca).ok();
}
