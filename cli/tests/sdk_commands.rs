//! The SDK from the shell against the emulator: `send`, `webhook create|send`,
//! `sessions list|create|get|delete`, `chat` (streamed, resumed, cancelled by Ctrl+C) and
//! `files ls|get|put|rm` (resumed downloads).

mod common;

use common::child::Running;
use common::emu;
use common::run::{Home, run_async, signal};
use poke_emulator::{Emulator, EmulatorConfig, TurnScript};
use serde_json::{Value, json};
use std::process::Command;

/// `poke ARGS…` with the sessions API of `emu` and a Pokee key.
fn pokee(home: &Home, emu: &Emulator, args: &[&str]) -> Command {
    let mut cmd = home.cmd(&emu.poke_api_url(), args);
    cmd.env("POKEE_API", emu.pokee_api_url())
        .env("POKEE_KEY", "pk_test");
    cmd
}

fn json_out(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{stdout:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_takes_its_key_like_the_sdk() {
    let emu = emu::start().await;
    let api = emu.poke_api_url();
    let home = Home::new("send");

    let ran = run_async(home.cmd(&api, &["send", "hello", "--api-key", "k_arg"])).await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "✓ Message sent successfully\n"),
        "{ran:?}"
    );
    let mut cmd = home.cmd(&api, &["send", "from env", "--json"]);
    cmd.env("POKE_API_KEY", "k_env");
    let ran = run_async(cmd).await;
    assert_eq!(
        json_out(&ran.stdout),
        json!({"success": true, "message": "Message sent successfully"})
    );
    home.log_in("tok_file");
    let ran = run_async(home.cmd(&api, &["send", "from file"])).await;
    assert_eq!(ran.code, 0);
    let bearers: Vec<Option<String>> = emu
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        bearers,
        [
            Some("Bearer k_arg".into()),
            Some("Bearer k_env".into()),
            Some("Bearer tok_file".into())
        ]
    );
    assert_eq!(
        emu.messages(),
        [
            json!({"message": "hello"}),
            json!({"message": "from env"}),
            json!({"message": "from file"})
        ]
    );

    std::fs::remove_file(home.credentials()).unwrap_or_else(|e| panic!("{e}"));
    let ran = run_async(home.cmd(&api, &["send", "x"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (
            1,
            "No API key found: pass --api-key, set POKE_API_KEY, or run 'poke login'.\n"
        )
    );

    let strict = Emulator::start(EmulatorConfig {
        api_key: Some("right".into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let ran =
        run_async(home.cmd(&strict.poke_api_url(), &["send", "x", "--api-key", "wrong"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (
            1,
            "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys\n"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_created_and_fired() {
    let emu = emu::start().await;
    let api = emu.poke_api_url();
    let home = Home::new("webhook");
    let ran = run_async(home.cmd(
        &api,
        &[
            "webhook",
            "create",
            "--condition",
            "a deploy fails",
            "--action",
            "summarize",
            "--api-key",
            "k",
            "--json",
        ],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let hook = json_out(&ran.stdout);
    let url = hook["webhookUrl"].as_str().unwrap_or_default().to_owned();
    let token = hook["webhookToken"].as_str().unwrap_or_default().to_owned();
    assert!(url.ends_with("/api/v1/inbound/webhook"), "{hook}");

    // Only the webhook token is needed to fire it, from the environment.
    let mut cmd = home.cmd(&api, &["webhook", "send", &url, r#"{"repo": "app"}"#]);
    cmd.env("POKE_WEBHOOK_TOKEN", &token);
    let ran = run_async(cmd).await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "✓ Webhook sent.\n"),
        "{ran:?}"
    );
    let mut cmd = home.cmd(&api, &["webhook", "send", &url, "-", "--token", &token]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
        stdin
            .write_all(br#"[1, 2]"#)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let fires: Vec<Value> = emu
        .webhook_fires()
        .iter()
        .map(|f| f["data"].clone())
        .collect();
    assert_eq!(fires, [json!({"repo": "app"}), json!([1, 2])]);

    let ran =
        run_async(home.cmd(&api, &["webhook", "send", &url, "{nope", "--token", &token])).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.starts_with("the data is not JSON: "),
        "{}",
        ran.stderr
    );
    let ran = run_async(home.cmd(
        &api,
        &["webhook", "send", &url, "{}", "--token", "bad-token"],
    ))
    .await;
    assert_eq!(ran.code, 1);
    assert!(ran.stderr.contains("Invalid API key"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_created_shown_and_deleted() {
    let emu = emu::start().await;
    let home = Home::new("sessions");
    let ran = run_async(pokee(
        &home,
        &emu,
        &[
            "sessions",
            "create",
            "--persistent",
            "--ttl",
            "3600",
            "--metadata",
            "team=qa",
            "--json",
        ],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let created = json_out(&ran.stdout);
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        (created["persistent"].as_bool(), created["ttl"].as_u64()),
        (Some(true), Some(3600))
    );
    assert_eq!(created["metadata"], json!({"team": "qa"}));

    let ran = run_async(pokee(&home, &emu, &["sessions", "list"])).await;
    assert_eq!(ran.code, 0);
    assert!(ran.stdout.starts_with("ID"), "{}", ran.stdout);
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("ready") && l.contains("true")),
        "{}",
        ran.stdout
    );
    let ran = run_async(pokee(&home, &emu, &["sessions", "get", &id])).await;
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.starts_with(&format!(
            "{id}\n  Status: ready\n  Persistent: true\n  TTL: 3600s"
        )),
        "{}",
        ran.stdout
    );
    let ran = run_async(pokee(&home, &emu, &["sessions", "delete", &id])).await;
    assert_eq!(
        (ran.code, ran.stdout.trim_end()),
        (0, format!("✓ Session {id} deleted.").as_str())
    );
    let ran = run_async(pokee(&home, &emu, &["sessions", "get", &id])).await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.starts_with("Pokee API error (404)"),
        "{}",
        ran.stderr
    );
    let ran = run_async(pokee(&home, &emu, &["sessions", "list", "--json"])).await;
    assert_eq!(json_out(&ran.stdout), json!([]));

    let ran = run_async(pokee(
        &home,
        &emu,
        &["sessions", "create", "--metadata", "novalue"],
    ))
    .await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (1, "--metadata needs KEY=VALUE, got \"novalue\"\n")
    );
    let ran = run_async(home.cmd(&emu.poke_api_url(), &["sessions", "list"])).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (
            1,
            "No Pokee API key found: pass --api-key or set POKEE_KEY.\n"
        )
    );
    let mut cmd = home.cmd(&emu.poke_api_url(), &["sessions", "list"]);
    cmd.env("POKEE_KEY", "pk");
    let ran = run_async(cmd).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (
            1,
            "No Pokee API URL found: pass --base-url or set POKEE_API.\n"
        )
    );
}

async fn new_session(home: &Home, emu: &Emulator) -> String {
    let ran = run_async(pokee(
        home,
        emu,
        &["sessions", "create", "--persistent", "--json"],
    ))
    .await;
    json_out(&ran.stdout)["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn script(emu: &Emulator, id: &str, value: Value) {
    let script: TurnScript = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
    emu.script_turn(id, script)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_the_reply_and_resumes_after_a_drop() {
    let emu = emu::start().await;
    let home = Home::new("chat");
    let id = new_session(&home, &emu).await;
    script(
        &emu,
        &id,
        json!({"steps": [
            {"type": "tool_use", "name": "web_search", "input": {"q": "x"}},
            {"type": "text", "text": "Here is the deck you asked for."}
        ]}),
    );
    let ran = run_async(pokee(&home, &emu, &["chat", &id, "Build a deck"])).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "[tool: web_search]\nHere is the deck you asked for.\n"
    );

    // The stream drops mid-turn; the SDK resumes it and nothing is shown twice.
    emu::fault(
        &emu,
        json!({"path": "/v1/sessions/*/messages", "drop_after_events": 4}),
    );
    script(
        &emu,
        &id,
        json!({"steps": [{"type": "text", "text": "one two three four five six seven"}]}),
    );
    let ran = run_async(pokee(&home, &emu, &["chat", &id, "Count"])).await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "one two three four five six seven\n"),
        "{ran:?}"
    );
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path.contains("/responses/") && r.header("last-event-id").is_some()),
        "the turn was resumed"
    );

    script(
        &emu,
        &id,
        json!({"steps": [{"type": "text", "text": "partial"}], "outcome": {"type": "error", "error": "model overloaded"}}),
    );
    let ran = run_async(pokee(&home, &emu, &["chat", &id, "Fail"])).await;
    assert_eq!(ran.code, 1);
    assert_eq!(ran.stdout, "partial\n");
    assert_eq!(ran.stderr, "The turn failed: model overloaded\n");

    script(
        &emu,
        &id,
        json!({"steps": [{"type": "text", "text": "hi"}]}),
    );
    let ran = run_async(pokee(&home, &emu, &["chat", &id, "Hi", "--json"])).await;
    let events: Vec<String> = ran
        .stdout
        .lines()
        .map(|l| json_out(l)["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events.first().map(String::as_str), Some("message.created"));
    assert_eq!(events.last().map(String::as_str), Some("message.completed"));
    assert!(events.iter().any(|e| e == "text.delta"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_turn() {
    let emu = emu::start().await;
    let home = Home::new("chat-cancel");
    let id = new_session(&home, &emu).await;
    script(
        &emu,
        &id,
        json!({"steps": [
            {"type": "text", "text": "started"},
            {"type": "sleep", "ms": 60000},
            {"type": "text", "text": "never shown"}
        ]}),
    );
    let mut run = Running::start(pokee(&home, &emu, &["chat", &id, "Long job", "--json"]));
    run.wait_stdout("text.delta");
    signal(run.pid(), "INT");
    assert_eq!(run.finish(), 130, "{:?} {:?}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr,
        [
            "Cancelling the turn (Ctrl+C again to quit at once)...",
            "Turn cancelled."
        ]
    );
    assert!(!run.stdout.iter().any(|l| l.contains("never shown")));
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/cancel")),
        "the cancel reached the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_uploaded_listed_downloaded_resumed_and_removed() {
    let emu = emu::start().await;
    let home = Home::new("files");
    let id = new_session(&home, &emu).await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let src = home.dir.join("report.bin");
    std::fs::write(&src, &data).unwrap_or_else(|e| panic!("{e}"));

    let src_arg = src.display().to_string();
    let ran = run_async(pokee(
        &home,
        &emu,
        &["files", "put", &id, &src_arg, "out/report.bin"],
    ))
    .await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "✓ Uploaded out/report.bin (300000 bytes).\n"),
        "{ran:?}"
    );
    assert_eq!(
        emu.workspace_file("out/report.bin").as_deref(),
        Some(&data[..])
    );

    let ran = run_async(pokee(&home, &emu, &["files", "ls", &id, "out", "--json"])).await;
    let listed = json_out(&ran.stdout);
    assert_eq!(listed[0]["name"], "report.bin");
    assert_eq!(listed[0]["size"], 300_000);
    let ran = run_async(pokee(&home, &emu, &["files", "ls", &id])).await;
    assert!(ran.stdout.contains("out/"), "{}", ran.stdout);

    let dest = home.dir.join("copy.bin");
    let dest_arg = dest.display().to_string();
    let ran = run_async(pokee(
        &home,
        &emu,
        &["files", "get", &id, "out/report.bin", &dest_arg, "--json"],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(json_out(&ran.stdout)["resumed_from"], 0);
    assert_eq!(std::fs::read(&dest).unwrap_or_default(), data);

    // An interrupted download left its first 100,000 bytes: the next run asks for the rest.
    std::fs::remove_file(&dest).unwrap_or_else(|e| panic!("{e}"));
    let part = home.dir.join("copy.bin.part");
    std::fs::write(&part, &data[..100_000]).unwrap_or_else(|e| panic!("{e}"));
    emu.clear_requests();
    let ran = run_async(pokee(
        &home,
        &emu,
        &["files", "get", &id, "out/report.bin", &dest_arg, "--json"],
    ))
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(json_out(&ran.stdout)["resumed_from"], 100_000);
    assert_eq!(std::fs::read(&dest).unwrap_or_default(), data);
    assert!(!part.exists());
    let ranges: Vec<Option<String>> = emu
        .requests()
        .iter()
        .map(|r| r.header("range").map(str::to_owned))
        .collect();
    assert_eq!(ranges, [Some("bytes=100000-".to_owned())]);

    let ran = run_async(pokee(&home, &emu, &["files", "rm", &id, "out/report.bin"])).await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "✓ Deleted out/report.bin.\n")
    );
    assert!(emu.workspace_file("out/report.bin").is_none());
    let ran = run_async(pokee(
        &home,
        &emu,
        &["files", "get", &id, "out/report.bin", &dest_arg],
    ))
    .await;
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.starts_with("Pokee API error (404)"),
        "{}",
        ran.stderr
    );
    let missing = home.dir.join("missing.bin").display().to_string();
    let ran = run_async(pokee(&home, &emu, &["files", "put", &id, &missing])).await;
    assert_eq!(ran.code, 1);
    assert!(ran.stderr.contains("missing.bin"), "{}", ran.stderr);
}
