#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn options_never_print_the_key_and_bad_values_are_invalid_input() {
    let options = PokeeClientOptions {
        api_key: Some("pk_canary_pokee".into()),
        base_url: Some("http://127.0.0.1:9/".into()),
        ..Default::default()
    };
    for text in [format!("{options:?}"), options.to_string()] {
        assert!(!text.contains("pk_canary"), "{text}");
    }
    let client = PokeeClient::new(options.clone()).unwrap();
    assert_eq!(
        client.to_string(),
        "PokeeClient(base_url=http://127.0.0.1:9)"
    );
    assert!(!format!("{client:?}").contains("pk_canary"));

    let bad = PokeeClientOptions {
        resume: Some(ResumeOptions {
            initial_delay_secs: Some(-1.0),
            ..Default::default()
        }),
        ..options
    };
    match PokeeClient::new(bad).err() {
        Some(PokeError::InvalidInput { field, .. }) => {
            assert_eq!(field, "resume.initial_delay_secs")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn missing_key_or_url_is_the_cores_config_error() {
    let err = PokeeClient::new(PokeeClientOptions {
        api_key: Some("k".into()),
        base_url: Some("ftp://nope".into()),
        ..Default::default()
    })
    .err();
    match err {
        Some(PokeError::Config { msg }) => assert!(msg.contains("invalid Pokee API URL")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn create_params_convert_and_reject_bad_json() {
    let core = CreateSessionParams {
        persistent: Some(true),
        ttl_secs: Some(60),
        metadata_json: Some(r#"{"project":"acme"}"#.into()),
        file_access: Some(FileAccess {
            read: vec!["a".into()],
            write: vec![],
        }),
        tools_json: Some("[]".into()),
        ..Default::default()
    }
    .into_core()
    .unwrap();
    assert_eq!(
        serde_json::to_value(&core).unwrap(),
        serde_json::json!({"persistent": true, "ttl": 60, "metadata": {"project": "acme"},
            "file_access": {"read": ["a"], "write": []}, "tools": []})
    );
    for (params, field) in [
        (
            CreateSessionParams {
                metadata_json: Some("[1]".into()),
                ..Default::default()
            },
            "metadata_json",
        ),
        (
            CreateSessionParams {
                tools_json: Some("{".into()),
                ..Default::default()
            },
            "tools_json",
        ),
    ] {
        match params.into_core() {
            Err(PokeError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn records_and_filters_convert() {
    let rec: poke::SessionRecord = serde_json::from_str(
        r#"{"id":"s1","status":"busy","metadata":{"k":"v"},"ttl":60,"shiny":1}"#,
    )
    .unwrap();
    let ffi = SessionRecord::from(&rec);
    assert!(ffi.is_busy);
    assert!(!ffi.busy);
    assert_eq!(ffi.ttl_secs, Some(60));
    assert_eq!(ffi.metadata_json, r#"{"k":"v"}"#);
    assert!(ffi.json.contains(r#""shiny":1"#), "{}", ffi.json);

    let f: poke::BulkDelete = BulkDeleteFilter {
        idle_only: true,
        older_than_secs: Some(3600),
    }
    .into();
    assert_eq!(
        f,
        poke::BulkDelete::new()
            .idle()
            .older_than(std::time::Duration::from_secs(3600))
    );
    assert_eq!(
        poke::BulkDelete::from(BulkDeleteFilter::default()),
        poke::BulkDelete::new()
    );

    let w = to_core_wait(Some(WaitOptions {
        poll_interval_secs: Some(0.25),
        ..Default::default()
    }))
    .unwrap();
    assert_eq!(w.poll_interval, std::time::Duration::from_millis(250));
    assert_eq!(w.max_interval, poke::WaitOptions::default().max_interval);
    assert_eq!(to_core_wait(None).unwrap(), poke::WaitOptions::default());
}
