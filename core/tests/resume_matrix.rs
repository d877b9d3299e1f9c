//! Resume matrix: a 50-event turn cut after event k, for every k, arrives whole, once, in
//! order; and again with already-delivered ids re-sent on the resume.

use futures_util::StreamExt;
use poke::{CreateSession, PokeeClient, ResumePolicy, TurnEvent};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

const EVENTS: u64 = 50;

async fn run_matrix(duplicates: bool) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = PokeeClient::builder()
        .api_key("k")
        .base_url(emu.pokee_api_url())
        .resume_policy(
            ResumePolicy::default()
                .with_delay(Duration::from_millis(1), Duration::from_secs(10))
                .with_server_retry_bounds(Duration::from_millis(1), Duration::from_secs(60)),
        )
        .build()
        .expect("client");
    let session = client
        .create_session(&CreateSession::new())
        .await
        .expect("session");
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
