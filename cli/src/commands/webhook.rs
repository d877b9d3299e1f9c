//! `poke webhook create|send`: webhook triggers of the Poke API.

use crate::args::{WebhookCommand, WebhookCreateArgs, WebhookSendArgs};
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use poke::{CallOptions, Secret};
use std::io::Read;

pub async fn run(cmd: WebhookCommand, out: Output) -> Outcome {
    match cmd {
        WebhookCommand::Create(args) => create(args, out).await,
        WebhookCommand::Send(args) => send(args, out).await,
    }
}

async fn create(args: WebhookCreateArgs, out: Output) -> Outcome {
    let client = clients::poke(&args.key)?;
    let hook: serde_json::Value = client
        .create_webhook_with(
            args.condition.as_str(),
            args.action.as_str(),
            &CallOptions::new(),
        )
        .await
        .and_then(|r| r.json())
        .map_err(|e| Failure::new(e.to_string()))?;
    if out.json() {
        out.data(&hook);
        return Ok(());
    }
    let field = |name: &str| hook.get(name).and_then(|v| v.as_str()).unwrap_or("");
    out.success("Webhook created.");
    out.field("Trigger", field("triggerId"));
    out.field("URL", field("webhookUrl"));
    out.field("Token", field("webhookToken"));
    out.line(format!(
        "Fire it with: POKE_WEBHOOK_TOKEN=<token> poke webhook send {} '{{\"key\": \"value\"}}'",
        field("webhookUrl")
    ));
    Ok(())
}

async fn send(args: WebhookSendArgs, out: Output) -> Outcome {
    let text = if args.data == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(format!("could not read the data from stdin: {e}")))?;
        text
    } else {
        args.data.clone()
    };
    let data: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::new(format!("the data is not JSON: {e}")))?;
    let token = args.token.filter(|t| !t.is_empty()).map(Secret::new);
    let client = match clients::poke(&args.key) {
        Ok(client) => client,
        // Firing needs only the webhook token; the key chain may well be empty.
        Err(_) if token.is_some() => {
            let mut key = args.key.clone();
            key.api_key = token.as_ref().map(|t| t.expose().to_owned());
            clients::poke(&key)?
        }
        Err(failure) => return Err(failure),
    };
    let reply: serde_json::Value = client
        .send_webhook_with(&args.url, token.as_ref(), &data, &CallOptions::new())
        .await
        .and_then(|r| r.json())
        .map_err(|e| Failure::new(e.to_string()))?;
    if out.json() {
        out.data(&reply);
    } else {
        out.success("Webhook sent.");
    }
    Ok(())
}
