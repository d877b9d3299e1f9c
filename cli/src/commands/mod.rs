//! One module per command; [`run`] dispatches.

mod chat;
mod completions;
mod emulator;
mod failures;
mod files;
mod login;
mod logout;
mod mcp;
mod send;
mod sessions;
mod tunnel;
mod webhook;
mod whoami;

use crate::args::{Command, McpCommand};
use crate::exit::Outcome;
use crate::output::Output;

/// Runs one command.
pub async fn run(command: Command, out: Output) -> Outcome {
    match command {
        Command::Login(args) => login::run(args, out).await,
        Command::Logout => logout::run(out),
        Command::Whoami => whoami::run(out).await,
        Command::Mcp(McpCommand::Add(args)) => mcp::add(args, out).await,
        Command::Tunnel(args) => tunnel::run(args, out).await,
        Command::Send(args) => send::run(args, out).await,
        Command::Webhook(cmd) => webhook::run(cmd, out).await,
        Command::Sessions(cmd) => sessions::run(cmd, out).await,
        Command::Chat(args) => chat::run(args, out).await,
        Command::Files(cmd) => files::run(cmd, out).await,
        Command::Emulator(args) => emulator::run(args).await,
        Command::Completions(args) => completions::run(args),
    }
}
