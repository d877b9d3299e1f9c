//! The Poke API client against the emulator over real HTTP on 127.0.0.1.

use poke::{Client, Error, ErrorKind, RetryPolicy, Secret, Timeouts, Webhook};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

const PATH: &str = "/api/v1/inbound/api-message";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .api_key("test-key")
        .base_url(emu.poke_api_url())
        .retry_policy(
            RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_secs(8)),
        )
        .build()
        .expect("client builds")
}

fn fault(status: u16, times: u32) -> Fault {
    Fault {
        path: PATH.into(),
        status: Some(status),
        times,
        ..Fault::default()
    }
}

fn header<'a>(req: &'a poke_emulator::RecordedRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn send_message_wire_format() {
    let emu = emulator().await;
    let reply: poke::SendMessageResponse = client(&emu).send_message("héllo").await.expect("sent");
    assert!(reply.success);
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].target, PATH);
    assert_eq!(reqs[0].body, r#"{"message":"héllo"}"#);
    assert_eq!(header(&reqs[0], "authorization"), Some("Bearer test-key"));
    assert_eq!(header(&reqs[0], "content-type"), Some("application/json"));
    let ua = header(&reqs[0], "user-agent").unwrap_or_default();
    assert!(ua.starts_with("poke-rust/"), "{ua}");
    assert!(header(&reqs[0], "idempotency-key").is_some());
}

#[tokio::test]
async fn python_style_json_when_driven_by_python() {
    let emu = emulator().await;
    let c = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .sdk(poke::binding::SdkLang::Python, "9.9.9")
        .build()
        .expect("client");
    c.send_message("héllo").await.expect("sent");
    let req = &emu.requests()[0];
    assert_eq!(req.body, r#"{"message": "h\u00e9llo"}"#);
    assert!(
        header(req, "user-agent")
            .unwrap_or_default()
            .starts_with("poke-python/9.9.9 (")
    );
}

#[tokio::test]
async fn webhook_round_trip() {
    let emu = emulator().await;
    let c = client(&emu);
    let hook: Webhook = c
        .create_webhook("When a deploy fails", "Summarize")
        .await
        .expect("created");
    assert!(hook.webhook_url.starts_with(&emu.url()));
    assert!(!format!("{hook:?}").contains(hook.webhook_token.expose()));
    let data = serde_json::json!({"event": "deploy_failed", "n": 9007199254740993u64});
    let fired = c.send_webhook(&hook, &data).await.expect("fired");
    assert!(fired.success);
    let fires = emu.webhook_fires();
    assert_eq!(fires.len(), 1);
    assert_eq!(fires[0]["data"], data);
    assert_eq!(fires[0]["triggerId"], hook.trigger_id);
    // Rust never falls back to the API key for a webhook (the Python package does, as 0.2.1).
    let err = c
        .send_webhook_to(&hook.webhook_url, &Secret::new(""), &data)
        .await
        .expect_err("an empty token is refused");
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "webhook_token",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.webhook_fires().len(), 1, "nothing was sent");
}

#[tokio::test]
async fn error_messages_and_kinds() {
    let emu = emulator().await;
    let c = client(&emu);
    for (status, body, kind, message) in [
        (
            401,
            "",
            ErrorKind::Unauthorized,
            poke::UNAUTHORIZED_MESSAGE.to_owned(),
        ),
        (
            403,
            "x",
            ErrorKind::Forbidden,
            poke::FORBIDDEN_MESSAGE.to_owned(),
        ),
        (
            404,
            "",
            ErrorKind::NotFound,
            "Poke API error (404): Not Found".to_owned(),
        ),
        (
            500,
            r#"{"error":"boom"}"#,
            ErrorKind::Server,
            "Poke API error (500): boom".to_owned(),
        ),
    ] {
        emu.add_fault(Fault {
            body: Some(body.into()),
            ..fault(status, 1)
        });
        let err = c.send_message("x").await.expect_err("fails");
        let api = err.api().expect("api error");
        assert_eq!(api.status, status);
        assert_eq!(api.kind, kind);
        assert_eq!(err.to_string(), message);
        assert!(api.request_id.is_some());
    }
}

#[tokio::test]
async fn retries_transient_status_with_one_idempotency_key() {
    let emu = emulator().await;
    emu.add_fault(fault(503, 2));
    client(&emu)
        .send_message("x")
        .await
        .expect("third attempt succeeds");
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 3);
    let keys: Vec<_> = reqs.iter().map(|r| header(r, "idempotency-key")).collect();
    assert!(keys.iter().all(|k| k.is_some() && *k == keys[0]));
    assert_eq!(header(&reqs[2], "x-poke-retry-count"), Some("2"));
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn unkeyed_post_not_retried_on_500() {
    let emu = emulator().await;
    emu.add_fault(fault(500, 3));
    let err = client(&emu).send_message("x").await.expect_err("fails");
    assert_eq!(err.status(), Some(500));
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn stalled_server_times_out() {
    let emu = emulator().await;
    emu.add_fault(Fault {
        path: PATH.into(),
        stall_ms: Some(5_000),
        ..Fault::default()
    });
    let c = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .timeouts(Timeouts::total_secs(0.3))
        .max_retries(0)
        .build()
        .expect("client");
    let err = c.send_message("x").await.expect_err("times out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.status(), None);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let c = Client::builder()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .expect("client");
    let err = c.send_message("x").await.expect_err("refused");
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "Network error: Connection refused (os error 111)"
    );
    let cause = std::error::Error::source(&err).expect("the underlying failure is kept");
    assert!(!cause.to_string().is_empty());
    assert_eq!(
        poke::binding::python_text(&err),
        "Network error: [Errno 111] Connection refused",
        "the drop-in Python package keeps 0.2.1's wording"
    );
}

#[tokio::test]
async fn control_characters_rejected_before_io() {
    let emu = emulator().await;
    let c = Client::builder()
        .api_key("pk_canary\r\nX-Evil: 1")
        .base_url(emu.poke_api_url())
        .build()
        .expect("client");
    let err = c.send_message("x").await.expect_err("rejected");
    assert!(matches!(err, Error::InvalidInput { .. }));
    assert!(!err.to_string().contains("pk_canary"));
    assert!(emu.requests().is_empty());
    assert!(!format!("{c:?}").contains("pk_canary"));
    let bad = Secret::new("t\n");
    let err = c
        .send_webhook_to(&format!("{}/inbound/webhook", emu.poke_api_url()), &bad, &1)
        .await
        .expect_err("rejected");
    assert!(matches!(err, Error::InvalidInput { .. }));
}

#[tokio::test]
async fn non_json_success_is_a_decode_error() {
    let emu = emulator().await;
    emu.add_fault(Fault {
        body: Some("<html>".into()),
        ..fault(200, 1)
    });
    let err = client(&emu).send_message("x").await.expect_err("decode");
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn reply_over_cap_is_rejected() {
    let emu = emulator().await;
    emu.add_fault(Fault {
        body: Some(format!("{{\"x\":\"{}\"}}", "a".repeat(4096))),
        ..fault(200, 1)
    });
    let c = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .max_response_bytes(1024)
        .build()
        .expect("client");
    let err = c.send_message("x").await.expect_err("too large");
    assert!(matches!(err, Error::BodyTooLarge { limit: 1024 }));
}
