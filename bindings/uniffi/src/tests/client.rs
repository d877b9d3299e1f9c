#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

#[test]
fn secrets_never_print() {
    let options = PokeClientOptions {
        api_key: Some("pk_canary_123".into()),
        ..Default::default()
    };
    for text in [format!("{options:?}"), options.to_string()] {
        assert!(!text.contains("pk_canary"), "{text}");
        assert!(text.contains("****"), "{text}");
    }
    let hook = Webhook {
        trigger_id: "trg_1".into(),
        webhook_url: "http://x/hook".into(),
        webhook_token: "whk_canary".into(),
        request_id: None,
    };
    for text in [format!("{hook:?}"), hook.to_string()] {
        assert!(!text.contains("whk_canary"), "{text}");
        assert!(text.contains("trg_1"), "{text}");
    }
    let client = PokeClient::new(PokeClientOptions {
        api_key: Some("pk_canary_123".into()),
        base_url: Some("http://127.0.0.1:9/api/v1/".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        client.to_string(),
        "PokeClient(base_url=http://127.0.0.1:9/api/v1)"
    );
    assert!(!format!("{client:?}").contains("pk_canary"));
}

#[test]
fn bad_seconds_are_invalid_input_not_a_panic() {
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let err = to_core_timeouts(&Timeouts {
            total_secs: Some(bad),
            ..Default::default()
        })
        .unwrap_err();
        match err {
            PokeError::InvalidInput { field, .. } => assert_eq!(field, "timeouts.total_secs"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn missing_timeouts_keep_core_defaults() {
    let t = to_core_timeouts(&Timeouts {
        total_secs: Some(0.25),
        ..Default::default()
    })
    .unwrap();
    let d = poke::Timeouts::default();
    assert_eq!(t.total, Some(Duration::from_millis(250)));
    assert_eq!(t.connect, d.connect);
    assert_eq!(t.read, d.read);
    assert_eq!(to_core_timeouts(&Timeouts::default()).unwrap(), d);
}

// Two workers: the emulator serves while the test thread waits for the blocking call's thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_options_uses_them_unless_a_call_passes_its_own() {
    let emu = poke_emulator::Emulator::start(poke_emulator::EmulatorConfig::default())
        .await
        .unwrap();
    let client = PokeClient::new(PokeClientOptions {
        api_key: Some("k".into()),
        base_url: Some(emu.poke_api_url()),
        ..Default::default()
    })
    .unwrap();
    let keyed = |key: &str| RequestOptions {
        idempotency_key: Some(key.into()),
        ..Default::default()
    };
    let with = client.with_options(keyed("from-the-client")).unwrap();
    with.send_message("async".into(), None).await.unwrap();
    with.send_message("own".into(), Some(keyed("own-key")))
        .await
        .unwrap();
    let blocking = with.clone();
    // A thread of its own: blocking calls refuse to run on an async runtime's threads.
    std::thread::spawn(move || blocking.create_webhook_blocking("c".into(), "a".into()))
        .join()
        .unwrap()
        .unwrap();
    client.send_message("plain".into(), None).await.unwrap();
    let keys: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "idempotency-key")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(keys[..3], ["from-the-client", "own-key", "from-the-client"]);
    // The original client keeps its own options: a fresh key per call.
    assert_eq!(keys.len(), 4);
    assert!(!["from-the-client", "own-key", ""].contains(&keys[3].as_str()));
}
