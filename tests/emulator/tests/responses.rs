//! Stateless responses (spec E19–E21, §2.18–§2.20): OpenAI's Responses shapes whole and
//! streamed, magic words and scripts, resume, cancel, idempotency, usage and faults, over
//! real HTTP on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{Api, Event, assert_contiguous, read_stream, read_until, rid, start};
use poke_emulator::{Fault, ResponseOutcome, ResponseScript, ResponseStep};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WEATHER: &str = "get_weather";

fn weather_tool() -> Value {
    json!({
        "type": "function",
        "name": WEATHER,
        "description": "Current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location", "unit"],
            "additionalProperties": false
        }
    })
}

async fn create(api: &Api, body: Value) -> reqwest::Response {
    api.post("/v1/responses")
        .json(&body)
        .send()
        .await
        .expect("answer")
}

async fn events_of(api: &Api, rid: &str, last: Option<&str>) -> reqwest::Response {
    let mut req = api.get(&format!("/v1/responses/{rid}/events"));
    if let Some(last) = last {
        req = req.header("last-event-id", last);
    }
    req.send().await.expect("answer")
}

async fn error_of(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON error body");
    assert!(body["message"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

async fn response_bucket(api: &Api) -> Value {
    let usage: Value = api
        .get("/v1/usage")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    usage["rate_limit"]["buckets"]["response"]["windows"][0].clone()
}

#[tokio::test]
async fn a_whole_response_is_an_openai_response_object() {
    let api = start().await;
    let resp = create(
        &api,
        json!({"input": "Hello there", "model": "pokee-isaac"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rid = rid(&resp);
    let body: Value = resp.json().await.expect("JSON");
    assert!(rid.starts_with("resp_") && rid.len() == 29, "{rid}");
    assert_eq!(body["id"], rid.as_str());
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["model"], "pokee-isaac");
    assert!(body["created_at"].is_f64());
    let item = &body["output"][0];
    assert_eq!(item["type"], "message");
    assert_eq!(item["role"], "assistant");
    assert_eq!(item["status"], "completed");
    assert_eq!(item["content"][0]["type"], "output_text");
    assert_eq!(item["content"][0]["text"], "Echo: Hello there");
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["input_tokens"].as_u64().unwrap_or(0)
                + usage["output_tokens"].as_u64().unwrap_or(0)
        )
    );
    // Counted in the response bucket, not the session-turn one.
    let bucket = response_bucket(&api).await;
    assert_eq!(bucket["turns"], 1);
    assert_eq!(bucket["tokens"], usage["total_tokens"]);
    // A whole response is complete at once: cancel says so, resume replays what it had.
    let cancel = api
        .post(&format!("/v1/responses/{rid}/cancel"))
        .send()
        .await
        .expect("answer");
    assert_eq!(cancel.status(), StatusCode::OK);
    let cancel: Value = cancel.json().await.expect("JSON");
    assert_eq!(
        cancel,
        json!({"response_id": rid, "status": "already_complete"})
    );
    let replay = read_stream(events_of(&api, &rid, None).await).await.events;
    assert_eq!(
        replay.last().map(|e| e.event.as_str()),
        Some("response.completed")
    );
}

#[tokio::test]
async fn a_streamed_response_follows_the_openai_sequence() {
    let api = start().await;
    let resp = create(&api, json!({"input": "one two three", "stream": true})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let rid = rid(&resp);
    let events = read_stream(resp).await.events;
    assert_contiguous(&events, 0);
    assert_eq!(
        names(&events),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for event in &events {
        assert_eq!(event.data["type"], event.event.as_str());
    }
    for lifecycle in [&events[0], &events[1], &events[11]] {
        assert_eq!(lifecycle.data["id"], rid.as_str());
        assert_eq!(lifecycle.data["response"]["id"], rid.as_str());
    }
    assert_eq!(events[0].data["response"]["status"], "in_progress");
    let item_id = events[2].data["item"]["id"]
        .as_str()
        .expect("item id")
        .to_owned();
    let mut text = String::new();
    for delta in &events[4..8] {
        assert_eq!(delta.data["item_id"], item_id.as_str());
        assert_eq!(delta.data["output_index"], 0);
        assert_eq!(delta.data["content_index"], 0);
        text.push_str(delta.data["delta"].as_str().expect("delta"));
    }
    assert_eq!(text, "Echo: one two three");
    assert_eq!(events[8].data["text"], text.as_str());
    assert_eq!(events[10].data["item"]["content"][0]["text"], text.as_str());
    let done = &events[11].data["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][0]["content"][0]["text"], text.as_str());
    assert!(
        done["usage"]["output_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
}

#[tokio::test]
async fn magic_words_shape_the_answer() {
    let api = start().await;
    // events=N: exactly N events.
    let resp = create(
        &api,
        json!({"input": "go events=40 pace_ms=0", "stream": true}),
    )
    .await;
    let events = read_stream(resp).await.events;
    assert_eq!(events.len(), 40);
    assert_contiguous(&events, 0);
    // error=TEXT: response.failed, the error inside the response object.
    let resp = create(&api, json!({"input": "x error=exploded", "stream": true})).await;
    let events = read_stream(resp).await.events;
    let last = events.last().expect("events");
    assert_eq!(last.event, "response.failed");
    assert_eq!(last.data["response"]["status"], "failed");
    assert_eq!(last.data["response"]["error"]["message"], "exploded");
    assert!(last.data.get("error").is_none());
    let whole: Value = create(&api, json!({"input": "x error=exploded"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(whole["status"], "failed");
    assert_eq!(whole["error"]["message"], "exploded");
    // The last user message is the one read.
    let whole: Value = create(
        &api,
        json!({"input": [
            {"role": "user", "content": "error=old"},
            {"role": "assistant", "content": "..."},
            {"role": "user", "content": [{"type": "input_text", "text": "fine now"}]}
        ]}),
    )
    .await
    .json()
    .await
    .expect("JSON");
    assert_eq!(whole["status"], "completed");
    assert_eq!(whole["output"][0]["content"][0]["text"], "Echo: fine now");
}

#[tokio::test]
async fn a_function_call_round_trip() {
    let api = start().await;
    let first: Value = create(
        &api,
        json!({"input": "weather in Paris? tool=get_weather", "tools": [weather_tool()]}),
    )
    .await
    .json()
    .await
    .expect("JSON");
    let call = &first["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], WEATHER);
    let call_id = call["call_id"].as_str().expect("call_id");
    assert!(call_id.starts_with("call_"));
    let arguments: Value =
        serde_json::from_str(call["arguments"].as_str().expect("a JSON string")).expect("JSON");
    assert_eq!(arguments, json!({"location": "Paris", "unit": "celsius"}));

    let second: Value = create(
        &api,
        json!({
            "tools": [weather_tool()],
            "input": [
                {"role": "user", "content": "weather in Paris? tool=get_weather"},
                call.clone(),
                {"type": "function_call_output", "call_id": call_id, "output": "18C and sunny"}
            ]
        }),
    )
    .await
    .json()
    .await
    .expect("JSON");
    assert_eq!(second["status"], "completed");
    let text = second["output"][0]["content"][0]["text"]
        .as_str()
        .expect("text");
    assert!(text.contains("18C and sunny"), "{text}");

    // Streamed: the arguments arrive as deltas that add up to the `.done` arguments.
    let resp = create(
        &api,
        json!({"input": "tool=get_weather", "tools": [weather_tool()], "stream": true}),
    )
    .await;
    let events = read_stream(resp).await.events;
    assert_eq!(
        names(&events)
            .into_iter()
            .filter(|n| !n.contains("arguments.delta"))
            .collect::<Vec<_>>(),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let spelled: String = events
        .iter()
        .filter(|e| e.event == "response.function_call_arguments.delta")
        .map(|e| e.data["delta"].as_str().unwrap_or_default())
        .collect();
    let done = events
        .iter()
        .find(|e| e.event == "response.function_call_arguments.done")
        .expect("done");
    assert_eq!(done.data["arguments"], spelled.as_str());
    assert_eq!(done.data["name"], WEATHER);

    // An undeclared tool is ignored; an output for an unknown call is a 400.
    let plain: Value = create(&api, json!({"input": "tool=nope"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(plain["output"][0]["type"], "message");
    let resp = create(
        &api,
        json!({"input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]}),
    )
    .await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
}

#[tokio::test]
async fn scripts_from_the_control_surface() {
    let api = start().await;
    api.emu
        .script_response(ResponseScript {
            output: vec![
                ResponseStep::Text {
                    text: "Let me check.".into(),
                    deltas: Some(2),
                },
                ResponseStep::FunctionCall {
                    name: "lookup".into(),
                    arguments: json!({"q": "x"}),
                },
            ],
            ..ResponseScript::default()
        })
        .expect("queued");
    let whole: Value = create(&api, json!({"input": "anything"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(whole["output"][0]["content"][0]["text"], "Let me ");
    assert_eq!(whole["output"][1]["name"], "lookup");
    assert_eq!(whole["output"][1]["arguments"], r#"{"q":"x"}"#);
    // Over HTTP, in order; then the default behaviour again.
    for error in ["first", "second"] {
        let resp = api
            .http
            .post(api.url("/_emulator/responses/script"))
            .json(&json!({"outcome": {"type": "failed", "error": error}}))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::OK);
    }
    for error in ["first", "second"] {
        let whole: Value = create(&api, json!({"input": "x"}))
            .await
            .json()
            .await
            .expect("JSON");
        assert_eq!(whole["error"]["message"], error);
    }
    let whole: Value = create(&api, json!({"input": "x"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(whole["status"], "completed");
    assert!(
        api.emu
            .script_response(ResponseScript {
                output: vec![ResponseStep::FunctionCall {
                    name: String::new(),
                    arguments: Value::Null
                }],
                outcome: ResponseOutcome::Completed,
                ..ResponseScript::default()
            })
            .is_err()
    );
}

#[tokio::test]
async fn resume_follows_the_e8_rules() {
    let api = start().await;
    let resp = create(
        &api,
        json!({"input": "a b c d e f g h sleep_ms=150", "stream": true}),
    )
    .await;
    let rid = rid(&resp);
    let first = read_until(resp, |e| e.seq() == 1).await;
    assert_contiguous(&first, 0);
    let rest = read_stream(events_of(&api, &rid, Some("1")).await).await;
    assert!(!rest.broken);
    assert_contiguous(&rest.events, 2);
    let total = 2 + rest.events.len();
    assert_eq!(
        rest.events.last().map(|e| e.event.as_str()),
        Some("response.completed")
    );
    let by_query = read_stream(
        api.get(&format!("/v1/responses/{rid}/events?last_event_id=5"))
            .send()
            .await
            .expect("answer"),
    )
    .await
    .events;
    assert_contiguous(&by_query, 6);
    let both = read_stream(
        api.get(&format!("/v1/responses/{rid}/events?last_event_id=5"))
            .header("last-event-id", "3")
            .send()
            .await
            .expect("answer"),
    )
    .await
    .events;
    assert_contiguous(&both, 4);
    let full = read_stream(events_of(&api, &rid, None).await).await.events;
    assert_eq!(full.len(), total);
    assert_eq!(&full[..2], &first[..]);
    let past = read_stream(events_of(&api, &rid, Some(&(total - 1).to_string())).await).await;
    assert!(past.events.is_empty() && !past.broken);

    for bad in ["-1", "x", ""] {
        let resp = events_of(&api, &rid, Some(bad)).await;
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{bad:?}"
        );
    }
    // Only the caller that created it may read it.
    let foreign = api
        .http
        .get(api.url(&format!("/v1/responses/{rid}/events")))
        .bearer_auth("pk_someone_else")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        error_of(foreign).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let unknown = events_of(&api, "resp_000000000000000000000000", None).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // Kept 120 s after the end.
    api.emu.advance_clock(Duration::from_secs(119));
    assert_eq!(events_of(&api, &rid, None).await.status(), StatusCode::OK);
    api.emu.advance_clock(Duration::from_secs(2));
    assert_eq!(
        events_of(&api, &rid, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cancel_ends_live_and_resumed_streams_unbilled() {
    let api = start().await;
    let balance = api.emu.sessions_config().credits_balance;
    let resp = create(
        &api,
        json!({"input": "slow sleep_ms=10000", "stream": true}),
    )
    .await;
    let rid = rid(&resp);
    let resumed = events_of(&api, &rid, Some("0")).await;
    let foreign = api
        .http
        .post(api.url(&format!("/v1/responses/{rid}/cancel")))
        .bearer_auth("pk_someone_else")
        .send()
        .await
        .expect("answer");
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let cancel = api
        .post(&format!("/v1/responses/{rid}/cancel"))
        .send()
        .await
        .expect("answer");
    assert_eq!(cancel.status(), StatusCode::ACCEPTED);
    let body: Value = cancel.json().await.expect("JSON");
    assert_eq!(body, json!({"response_id": rid, "status": "cancelling"}));
    for read in [read_stream(resp).await, read_stream(resumed).await] {
        let last = read.events.last().expect("events");
        assert_eq!(last.event, "response.cancelled");
        assert_eq!(last.data["id"], rid.as_str());
        assert_eq!(last.data["response"]["status"], "cancelled");
        assert!(!read.broken);
    }
    let again = api
        .post(&format!("/v1/responses/{rid}/cancel"))
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(api.emu.sessions_config().credits_balance, balance);
    let bucket = response_bucket(&api).await;
    assert_eq!(
        (&bucket["turns"], &bucket["tokens"]),
        (&json!(1), &json!(0))
    );
    let resp = api
        .post("/v1/responses/resp_unknown/cancel")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

#[tokio::test]
async fn idempotency_keys_replay_streamed_requests_only() {
    let api = start().await;
    let body = json!({"input": "same", "stream": true});
    let send = |body: Value, key: &'static str| {
        api.post("/v1/responses")
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send(body.clone(), "k-1").await.expect("answer");
    let rid = rid(&first);
    let original = read_stream(first).await.events;
    let replay = send(json!({"stream": true, "input": "same"}), "k-1")
        .await
        .expect("answer");
    assert_eq!(common::rid(&replay), rid);
    assert_eq!(read_stream(replay).await.events, original);
    let other = send(json!({"input": "different", "stream": true}), "k-1")
        .await
        .expect("answer");
    assert_eq!(
        error_of(other).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_mismatch".into()
        )
    );
    assert_eq!(response_bucket(&api).await["turns"], 1);
    // Evicted: the JSON notice names the response.
    api.emu.advance_clock(Duration::from_secs(121));
    let notice = send(body, "k-1").await.expect("answer");
    assert_eq!(notice.status(), StatusCode::OK);
    let notice: Value = notice.json().await.expect("JSON");
    assert_eq!(notice["response_id"], rid.as_str());
    assert_eq!(notice["status"], "replayed");
    // Without stream the key is ignored: two calls, two responses.
    let a = send(json!({"input": "x"}), "k-2").await.expect("answer");
    let b = send(json!({"input": "x"}), "k-2").await.expect("answer");
    assert_ne!(common::rid(&a), common::rid(&b));
}

#[tokio::test]
async fn bad_requests_are_400_and_start_nothing() {
    let api = start().await;
    let raw = api
        .post("/v1/responses")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        error_of(raw).await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
    let many: Vec<Value> = (0..129)
        .map(|i| json!({"type": "function", "name": format!("t{i}")}))
        .collect();
    for body in [
        json!([1]),
        json!({"model": "pokee-isaac"}),
        json!({"input": 42}),
        json!({"input": "x", "model": "gpt-nope"}),
        json!({"input": "x", "tools": many}),
        json!({"input": "x", "tools": [{"type": "function", "name": "n".repeat(65)}]}),
        json!({"input": "x", "tools": [{"type": "function", "name": "t", "description": "d".repeat(16 * 1024 + 1)}]}),
        json!({"input": "x", "reasoning": {"effort": "max"}}),
    ] {
        let resp = create(&api, body.clone()).await;
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{body}"
        );
    }
    assert_eq!(response_bucket(&api).await["turns"], 0);
    let ok: Vec<Value> = (0..128)
        .map(|i| json!({"type": "function", "name": format!("t{i}"), "description": "d".repeat(16 * 1024)}))
        .collect();
    assert_eq!(
        create(&api, json!({"input": "x", "tools": ok}))
            .await
            .status(),
        StatusCode::OK
    );
    let resp = api
        .http
        .post(api.url("/v1/responses"))
        .json(&json!({"input": "x"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn faults_cut_the_stream_and_resume_completes_it() {
    let api = start().await;
    api.emu.add_fault(Fault {
        method: Some("POST".into()),
        path: "/v1/responses".into(),
        drop_after_events: Some(5),
        ..Fault::default()
    });
    let resp = create(&api, json!({"input": "go events=30", "stream": true})).await;
    let rid = rid(&resp);
    let cut = read_stream(resp).await;
    assert!(cut.broken);
    assert_contiguous(&cut.events, 0);
    assert_eq!(cut.events.len(), 5);
    let rest = read_stream(events_of(&api, &rid, Some("4")).await)
        .await
        .events;
    assert_contiguous(&rest, 5);
    assert_eq!(rest.len(), 25);
    api.emu.add_fault(Fault {
        path: "/v1/responses/*".into(),
        status: Some(503),
        ..Fault::default()
    });
    assert_eq!(
        events_of(&api, &rid, None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn the_response_bucket_has_its_own_limit() {
    let api = start().await;
    api.config(|c| c.hour_max_turns = 1);
    assert_eq!(
        create(&api, json!({"input": "x"})).await.status(),
        StatusCode::OK
    );
    let resp = create(&api, json!({"input": "x"})).await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(
        error_of(resp).await,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
    // Session turns count in their own bucket.
    let sid = api.session(json!({})).await;
    assert_eq!(api.message(&sid, "hi").await.status(), StatusCode::OK);
}
