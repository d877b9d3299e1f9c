//! A user's code: the quickstart (send a message, create a webhook, fire it) and one streamed
//! session turn, with the published `poke-sdk` only.

use futures_util::StreamExt;

/// What the quickstart's three calls answered.
#[derive(Debug, PartialEq)]
pub struct Quickstart {
    /// `send_message`'s `success`.
    pub sent: bool,
    /// `send_message`'s `message`.
    pub reply: Option<String>,
    /// `send_webhook`'s `success`.
    pub webhook_success: bool,
}

/// Sends a message, creates a webhook and fires it.
pub async fn quickstart(api_key: &str, base_url: &str) -> poke::Result<Quickstart> {
    let client = poke::Client::builder()
        .api_key(api_key)
        .base_url(base_url)
        .build()?;
    let reply = client.send_message("Summarize my unread emails").await?;
    let hook = client
        .create_webhook("When a deploy fails", "Send me a summary of the error")
        .await?;
    let data = serde_json::json!({"event": "deploy_failed", "repo": "my-app"});
    let fired = client.send_webhook(&hook, &data).await?;
    Ok(Quickstart {
        sent: reply.success,
        reply: reply.message,
        webhook_success: fired.success,
    })
}

/// Opens a session, sends `message` and reads the turn's events to the end: (id, event name).
pub async fn stream_one_turn(
    api_key: &str,
    base_url: &str,
    message: &str,
) -> poke::Result<Vec<(Option<String>, String)>> {
    let pokee = poke::PokeeClient::builder()
        .api_key(api_key)
        .base_url(base_url)
        .build()?;
    let session = pokee.create_session(&poke::CreateSession::new()).await?;
    let mut turn = pokee.send_message(&session.id, message).await?;
    let mut events = Vec::new();
    while let Some(event) = turn.next().await {
        let event = event?;
        events.push((event.id, event.event));
    }
    pokee.delete_session(&session.id).await?;
    Ok(events)
}
