#![allow(clippy::unwrap_used)]

use super::*;
use crate::{ApiErrorKind, PokeClient, PokeClientOptions};

fn client(emulator: &Emulator) -> Arc<PokeClient> {
    PokeClient::new(PokeClientOptions {
        api_key: Some("pk_rust_test".into()),
        base_url: Some(emulator.poke_api_url()),
        max_retries: Some(0),
        ..Default::default()
    })
    .unwrap()
}

// Started and dropped inside a tokio runtime on purpose: neither may panic there.
#[tokio::test]
async fn api_error_fields_and_text_come_from_the_core() {
    let emulator = Emulator::new(None).unwrap();
    let id = emulator
        .add_fault_json(
            r#"{"path":"/api/v1/inbound/api-message","status":429,
                "headers":{"Retry-After":"3","x-request-id":"req_1"}}"#
                .into(),
        )
        .unwrap();
    assert!(id > 0);
    let err = client(&emulator)
        .send_message("hi".into(), None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), poke::RATE_LIMITED_MESSAGE);
    match err {
        PokeError::Api {
            msg,
            status,
            kind,
            request_id,
            retry_after_ms,
            ..
        } => {
            assert_eq!(msg, poke::RATE_LIMITED_MESSAGE);
            assert_eq!(status, 429);
            assert_eq!(kind, ApiErrorKind::RateLimited);
            assert_eq!(request_id.as_deref(), Some("req_1"));
            assert_eq!(retry_after_ms, Some(3000));
        }
        other => panic!("unexpected {other:?}"),
    }
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0]
            .header("User-Agent".into())
            .is_some_and(|ua| ua.starts_with("poke-rust/"))
    );
    assert!(emulator.requests_json().unwrap().contains("api-message"));
}

#[tokio::test]
async fn round_trip_and_journal() {
    let emulator = Emulator::new(Some("pk_rust_test".into())).unwrap();
    let c = client(&emulator);
    let sent = c.send_message("hello".into(), None).await.unwrap();
    assert!(sent.success);
    assert_eq!(
        emulator.messages_json().unwrap(),
        r#"[{"message":"hello"}]"#
    );
    let hook = c
        .create_webhook("cond".into(), "act".into(), None)
        .await
        .unwrap();
    let fired = c
        .send_webhook(
            hook.webhook_url.clone(),
            hook.webhook_token.clone(),
            "[1,2]".into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(fired.status, 200);
    assert!(emulator.webhook_fires_json().unwrap().contains("[1,2]"));
    emulator.clear_requests();
    assert!(emulator.requests().is_empty());
    emulator.shutdown();
    emulator.shutdown();
}

fn pokee(emulator: &Emulator) -> Arc<crate::PokeeClient> {
    crate::PokeeClient::new(crate::PokeeClientOptions {
        api_key: Some("pk_rust_test".into()),
        base_url: Some(emulator.pokee_api_url()),
        resume: Some(crate::ResumeOptions {
            initial_delay_secs: Some(0.01),
            ..Default::default()
        }),
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn turn_resumes_after_a_drop_and_reports_its_position() {
    let emulator = Emulator::new(None).unwrap();
    emulator
        .add_fault_json(
            r#"{"path":"/v1/sessions/*/messages","drop_after_events":4,"times":1}"#.into(),
        )
        .unwrap();
    let c = pokee(&emulator);
    let session = c.create_session(None).await.unwrap();
    let turn = c
        .send_message(session.id.clone(), "hi events=12 pace_ms=0".into(), None)
        .await
        .unwrap();
    assert!(turn.response_id().is_some());
    assert!(turn.idempotency_key().is_some());
    let mut ids = Vec::new();
    while let Some(ev) = turn.next().await.unwrap() {
        ids.push(ev.id.clone().unwrap());
        assert_eq!(turn.last_event_id(), ev.id);
    }
    // Pokee ids are sequence numbers from 0.
    let want: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    assert_eq!(ids, want);
    assert!(turn.next().await.unwrap().is_none());
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/events")
                && r.header("last-event-id".into()).as_deref() == Some("3"))
    );
}

#[tokio::test]
async fn close_ends_a_waiting_next_and_cancel_reaches_the_server() {
    let emulator = Emulator::new(None).unwrap();
    let c = pokee(&emulator);
    let session = c.create_session(None).await.unwrap();
    let turn = c
        .send_message(
            session.id.clone(),
            "slow events=400 pace_ms=50".into(),
            None,
        )
        .await
        .unwrap();
    assert!(turn.next().await.unwrap().is_some());
    let cancelled = turn.cancel().await.unwrap();
    assert_eq!(cancelled.status, "cancelling");
    let mut last = None;
    while let Some(ev) = turn.next().await.unwrap() {
        last = Some(ev.kind);
    }
    assert_eq!(last, Some(crate::TurnEventKind::MessageCancelled));

    let second = c
        .send_message(
            session.id.clone(),
            "slow events=400 pace_ms=50".into(),
            None,
        )
        .await
        .unwrap();
    let reader = {
        let second = second.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while second.next().await.unwrap().is_some() {
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    second.close();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), reader)
        .await
        .unwrap()
        .unwrap();
    assert!(read < 400, "{read}");
    c.cancel_turn(session.id.clone(), second.response_id().unwrap())
        .await
        .unwrap();
}

/// A fresh session's turn of 8 events, sent at once.
async fn eight_event_turn(emulator: &Emulator) -> std::sync::Arc<crate::Turn> {
    let c = pokee(emulator);
    let session = c.create_session(None).await.unwrap();
    c.send_message(session.id.clone(), "hi events=8 pace_ms=0".into(), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unconfirmed_tracked_read_gives_its_event_to_the_next_read() {
    let emulator = Emulator::new(None).unwrap();
    let turn = eight_event_turn(&emulator).await;
    let id = |ev: Option<crate::TurnEvent>| ev.and_then(|e| e.id).unwrap();

    // Read 1 finished but was never confirmed (its caller was cancelled as the result
    // arrived): read 2 takes its event over, and read 1 can no longer claim it.
    assert_eq!(id(turn.next_tracked(1).await.unwrap()), "0");
    assert_eq!(id(turn.next_tracked(2).await.unwrap()), "0");
    assert!(!turn.confirm_read(1));
    assert!(turn.confirm_read(2));
    assert!(!turn.confirm_read(2), "a read is confirmed once");
    assert_eq!(id(turn.next().await.unwrap()), "1");
    // A tracked read dropped before it finished took nothing.
    drop(turn.next_tracked(3));
    assert!(!turn.confirm_read(3));
    // An untracked read takes an unconfirmed event over too.
    assert_eq!(id(turn.next_tracked(4).await.unwrap()), "2");
    assert_eq!(id(turn.next().await.unwrap()), "2");
    let mut rest = Vec::new();
    while let Some(ev) = turn.next_tracked(5).await.unwrap() {
        assert!(turn.confirm_read(5));
        rest.push(ev.id.unwrap());
    }
    let want: Vec<String> = (3..8).map(|i| i.to_string()).collect();
    assert_eq!(rest, want);
}

#[tokio::test]
async fn close_drops_what_a_cancelled_read_left() {
    let emulator = Emulator::new(None).unwrap();
    let turn = eight_event_turn(&emulator).await;
    assert!(turn.next_tracked(1).await.unwrap().is_some());
    turn.close();
    assert!(turn.next().await.unwrap().is_none());
    assert!(!turn.confirm_read(1));
}

#[test]
fn bad_fault_json_is_invalid_input() {
    let emulator = Emulator::new(None).unwrap();
    for bad in ["{", r#"{"status":429}"#, r#"{"path":"*","nope":1}"#] {
        match emulator.add_fault_json(bad.into()).unwrap_err() {
            PokeError::InvalidInput { field, .. } => assert_eq!(field, "fault"),
            other => panic!("unexpected {other:?}"),
        }
    }
    let id = emulator
        .add_fault_json(r#"{"path":"*","status":503}"#.into())
        .unwrap();
    assert!(emulator.remove_fault(id));
    emulator.clear_faults();
    emulator.reset();
    assert!(emulator.url().starts_with("http://127.0.0.1:"));
}
