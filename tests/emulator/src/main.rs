//! `poke-emulator`: runs the Poke API emulator until SIGINT/SIGTERM.

use std::process::ExitCode;

use poke_emulator::{EmulatorConfig, RunOptions};

const USAGE: &str = "\
Usage: poke-emulator [--host HOST] [--port PORT] [--api-key KEY] [--exit-on-stdin-close]
                     [--tls [--tls-ca-file PATH]]

Runs a local fake of the Poke developer API for tests and prints one line:
  poke emulator listening on http://HOST:PORT

Options:
  --host HOST              address to bind (default 127.0.0.1)
  --port PORT              port to bind; 0 picks a free port (default 0)
  --api-key KEY            the only API key accepted (default: any non-empty bearer token)
  --exit-on-stdin-close    also stop when standard input reaches end of file
  --tls                    serve HTTPS with a throwaway CA made at start (trust it with
                           SSL_CERT_FILE=<the CA file>)
  --tls-ca-file PATH       where to write the CA certificate (default: in the temp dir)
  -h, --help               print this help
";

enum Command {
    Run(EmulatorConfig, RunOptions),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = EmulatorConfig::default();
    let mut options = RunOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--port 8080` and `--port=8080`.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--host" => config.host = value("--host")?,
            "--port" => {
                let raw = value("--port")?;
                config.port = raw
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {raw:?}"))?;
            }
            "--api-key" => config.api_key = Some(value("--api-key")?),
            "--exit-on-stdin-close" if inline.is_none() => options.exit_on_stdin_close = true,
            "--tls" if inline.is_none() => options.tls = true,
            "--tls-ca-file" => options.tls_ca_file = Some(value("--tls-ca-file")?.into()),
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    Ok(Command::Run(config, options))
}

#[tokio::main]
async fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(config, options)) => match poke_emulator::run(config, options).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("poke-emulator: {err}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("poke-emulator: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn defaults_and_flags() {
        let Ok(Command::Run(config, options)) = parse(&[]) else {
            panic!("no arguments runs with defaults");
        };
        assert_eq!((config.host.as_str(), config.port), ("127.0.0.1", 0));
        assert!(config.api_key.is_none() && !options.exit_on_stdin_close);

        let Ok(Command::Run(config, options)) = parse(&[
            "--host",
            "::1",
            "--port=8080",
            "--api-key",
            "k=v",
            "--exit-on-stdin-close",
        ]) else {
            panic!("all flags parse");
        };
        assert_eq!(config.host, "::1");
        assert_eq!(config.port, 8080);
        assert_eq!(config.api_key.as_deref(), Some("k=v"));
        assert!(options.exit_on_stdin_close);
    }

    #[test]
    fn help_and_errors() {
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
        assert!(matches!(
            parse(&["--port", "1", "--help"]),
            Ok(Command::Help)
        ));
        for bad in [
            &["--port"][..],
            &["--port", "70000"],
            &["--port", "x"],
            &["--nope"],
            &["--exit-on-stdin-close=1"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
