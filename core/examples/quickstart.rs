//! Send a message, create a webhook and fire it, against the bundled emulator (no account,
//! no network). Run with `cargo run -p poke-sdk --example quickstart`.

use poke::Client;
use poke_emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!("using the bundled emulator at {}", emulator.url());
    let client = Client::builder()
        .api_key("pk_quickstart")
        .base_url(emulator.poke_api_url())
        .build()?;

    let reply = client.send_message("Summarize my unread emails").await?;
    println!(
        "send_message   -> success={} message={:?}",
        reply.success, reply.message
    );

    let hook = client
        .create_webhook("When a deploy fails", "Send me a summary of the error")
        .await?;
    println!("create_webhook -> {} {}", hook.trigger_id, hook.webhook_url);

    let data = serde_json::json!({"event": "deploy_failed", "repo": "my-app"});
    let fired = client.send_webhook(&hook, &data).await?;
    println!("send_webhook   -> success={}", fired.success);
    Ok(())
}
