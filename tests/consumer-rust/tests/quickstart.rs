//! The quickstart and one streamed turn against poke-sdk-emulator, as a user's test would run
//! them.

use poke_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn quickstart_against_the_emulator() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let got = poke_consumer::quickstart("pk_consumer", &emulator.poke_api_url())
        .await
        .expect("quickstart");
    assert_eq!(
        got,
        poke_consumer::Quickstart {
            sent: true,
            reply: Some("Message sent successfully".into()),
            webhook_success: true
        }
    );
}

#[tokio::test]
async fn one_turn_streams_to_its_end() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let events = poke_consumer::stream_one_turn(
        "pk_consumer",
        &emulator.pokee_api_url(),
        "hello events=12 pace_ms=0",
    )
    .await
    .expect("turn");
    let ids: Vec<_> = events.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        ids,
        (0..12).map(|i| Some(i.to_string())).collect::<Vec<_>>()
    );
    assert_eq!(
        events.first().map(|(_, e)| e.as_str()),
        Some("message.created")
    );
    assert_eq!(
        events.last().map(|(_, e)| e.as_str()),
        Some("message.completed")
    );
}
