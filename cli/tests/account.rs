//! `poke login`, `logout`, `whoami` and `mcp add` against the emulator: success and failure
//! paths, exit codes and messages, and the credentials file's permissions.

mod common;

use common::emu;
use common::run::{Home, eventually, run_async};
use serde_json::{Value, json};

fn closed_port_api() -> String {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("{e}"));
    format!("http://{addr}/api/v1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_saves_the_token_owner_only_and_atomically() {
    let emu = emu::start().await;
    emu::settings(
        &emu,
        json!({"login_interval": 0.02, "login_after_polls": 2}),
    )
    .await;
    let home = Home::new("login");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("Your login code: "), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("Enter it at: http://front.test/device"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("Waiting for authentication...\n..\n✓ Logged in successfully!"),
        "{}",
        ran.stdout
    );
    assert!(
        !ran.stderr.contains("browser"),
        "--no-browser: {}",
        ran.stderr
    );

    let text = std::fs::read_to_string(home.credentials()).unwrap_or_else(|e| panic!("{e}"));
    let saved: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let token = saved["token"].as_str().unwrap_or_default();
    assert!(token.starts_with("poke_tok_"), "{text}");
    assert_eq!(
        text,
        format!("{{\n  \"token\": \"{token}\"\n}}\n"),
        "2-space indented JSON"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&home.credentials()), 0o600);
        assert_eq!(
            mode(home.credentials().parent().unwrap_or(&home.dir)),
            0o700
        );
    }
    let left: Vec<String> = std::fs::read_dir(home.credentials().parent().unwrap_or(&home.dir))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(left, ["credentials.json"], "no temporary file left behind");

    let calls = emu::account_calls(&emu);
    assert_eq!(calls[0], "POST /cli-auth/code");
    assert_eq!(calls.len(), 4, "a code and three polls: {calls:?}");
    assert!(
        calls[1..]
            .iter()
            .all(|c| c.starts_with("GET /cli-auth/poll/dev_"))
    );
    for r in emu.requests() {
        assert!(
            r.header("authorization").is_none(),
            "login calls carry no credentials"
        );
        assert!(
            r.header("user-agent")
                .is_some_and(|ua| ua.starts_with("poke-cli/"))
        );
    }

    // The saved token is the one whoami sends.
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["whoami"])).await;
    assert_eq!((ran.code, ran.stdout.as_str()), (0, "Emulated User\n"));
    let last = emu.requests().pop().unwrap_or_else(|| panic!("no request"));
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_when_logged_in_sends_nothing() {
    let emu = emu::start().await;
    let home = Home::new("login-again");
    home.log_in("tok_existing");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login"])).await;
    assert_eq!(ran.code, 0);
    assert_eq!(
        ran.stdout,
        "Already logged in. Run 'poke logout' first to switch accounts.\n"
    );
    assert!(emu.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_invalid_codes_end_the_login() {
    let emu = emu::start().await;
    for (outcome, message) in [
        ("expired", "Code expired. Run 'poke login' again."),
        ("invalid", "Invalid code. Run 'poke login' again."),
    ] {
        emu::settings(
            &emu,
            json!({"login_interval": 0.02, "login_outcome": outcome}),
        )
        .await;
        let home = Home::new("login-outcome");
        let ran = run_async(home.cmd(&emu.poke_api_url(), &["login", "--no-browser"])).await;
        assert_eq!(ran.code, 1, "{ran:?}");
        assert_eq!(ran.stderr.trim_end(), message);
        assert!(!home.credentials().exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_that_expires_on_the_server_is_reported_expired() {
    let emu = emu::start().await;
    emu::settings(
        &emu,
        json!({"login_interval": 0.05, "login_outcome": "manual", "login_expires_in": 0.3}),
    )
    .await;
    let home = Home::new("login-expiry");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login", "--no-browser"])).await;
    // The server's clock started before the client's: the client's last poll, at its own
    // deadline, always finds the code expired.
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stderr.trim_end(),
        "Code expired. Run 'poke login' again."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reply_sets_the_poll_interval_and_the_deadline() {
    let emu = emu::start().await;
    // The server never decides and never expires the code: only the client's deadline (the
    // reply's expires_in, not npm's 5 minutes) ends it, polling at the reply's interval (not
    // npm's 2 s, which would allow a single poll).
    emu::settings(
        &emu,
        json!({
            "login_interval": 0.02,
            "login_outcome": "manual",
            "login_expires_in": 0.5,
            "login_enforce_expiry": false,
        }),
    )
    .await;
    let home = Home::new("login-deadline");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stderr.trim_end(),
        "Login timed out. Run 'poke login' again."
    );
    let polls = emu::account_calls(&emu)
        .iter()
        .filter(|c| c.starts_with("GET /cli-auth/poll/"))
        .count();
    assert!(polls >= 3, "{polls} polls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_approved_through_the_control_surface_logs_in() {
    let emu = emu::start().await;
    emu::settings(
        &emu,
        json!({"login_interval": 0.05, "login_outcome": "manual"}),
    )
    .await;
    let home = Home::new("login-manual");
    let child = home
        .cmd(&emu.poke_api_url(), &["login", "--no-browser"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let url = emu.url();
    let pending = eventually(|| {
        let account: Value = blocking::get_json(&format!("{url}/_emulator/account"));
        (account["codes"][0]["polls"].as_u64().unwrap_or(0) >= 2).then_some(())
    });
    pending.await;
    let decided = emu::control(
        &emu,
        "account/codes/latest",
        json!({"status": "authenticated"}),
    )
    .await;
    assert_eq!(decided["status"], "authenticated");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert!(home.credentials().exists());
}

/// A blocking JSON GET for checks inside `eventually`.
mod blocking {
    pub fn get_json(url: &str) -> serde_json::Value {
        let owned = url.to_owned();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            rt.block_on(async {
                reqwest::get(&owned)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .json()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        })
        .join()
        .unwrap_or_else(|_| panic!("GET {url}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_login_replies_are_clear_errors() {
    let emu = emu::start().await;
    emu::settings(&emu, json!({"login_interval": 0.02})).await;
    let api = emu.poke_api_url();

    emu::fault(
        &emu,
        json!({"method": "GET", "path": "/api/v1/cli-auth/poll/*", "status": 200, "body": "<html>oops</html>", "times": 1}),
    );
    let home = Home::new("login-nonjson");
    let ran = run_async(home.cmd(&api, &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.contains(&format!(
            "{api}/cli-auth/poll/… answered HTTP 200 with a body that is not the expected JSON"
        )),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("dev_"),
        "the device code is not shown: {}",
        ran.stderr
    );

    emu::fault(
        &emu,
        json!({"method": "GET", "path": "/api/v1/cli-auth/poll/*", "status": 500, "times": 10}),
    );
    let ran = run_async(home.cmd(&api, &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr.trim_end(),
        "Login failed: the server answered HTTP 500 to a poll"
    );
    emu.clear_faults();

    emu::settings(&emu, json!({"login_reply_token": false})).await;
    let ran = run_async(home.cmd(&api, &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr.trim_end(),
        "Login failed: the server reported success but sent no token."
    );
    assert!(!home.credentials().exists());

    emu::fault(
        &emu,
        json!({"method": "POST", "path": "/api/v1/cli-auth/code", "status": 500, "times": 10}),
    );
    let ran = run_async(home.cmd(&api, &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stderr.trim_end(), "Failed to create login code");

    let closed = closed_port_api();
    let ran = run_async(home.cmd(&closed, &["login", "--no-browser"])).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .starts_with(&format!("Could not reach {closed}/cli-auth/code: ")),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.lines().count(), 1, "one line: {}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_browser_available_is_not_an_error() {
    let emu = emu::start().await;
    emu::settings(&emu, json!({"login_interval": 0.02})).await;
    let home = Home::new("login-nobrowser");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains("warning: could not open a browser (")
            && ran
                .stderr
                .contains("open http://front.test/device yourself"),
        "{}",
        ran.stderr
    );
    assert!(home.credentials().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_page_opens_in_the_browser() {
    let emu = emu::start().await;
    emu::settings(&emu, json!({"login_interval": 0.02})).await;
    let home = Home::new("login-browser");
    let opened = home.dir.join("opened.txt");
    let browser = home.recorder("fake-browser", &opened);
    let mut cmd = home.cmd(&emu.poke_api_url(), &["login"]);
    cmd.env("BROWSER", &browser);
    let ran = run_async(cmd).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stderr.contains("could not open"), "{}", ran.stderr);
    let seen = eventually(|| std::fs::read_to_string(&opened).ok()).await;
    assert_eq!(seen.trim(), "http://front.test/device");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_json_is_one_event_per_line() {
    let emu = emu::start().await;
    emu::settings(&emu, json!({"login_interval": 0.02})).await;
    let home = Home::new("login-json");
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["login", "--no-browser", "--json"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let events: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["event"], "code");
    assert_eq!(events[0]["url"], "http://front.test/device");
    assert_eq!(events[1]["event"], "logged_in");
    assert_eq!(
        events[1]["credentials"],
        home.credentials().display().to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_deletes_the_file_and_never_fails() {
    let emu = emu::start().await;
    let home = Home::new("logout");
    home.log_in("tok");
    for _ in 0..2 {
        let ran = run_async(home.cmd(&emu.poke_api_url(), &["logout"])).await;
        assert_eq!((ran.code, ran.stdout.as_str()), (0, "Logged out.\n"));
        assert!(!home.credentials().exists());
    }
    assert!(emu.requests().is_empty(), "no server call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_shows_the_first_of_name_email_id() {
    let emu = emu::start().await;
    let home = Home::new("whoami");
    home.log_in("tok_who");
    let api = emu.poke_api_url();
    for (profile, shown) in [
        (
            json!({"name": "Ada", "email": "ada@x.test", "id": "u1"}),
            "Ada",
        ),
        (
            json!({"name": "", "email": "ada@x.test", "id": "u1"}),
            "ada@x.test",
        ),
        (json!({"id": 42}), "42"),
        (json!({}), "Logged in"),
    ] {
        emu::settings(&emu, json!({"profile": profile})).await;
        let ran = run_async(home.cmd(&api, &["whoami"])).await;
        assert_eq!((ran.code, ran.stdout.trim_end()), (0, shown), "{profile}");
    }
    emu::settings(
        &emu,
        json!({"profile": {"name": "Ada", "email": "ada@x.test"}}),
    )
    .await;
    let ran = run_async(home.cmd(&api, &["whoami", "--json"])).await;
    let shown: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shown,
        json!({"id": null, "name": "Ada", "email": "ada@x.test"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_failures() {
    let emu = emu::start().await;
    let api = emu.poke_api_url();
    let home = Home::new("whoami-fail");

    let ran = run_async(home.cmd(&api, &["whoami"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Not logged in. Run 'poke login'.\n")
    );
    assert!(emu.requests().is_empty());

    home.log_in("tok_fail");
    emu::fault(
        &emu,
        json!({"path": "/api/v1/user/profile", "status": 500, "times": 10}),
    );
    let ran = run_async(home.cmd(&api, &["whoami"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Failed to fetch profile\n")
    );
    assert!(home.credentials().exists(), "only a 401 logs out");
    emu.clear_faults();

    emu::fault(
        &emu,
        json!({"path": "/api/v1/user/profile", "status": 200, "body": "not json", "times": 1}),
    );
    let ran = run_async(home.cmd(&api, &["whoami"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr,
        format!("{api}/user/profile answered HTTP 200 with a body that is not the expected JSON\n")
    );

    let closed = closed_port_api();
    let ran = run_async(home.cmd(&closed, &["whoami"])).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .starts_with(&format!("Could not reach {closed}/user/profile: ")),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("tok_fail"), "no token in messages");

    emu::control(&emu, "account/revoke", json!({"token": "tok_fail"})).await;
    let ran = run_async(home.cmd(&api, &["whoami"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Session expired. Run 'poke login' again.\n")
    );
    assert!(
        !home.credentials().exists(),
        "a 401 deletes the saved token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_add_sends_the_connection_and_reports_it() {
    let emu = emu::start().await;
    emu::settings(&emu, json!({"mcp_tools": [{"name": "a"}, {"name": "b"}]})).await;
    let api = emu.poke_api_url();
    let home = Home::new("mcp-add");
    home.log_in("tok_mcp");
    let ran = run_async(home.cmd(
        &api,
        &[
            "mcp",
            "add",
            "https://mcp.example.test/mcp",
            "--name",
            "Example",
        ],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "✓ MCP connection added successfully!\n  Name: Example\n  Server URL: https://mcp.example.test/mcp\n  Tools: 2\n"
    );
    let sent: Value =
        serde_json::from_str(&emu.requests()[0].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sent,
        json!({"name": "Example", "serverUrl": "https://mcp.example.test/mcp"})
    );

    // The key from the environment, then from standard input: never in argv.
    let mut cmd = home.cmd(
        &api,
        &[
            "mcp",
            "add",
            "https://mcp.example.test/mcp",
            "-n",
            "K",
            "--json",
        ],
    );
    cmd.env("POKE_MCP_API_KEY", "sk-from-env");
    let ran = run_async(cmd).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let shown: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shown["tools"], 2);
    let sent: Value =
        serde_json::from_str(&emu.requests()[1].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent["apiKey"], "sk-from-env");

    let mut cmd = home.cmd(
        &api,
        &[
            "mcp",
            "add",
            "https://mcp.example.test/mcp",
            "-n",
            "S",
            "--api-key-stdin",
        ],
    );
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        stdin
            .write_all(b"sk-from-stdin\n")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let sent: Value =
        serde_json::from_str(&emu.requests()[2].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent["apiKey"], "sk-from-stdin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_add_failures() {
    let emu = emu::start().await;
    let api = emu.poke_api_url();
    let home = Home::new("mcp-fail");
    home.log_in("tok_mcp_fail");
    let add = ["mcp", "add", "https://mcp.example.test/mcp", "--name", "X"];

    for bad in ["ftp://mcp.example.test", "mcp.example.test/mcp", "http://"] {
        let ran = run_async(home.cmd(&api, &["mcp", "add", bad, "--name", "X"])).await;
        assert_eq!(ran.code, 1);
        assert!(
            ran.stderr.starts_with(&format!("Invalid URL: {bad}")),
            "{}",
            ran.stderr
        );
    }
    assert!(emu.requests().is_empty(), "nothing sent for an invalid URL");

    emu::settings(&emu, json!({"mcp_oauth_required": true})).await;
    let ran = run_async(home.cmd(&api, &add)).await;
    assert_eq!(ran.code, 1);
    assert_eq!(
        ran.stderr,
        "This MCP server requires OAuth authentication. Add it from the Poke web app instead.\n"
    );
    emu::settings(&emu, json!({"mcp_oauth_required": false})).await;

    emu::fault(
        &emu,
        json!({"method": "POST", "path": "/api/v1/mcp/connections/cli", "status": 422,
        "body": "{\"error\":\"bad_url\",\"message\":\"Server URL unreachable\"}", "times": 1}),
    );
    let ran = run_async(home.cmd(&api, &add)).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Failed to add MCP connection: Server URL unreachable\n")
    );

    emu::fault(
        &emu,
        json!({"method": "POST", "path": "/api/v1/mcp/connections/cli", "status": 400, "body": "<html>", "times": 1}),
    );
    let ran = run_async(home.cmd(&api, &add)).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Failed to add MCP connection: HTTP 400\n")
    );
    assert!(home.credentials().exists());

    emu::control(&emu, "account/revoke", json!({})).await;
    let ran = run_async(home.cmd(&api, &add)).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Session expired. Run 'poke login' again.\n")
    );
    assert!(!home.credentials().exists());

    let ran = run_async(home.cmd(&api, &add)).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "Not logged in. Run 'poke login'.\n")
    );
}
