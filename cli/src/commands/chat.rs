//! `poke chat <session> <message>`: streams one turn to the terminal (resumed by the SDK after
//! a disconnect); Ctrl+C cancels the turn on the server, a second Ctrl+C exits at once.

use super::sessions::failed;
use crate::args::ChatArgs;
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use crate::signals::Signals;
use console::style;
use futures_util::StreamExt;
use poke::{TurnEvent, TurnEventKind};
use serde_json::json;

pub async fn run(args: ChatArgs, out: Output) -> Outcome {
    let client = clients::pokee(&args.key)?;
    let mut signals =
        Signals::install().map_err(|e| Failure::new(format!("poke: cannot catch signals: {e}")))?;
    let mut turn = tokio::select! {
        opened = client.send_message(&args.session, &args.message) => opened.map_err(failed)?,
        _ = signals.next() => return Err(Failure::interrupted("Interrupted before the reply started.")),
    };
    let mut view = View {
        out,
        thinking: args.thinking,
        mid_line: false,
    };
    loop {
        tokio::select! {
            event = turn.next() => match event {
                Some(Ok(event)) => {
                    if let Some(end) = view.show(&event) {
                        return end;
                    }
                }
                Some(Err(e)) => {
                    view.end_line();
                    return Err(failed(e));
                }
                None => {
                    view.end_line();
                    return Err(Failure::new("The reply ended before the turn finished."));
                }
            },
            _ = signals.next() => {
                view.end_line();
                out.note("Cancelling the turn (Ctrl+C again to quit at once)...");
                tokio::select! {
                    result = turn.cancel() => match result {
                        Ok(_) => out.note("Turn cancelled."),
                        Err(e) => out.note(format!("Could not cancel the turn: {e}")),
                    },
                    _ = signals.next() => {}
                }
                return Err(Failure::quiet(crate::exit::INTERRUPTED));
            }
        }
    }
}

/// How a turn is drawn.
struct View {
    out: Output,
    thinking: bool,
    /// Text was written without its final newline.
    mid_line: bool,
}

impl View {
    fn end_line(&mut self) {
        if self.mid_line {
            self.out.line("");
            self.mid_line = false;
        }
    }

    /// Shows one event; `Some` ends the command with that outcome.
    fn show(&mut self, event: &TurnEvent) -> Option<Outcome> {
        let out = self.out;
        if out.json() {
            out.data(&json!({"id": event.id, "event": event.event, "data": event.data()}));
        }
        let name = |key: &str| {
            event
                .data()
                .get(key)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        match event.kind() {
            TurnEventKind::TextDelta if !out.json() => {
                if let Some(text) = event.content() {
                    out.part(text);
                    self.mid_line = !text.ends_with('\n');
                }
            }
            TurnEventKind::ThinkingDelta if self.thinking && !out.json() => {
                if let Some(text) = event.content() {
                    out.part(style(text).dim());
                    self.mid_line = !text.ends_with('\n');
                }
            }
            TurnEventKind::ToolUseStart if !out.json() => {
                self.end_line();
                out.line(style(format!("[tool: {}]", name("name"))).dim());
            }
            TurnEventKind::ToolCallRequested => {
                self.end_line();
                out.warn(format!(
                    "the agent asked for the client tool {:?}, which `poke chat` cannot run",
                    name("name")
                ));
            }
            TurnEventKind::MessageCompleted => {
                self.end_line();
                return Some(Ok(()));
            }
            TurnEventKind::MessageError => {
                self.end_line();
                return Some(Err(Failure::new(format!(
                    "The turn failed: {}",
                    event.error().unwrap_or("no reason given")
                ))));
            }
            TurnEventKind::MessageCancelled => {
                self.end_line();
                return Some(Err(Failure::new("The turn was cancelled.")));
            }
            _ => {}
        }
        None
    }
}
