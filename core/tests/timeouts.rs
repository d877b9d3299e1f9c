//! Each time bound fires alone and says so, against loopback servers that stall at one phase
//! of the exchange; `total` bounds the whole call, retries and their waits included.

use poke::{CallOptions, Client, Error, PokeeClient, TimeoutPhase, Timeouts};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BOUND: Duration = Duration::from_millis(300);

/// What the server does with each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Accepts and never says a word (a TLS handshake never completes).
    Silent,
    /// Reads the request head, then never answers.
    NoReply,
    /// Reads the request head, then never reads the body (nor answers).
    NoBodyRead,
    /// Answers 503 with `Retry-After: 2` to every request.
    Busy,
}

/// A loopback server; counts the requests (connections) it got.
async fn server(behaviour: Behaviour) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(sock, behaviour));
        }
    });
    (format!("127.0.0.1:{}", addr.port()), hits)
}

async fn serve(mut sock: TcpStream, behaviour: Behaviour) {
    let mut held = Vec::new();
    if !matches!(behaviour, Behaviour::Silent) {
        let mut buf = [0u8; 4096];
        while !held.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => held.extend_from_slice(&buf[..n]),
            }
        }
    }
    match behaviour {
        Behaviour::Busy => {
            let body = r#"{"error":"busy"}"#;
            let reply = format!(
                "HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes()).await;
        }
        _ => {
            // Stall: keep the socket open without reading or writing.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
    drop(sock);
}

fn poke_client(base: String, timeouts: Timeouts, retries: u32) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(base)
        .timeouts(timeouts)
        .max_retries(retries)
        .build()
        .expect("client")
}

fn timeout_of(err: &Error) -> (TimeoutPhase, Duration, Duration) {
    match err {
        Error::Timeout {
            phase,
            limit,
            after,
        } => (*phase, *limit, *after),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn connect_bound_fires_alone_during_a_stalled_tls_handshake() {
    let (addr, _) = server(Behaviour::Silent).await;
    let c = poke_client(format!("https://{addr}"), Timeouts::none(), 0);
    let opts = CallOptions::new().timeouts(Timeouts::none().with_connect(BOUND));
    let err = c
        .with_options(opts)
        .send_message("x")
        .await
        .expect_err("stalls");
    let (phase, limit, after) = timeout_of(&err);
    assert_eq!(phase, TimeoutPhase::Connect, "{err}");
    assert_eq!(limit, BOUND);
    assert!(after >= BOUND, "{after:?}");
    let text = err.to_string();
    assert!(
        text.contains("(connect: no connection within 0.3s)"),
        "{text}"
    );
    assert!(!text.contains("after 0.0s"), "{text}");
}

#[tokio::test]
async fn read_bound_fires_alone_when_no_reply_comes() {
    let (addr, hits) = server(Behaviour::NoReply).await;
    let c = poke_client(format!("http://{addr}"), Timeouts::none(), 0);
    let opts = CallOptions::new().timeouts(Timeouts::none().with_read(BOUND));
    let err = c
        .with_options(opts)
        .send_message("x")
        .await
        .expect_err("stalls");
    let (phase, limit, after) = timeout_of(&err);
    assert_eq!(phase, TimeoutPhase::ReadIdle, "{err}");
    assert_eq!(limit, BOUND);
    assert!(after >= BOUND);
    assert!(
        err.to_string()
            .contains("(read: no response data for 0.3s)"),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn write_bound_fires_alone_when_the_server_stops_taking_the_body() {
    let (addr, _) = server(Behaviour::NoBodyRead).await;
    let client = PokeeClient::builder()
        .api_key("k")
        .base_url(format!("http://{addr}"))
        .transfer_read_idle(BOUND)
        .max_retries(0)
        .build()
        .expect("client");
    // Far more than the socket buffers hold, so the write stalls.
    let data = vec![7u8; 64 * 1024 * 1024];
    let err = client
        .upload_bytes("sess_1", "input/big.bin", data)
        .await
        .expect_err("stalls");
    let (phase, limit, _) = timeout_of(&err);
    assert_eq!(phase, TimeoutPhase::Write, "{err}");
    assert_eq!(limit, BOUND);
    assert!(err.to_string().contains("(write: "), "{err}");
}

#[tokio::test]
async fn pool_bound_fires_alone_while_every_slot_is_taken() {
    let (addr, _) = server(Behaviour::NoReply).await;
    let c = Client::builder()
        .api_key("k")
        .base_url(format!("http://{addr}"))
        .timeouts(Timeouts::none())
        .max_connections(1)
        .max_retries(0)
        .build()
        .expect("client");
    let holder = c.clone();
    let first = tokio::spawn(async move { holder.send_message("holds the slot").await });
    // The first call takes the only slot before the second asks for one.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let opts = CallOptions::new().timeouts(Timeouts::none().with_pool(BOUND));
    let err = c
        .with_options(opts)
        .send_message("x")
        .await
        .expect_err("no slot");
    let (phase, limit, _) = timeout_of(&err);
    assert_eq!(phase, TimeoutPhase::Pool, "{err}");
    assert_eq!(limit, BOUND);
    assert!(
        err.to_string()
            .contains("(pool: no free connection within 0.3s)"),
        "{err}"
    );
    first.abort();
}

#[tokio::test]
async fn total_bounds_a_stalled_call_and_is_not_retried() {
    let (addr, hits) = server(Behaviour::NoReply).await;
    let c = poke_client(format!("http://{addr}"), Timeouts::none(), 3);
    let opts = CallOptions::new().timeouts(Timeouts::total_secs(0.3));
    let err = c
        .with_options(opts)
        .send_message("x")
        .await
        .expect_err("stalls");
    let (phase, _, after) = timeout_of(&err);
    assert_eq!(phase, TimeoutPhase::Total);
    assert!(after >= BOUND);
    assert!(
        err.to_string()
            .starts_with("Request timed out after 0.3s (total)"),
        "{err}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "no time was left for a retry"
    );
}

#[tokio::test]
async fn total_includes_the_wait_before_a_retry() {
    // A 503 asks for a retry in 2 s; with 1 s in all there is no time for it: the 503 is
    // returned at once rather than after the wait.
    let (addr, hits) = server(Behaviour::Busy).await;
    let c = poke_client(format!("http://{addr}"), Timeouts::total_secs(1.0), 3);
    let err = c.send_message("x").await.expect_err("busy");
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Without a total bound the same hint is honoured.
    let patient = poke_client(format!("http://{addr}"), Timeouts::none(), 1);
    let started = tokio::time::Instant::now();
    let err = patient.send_message("x").await.expect_err("busy");
    assert_eq!(err.status(), Some(503));
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}
