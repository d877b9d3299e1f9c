//! The shared scenario list (tests/scenarios) in Rust, against the bundled emulator.

use futures_util::StreamExt;
use poke::{
    BulkDelete, CallbackChain, CallbackPolicy, CallbackSender, ChainStep, Client, CreateSession,
    Error, ErrorKind, PokeeClient, ResumePolicy, RetryPolicy, Secret, Timeouts, TurnEvent,
    WaitOptions,
};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator")
}

fn poke_client(emu: &Emulator) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .retry_policy(
            RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_secs(8)),
        )
        .build()
        .expect("client")
}

fn pokee(emu: &Emulator) -> PokeeClient {
    PokeeClient::builder()
        .api_key("k")
        .base_url(emu.pokee_api_url())
        .resume_policy(
            ResumePolicy::default().with_delay(Duration::from_millis(5), Duration::from_secs(10)),
        )
        .build()
        .expect("pokee client")
}

async fn collect(mut turn: poke::TurnStream) -> Vec<TurnEvent> {
    let mut events = Vec::new();
    while let Some(ev) = turn.next().await {
        events.push(ev.expect("event"));
    }
    events
}

fn fault(path: &str) -> Fault {
    Fault {
        path: path.into(),
        ..Fault::default()
    }
}

async fn poke_error(emu: &Emulator, status: u16) -> Error {
    emu.add_fault(Fault {
        status: Some(status),
        times: 5,
        ..fault("/api/v1/inbound/api-message")
    });
    let c = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .max_retries(0)
        .build()
        .expect("client");
    c.send_message("x").await.expect_err("fails")
}

#[tokio::test]
async fn scenario_quickstart() {
    let emu = emulator().await;
    let c = poke_client(&emu);
    let sent = c.send_message("hi").await.expect("sent");
    assert!(sent.success);
    assert_eq!(emu.messages(), vec![serde_json::json!({"message": "hi"})]);
}

#[tokio::test]
async fn scenario_error_401() {
    let emu = emulator().await;
    let e = poke_error(&emu, 401).await;
    assert_eq!(e.api().map(|a| a.kind), Some(ErrorKind::Unauthorized));
    assert_eq!(e.to_string(), poke::UNAUTHORIZED_MESSAGE);
}

#[tokio::test]
async fn scenario_error_403() {
    let emu = emulator().await;
    let e = poke_error(&emu, 403).await;
    assert_eq!(e.api().map(|a| a.kind), Some(ErrorKind::Forbidden));
    assert_eq!(e.to_string(), poke::FORBIDDEN_MESSAGE);
}

#[tokio::test]
async fn scenario_error_429() {
    let emu = emulator().await;
    let e = poke_error(&emu, 429).await;
    assert_eq!(e.api().map(|a| a.kind), Some(ErrorKind::RateLimited));
    assert_eq!(e.to_string(), poke::RATE_LIMITED_MESSAGE);
}

#[tokio::test]
async fn scenario_error_500() {
    let emu = emulator().await;
    let e = poke_error(&emu, 500).await;
    assert_eq!(e.status(), Some(500));
    assert_eq!(e.to_string(), "Poke API error (500): Internal Server Error");
    assert!(e.api().and_then(|a| a.request_id.clone()).is_some());
}

#[tokio::test]
async fn scenario_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let c = Client::builder()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .expect("client");
    let e = c.send_message("x").await.expect_err("refused");
    assert!(
        matches!(
            e,
            Error::Connection {
                maybe_sent: false,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn scenario_timeout() {
    let emu = emulator().await;
    emu.add_fault(Fault {
        stall_ms: Some(5_000),
        ..fault("/api/v1/inbound/api-message")
    });
    let c = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .timeouts(Timeouts::total_secs(0.3))
        .max_retries(0)
        .build()
        .expect("client");
    assert!(matches!(
        c.send_message("x").await,
        Err(Error::Timeout { .. })
    ));
}

#[tokio::test]
async fn scenario_webhook_round_trip() {
    let emu = emulator().await;
    let c = poke_client(&emu);
    let hook = c.create_webhook("c", "a").await.expect("created");
    c.send_webhook(&hook, &serde_json::json!({"k": 1}))
        .await
        .expect("fired");
    assert_eq!(emu.webhook_fires()[0]["data"], serde_json::json!({"k": 1}));
}

#[tokio::test]
async fn scenario_session_lifecycle() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let params = CreateSession::new()
        .persistent(true)
        .ttl(Duration::from_secs(3600))
        .metadata("owner", "rust");
    let s = c.create_session(&params).await.expect("created");
    assert!(s.id.starts_with("sess_") && s.persistent && !s.busy);
    assert_eq!(s.metadata.get("owner"), Some(&serde_json::json!("rust")));
    assert_eq!(c.get_session(&s.id).await.expect("get").id, s.id);
    assert!(
        c.list_sessions()
            .await
            .expect("list")
            .iter()
            .any(|r| r.id == s.id)
    );
    let other = c
        .create_session(&CreateSession::new())
        .await
        .expect("second");
    c.delete_session(&other.id).await.expect("deleted");
    let gone = c.get_session(&other.id).await.expect_err("gone");
    assert_eq!(gone.api().map(|a| a.kind), Some(ErrorKind::NotFound));
    // TTL on the virtual clock.
    emu.advance_clock(Duration::from_secs(3601));
    assert!(c.get_session(&s.id).await.is_err());
    let third = c
        .create_session(&CreateSession::new().persistent(true))
        .await
        .expect("third");
    emu.advance_clock(Duration::from_secs(7200));
    let removed = c
        .delete_sessions(
            &BulkDelete::new()
                .idle()
                .older_than(Duration::from_secs(3600)),
        )
        .await
        .expect("bulk");
    assert_eq!(removed.deleted, 1, "{removed:?}");
    assert!(c.get_session(&third.id).await.is_err());
}

#[tokio::test]
async fn scenario_streamed_turn() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let s = c
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    let turn = c
        .send_message(&s.id, "hello world events=40")
        .await
        .expect("turn");
    assert!(turn.response_id().is_some());
    let events = collect(turn).await;
    assert_eq!(events.len(), 40);
    assert_eq!(events[0].event, "message.created");
    assert!(events.last().is_some_and(TurnEvent::is_terminal));
    let seqs: Vec<_> = events
        .iter()
        .filter_map(TurnEvent::sequence_number)
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn scenario_resume_after_drop() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let s = c
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    emu.add_fault(Fault {
        drop_after_events: Some(7),
        drop_mid_event: true,
        ..fault("/v1/sessions/*/messages")
    });
    emu.add_fault(Fault {
        drop_after_events: Some(9),
        duplicate_ids: Some(5),
        ..fault("/v1/sessions/*/responses/*/events")
    });
    let events = collect(c.send_message(&s.id, "go events=30").await.expect("turn")).await;
    let ids: Vec<_> = events
        .iter()
        .map(|e| e.id.clone().unwrap_or_default())
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(events.len(), 30, "{ids:?}");
    assert_eq!(unique.len(), 30);
    let resumes: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/events"))
        .collect();
    assert!(resumes.len() >= 2);
    assert!(resumes.iter().all(|r| r.header("last-event-id").is_some()));
}

#[tokio::test]
async fn scenario_cancel_turn() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let s = c
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    let mut turn = c
        .send_message(&s.id, "long events=2000 pace_ms=5")
        .await
        .expect("turn");
    let first = turn.next().await.expect("one").expect("ok");
    assert_eq!(first.event, "message.created");
    turn.cancel().await.expect("cancelled");
    let rest = collect(turn).await;
    assert!(rest.len() < 1999, "the turn stopped early");
    let last = rest.last().expect("a terminal event");
    assert!(last.is_terminal(), "{last:?}");
    let rec = c
        .wait_idle(
            &s.id,
            WaitOptions::default()
                .with_poll_interval(Duration::from_millis(10), Duration::from_secs(10)),
            |_| {},
        )
        .await
        .expect("idle");
    assert!(!rec.busy);
}

#[tokio::test]
async fn scenario_wait_with_progress() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let s = c
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    let turn = c
        .send_message(&s.id, "make a presentation pace_ms=20")
        .await
        .expect("turn");
    turn.close();
    let mut seen = Vec::new();
    let opts = WaitOptions::default()
        .with_poll_interval(Duration::from_millis(10), Duration::from_millis(20))
        .with_deadline(Duration::from_secs(30));
    let rec = c
        .wait_idle(&s.id, opts, |r| {
            seen.push(r.metadata.get("temasek_status").cloned())
        })
        .await
        .expect("idle");
    assert!(!rec.busy);
    assert_eq!(
        rec.metadata.get("temasek_status"),
        Some(&serde_json::json!("done"))
    );
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "only changed records: {seen:?}"
    );
}

#[tokio::test]
async fn scenario_file_upload_download() {
    let emu = emulator().await;
    let c = pokee(&emu);
    let s = c
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    let dir = std::env::temp_dir().join(format!("poke-scn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let src = dir.join("in.csv");
    std::fs::write(&src, b"a,b\n1,2\n").expect("write");
    c.upload_file(&s.id, "input/in.csv", &src, |_, _| {})
        .await
        .expect("uploaded");
    let listed = c.list_files(&s.id, Some("input")).await.expect("list");
    assert!(
        listed.iter().any(|f| f.name.ends_with("in.csv")),
        "{listed:?}"
    );
    let dest = dir.join("out.csv");
    let mut progress = Vec::new();
    let n = c
        .download_to(&s.id, "input/in.csv", &dest, |done, total| {
            progress.push((done, total))
        })
        .await
        .expect("downloaded");
    assert_eq!(n, 8);
    assert_eq!(std::fs::read(&dest).expect("read"), b"a,b\n1,2\n");
    assert_eq!(progress.last().map(|p| p.0), Some(8));
    c.delete_file(&s.id, "input/in.csv").await.expect("deleted");
    assert!(
        c.download_to(&s.id, "input/in.csv", &dir.join("x"), |_, _| {})
            .await
            .is_err()
    );
    assert!(!dir.join("x").exists());
    let bad = c.upload_bytes(&s.id, "../etc/passwd", b"x".to_vec()).await;
    assert!(matches!(bad, Err(Error::InvalidInput { .. })));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn scenario_mcp_callback_chain() {
    let emu = emulator().await;
    let info = emu.new_callback_chain(None);
    let sender = CallbackSender::new(CallbackPolicy::default()).expect("sender");
    let mut chain = CallbackChain::new(sender, &info.url, Secret::new(info.token.clone()));
    assert_eq!(
        chain.send("step 1", true).await.expect("1"),
        ChainStep::Continue
    );
    assert_eq!(
        chain.send("done", false).await.expect("2"),
        ChainStep::Stop { failure: None }
    );
    let posts = &emu.callback_chains()[0].posts;
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].token, info.token);
    assert_ne!(posts[1].token, info.token);
}
