//! `poke tunnel` against the emulator: the connection is removed on every way out (signals,
//! a revoked tunnel token, an expired login, a transport that never connects, a panic), the
//! removal is reported as it went, a second signal exits at once; activation, recipes and tool
//! syncs; failures before the tunnel exists.

mod common;

use common::child::Running;
use common::run::{Home, eventually, run_async, signal};
use common::{emu, local};
use poke_emulator::Emulator;
use serde_json::{Value, json};

/// A logged-in home and a `poke tunnel` command for `local_url`.
fn tunnel(home: &Home, emu: &Emulator, local_url: &str, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["tunnel", local_url, "--name", "Local tools"];
    args.extend_from_slice(extra);
    home.cmd(&emu.poke_api_url(), &args)
}

fn field(line: &str, label: &str) -> String {
    line.split_once(&format!("{label}: "))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} in {line:?}"))
}

async fn only_connection(emu: &Emulator) -> Value {
    let conns = emu::connections(emu).await;
    assert_eq!(conns.len(), 1, "{conns:?}");
    conns[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_removes_the_connection() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-int");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    run.wait_stdout("✓ Tunnel is active!");
    let public = field(&run.wait_stdout("Tunnel URL:"), "Tunnel URL");
    assert_eq!(field(&run.wait_stdout("Local:"), "Local"), local.url);
    assert_eq!(field(&run.wait_stdout("Name:"), "Name"), "Local tools");
    run.wait_stdout("Connection activated and tools synced.");

    let echo: Value = reqwest::get(format!("{public}?q=1"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (echo["path"].as_str(), echo["query"].as_str()),
        (Some("/mcp"), Some("q=1"))
    );

    // The tunnel token is in no argument, environment variable, output or file.
    let conn = only_connection(&emu).await;
    assert_eq!(conn["agent"]["connected"], true);
    #[cfg(target_os = "linux")]
    for what in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{}/{what}", run.pid())).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("tun_"),
            "token in {what}"
        );
    }

    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0, "{:?} {:?}", run.stdout, run.stderr);
    let tail: Vec<&str> = run
        .stdout
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["Removing MCP connection...", "✓ MCP connection removed."]
    );
    let conn = only_connection(&emu).await;
    assert_eq!(conn["deleted"], true, "{conn}");
    let calls = emu::account_calls(&emu);
    let id = conn["id"].as_str().unwrap_or_default();
    assert_eq!(
        calls,
        [
            "POST /mcp/connections/cli".to_owned(),
            format!("POST /mcp/connections/{id}/activate-tunnel"),
            format!("DELETE /mcp/connections/{id}"),
        ]
    );
    let all = format!("{:?}{:?}", run.stdout, run.stderr);
    assert!(!all.contains("tun_"), "the token was printed");
    let files: Vec<String> = std::fs::read_dir(home.xdg().join("poke"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(files, ["credentials.json"], "no log or cache file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_removes_the_connection_json_events() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-term");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--json"]));
    let active: Value =
        serde_json::from_str(&run.wait_stdout("\"active\"")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(active["local"], local.url);
    assert!(
        active["tunnel_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/mcp")),
        "{active}"
    );
    // Every line is JSON, the activation's outcome included.
    let activated: Value =
        serde_json::from_str(&run.wait_stdout("\"activated\"")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(activated["status"], "authenticated", "{activated}");
    signal(run.pid(), "TERM");
    assert_eq!(run.finish(), 0, "{:?} {:?}", run.stdout, run.stderr);
    let events: Vec<String> = run
        .stdout
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            v["event"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(events, ["active", "activated", "removing", "removed"]);
    assert_eq!(run.stderr, ["Received SIGTERM."]);
    assert_eq!(only_connection(&emu).await["deleted"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once_while_the_removal_hangs() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-twice");
    home.log_in("tok_tunnel");
    emu::fault(
        &emu,
        json!({"method": "DELETE", "path": "/api/v1/mcp/connections/*", "delay_ms": 60000}),
    );
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    run.wait_stdout("Connection activated");
    signal(run.pid(), "INT");
    run.wait_stdout("Removing MCP connection...");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 130);
    let id = only_connection(&emu).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        run.stderr.last().map(String::as_str),
        Some(
            format!(
                "Interrupted: the MCP connection {id} may remain; remove it in the Poke web app."
            )
            .as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_removal_is_reported_as_such() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-delfail");
    home.log_in("tok_tunnel");
    emu::fault(
        &emu,
        json!({"method": "DELETE", "path": "/api/v1/mcp/connections/*", "status": 500,
        "body": "{\"error\":\"boom\",\"message\":\"database down\"}", "times": 10}),
    );
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    run.wait_stdout("Connection activated");
    signal(run.pid(), "INT");
    assert_eq!(
        run.finish(),
        1,
        "a signal, but the connection is still there"
    );
    assert!(
        !run.stdout.iter().any(|l| l.contains("removed")),
        "{:?}",
        run.stdout
    );
    let id = only_connection(&emu).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        run.stderr.last().map(String::as_str),
        Some(format!("Could not remove the MCP connection {id} (HTTP 500: database down); remove it in the Poke web app.").as_str())
    );
    assert_eq!(only_connection(&emu).await["deleted"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_removal_is_bounded_in_time() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-delslow");
    home.log_in("tok_tunnel");
    emu::fault(
        &emu,
        json!({"method": "DELETE", "path": "/api/v1/mcp/connections/*", "delay_ms": 120000, "times": 10}),
    );
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    run.wait_stdout("Connection activated");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 1);
    let last = run.stderr.last().cloned().unwrap_or_default();
    assert!(
        last.starts_with("Could not remove the MCP connection "),
        "{last}"
    );
    assert!(last.contains("timed out after 10.0s"), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tunnel_token_stops_the_tunnel_and_removes_the_connection() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-401");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    run.wait_stdout("Connection activated");
    let id = only_connection(&emu).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    emu::control(&emu, &format!("tunnels/{id}/revoke"), json!({})).await;
    assert_eq!(run.finish(), 1);
    assert!(
        run.stderr.iter().any(|l| l == "Tunnel stopped: the tunnel server refused the connection (HTTP 401: invalid token)"),
        "{:?}",
        run.stderr
    );
    assert!(run.stdout.ends_with(&[
        "Removing MCP connection...".to_owned(),
        "✓ MCP connection removed.".to_owned()
    ]));
    assert_eq!(only_connection(&emu).await["deleted"], true);
    assert!(home.credentials().exists(), "the login token is still good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_login_mid_tunnel_cleans_up_first_then_logs_out() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-expired");
    home.log_in("tok_expiring");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--sync-interval", "1"]));
    run.wait_stdout("Connection activated");
    run.wait_stdout("Tools synced.");
    emu::control(&emu, "account/revoke", json!({"token": "tok_expiring"})).await;
    assert_eq!(run.finish(), 1);
    let id = only_connection(&emu).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        run.stderr[run.stderr.len() - 2..],
        [
            format!(
                "Could not remove the MCP connection {id} (HTTP 401: the login token was refused); remove it in the Poke web app."
            ),
            "Session expired. Run 'poke login' again.".to_owned(),
        ]
    );
    assert_eq!(
        run.stdout.last().map(String::as_str),
        Some("Removing MCP connection...")
    );
    assert!(!home.credentials().exists());
    let deletes = emu::account_calls(&emu)
        .iter()
        .filter(|c| c.starts_with("DELETE"))
        .count();
    assert!(deletes >= 1, "the removal was attempted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_that_never_connects_is_removed_and_never_active() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-noconnect");
    home.log_in("tok_tunnel");
    emu::control(
        &emu,
        "tunnels/refuse",
        json!({"status": 503, "times": 100000}),
    )
    .await;
    // The tunnel server starts with the first tunnelled connection: refuse applies from then.
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--connect-timeout", "1"]));
    assert_eq!(run.finish(), 1);
    assert!(
        !run.stdout.iter().any(|l| l.contains("active")),
        "{:?}",
        run.stdout
    );
    assert!(
        run.stderr
            .iter()
            .any(|l| l
                .starts_with("Tunnel stopped: could not connect to the tunnel server: HTTP 503")),
        "{:?}",
        run.stderr
    );
    assert_eq!(only_connection(&emu).await["deleted"], true);
    let calls = emu::account_calls(&emu);
    assert!(
        !calls.iter().any(|c| c.contains("activate")),
        "no activation without a tunnel: {calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_still_removes_the_connection() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-panic");
    home.log_in("tok_tunnel");
    let mut cmd = tunnel(&home, &emu, &local.url, &[]);
    cmd.env("POKE_CLI_TEST_PANIC_WHEN_ACTIVE", "1");
    let mut run = Running::start(cmd);
    assert_eq!(run.finish(), 1);
    assert!(
        run.stderr.iter().any(|l| l.contains("internal error")),
        "{:?}",
        run.stderr
    );
    assert!(run.stdout.ends_with(&[
        "Removing MCP connection...".to_owned(),
        "✓ MCP connection removed.".to_owned()
    ]));
    assert_eq!(only_connection(&emu).await["deleted"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_activation_shows_and_opens_the_auth_page() {
    let emu = emu::start().await;
    let local = local::start().await;
    emu::settings(&emu, json!({"activation": "oauth_required"})).await;
    let home = Home::new("tunnel-oauth");
    home.log_in("tok_tunnel");
    let opened = home.dir.join("opened.txt");
    let browser = home.recorder("fake-browser", &opened);
    let mut cmd = tunnel(&home, &emu, &local.url, &[]);
    cmd.env("BROWSER", &browser);
    let mut run = Running::start(cmd);
    run.wait_stdout("This MCP server requires OAuth authentication.");
    let auth = field(&run.wait_stdout("Auth URL:"), "Auth URL");
    assert!(
        auth.starts_with(&format!("{}/oauth/authorize?connection=conn_", emu.url())),
        "{auth}"
    );
    let seen = eventually(|| std::fs::read_to_string(&opened).ok()).await;
    assert_eq!(seen.trim(), auth);
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_activation_falls_back_to_syncing() {
    let emu = emu::start().await;
    let local = local::start().await;
    emu::settings(&emu, json!({"activation": "fail"})).await;
    let home = Home::new("tunnel-actfail");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--sync-interval", "1"]));
    run.wait_stdout("Activation failed (HTTP 500). Falling back to periodic sync.");
    run.wait_stdout("Tools synced.");
    run.wait_stdout("Tools synced.");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
    let conn = only_connection(&emu).await;
    assert!(conn["syncs"].as_u64().unwrap_or(0) >= 2, "{conn}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipes_are_shown_with_a_qr_code() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-recipe");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--recipe"]));
    let link = field(&run.wait_stdout("Recipe:"), "Recipe");
    assert!(
        link.starts_with("http://front.test/r/"),
        "the API origin replaced: {link}"
    );
    let qr = run.wait_for(false, |l| l.contains('█'));
    assert!(qr.chars().count() > 20, "{qr}");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
    let recipe_call = emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/create-recipe"))
        .unwrap_or_else(|| panic!("no create-recipe call"));
    assert_eq!(recipe_call.body, r#"{"name":"Local tools"}"#);

    // A recipe that comes with the connection is not made again; a failed one is a warning.
    emu::settings(&emu, json!({"recipe_with_connection": true})).await;
    emu.clear_requests();
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--recipe"]));
    run.wait_stdout("Recipe: http://front.test/r/");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
    assert!(
        !emu.requests()
            .iter()
            .any(|r| r.path.ends_with("/create-recipe"))
    );

    emu::settings(
        &emu,
        json!({"recipe_with_connection": false, "recipe_fails": true}),
    )
    .await;
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &["--recipe"]));
    run.wait_for(true, |l| {
        l == "warning: could not create a recipe (HTTP 500)"
    });
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tunnel_reconnects_after_the_upstream_restarts() {
    let emu = emu::start().await;
    let local = local::start().await;
    let home = Home::new("tunnel-restart");
    home.log_in("tok_tunnel");
    let mut run = Running::start(tunnel(&home, &emu, &local.url, &[]));
    let public = field(&run.wait_stdout("Tunnel URL:"), "Tunnel URL");
    run.wait_stdout("Connection activated");
    emu::control(&emu, "tunnels/restart", json!({"down_ms": 300})).await;
    run.wait_for(true, |l| l.starts_with("warning: tunnel connection lost"));
    run.wait_stdout("Tunnel reconnected.");
    let status = reqwest::get(&public).await.map(|r| r.status().as_u16());
    assert!(matches!(status, Ok(200)), "{status:?}");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_before_the_tunnel_exists() {
    let emu = emu::start().await;
    let api = emu.poke_api_url();
    let home = Home::new("tunnel-early");

    let ran = run_async(home.cmd(&api, &["tunnel", "localhost:8000", "--name", "x"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Invalid URL: localhost:8000\n")
    );
    let ran = run_async(home.cmd(&api, &["tunnel", "http://127.0.0.1:9/mcp", "--name", "x"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Not logged in. Run 'poke login'.\n")
    );
    assert!(emu.requests().is_empty());

    home.log_in("tok_early");
    let create = "/api/v1/mcp/connections/cli";
    emu::fault(
        &emu,
        json!({"method": "POST", "path": create, "status": 409,
        "body": "{\"error\":\"conflict\",\"message\":\"A connection with this name exists\"}"}),
    );
    let ran = run_async(home.cmd(&api, &["tunnel", "http://127.0.0.1:9/mcp", "--name", "x"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (
            1,
            "Failed to create tunnel: A connection with this name exists\n"
        )
    );

    emu::fault(
        &emu,
        json!({"method": "POST", "path": create, "status": 200,
        "body": "{\"id\":\"conn_partial\",\"name\":\"x\",\"serverUrl\":\"http://public.test\"}"}),
    );
    let ran = run_async(home.cmd(&api, &["tunnel", "http://127.0.0.1:9/mcp", "--name", "x"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr,
        "Tunnel configuration not available.\nCould not remove the MCP connection conn_partial (HTTP 404: No such connection); remove it in the Poke web app.\n"
    );
    assert_eq!(ran.stdout, "Removing MCP connection...\n");

    emu::control(&emu, "account/revoke", json!({})).await;
    let ran = run_async(home.cmd(&api, &["tunnel", "http://127.0.0.1:9/mcp", "--name", "x"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Session expired. Run 'poke login' again.\n")
    );
    assert!(!home.credentials().exists());
}
