//! `poke sessions list|create|get|delete` (Pokee API).

use crate::args::{SessionsCommand, SessionsCreateArgs};
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use poke::{CreateSession, SessionRecord};
use std::time::Duration;

pub async fn run(cmd: SessionsCommand, out: Output) -> Outcome {
    match cmd {
        SessionsCommand::List(args) => {
            let client = clients::pokee(&args.key)?;
            let sessions = client.list_sessions().await.map_err(failed)?;
            if out.json() {
                out.data(&sessions);
            } else if sessions.is_empty() {
                out.line("No sessions.");
            } else {
                out.line(format!("{:<28} {:<8} {:<10}", "ID", "STATUS", "PERSISTENT"));
                for s in &sessions {
                    out.line(format!(
                        "{:<28} {:<8} {:<10}",
                        s.id,
                        status(s),
                        s.persistent
                    ));
                }
            }
            Ok(())
        }
        SessionsCommand::Create(args) => create(args, out).await,
        SessionsCommand::Get(args) => {
            let client = clients::pokee(&args.key)?;
            let session = client.get_session(&args.session).await.map_err(failed)?;
            show(&session, out);
            Ok(())
        }
        SessionsCommand::Delete(args) => {
            let client = clients::pokee(&args.key)?;
            client.delete_session(&args.session).await.map_err(failed)?;
            if out.json() {
                out.data(&serde_json::json!({"deleted": args.session}));
            } else {
                out.success(format!("Session {} deleted.", args.session));
            }
            Ok(())
        }
    }
}

/// A failed call, with the SDK's message.
pub fn failed(e: poke::Error) -> Failure {
    Failure::new(e.to_string())
}

fn status(s: &SessionRecord) -> &str {
    if s.status.is_empty() {
        if s.is_busy() { "busy" } else { "-" }
    } else {
        &s.status
    }
}

async fn create(args: SessionsCreateArgs, out: Output) -> Outcome {
    let client = clients::pokee(&args.key)?;
    let mut params = CreateSession::new().persistent(args.persistent);
    if let Some(ttl) = args.ttl {
        params = params.ttl(Duration::from_secs(ttl));
    }
    if let Some(model) = args.model {
        params = params.model(model);
    }
    for pair in &args.metadata {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Failure::new(format!(
                "--metadata needs KEY=VALUE, got {pair:?}"
            )));
        };
        params = params.metadata(key, value);
    }
    let session = client.create_session(&params).await.map_err(failed)?;
    show(&session, out);
    Ok(())
}

fn show(session: &SessionRecord, out: Output) {
    if out.json() {
        out.data(session);
        return;
    }
    out.line(&session.id);
    out.field("Status", status(session));
    out.field("Persistent", session.persistent);
    if let Some(ttl) = session.ttl {
        out.field("TTL", format!("{ttl}s"));
    }
    if let Some(model) = &session.model {
        out.field("Model", model);
    }
    if !session.metadata.is_empty() {
        out.field(
            "Metadata",
            serde_json::Value::Object(session.metadata.clone()),
        );
    }
}
