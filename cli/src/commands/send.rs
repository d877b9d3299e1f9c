//! `poke send`: one message to Poke.

use crate::args::SendArgs;
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;

pub async fn run(args: SendArgs, out: Output) -> Outcome {
    let client = clients::poke(&args.key)?;
    let reply: serde_json::Value = client
        .send_message(&args.message)
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
