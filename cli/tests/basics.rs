//! The command line itself: help (exit codes, no `wrap`), version, bare `poke`, usage errors,
//! completions, `NO_COLOR`, and `poke emulator`.

mod common;

use common::child::Running;
use common::run::{Home, run};
use std::process::Command;

fn poke(home: &Home, args: &[&str]) -> Command {
    home.cmd("http://127.0.0.1:9/api/v1", args)
}

#[test]
fn help_lists_commands_exit_codes_and_the_missing_wrap() {
    let home = Home::new("help");
    let ran = run(poke(&home, &["--help"]));
    assert_eq!(ran.code, 0);
    for command in [
        "login",
        "logout",
        "whoami",
        "mcp",
        "tunnel",
        "send",
        "webhook",
        "sessions",
        "chat",
        "files",
        "emulator",
        "completions",
    ] {
        assert!(
            ran.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(command)),
            "{command} missing:\n{}",
            ran.stdout
        );
    }
    assert!(
        !ran.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("wrap "))
    );
    assert!(
        ran.stdout
            .contains("`poke wrap` (in the npm package) is not provided")
    );
    assert!(
        ran.stdout
            .contains("Exit codes:\n  0    success\n  1    failure")
    );
    assert!(ran.stdout.contains("  130  interrupted"));
    assert!(
        !ran.stdout.contains('\u{1b}'),
        "NO_COLOR: no escape sequences"
    );

    // Bare `poke` prints the same help and succeeds (npm's runs `wrap`).
    let bare = run(poke(&home, &[]));
    assert_eq!((bare.code, bare.stdout.as_str()), (0, ran.stdout.as_str()));

    let ran = run(poke(&home, &["logout", "--help"]));
    assert!(
        ran.stdout.contains("stays valid on the server"),
        "{}",
        ran.stdout
    );
    let ran = run(poke(&home, &["tunnel", "--help"]));
    assert!(
        ran.stdout.contains("the tunnel token never appears"),
        "{}",
        ran.stdout
    );
}

#[test]
fn version_is_the_package_version() {
    let home = Home::new("version");
    let ran = run(poke(&home, &["--version"]));
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, format!("poke {}\n", env!("CARGO_PKG_VERSION")).as_str())
    );
}

#[test]
fn usage_errors_exit_2() {
    let home = Home::new("usage");
    for args in [
        &["nope"][..],
        &["tunnel", "http://127.0.0.1:1/mcp"],
        &["tunnel", "http://127.0.0.1:1/mcp", "--name", "x", "--share"],
        &[
            "mcp",
            "add",
            "http://x.test",
            "--name",
            "x",
            "--api-key",
            "k",
            "--api-key-stdin",
        ],
        &[
            "tunnel",
            "http://x.test",
            "--name",
            "x",
            "--sync-interval",
            "0",
        ],
    ] {
        let ran = run(poke(&home, args));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(
            ran.stderr.starts_with("error: "),
            "{args:?}: {}",
            ran.stderr
        );
        assert!(ran.stdout.is_empty());
    }
}

#[test]
fn completion_scripts_for_each_shell() {
    let home = Home::new("completions");
    for (shell, marker) in [
        ("bash", "_poke()"),
        ("zsh", "#compdef poke"),
        ("fish", "complete -c poke"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[poke]"),
    ] {
        let ran = run(poke(&home, &["completions", shell]));
        assert_eq!(ran.code, 0, "{shell}");
        assert!(ran.stdout.contains(marker), "{shell}");
        assert!(ran.stdout.contains("tunnel"), "{shell}");
    }
}

#[test]
fn the_bundled_emulator_runs_until_a_signal() {
    let home = Home::new("emulator");
    let mut run = Running::start(poke(&home, &["emulator", "--port", "0"]));
    let line = run.wait_stdout("poke emulator listening on http://127.0.0.1:");
    let url = line
        .trim_start_matches("poke emulator listening on ")
        .to_owned();
    common::tls();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let body = rt.block_on(async {
        reqwest::get(format!("{url}/health"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });
    assert_eq!(body, r#"{"status":"ok"}"#);
    common::run::signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
}
