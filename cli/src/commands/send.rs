//! `poke send`: one message to Poke.

use crate::args::SendArgs;
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use poke::CallOptions;

pub async fn run(args: SendArgs, out: Output) -> Outcome {
    let client = clients::poke(&args.key)?;
    // The reply as received (`--json` prints every field Poke sent, known or not).
    let reply: serde_json::Value = client
        .send_message_with(args.message.as_str(), &CallOptions::new())
        .await
        .and_then(|r| r.json())
        .map_err(|e| Failure::new(e.to_string()))?;
    if out.json() {
        out.data(&reply);
    } else {
        let message = reply
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("Message sent.");
        out.success(message);
    }
    Ok(())
}
