//! The `poke` command: log in to Poke, add MCP servers, expose a local MCP server through a
//! built-in tunnel, and use the Poke and Pokee APIs from the shell.
//!
//! [`main`] runs one command line; the `poke` binary and the Python package's `poke` script
//! both call it. Every API call goes through the `poke` crate; the tunnel transport (piko's
//! upstream protocol) lives in [`tunnel`].

mod args;
mod browser;
mod clients;
mod commands;
mod exit;
mod output;
mod qr;
mod signals;
pub mod tunnel;

use clap::{CommandFactory, Parser};
use std::ffi::OsString;
use std::time::Duration;

pub use exit::{FAILURE, INTERRUPTED, SUCCESS, USAGE};

/// Runs the command line `argv` (program name first) and returns the exit code.
///
/// Builds its own tokio runtime; call it from a thread that is not running one.
pub fn main<I, T>(argv: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return code;
        }
    };
    // reqwest's TLS has no provider of its own here (poke-sdk picks ring for its clients): the
    // local forwarding client gets the same one. An already installed provider is kept.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let out = output::Output::new(cli.json);
    let Some(command) = cli.command else {
        // Bare `poke` shows the help (npm's runs `wrap`, which this command does not have).
        let _ = args::Cli::command().print_help();
        return exit::SUCCESS;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.note(format!("poke: could not start: {e}"));
            return exit::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(command, out));
    // A task still blocked on a read (standard input, say) must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => exit::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                out.note(&failure.message);
            }
            failure.code
        }
    }
}
