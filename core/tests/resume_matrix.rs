//! Resume matrix: a 50-event turn cut after event k, for every k, arrives whole, once, in
//! order; and again with already-delivered ids re-sent on the resume.

use futures_util::StreamExt;
use poke::{CreateSession, PokeeClient, ResumePolicy, SessionRecord, TurnEvent};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

const EVENTS: u64 = 50;

/// An emulator, a client of it with `policy`, and a session.
async fn start(policy: ResumePolicy) -> (Emulator, PokeeClient, SessionRecord) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = PokeeClient::builder()
        .api_key("k")
        .base_url(emu.pokee_api_url())
        .resume_policy(policy)
        .build()
        .expect("client");
    let session = client
        .create_session(&CreateSession::new())
        .await
        .expect("session");
    (emu, client, session)
}

async fn run_matrix(duplicates: bool) {
    let (emu, client, session) = start(
        ResumePolicy::default()
            .with_delay(Duration::from_millis(1), Duration::from_secs(10))
            .with_server_retry_bounds(Duration::from_millis(1), Duration::from_secs(60)),
    )
    .await;
    for k in 1..EVENTS {
        emu.add_fault(Fault {
            path: "/v1/sessions/*/messages".into(),
            drop_after_events: Some(k),
            drop_mid_event: k % 2 == 0,
            ..Fault::default()
        });
        if duplicates {
            emu.add_fault(Fault {
                path: "/v1/sessions/*/responses/*/events".into(),
                duplicate_ids: Some(k.min(5)),
                ..Fault::default()
            });
        }
        let mut turn = client
            .send_message(&session.id, &format!("turn {k} events={EVENTS} pace_ms=0"))
            .await
            .expect("turn");
        let mut seqs = Vec::new();
        while let Some(event) = turn.next().await {
            let event: TurnEvent = event.unwrap_or_else(|e| panic!("k={k}: {e}"));
            seqs.push(event.sequence_number().unwrap_or(u64::MAX));
        }
        assert_eq!(seqs, (0..EVENTS).collect::<Vec<_>>(), "cut after {k}");
        emu.clear_faults();
    }
}

#[tokio::test]
async fn every_cut_point_yields_each_event_once_in_order() {
    run_matrix(false).await;
}

#[tokio::test]
async fn every_cut_point_with_duplicated_ids_on_resume() {
    run_matrix(true).await;
}

/// A manual resume from every position of a finished turn yields exactly the events after it
/// and then ends; from the terminal event's id it ends at once with nothing (spec E8: 200, no
/// events), rather than reconnecting until it gives up.
#[tokio::test]
async fn a_manual_resume_from_each_position_of_a_finished_turn_yields_the_rest() {
    const N: u64 = 6;
    let (emu, client, session) = start(ResumePolicy::default()).await;
    let mut turn = client
        .send_message(&session.id, &format!("hi events={N} pace_ms=0"))
        .await
        .expect("turn");
    let mut ids = Vec::new();
    while let Some(event) = turn.next().await {
        ids.push(event.expect("event").id.expect("id"));
    }
    assert_eq!(ids.len() as u64, N);
    let rid = turn.response_id().expect("response id");
    for (i, position) in ids.iter().enumerate() {
        let mut resumed = client
            .resume(&session.id, &rid, Some(position))
            .await
            .expect("resume");
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = resumed.next().await {
                rest.push(event.unwrap_or_else(|e| panic!("from {position}: {e}")).id);
            }
        });
        read.await.expect("the resumed stream ends");
        let expected: Vec<_> = ids[i + 1..].iter().cloned().map(Some).collect();
        assert_eq!(rest, expected, "resumed from {position}");
        assert!(resumed.is_finished(), "from {position}");
    }
    // One request per resume: the empty answer is not taken for a cut.
    let resumes = emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/events"))
        .map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "last-event-id")
                .map(|(_, v)| v.clone())
        })
        .collect::<Vec<_>>();
    assert_eq!(resumes, ids.iter().cloned().map(Some).collect::<Vec<_>>());
}
