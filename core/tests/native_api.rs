//! The Rust-native surface against the bundled emulator: the `Session` handle, typed event
//! payloads, per-call options on both clients, and `poke::blocking` (feature `blocking`, which
//! the workspace's bindings turn on).

use futures_util::StreamExt;
use poke::{
    CallOptions, CreateSession, Error, ErrorKind, EventPayload, PokeeClient, ResumePolicy,
    RetryPolicy, WaitOptions,
};
use poke_emulator::{Emulator, EmulatorConfig, Fault, ScriptStep, TurnOutcome, TurnScript};
use serde_json::json;
use std::time::Duration;

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator")
}

fn pokee(emu: &Emulator) -> PokeeClient {
    PokeeClient::builder()
        .api_key("pk_native")
        .base_url(emu.pokee_api_url())
        .resume_policy(
            ResumePolicy::default().with_delay(Duration::from_millis(5), Duration::from_secs(1)),
        )
        .build()
        .expect("pokee client")
}

fn script() -> TurnScript {
    TurnScript {
        steps: vec![
            ScriptStep::Thinking {
                text: "plan it".into(),
                deltas: None,
            },
            ScriptStep::ToolUse {
                name: "web_search".into(),
                input: json!({"q": "quarter"}),
                output: json!("three results"),
                is_error: false,
            },
            ScriptStep::Text {
                text: "Revenue grew nine percent".into(),
                deltas: None,
            },
        ],
        outcome: TurnOutcome::Completed,
        ..TurnScript::default()
    }
}

/// The text a turn's payloads spell out, and the payloads' order by kind.
fn summarize(payloads: &[EventPayload]) -> (String, String, Vec<&'static str>) {
    let mut text = String::new();
    let mut thinking = String::new();
    let mut kinds = Vec::new();
    for p in payloads {
        kinds.push(match p {
            EventPayload::MessageCreated { response_id, .. } => {
                assert!(response_id.starts_with("msg_"), "{response_id}");
                "created"
            }
            EventPayload::ThinkingDelta { content, .. } => {
                thinking.push_str(content);
                "thinking"
            }
            EventPayload::ToolUseExecuting { name, input, .. } => {
                assert_eq!(name, "web_search");
                assert_eq!(input, &json!({"q": "quarter"}));
                "executing"
            }
            EventPayload::ToolResult {
                content, is_error, ..
            } => {
                assert_eq!(content, &json!("three results"));
                assert!(!is_error);
                "result"
            }
            EventPayload::TextDelta { content, .. } => {
                text.push_str(content);
                "text"
            }
            EventPayload::MessageCompleted { usage, .. } => {
                assert!(usage.is_some(), "usage is reported");
                "completed"
            }
            EventPayload::Other { event, .. } => {
                panic!("a documented event fell to Other: {event}")
            }
            _ => continue,
        });
    }
    kinds.dedup();
    (text, thinking, kinds)
}

#[tokio::test]
async fn session_handle_runs_a_turn_and_its_files() {
    let emu = emulator().await;
    let client = pokee(&emu);
    let record = client
        .create_session(&CreateSession::new().metadata("project", "acme"))
        .await
        .expect("created");
    let session = client.session(&record.id);
    assert_eq!(session.id(), record.id);
    assert_eq!(
        session.get().await.expect("get").metadata["project"],
        "acme"
    );

    emu.script_turn(&record.id, script()).expect("scripted");
    let mut turn = session
        .send_message("Summarize the quarter")
        .await
        .expect("turn");
    let mut payloads = Vec::new();
    while let Some(event) = turn.next().await {
        payloads.push(event.expect("event").payload());
    }
    let (text, thinking, kinds) = summarize(&payloads);
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>().join(" "),
        "Revenue grew nine percent"
    );
    assert_eq!(
        thinking.split_whitespace().collect::<Vec<_>>().join(" "),
        "plan it"
    );
    assert_eq!(
        kinds,
        [
            "created",
            "thinking",
            "executing",
            "result",
            "text",
            "completed"
        ]
    );

    let idle = session
        .wait_idle(WaitOptions::default(), |_| {})
        .await
        .expect("idle");
    assert!(!idle.busy);

    session
        .upload_bytes("notes/a.txt", &b"quarterly"[..])
        .await
        .expect("uploaded");
    let listed = session.list_files(Some("notes")).await.expect("listed");
    assert_eq!(
        listed
            .iter()
            .map(|f| (f.name.as_str(), f.size))
            .collect::<Vec<_>>(),
        [("a.txt", 9)]
    );
    let mut download = session.download("notes/a.txt").await.expect("download");
    assert_eq!(download.content_length(), Some(9));
    let mut body = Vec::new();
    while let Some(chunk) = download.next().await {
        body.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(body, b"quarterly");
    session.delete_file("notes/a.txt").await.expect("deleted");
    assert_eq!(emu.workspace_file("notes/a.txt"), None);

    session.delete().await.expect("session deleted");
    let gone = session.get().await.expect_err("deleted sessions are gone");
    assert_eq!(
        gone.api().map(|a| a.kind),
        Some(ErrorKind::NotFound),
        "{gone:?}"
    );
}

#[tokio::test]
async fn per_call_options_bound_one_call_only() {
    let emu = emulator().await;
    let client = pokee(&emu);
    let record = client
        .create_session(&CreateSession::new())
        .await
        .expect("created");
    let session = client.session(&record.id);
    emu.add_fault(Fault {
        path: format!("/v1/sessions/{}", record.id),
        method: Some("GET".into()),
        delay_ms: Some(2_000),
        times: 1,
        ..Fault::default()
    });
    let hurried = session.with_options(
        CallOptions::new()
            .timeout(Duration::from_millis(200))
            .max_retries(0),
    );
    let err = hurried
        .get()
        .await
        .expect_err("the delayed answer is too late");
    assert!(err.is_timeout(), "{err:?}");
    // The handle it came from keeps the client's defaults (no per-call bound).
    assert_eq!(session.get().await.expect("plain get").id, record.id);

    // Retries per call: one 503 is retried by default, refused with max_retries(0).
    let poke = poke::Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .retry_policy(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .build()
        .expect("client");
    let fault = |times| Fault {
        path: "/api/v1/inbound/api-message".into(),
        status: Some(503),
        times,
        ..Fault::default()
    };
    emu.add_fault(fault(1));
    assert!(poke.send_message("retried").await.expect("retried").success);
    emu.add_fault(fault(1));
    let err = poke
        .with_options(CallOptions::new().max_retries(0))
        .send_message("not retried")
        .await
        .expect_err("no retry");
    assert_eq!(err.status(), Some(503), "{err:?}");
}

#[cfg(feature = "blocking")]
mod blocking {
    use super::*;

    fn blocking_poke(emu: &Emulator) -> poke::blocking::Client {
        poke::blocking::Client::new(
            poke::Client::builder()
                .api_key("k")
                .base_url(emu.poke_api_url())
                .build()
                .expect("client"),
        )
    }

    fn start() -> (tokio::runtime::Runtime, Emulator) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let emu = rt.block_on(emulator());
        (rt, emu)
    }

    #[test]
    fn blocking_clients_from_a_plain_thread() {
        let (_rt, emu) = start();
        let poke = blocking_poke(&emu);
        assert!(poke.send_message("from a thread").expect("sent").success);
        assert_eq!(
            emu.messages().last().expect("recorded")["message"],
            "from a thread"
        );

        let pokee = poke::blocking::PokeeClient::new(pokee(&emu));
        let record = pokee
            .create_session(&CreateSession::new())
            .expect("created");
        let session = pokee.session(&record.id);
        emu.script_turn(&record.id, script()).expect("scripted");
        let payloads = session
            .send_message("Summarize")
            .expect("turn")
            .map(|e| e.expect("event").payload())
            .collect::<Vec<_>>();
        let (text, _, kinds) = summarize(&payloads);
        assert_eq!(text.split_whitespace().count(), 4);
        assert_eq!(kinds.last(), Some(&"completed"));

        session
            .upload_bytes("in/x.bin", vec![7u8; 1000])
            .expect("uploaded");
        let dir = tempdir();
        let dest = dir.join("x.bin");
        let mut seen = 0;
        let size = session
            .download_to("in/x.bin", &dest, |done, _| seen = done)
            .expect("downloaded");
        assert_eq!((size, seen), (1000, 1000));
        assert_eq!(std::fs::read(&dest).expect("read"), vec![7u8; 1000]);
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(pokee.list_sessions().expect("listed").len(), 1);
        session.delete().expect("deleted");
    }

    #[test]
    fn blocking_poke_calls_run_on_lanes_shared_by_clones_and_options() {
        let (_rt, emu) = start();
        let client = blocking_poke(&emu);
        // Calls from several threads at once, on clones: each its own lane, none lost.
        std::thread::scope(|scope| {
            for t in 0..4 {
                let client = client.clone();
                scope.spawn(move || {
                    for i in 0..20 {
                        let reply = client.send_message(&format!("t{t} m{i}")).expect("sent");
                        assert!(reply.success);
                    }
                });
            }
        });
        assert_eq!(emu.messages().len(), 80);
        // The lane made by the calls above serves a handle with options of its own: its
        // bound applies, and the plain handle after it keeps the client's defaults.
        emu.add_fault(Fault {
            path: "/api/v1/inbound/api-message".into(),
            delay_ms: Some(2_000),
            times: 1,
            ..Fault::default()
        });
        let hurried = client.with_options(
            CallOptions::new()
                .timeout(Duration::from_millis(200))
                .max_retries(0),
        );
        let err = hurried.send_message("late").expect_err("too late");
        assert!(err.is_timeout(), "{err:?}");
        let hook = client
            .create_webhook("When it rains", "Tell me")
            .expect("webhook");
        client
            .send_webhook(&hook, &json!({"mm": 3}))
            .expect("fired");
        assert_eq!(emu.webhook_fires().len(), 1);
        // Inside an async runtime a blocking call is refused, not a blocked runtime thread.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let err = rt
            .block_on(async { client.send_message("inside") })
            .expect_err("refused");
        assert!(err.to_string().contains("inside an async runtime"), "{err}");
    }

    #[test]
    fn a_blocking_call_stops_when_its_caller_says_so() {
        let (_rt, emu) = start();
        let client = blocking_poke(&emu);
        emu.add_fault(Fault {
            path: "/api/v1/inbound/api-message".into(),
            delay_ms: Some(5_000),
            times: 1,
            ..Fault::default()
        });
        // Asked every 100 ms while the call waits (the bindings ask "was the thread
        // interrupted?"): the third time says stop, long before the server answers.
        let mut asked = 0;
        let started = std::time::Instant::now();
        let err = client
            .run_unless(
                |c| async move { c.send_message("stalled").await },
                || {
                    asked += 1;
                    asked == 3
                },
            )
            .expect_err("stopped");
        assert!(matches!(err, poke::Error::Cancelled), "{err:?}");
        assert_eq!(asked, 3);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
        // The lane the stopped call used serves the next call.
        assert!(client.send_message("after").expect("sent").success);
    }

    #[test]
    fn a_blocking_call_whose_caller_already_said_stop_sends_nothing() {
        let (_rt, emu) = start();
        let client = blocking_poke(&emu);
        let err = client
            .run_unless(|c| async move { c.send_message("never").await }, || true)
            .expect_err("stopped");
        assert!(matches!(err, poke::Error::Cancelled), "{err:?}");
        assert!(emu.requests().is_empty());
        assert!(client.send_message("after").expect("sent").success);
    }

    /// A turn of a new session, through the blocking client.
    fn blocking_turn(emu: &Emulator, message: &str) -> poke::blocking::Turn {
        let pokee = poke::blocking::PokeeClient::new(pokee(emu));
        let record = pokee
            .create_session(&CreateSession::new())
            .expect("created");
        pokee
            .session(&record.id)
            .send_message(message)
            .expect("turn")
    }

    #[test]
    fn a_blocking_turn_resumes_after_a_cut() {
        let (_rt, emu) = start();
        emu.add_fault(Fault {
            path: "/v1/sessions/*/messages".into(),
            drop_after_events: Some(3),
            times: 1,
            ..Fault::default()
        });
        let mut turn = blocking_turn(&emu, "events=12");
        let events = turn
            .by_ref()
            .collect::<Result<Vec<_>, Error>>()
            .expect("every event");
        assert!(turn.is_finished());
        assert!(turn.next().is_none(), "fused after the terminal event");
        let ids = events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        let unique = ids.iter().collect::<std::collections::HashSet<_>>();
        assert_eq!(events.len(), 12, "{ids:?}");
        assert_eq!(unique.len(), 12, "no event repeated: {ids:?}");
        assert_eq!(
            events.last().map(|e| e.event.as_str()),
            Some("message.completed")
        );
    }

    #[test]
    fn a_blocking_turn_read_inside_a_runtime_fails_once_then_ends() {
        let (_rt, emu) = start();
        let mut turn = blocking_turn(&emu, "events=5");
        let other = tokio::runtime::Runtime::new().expect("runtime");
        let _inside = other.enter();
        assert!(matches!(turn.next(), Some(Err(Error::Config(_)))));
        // Ended, not an endless run of errors (`filter_map(Result::ok)` would spin).
        assert!(turn.next().is_none());
        assert!(turn.next().is_none());
    }

    #[tokio::test]
    async fn blocking_calls_inside_a_runtime_are_refused() {
        let emu = emulator().await;
        let pokee = poke::blocking::PokeeClient::new(pokee(&emu));
        let err = pokee.list_sessions().expect_err("refused");
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(err.to_string().contains("async runtime"), "{err}");
        assert!(emu.requests().is_empty(), "nothing was sent");
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("poke-native-{}", uuid()));
        std::fs::create_dir_all(&dir).expect("tempdir");
        dir
    }

    fn uuid() -> String {
        format!(
            "{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        )
    }
}

#[tokio::test]
async fn a_callers_reqwest_client_carries_every_call() {
    let emu = emulator().await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-tenant",
        reqwest::header::HeaderValue::from_static("acme"),
    );
    let own = poke::reqwest_client_builder()
        .expect("builder")
        .default_headers(headers)
        .build()
        .expect("reqwest client");
    let poke = poke::Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .http_client(own.clone())
        .build()
        .expect("client");
    assert!(
        poke.send_message("through my client")
            .await
            .expect("sent")
            .success
    );
    let pokee = PokeeClient::builder()
        .api_key("pk_native")
        .base_url(emu.pokee_api_url())
        .http_client(own)
        .build()
        .expect("pokee client");
    pokee.list_sessions().await.expect("listed");
    let seen = emu.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert_eq!(request.header("x-tenant"), Some("acme"), "{}", request.path);
        // The crate's own headers are still set on each request.
        assert!(
            request.header("authorization").is_some(),
            "{}",
            request.path
        );
        assert!(
            request
                .header("user-agent")
                .is_some_and(|ua| ua.starts_with("poke-rust/")),
            "{}",
            request.path
        );
    }
}
