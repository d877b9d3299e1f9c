//! `poke completions <shell>`: a completion script on stdout.

use crate::args::{Cli, CompletionsArgs, Shell};
use crate::exit::Outcome;
use clap::CommandFactory;
use clap_complete::Shell as Target;

pub fn run(args: CompletionsArgs) -> Outcome {
    let shell = match args.shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
        Shell::Elvish => Target::Elvish,
    };
    // Into memory first: clap_complete panics when its writer fails (`poke completions | head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "poke", &mut script);
    let mut out = std::io::stdout().lock();
    let _ =
        std::io::Write::write_all(&mut out, &script).and_then(|()| std::io::Write::flush(&mut out));
    Ok(())
}
