//! Fault injection, exercised over real HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use poke_emulator::{Emulator, EmulatorConfig, Fault};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn client() -> reqwest::Client {
    // reqwest has TLS without a provider here (poke-sdk picks ring for its own clients).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

async fn send_message(emu: &Emulator) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/api/v1/inbound/api-message", emu.url()))
        .bearer_auth("t")
        .body(r#"{"message":"hi"}"#)
        .send()
        .await
}

const SEND_PATH: &str = "/api/v1/inbound/api-message";

#[tokio::test]
async fn status_fault_sends_status_headers_and_body_verbatim() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        status: Some(599),
        headers: vec![("X-Extra".into(), "1".into())],
        body: Some("not json {".into()),
        ..Default::default()
    });

    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 599);
    assert_eq!(resp.headers()["x-extra"], "1");
    assert!(resp.headers().contains_key("x-request-id"));
    // No content type unless the fault asks for one.
    assert!(!resp.headers().contains_key("content-type"));
    assert_eq!(resp.text().await.expect("body"), "not json {");

    // times defaults to 1: the next request is handled for real.
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn faulted_requests_are_journaled_but_not_processed() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        status: Some(500),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(r#"{"error":"boom"}"#.into()),
        ..Default::default()
    });
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.expect("body"), r#"{"error":"boom"}"#);
    assert!(emu.messages().is_empty());
    let journal = emu.requests();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].body, r#"{"message":"hi"}"#);
}

#[tokio::test]
async fn times_counts_down() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        status: Some(503),
        times: 2,
        ..Default::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(send_message(&emu).await.expect("answer").status().as_u16());
    }
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test]
async fn prefix_and_method_matching() {
    let emu = start().await;
    emu.add_fault(Fault {
        method: Some("get".into()),
        path: "/api/v1/*".into(),
        status: Some(418),
        ..Default::default()
    });
    emu.add_fault(Fault {
        method: Some("POST".into()),
        path: "/api/v1/inbound/*".into(),
        status: Some(429),
        ..Default::default()
    });

    // The GET-only fault is skipped for a POST; the prefix fault matches.
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);

    // Faults also script paths the emulator does not implement.
    let resp = client()
        .get(format!("{}/api/v1/user/profile", emu.url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 418);

    // An exact path does not match longer paths.
    emu.add_fault(Fault {
        path: "/api/v1/inbound".into(),
        status: Some(500),
        ..Default::default()
    });
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn delay_then_real_answer() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        delay_ms: Some(300),
        ..Default::default()
    });
    let started = Instant::now();
    let resp = send_message(&emu).await.expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status(), StatusCode::OK);
    // A delayed request is still processed.
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn delay_then_status() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        delay_ms: Some(200),
        status: Some(502),
        ..Default::default()
    });
    let started = Instant::now();
    let resp = send_message(&emu).await.expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(emu.messages().is_empty());
}

#[tokio::test]
async fn stall_holds_then_closes_without_answer() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        stall_ms: Some(300),
        ..Default::default()
    });
    let started = Instant::now();
    let err = send_message(&emu).await.expect_err("no answer");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    assert!(!err.is_timeout(), "{err}");
    assert!(emu.messages().is_empty());

    // A client read timeout shorter than the stall trips first.
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        stall_ms: Some(1_500),
        ..Default::default()
    });
    let err = client()
        .post(format!("{}{SEND_PATH}", emu.url()))
        .bearer_auth("t")
        .timeout(Duration::from_millis(200))
        .body("{}")
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn reset_drops_the_connection() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        reset: true,
        ..Default::default()
    });
    let started = Instant::now();
    let err = send_message(&emu).await.expect_err("connection error");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!err.is_timeout() && err.status().is_none(), "{err}");
    assert!(emu.messages().is_empty());
    assert_eq!(emu.requests().len(), 1);

    // The server keeps serving new connections.
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn faulted_callback_post_does_not_advance_the_chain() {
    let emu = start().await;
    let chain = emu.new_callback_chain(None);
    emu.add_fault(Fault {
        path: "/api/v1/mcp/callback".into(),
        status: Some(429),
        body: Some(r#"{"retryAfterMs":10}"#.into()),
        ..Default::default()
    });
    emu.add_fault(Fault {
        path: "/api/v1/mcp/callback".into(),
        status: Some(429),
        ..Default::default()
    });
    let post = || {
        client()
            .post(&chain.url)
            .bearer_auth(&chain.token)
            .body(r#"{"content":"v","hasMore":true}"#)
            .send()
    };

    let first = post().await.expect("answer");
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.text().await.expect("body"), r#"{"retryAfterMs":10}"#);
    let second = post().await.expect("answer");
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.text().await.expect("body"), "");

    // The same token still works: faulted posts neither count nor rotate it.
    let third = post().await.expect("answer");
    assert_eq!(third.status(), StatusCode::OK);
    let body: Value = third.json().await.expect("JSON");
    assert!(body["nextToken"].is_string());
    let records = emu.callback_chains();
    assert_eq!(records[0].posts.len(), 1);
    assert_eq!(emu.requests().len(), 3);
}

#[tokio::test]
async fn faulted_answers_are_not_cached_for_idempotency() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: SEND_PATH.into(),
        status: Some(500),
        ..Default::default()
    });
    let send = || {
        client()
            .post(format!("{}{SEND_PATH}", emu.url()))
            .bearer_auth("t")
            .header("idempotency-key", "k1")
            .body("{}")
            .send()
    };
    assert_eq!(send().await.expect("answer").status().as_u16(), 500);
    let retry = send().await.expect("answer");
    assert_eq!(retry.status(), StatusCode::OK);
    assert!(!retry.headers().contains_key("idempotent-replayed"));
    let replay = send().await.expect("answer");
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn faults_over_http() {
    let emu = start().await;
    let http = client();
    let control = format!("{}/_emulator/faults", emu.url());

    // Headers may be an object; unknown fields and bad values are rejected.
    let added: Value = http
        .post(&control)
        .json(&json!({
            "method": "POST", "path": SEND_PATH, "times": 2, "status": 403,
            "headers": {"retry-after": "1"}, "body": ""
        }))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let id = added["id"].as_u64().expect("id");

    let listed: Value = http
        .get(&control)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["times"], 2);
    assert_eq!(listed[0]["headers"], json!([["retry-after", "1"]]));

    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(resp.headers()["retry-after"], "1");

    for bad in [
        json!({"path": SEND_PATH, "status": 99}),
        json!({"path": "", "status": 500}),
        json!({"path": SEND_PATH, "delayMs": 5}),
        json!({"path": SEND_PATH, "headers": {"bad header": "x"}}),
    ] {
        let resp = http.post(&control).json(&bad).send().await.expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    let cleared = http.delete(&control).send().await.expect("answer");
    assert_eq!(cleared.status(), StatusCode::OK);
    let resp = send_message(&emu).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn drop_after_bytes_truncates_the_body_under_the_full_length() {
    let emu = start().await;
    emu.add_fault(Fault {
        path: "/api/v1/inbound/api-message".into(),
        status: Some(200),
        headers: vec![("content-length".into(), "3".into())],
        body: Some("0123456789".into()),
        drop_after_bytes: Some(4),
        ..Fault::default()
    });
    let resp = send_message(&emu).await.expect("headers arrive");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.content_length(), Some(10), "scripted length ignored");
    assert!(resp.bytes().await.is_err(), "the body is cut short");
    // The server keeps serving afterwards.
    let ok = send_message(&emu).await.expect("next request");
    assert_eq!(ok.status(), StatusCode::OK);
}
