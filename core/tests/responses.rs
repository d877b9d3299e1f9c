//! Stateless responses (E19–E21) through the client, against the bundled emulator: whole and
//! streamed responses, resume after a cut, cancel, idempotency keys, tool limits, bad input,
//! and the function-tool loop.

use futures_util::StreamExt;
use poke::{
    CallOptions, CreateResponse, Error, ErrorKind, FunctionCall, FunctionTool, InputItem,
    OutputItem, PokeeClient, ResponseEvent, ResponseEventKind, ResumePolicy,
};
use poke_emulator::{Emulator, EmulatorConfig, Fault, ResponseScript, ResponseStep};
use serde_json::json;
use std::time::Duration;

async fn setup() -> (Emulator, PokeeClient) {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    emu.set_turn_pace(Duration::ZERO);
    let c = client(&emu, "pk_responses");
    (emu, c)
}

fn client(emu: &Emulator, key: &str) -> PokeeClient {
    PokeeClient::builder()
        .api_key(key)
        .base_url(emu.pokee_api_url())
        .resume_policy(
            ResumePolicy::default().with_delay(Duration::from_millis(5), Duration::from_secs(10)),
        )
        .build()
        .expect("client")
}

fn weather() -> FunctionTool {
    FunctionTool::new(
        "get_weather",
        json!({
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"]
        }),
    )
    .description("The weather of a city")
}

async fn collect(mut stream: poke::ResponseStream) -> Vec<ResponseEvent> {
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.expect("event"));
    }
    events
}

fn kind(e: &Error) -> Option<ErrorKind> {
    e.api().map(|a| a.kind)
}

fn posts(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/responses")
        .count()
}

#[tokio::test]
async fn a_whole_response_is_typed() {
    let (emu, c) = setup().await;
    let response = c
        .create_response(&CreateResponse::new("Hello there").model("pokee-isaac"))
        .await
        .expect("response");
    assert!(response.id.starts_with("resp_"));
    assert!(response.is_completed());
    assert_eq!(response.output_text(), "Echo: Hello there");
    assert_eq!(response.model.as_deref(), Some("pokee-isaac"));
    let usage = response.usage.expect("usage");
    assert_eq!(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert!(matches!(&response.output[0], OutputItem::Message(m) if m.role == "assistant"));
    let sent = emu
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/responses")
        .expect("sent");
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("JSON");
    assert_eq!(
        body,
        json!({"input": "Hello there", "model": "pokee-isaac", "stream": false})
    );

    let failed = c
        .create_response(&CreateResponse::new("x error=overheated"))
        .await
        .expect("a failed response is an answer");
    assert_eq!(failed.status, "failed");
    assert_eq!(
        failed.error.map(|e| e.message).as_deref(),
        Some("overheated")
    );
}

#[tokio::test]
async fn a_streamed_response_yields_typed_events() {
    let (emu, c) = setup().await;
    let stream = c
        .stream_response(&CreateResponse::new("one two"))
        .await
        .expect("stream");
    let rid = stream.response_id().expect("id from the header");
    let key = stream.idempotency_key().expect("a key").to_owned();
    let events = collect(stream).await;
    let kinds: Vec<ResponseEventKind> = events.iter().map(ResponseEvent::kind).collect();
    assert_eq!(kinds[0], ResponseEventKind::Created);
    assert_eq!(kinds[1], ResponseEventKind::InProgress);
    assert_eq!(kinds.last(), Some(&ResponseEventKind::Completed));
    let text: String = events.iter().filter_map(ResponseEvent::delta).collect();
    assert_eq!(text, "Echo: one two");
    let done = events
        .last()
        .and_then(ResponseEvent::response)
        .expect("snapshot");
    assert_eq!(done.id, rid);
    assert_eq!(done.output_text(), text);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.sequence_number(), Some(i as u64));
    }
    let sent = emu
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/responses")
        .expect("sent");
    assert_eq!(sent.header("idempotency-key"), Some(key.as_str()));

    // final_response reads to the end.
    let mut stream = c
        .stream_response(&CreateResponse::new("abc"))
        .await
        .expect("stream");
    let last = stream.final_response().await.expect("final");
    assert_eq!(last.output_text(), "Echo: abc");
    assert!(stream.is_finished());
}

#[tokio::test]
async fn a_cut_stream_resumes_with_each_event_once() {
    let (emu, c) = setup().await;
    emu.add_fault(Fault {
        method: Some("POST".into()),
        path: "/v1/responses".into(),
        drop_after_events: Some(5),
        drop_mid_event: true,
        ..Fault::default()
    });
    emu.add_fault(Fault {
        path: "/v1/responses/*/events".into(),
        drop_after_events: Some(8),
        duplicate_ids: Some(3),
        ..Fault::default()
    });
    let stream = c
        .stream_response(&CreateResponse::new("go events=40"))
        .await
        .expect("stream");
    let events = collect(stream).await;
    let ids: Vec<u64> = events
        .iter()
        .filter_map(ResponseEvent::sequence_number)
        .collect();
    assert_eq!(ids, (0..40).collect::<Vec<_>>());
    let resumes: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/events"))
        .collect();
    assert!(resumes.len() >= 2);
    assert_eq!(resumes[0].header("last-event-id"), Some("4"));
    // The same POST was never repeated: resuming goes through E20.
    assert_eq!(posts(&emu), 1);

    // Closed, then resumed by id from where it stopped.
    let mut stream = c
        .stream_response(&CreateResponse::new("more events=20"))
        .await
        .expect("stream");
    for _ in 0..10 {
        stream.next().await.expect("event").expect("ok");
    }
    let (rid, last) = (stream.response_id().expect("id"), stream.last_event_id());
    assert_eq!(last.as_deref(), Some("9"));
    stream.close();
    let rest = collect(
        c.resume_response(&rid, last.as_deref())
            .await
            .expect("resumed"),
    )
    .await;
    let ids: Vec<u64> = rest
        .iter()
        .filter_map(ResponseEvent::sequence_number)
        .collect();
    assert_eq!(ids, (10..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn cancel_foreign_and_unknown_ids() {
    let (emu, c) = setup().await;
    let mut stream = c
        .stream_response(&CreateResponse::new("slow sleep_ms=10000"))
        .await
        .expect("stream");
    stream.next().await.expect("created").expect("ok");
    let rid = stream.response_id().expect("id");
    // Another key sees nothing: resume and cancel are 404.
    let other = client(&emu, "pk_someone_else");
    let err = other
        .resume_response(&rid, None)
        .await
        .expect_err("foreign");
    assert_eq!(kind(&err), Some(ErrorKind::NotFound));
    let err = other.cancel_response(&rid).await.expect_err("foreign");
    assert_eq!(kind(&err), Some(ErrorKind::NotFound));
    let cancel = stream.cancel().await.expect("cancel");
    assert!(cancel.is_cancelling());
    let rest = collect(stream).await;
    assert_eq!(
        rest.last().map(ResponseEvent::kind),
        Some(ResponseEventKind::Cancelled)
    );
    let again = c.cancel_response(&rid).await.expect("again");
    assert!(again.is_already_complete());
    let err = c
        .cancel_response("resp_000000000000000000000000")
        .await
        .expect_err("unknown");
    assert_eq!(kind(&err), Some(ErrorKind::NotFound));
    let err = c.resume_response("..", None).await.expect_err("bad id");
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "response_id",
            ..
        }
    ));
}

#[tokio::test]
async fn idempotency_key_is_reused_and_replays() {
    let (emu, c) = setup().await;
    let opts = CallOptions::new().idempotency_key("stateless-key-1");
    let keyed = c.with_options(opts);
    let first = collect(
        keyed
            .stream_response(&CreateResponse::new("same"))
            .await
            .expect("s"),
    )
    .await;
    let again = keyed
        .stream_response(&CreateResponse::new("same"))
        .await
        .expect("s");
    let replay = collect(again).await;
    assert_eq!(first, replay);
    let err = keyed
        .stream_response(&CreateResponse::new("different"))
        .await
        .expect_err("422");
    assert_eq!(kind(&err), Some(ErrorKind::UnprocessableEntity));
    let keys: Vec<_> = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/responses")
        .map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys, vec![Some("stateless-key-1".to_owned()); 3]);
    // A 503 is retried with the same key.
    emu.add_fault(Fault {
        path: "/v1/responses".into(),
        status: Some(503),
        headers: vec![("retry-after".into(), "0".into())],
        ..Fault::default()
    });
    emu.clear_requests();
    let stream = c
        .stream_response(&CreateResponse::new("retry me"))
        .await
        .expect("s");
    collect(stream).await;
    let keys: Vec<_> = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/responses")
        .filter_map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
}

#[tokio::test]
async fn bad_input_is_refused_typed() {
    let (emu, c) = setup().await;
    let many = (0..129).fold(CreateResponse::new("x"), |r, i| {
        r.tool(FunctionTool::new(format!("t{i}"), json!({})))
    });
    for request in [
        many,
        CreateResponse::new("x").tool(FunctionTool::new("n".repeat(65), json!({}))),
        CreateResponse::new("x")
            .tool(FunctionTool::new("t", json!({})).description("d".repeat(16 * 1024 + 1))),
    ] {
        let err = c.create_response(&request).await.expect_err("limits");
        assert!(
            matches!(err, Error::InvalidInput { field: "tools", .. }),
            "{err}"
        );
        let err = c.stream_response(&request).await.expect_err("limits");
        assert!(
            matches!(err, Error::InvalidInput { field: "tools", .. }),
            "{err}"
        );
    }
    assert_eq!(posts(&emu), 0);
    for request in [
        CreateResponse::new(vec![InputItem::Raw(json!(3))]),
        CreateResponse::new("x").model("no-such-model"),
        CreateResponse::new("x").reasoning_effort("extreme"),
        CreateResponse::new(vec![InputItem::function_call_output("call_nope", "1")]),
    ] {
        let err = c.create_response(&request).await.expect_err("400");
        assert_eq!(kind(&err), Some(ErrorKind::BadRequest), "{err}");
    }
    let usage = c.usage().await.expect("usage");
    let json = serde_json::to_value(&usage).expect("JSON");
    assert_eq!(
        json["rate_limit"]["buckets"]["response"]["windows"][0]["turns"],
        0
    );
}

#[tokio::test]
async fn the_tool_loop_runs_local_functions() {
    let (emu, c) = setup().await;
    let request = CreateResponse::new("Weather in Paris? tool=get_weather").tool(weather());
    let mut seen = Vec::new();
    let run = c
        .run_tools(&request, 5, |call: FunctionCall| {
            seen.push(call.clone());
            async move {
                let args = call
                    .parsed_arguments()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                Ok::<_, std::io::Error>(format!(
                    "18C in {}",
                    args["location"].as_str().unwrap_or("?")
                ))
            }
        })
        .await
        .expect("run");
    assert_eq!(run.rounds, 2);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, "get_weather");
    assert!(
        run.response.output_text().contains("18C in Paris"),
        "{}",
        run.response.output_text()
    );
    // user, function_call, function_call_output, the answer.
    assert_eq!(run.history.len(), 4);
    assert!(
        matches!(&run.history[2], InputItem::FunctionCallOutput { output, .. } if output == "18C in Paris")
    );
    let second: serde_json::Value = serde_json::from_str(
        &emu.requests()
            .iter()
            .filter(|r| r.path == "/v1/responses")
            .nth(1)
            .expect("two requests")
            .body,
    )
    .expect("JSON");
    assert_eq!(second["input"].as_array().map(Vec::len), Some(3));
    assert_eq!(second["input"][1]["type"], "function_call");
    assert_eq!(second["input"][2]["type"], "function_call_output");

    // A failing function stops the loop with its own error.
    let err = c
        .run_tools(&request, 5, |_call| async {
            Err::<String, _>(std::io::Error::other("sensor offline"))
        })
        .await
        .expect_err("the tool failed");
    match err {
        Error::Tool { name, source } => {
            assert_eq!(name, "get_weather");
            assert_eq!(source.to_string(), "sensor offline");
        }
        other => panic!("{other}"),
    }

    // The rounds are bounded.
    for _ in 0..3 {
        emu.script_response(ResponseScript {
            output: vec![ResponseStep::FunctionCall {
                name: "get_weather".into(),
                arguments: json!({"location": "Oslo"}),
            }],
            ..ResponseScript::default()
        })
        .expect("scripted");
    }
    let err = c
        .run_tools(&request, 2, |_call| async {
            Ok::<_, std::io::Error>("x".to_owned())
        })
        .await
        .expect_err("too many rounds");
    assert!(matches!(err, Error::ToolRounds { rounds: 2 }), "{err}");
}
