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
