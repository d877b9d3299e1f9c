//! A long-running turn on the Pokee Enterprise sessions API, against the bundled emulator:
//! create a persistent session, stream a turn (surviving a forced disconnect), wait for the
//! session to go idle, download the presentation, delete the session.
//! Run with `cargo run -p poke-sdk --example sessions`.

use futures_util::StreamExt;
use poke::{CreateSession, PokeeClient, WaitOptions};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    // Cut the first stream after 5 events: the client resumes with Last-Event-ID.
    emulator.add_fault(Fault {
        path: "/v1/sessions/*/messages".into(),
        drop_after_events: Some(5),
        ..Fault::default()
    });
    let pokee = PokeeClient::builder()
        .api_key("pk_demo")
        .base_url(emulator.pokee_api_url())
        .build()?;

    let session = pokee
        .create_session(
            &CreateSession::new()
                .persistent(true)
                .ttl(Duration::from_secs(4 * 3600)),
        )
        .await?;
    println!("session {}", session.id);

    let mut turn = pokee
        .send_message(&session.id, "Build a short presentation about tide pools")
        .await?;
    let mut count = 0;
    while let Some(event) = turn.next().await {
        let event = event?;
        count += 1;
        println!(
            "  {:>3} {}",
            event.id.as_deref().unwrap_or("-"),
            event.event
        );
    }
    println!("{count} events, each once (one disconnect resumed)");

    let idle = pokee
        .wait_idle(&session.id, WaitOptions::default(), |record| {
            println!("  progress: {:?}", record.metadata.get("temasek_status"));
        })
        .await?;
    println!("idle; status {:?}", idle.metadata.get("temasek_status"));

    let dest = std::env::temp_dir().join("poke-example-deck.pptx");
    let bytes = pokee
        .download_to(&session.id, "output/deck.pptx", &dest, |_, _| {})
        .await?;
    println!("downloaded {bytes} bytes to {}", dest.display());
    pokee.delete_session(&session.id).await?;
    Ok(())
}
