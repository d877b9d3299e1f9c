//! `poke emulator`: the bundled emulator of both APIs, until Ctrl+C.

use crate::args::EmulatorArgs;
use crate::exit::{Failure, Outcome};
use poke_emulator::{EmulatorConfig, RunOptions};

pub async fn run(args: EmulatorArgs) -> Outcome {
    let config = EmulatorConfig {
        host: args.host,
        port: args.port,
        api_key: args.api_key,
    };
    let options = RunOptions {
        tls: args.tls,
        ..RunOptions::default()
    };
    poke_emulator::run(config, options)
        .await
        .map_err(|e| Failure::new(format!("poke emulator: {e}")))
}
