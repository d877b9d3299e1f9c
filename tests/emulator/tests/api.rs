//! The Poke API routes, authentication, idempotency, the journal and the control routes,
//! exercised over real HTTP on 127.0.0.1.

use poke_emulator::{Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn start(api_key: Option<&str>) -> Emulator {
    Emulator::start(EmulatorConfig {
        api_key: api_key.map(str::to_owned),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client() -> reqwest::Client {
    // No proxy: an HTTP_PROXY in the environment must not capture loopback traffic.
    // reqwest has TLS without a provider here (poke-sdk picks ring for its own clients).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client builds")
}

async fn post(emu: &Emulator, path: &str, auth: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = client()
        .post(format!("{}{path}", emu.url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    req.send().await.expect("request completes")
}

async fn text(resp: reqwest::Response) -> String {
    resp.text().await.expect("body reads")
}

async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

const UNAUTHORIZED: &str = r#"{"error":"Unauthorized","message":"Invalid or missing API key"}"#;
const MESSAGE_OK: &str = r#"{"success":true,"message":"Message sent successfully"}"#;

#[test]
fn emulator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
}

#[tokio::test]
async fn health_needs_no_auth_and_is_not_journaled() {
    let emu = start(Some("key")).await;
    assert!(emu.url().starts_with("http://127.0.0.1:"));
    assert!(!emu.url().ends_with('/'));
    assert_eq!(emu.poke_api_url(), format!("{}/api/v1", emu.url()));

    let resp = client()
        .get(format!("{}/health", emu.url()))
        .send()
        .await
        .expect("health answers");
    assert_eq!(resp.status(), StatusCode::OK);
    let id = resp.headers()["x-request-id"]
        .to_str()
        .expect("ascii id")
        .to_owned();
    assert!(id.starts_with("req_"), "{id}");
    assert_eq!(text(resp).await, r#"{"status":"ok"}"#);
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let emu = start(None).await;
    for auth in [None, Some("Basic abc"), Some("Bearer "), Some("Bearer")] {
        let resp = post(
            &emu,
            "/api/v1/inbound/api-message",
            auth,
            r#"{"message":"x"}"#,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert!(resp.headers().contains_key("x-request-id"));
        assert_eq!(text(resp).await, UNAUTHORIZED);
    }
    assert!(emu.messages().is_empty());
}

#[tokio::test]
async fn configured_api_key_must_match() {
    let emu = start(Some("pk_right")).await;
    let wrong = post(
        &emu,
        "/api/v1/inbound/api-message",
        Some("Bearer pk_wrong"),
        "{}",
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(text(wrong).await, UNAUTHORIZED);

    // The scheme is case-insensitive.
    let right = post(
        &emu,
        "/api/v1/inbound/api-message",
        Some("bEaReR pk_right"),
        "{}",
    )
    .await;
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_api_key_any_bearer_is_accepted() {
    let emu = start(None).await;
    for token in ["anything", "123", "pk_whatever"] {
        let resp = post(
            &emu,
            "/api/v1/inbound/api-message",
            Some(&format!("Bearer {token}")),
            r#"{"message":"hi"}"#,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK, "{token}");
    }
    assert_eq!(emu.messages().len(), 3);
}

#[tokio::test]
async fn send_message_answers_and_records_the_body() {
    let emu = start(Some("k")).await;
    let body = r#"{"message": "h\u00e9llo", "extra": {"n": 1}}"#;
    let resp = post(&emu, "/api/v1/inbound/api-message", Some("Bearer k"), body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(text(resp).await, MESSAGE_OK);
    assert_eq!(
        emu.messages(),
        vec![json!({"message": "héllo", "extra": {"n": 1}})]
    );

    let over_http = json_of(
        client()
            .get(format!("{}/_emulator/messages", emu.url()))
            .send()
            .await
            .expect("control answers"),
    )
    .await;
    assert_eq!(over_http, json!([{"message": "héllo", "extra": {"n": 1}}]));
}

#[tokio::test]
async fn malformed_json_is_400_and_not_processed() {
    let emu = start(None).await;
    for body in ["not json", "[1]", "", "{\"message\": "] {
        let resp = post(&emu, "/api/v1/inbound/api-message", Some("Bearer t"), body).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(text(resp).await, r#"{"error":"Invalid JSON body"}"#);
    }
    assert!(emu.messages().is_empty());

    let resp = post(&emu, "/_emulator/faults", None, "{nope").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_of(resp).await["error"], "Bad Request");
}

#[tokio::test]
async fn create_webhook_returns_a_trigger_pointing_back_here() {
    let emu = start(Some("k")).await;
    let resp = post(
        &emu,
        "/api/v1/api-keys/webhook",
        Some("Bearer k"),
        r#"{"condition": "when it rains", "action": "say hi"}"#,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let raw = text(resp).await;
    // Key order is part of the contract (Python returns the parsed dict as-is).
    let order: Vec<usize> = ["\"triggerId\"", "\"webhookUrl\"", "\"webhookToken\""]
        .iter()
        .map(|k| raw.find(k).expect("key present"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{raw}");
    let body: Value = serde_json::from_str(&raw).expect("JSON");
    assert!(
        body["triggerId"]
            .as_str()
            .is_some_and(|s| s.starts_with("trg_"))
    );
    assert_eq!(
        body["webhookUrl"],
        format!("{}/api/v1/inbound/webhook", emu.url())
    );
    let token = body["webhookToken"].as_str().expect("token").to_owned();
    let hex = token.strip_prefix("whk_").expect("whk_ prefix");
    assert_eq!(hex.len(), 32);
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));

    let missing = post(
        &emu,
        "/api/v1/api-keys/webhook",
        Some("Bearer k"),
        r#"{"condition": "c"}"#,
    )
    .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn webhook_fire_needs_the_issued_token() {
    let emu = start(Some("k")).await;
    let created = json_of(
        post(
            &emu,
            "/api/v1/api-keys/webhook",
            Some("Bearer k"),
            r#"{"condition":"c","action":"a"}"#,
        )
        .await,
    )
    .await;
    let url = created["webhookUrl"].as_str().expect("url").to_owned();
    let token = created["webhookToken"].as_str().expect("token").to_owned();
    let fire = |auth: String| {
        client()
            .post(&url)
            .header("authorization", auth)
            .body(r#"{"temp": 21}"#)
            .send()
    };

    // The API key is not a webhook credential, and neither is an unknown token.
    for auth in ["Bearer k".to_owned(), "Bearer whk_unknown".to_owned()] {
        let resp = fire(auth).await.expect("answer");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(text(resp).await, UNAUTHORIZED);
    }
    let resp = fire(format!("Bearer {token}")).await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(text(resp).await, r#"{"success":true}"#);

    let expected = vec![json!({"triggerId": created["triggerId"], "data": {"temp": 21}})];
    assert_eq!(emu.webhook_fires(), expected);
    let over_http = json_of(
        client()
            .get(format!("{}/_emulator/webhooks", emu.url()))
            .send()
            .await
            .expect("control answers"),
    )
    .await;
    assert_eq!(over_http, Value::Array(expected));
}

#[tokio::test]
async fn callback_chain_rotates_tokens_until_has_more_false() {
    let emu = start(Some("k")).await;
    let chain = emu.new_callback_chain(None);
    assert_eq!(chain.url, format!("{}/api/v1/mcp/callback", emu.url()));
    let send = |token: String, body: &'static str| {
        client()
            .post(&chain.url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let first = send(chain.token.clone(), r#"{"content": "v1", "hasMore": true}"#)
        .await
        .expect("answer");
    assert_eq!(first.status(), StatusCode::OK);
    let next = json_of(first).await["nextToken"]
        .as_str()
        .expect("nextToken")
        .to_owned();
    assert_ne!(next, chain.token);

    // The first token is spent, and the API key is never a callback credential.
    for stale in [chain.token.clone(), "k".to_owned()] {
        let resp = send(stale, r#"{"content": "x", "hasMore": true}"#)
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }

    let last = send(next.clone(), r#"{"content": {"n": 2}, "hasMore": false}"#)
        .await
        .expect("answer");
    assert_eq!(last.status(), StatusCode::OK);
    assert_eq!(text(last).await, "{}");

    // The chain has ended: even its last token is refused now.
    let after = send(next.clone(), r#"{"content": "late", "hasMore": false}"#)
        .await
        .expect("answer");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    let records = emu.callback_chains();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].first_token, chain.token);
    let posts = &records[0].posts;
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].token, chain.token);
    assert_eq!(posts[0].content, json!("v1"));
    assert_eq!(posts[0].has_more, json!(true));
    assert_eq!(posts[0].raw_body, r#"{"content": "v1", "hasMore": true}"#);
    assert_eq!(posts[1].token, next);
    assert_eq!(posts[1].content, json!({"n": 2}));
    assert_eq!(posts[1].has_more, json!(false));
}

#[tokio::test]
async fn callback_chain_stops_after_max_callbacks() {
    let emu = start(None).await;
    let http = client();
    let chain = json_of(
        http.post(format!("{}/_emulator/callbacks", emu.url()))
            .body(r#"{"max_callbacks": 2}"#)
            .send()
            .await
            .expect("control answers"),
    )
    .await;
    let url = chain["url"].as_str().expect("url").to_owned();
    let mut token = chain["token"].as_str().expect("token").to_owned();

    let mut answers = Vec::new();
    for n in 0..2 {
        let resp = http
            .post(&url)
            .bearer_auth(&token)
            .body(format!(r#"{{"content": "m{n}", "hasMore": true}}"#))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::OK);
        let body = json_of(resp).await;
        if let Some(next) = body["nextToken"].as_str() {
            token = next.to_owned();
        }
        answers.push(body);
    }
    assert!(answers[0]["nextToken"].is_string());
    assert_eq!(answers[1], json!({}));

    let listed = json_of(
        http.get(format!("{}/_emulator/callbacks", emu.url()))
            .send()
            .await
            .expect("control answers"),
    )
    .await;
    assert_eq!(listed[0]["first_token"], chain["token"]);
    assert_eq!(listed[0]["posts"].as_array().map(Vec::len), Some(2));

    let bad = http
        .post(format!("{}/_emulator/callbacks", emu.url()))
        .body(r#"{"max_callbacks": "two"}"#)
        .send()
        .await
        .expect("control answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let emu = start(None).await;
    let send = |key: &'static str, path: &'static str| {
        client()
            .post(format!("{}{path}", emu.url()))
            .bearer_auth("t")
            .header("idempotency-key", key)
            .body(r#"{"message":"once"}"#)
            .send()
    };

    let first = send("key-1", "/api/v1/inbound/api-message")
        .await
        .expect("answer");
    assert_eq!(first.status(), StatusCode::OK);
    assert!(!first.headers().contains_key("idempotent-replayed"));
    let first_body = text(first).await;

    let again = send("key-1", "/api/v1/inbound/api-message")
        .await
        .expect("answer");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["content-type"], "application/json");
    assert_eq!(text(again).await, first_body);
    assert_eq!(emu.messages().len(), 1);

    // Another key is a new request.
    let other = send("key-2", "/api/v1/inbound/api-message")
        .await
        .expect("answer");
    assert!(!other.headers().contains_key("idempotent-replayed"));
    assert_eq!(emu.messages().len(), 2);

    // Both attempts are in the journal with the same key.
    let keyed: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.header("idempotency-key") == Some("key-1"))
        .collect();
    assert_eq!(keyed.len(), 2);
}

#[tokio::test]
async fn journal_keeps_raw_target_lowercase_headers_and_body() {
    let emu = start(None).await;
    let http = client();
    let resp = http
        .post(format!(
            "{}/api/v1/inbound/api-message?b=2&a=%20x",
            emu.url()
        ))
        .header("X-Custom-Header", "Value With Case")
        .header("Authorization", "Bearer t")
        .body(r#"{"message":"journal"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    // Control routes are not journaled.
    http.get(format!("{}/_emulator/messages", emu.url()))
        .send()
        .await
        .expect("control answers");

    let requests = emu.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/api/v1/inbound/api-message?b=2&a=%20x");
    assert_eq!(r.path, "/api/v1/inbound/api-message");
    assert!(
        r.headers
            .iter()
            .all(|(name, _)| *name == name.to_ascii_lowercase())
    );
    assert!(
        r.headers
            .contains(&("x-custom-header".to_owned(), "Value With Case".to_owned()))
    );
    assert_eq!(r.header("authorization"), Some("Bearer t"));
    assert_eq!(r.body, r#"{"message":"journal"}"#);
    assert_eq!(r.body_len, r.body.len());

    let over_http = json_of(
        http.get(format!("{}/_emulator/requests", emu.url()))
            .send()
            .await
            .expect("control answers"),
    )
    .await;
    assert_eq!(over_http[0]["target"], r.target);
    assert_eq!(over_http[0]["headers"][0].as_array().map(Vec::len), Some(2));

    let cleared = http
        .delete(format!("{}/_emulator/requests", emu.url()))
        .send()
        .await
        .expect("control answers");
    assert_eq!(cleared.status(), StatusCode::OK);
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn reset_forgets_everything() {
    let emu = start(None).await;
    post(&emu, "/api/v1/inbound/api-message", Some("Bearer t"), "{}").await;
    emu.new_callback_chain(Some(1));
    emu.add_fault(poke_emulator::Fault {
        path: "/never".into(),
        status: Some(500),
        ..Default::default()
    });
    let resp = client()
        .post(format!("{}/_emulator/reset", emu.url()))
        .send()
        .await
        .expect("control answers");
    assert_eq!(text(resp).await, r#"{"ok":true}"#);
    assert!(emu.requests().is_empty());
    assert!(emu.messages().is_empty());
    assert!(emu.callback_chains().is_empty());
    assert!(emu.webhook_fires().is_empty());
}

#[tokio::test]
async fn unknown_routes_are_json_404() {
    let emu = start(None).await;
    let resp = post(&emu, "/api/v1/nope", Some("Bearer t"), "{}").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_of(resp).await["error"], "Not Found");
    // Unknown API paths are still journaled, so a client calling the wrong URL shows up.
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn body_over_64_mib_is_413() {
    let emu = start(None).await;
    let body = vec![b'a'; 64 * 1024 * 1024 + 1];
    let resp = client()
        .post(format!("{}/api/v1/inbound/api-message", emu.url()))
        .bearer_auth("t")
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(emu.messages().is_empty());
}

#[tokio::test]
async fn shutdown_is_idempotent_and_stops_accepting() {
    let emu = start(None).await;
    let addr = emu.local_addr();
    emu.shutdown();
    emu.shutdown();
    // The listener closes on the server task; give it a bounded moment.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "listener still open after shutdown");
}
