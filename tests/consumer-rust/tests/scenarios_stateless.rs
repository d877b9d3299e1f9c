//! The shared scenarios of skills and stateless responses (tests/scenarios) in Rust, against
//! the bundled emulator.

use futures_util::StreamExt;
use poke::{
    CreateResponse, Error, ErrorKind, FunctionCall, FunctionTool, PokeeClient, ResponseEvent,
    ResponseEventKind, ResumePolicy,
};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn setup() -> (Emulator, PokeeClient) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = PokeeClient::builder()
        .api_key("k")
        .base_url(emu.pokee_api_url())
        .resume_policy(
            ResumePolicy::default().with_delay(Duration::from_millis(5), Duration::from_secs(10)),
        )
        .build()
        .expect("pokee client");
    (emu, client)
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[tokio::test]
async fn scenario_skills_lifecycle() {
    let (emu, c) = setup().await;
    let dir = std::env::temp_dir().join(format!(
        "poke-scenario-skill-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(dir.join("scripts")).expect("mkdir");
    std::fs::write(dir.join("SKILL.md"), "# Greeter\nSay hello.\n").expect("write");
    std::fs::write(dir.join("scripts/hello.py"), "print('hello')\n").expect("write");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let installed = c
        .install_skill("greeter", dir.as_path(), move |done, total| {
            seen.lock().expect("lock").push((done, total));
        })
        .await
        .expect("installed");
    assert_eq!(installed.files, ["SKILL.md", "scripts/hello.py"]);
    let last = progress
        .lock()
        .expect("lock")
        .last()
        .copied()
        .expect("progress");
    assert_eq!(Some(last.0), last.1);
    let listed = c.list_skills().await.expect("list");
    assert_eq!(
        listed.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["greeter"]
    );

    let replaced = c
        .install_skill(
            "greeter",
            zip_of(&[("SKILL.md", b"# Greeter v2")]),
            |_, _| {},
        )
        .await
        .expect("replaced");
    assert_eq!(replaced.files, ["SKILL.md"]);
    let before = emu.skills_json();
    let refused = c
        .install_skill(
            "greeter",
            zip_of(&[("SKILL.md", b"x"), ("../outside.txt", b"x")]),
            |_, _| {},
        )
        .await
        .expect_err("traversal");
    assert_eq!(refused.api().map(|a| a.kind), Some(ErrorKind::BadRequest));
    assert_eq!(emu.skills_json(), before);

    let sent = emu.requests().len();
    let bad = c
        .install_skill("Bad Name", zip_of(&[("SKILL.md", b"x")]), |_, _| {})
        .await
        .expect_err("bad name");
    assert!(matches!(bad, Error::InvalidInput { field: "name", .. }));
    assert_eq!(emu.requests().len(), sent);

    c.delete_skill("greeter").await.expect("deleted");
    let gone = c.delete_skill("greeter").await.expect_err("404");
    assert_eq!(gone.api().map(|a| a.kind), Some(ErrorKind::NotFound));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn scenario_stateless_stream_resume() {
    let (emu, c) = setup().await;
    emu.add_fault(Fault {
        method: Some("POST".into()),
        path: "/v1/responses".into(),
        drop_after_events: Some(5),
        ..Fault::default()
    });
    let stream = c
        .stream_response(&CreateResponse::new("stream me events=30"))
        .await
        .expect("stream");
    let key = stream.idempotency_key().expect("key").to_owned();
    let events: Vec<ResponseEvent> = stream.map(|e| e.expect("event")).collect().await;
    let seqs: Vec<u64> = events
        .iter()
        .filter_map(ResponseEvent::sequence_number)
        .collect();
    assert_eq!(seqs, (0..30).collect::<Vec<_>>());
    let text: String = events.iter().filter_map(ResponseEvent::delta).collect();
    let last = events.last().expect("events");
    assert_eq!(last.kind(), ResponseEventKind::Completed);
    assert_eq!(last.response().map(|r| r.output_text()), Some(text));
    let requests = emu.requests();
    let post = requests
        .iter()
        .find(|r| r.path == "/v1/responses")
        .expect("post");
    assert_eq!(post.header("idempotency-key"), Some(key.as_str()));
    let resume = requests
        .iter()
        .find(|r| r.path.ends_with("/events"))
        .expect("resume");
    assert!(resume.path.starts_with("/v1/responses/resp_"));
    assert_eq!(resume.header("last-event-id"), Some("4"));
}

#[tokio::test]
async fn scenario_tool_loop() {
    let (emu, c) = setup().await;
    let weather = FunctionTool::new(
        "get_weather",
        json!({"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}),
    );
    let request =
        CreateResponse::new("What is the weather in Paris? tool=get_weather").tool(weather);
    let run = c
        .run_tools(&request, 4, |call: FunctionCall| async move {
            let args = call
                .parsed_arguments()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            assert_eq!(args, json!({"location": "Paris"}));
            Ok::<_, std::io::Error>("sunny, 21C".to_owned())
        })
        .await
        .expect("run");
    assert_eq!(run.rounds, 2);
    assert!(run.response.output_text().contains("sunny, 21C"));
    let bodies: Vec<serde_json::Value> = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/responses")
        .map(|r| serde_json::from_str(&r.body).expect("JSON"))
        .collect();
    assert_eq!(bodies.len(), 2);
    let history = bodies[1]["input"].as_array().expect("items");
    assert_eq!(history[0]["role"], "user");
    assert_eq!(history[1]["type"], "function_call");
    assert_eq!(history[2]["type"], "function_call_output");
    assert_eq!(history[2]["output"], "sunny, 21C");
    assert_eq!(history[2]["call_id"], history[1]["call_id"]);
}
