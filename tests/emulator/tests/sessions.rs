//! The sessions API (spec E2–E10, E15): lifecycle, the virtual clock, turns, resume, cancel,
//! idempotency, tool calls and usage, over real HTTP on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{assert_contiguous, read_stream, read_until, rid, start};
use poke_emulator::{CreditsMode, ScriptStep, TurnOutcome, TurnScript};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A turn that waits (interruptibly) for `ms` before answering.
fn sleeping(ms: u64) -> TurnScript {
    TurnScript {
        steps: vec![
            ScriptStep::Text {
                text: "working".into(),
                deltas: None,
            },
            ScriptStep::Sleep { ms },
        ],
        ..TurnScript::default()
    }
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

#[tokio::test]
async fn create_returns_the_nine_fields_with_defaults() {
    let api = start().await;
    let resp = api.post("/v1/sessions").send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let raw = resp.text().await.expect("body");
    let order: Vec<usize> = [
        "\"id\"",
        "\"created_at\"",
        "\"last_activity\"",
        "\"busy\"",
        "\"persistent\"",
        "\"ttl\"",
        "\"status\"",
        "\"metadata\"",
        "\"file_access\"",
    ]
    .iter()
    .map(|k| raw.find(k).expect("field present"))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{raw}");
    let record: Value = serde_json::from_str(&raw).expect("JSON");
    assert_eq!(record.as_object().map(|o| o.len()), Some(9));
    let id = record["id"].as_str().expect("id");
    let hex = id.strip_prefix("sess_").expect("sess_ prefix");
    assert!(
        hex.len() == 12
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(record["created_at"].is_f64());
    assert_eq!(record["created_at"], record["last_activity"]);
    assert_eq!(record["busy"], false);
    assert_eq!(record["persistent"], false);
    assert_eq!(record["ttl"], 14_400);
    assert_eq!(record["status"], "ready");
    assert_eq!(record["metadata"], json!({}));
    assert_eq!(record["file_access"], json!({"read": [""], "write": [""]}));

    // Given values come back; model and tools are kept but not in the record.
    let sid = api
        .session(json!({
            "persistent": true, "ttl": 60, "metadata": {"team": "x"},
            "file_access": {"read": ["a"], "write": ["a/out"]},
            "model": "pokee-isaac",
            "tools": [{"type": "function", "function": {"name": "get_weather"}}]
        }))
        .await;
    let record = api.record(&sid).await;
    assert_eq!(record["persistent"], true);
    assert_eq!(record["ttl"], 60);
    assert_eq!(record["metadata"], json!({"team": "x"}));
    assert_eq!(
        record["file_access"],
        json!({"read": ["a"], "write": ["a/out"]})
    );
    let listed: Value = api
        .get("/v1/sessions")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    assert_eq!(listed[0]["id"], id);
    let debug = api.emu.sessions_json();
    assert_eq!(debug[1]["model"], "pokee-isaac");
    assert_eq!(debug[0]["model"], "pokee-isaac-high-reasoning");
    assert_eq!(
        debug[1]["tools"],
        json!([{"type": "function", "name": "get_weather"}])
    );
}

#[tokio::test]
async fn create_validation_is_400() {
    let api = start().await;
    for body in [
        "[]",
        "not json",
        r#"{"persistent": "yes"}"#,
        r#"{"ttl": 0}"#,
        r#"{"ttl": -5}"#,
        r#"{"ttl": 1.5}"#,
        r#"{"ttl": "60"}"#,
        r#"{"metadata": []}"#,
        r#"{"file_access": []}"#,
        r#"{"file_access": {"read": "a"}}"#,
        r#"{"file_access": {"read": [1]}}"#,
        r#"{"file_access": {"read": ["/abs"]}}"#,
        r#"{"file_access": {"write": ["a/../b"]}}"#,
        r#"{"file_access": {"write": ["a\\b"]}}"#,
        r#"{"model": "gpt-5"}"#,
        r#"{"model": 3}"#,
        r#"{"tools": {}}"#,
        r#"{"tools": [{"type": "function"}]}"#,
    ] {
        let resp = api
            .post("/v1/sessions")
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{body}"
        );
    }
    assert_eq!(api.emu.sessions_json(), json!([]));
}

#[tokio::test]
async fn live_session_limit_is_429_with_retry_after() {
    let api = start().await;
    api.config(|c| c.max_sessions = 2);
    api.session(json!({})).await;
    api.session(json!({})).await;
    let resp = api.post("/v1/sessions").send().await.expect("answer");
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(
        error_of(resp).await,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
}

#[tokio::test]
async fn every_route_needs_the_bearer() {
    let api = common::start_with(Some("pk_right")).await;
    let routes = [
        ("GET", "/v1/sessions"),
        ("POST", "/v1/sessions"),
        ("DELETE", "/v1/sessions"),
        ("GET", "/v1/sessions/sess_x"),
        ("DELETE", "/v1/sessions/sess_x"),
        ("POST", "/v1/sessions/sess_x/messages"),
        ("GET", "/v1/sessions/sess_x/responses/msg_x/events"),
        ("POST", "/v1/sessions/sess_x/responses/msg_x/cancel"),
        ("POST", "/v1/sessions/sess_x/tool_results"),
        ("GET", "/v1/sessions/sess_x/files"),
        ("GET", "/v1/sessions/sess_x/files/a.txt"),
        ("PUT", "/v1/sessions/sess_x/files/a.txt"),
        ("DELETE", "/v1/sessions/sess_x/files/a.txt"),
        ("GET", "/v1/usage"),
    ];
    for (method, path) in routes {
        for auth in [
            None,
            Some("Bearer pk_wrong"),
            Some("Bearer "),
            Some("Basic pk_right"),
        ] {
            let mut req = api
                .http
                .request(method.parse().expect("method"), api.url(path));
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            let resp = req.send().await.expect("answer");
            assert_eq!(
                error_of(resp).await,
                (StatusCode::UNAUTHORIZED, "unauthorized".into()),
                "{method} {path} {auth:?}"
            );
        }
    }
    // The right key (scheme case-insensitive) gets through.
    let resp = api
        .http
        .get(api.url("/v1/sessions"))
        .header("authorization", "bearer pk_right")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn delete_is_204_then_404_everywhere() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let path = format!("/v1/sessions/{sid}");
    let resp = api.delete(&path).send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.text().await.expect("body").is_empty());
    for resp in [
        api.delete(&path).send().await.expect("answer"),
        api.get(&path).send().await.expect("answer"),
        api.message(&sid, "hi").await,
        api.get(&format!("{path}/files"))
            .send()
            .await
            .expect("answer"),
    ] {
        assert_eq!(
            error_of(resp).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
    }
}

#[tokio::test]
async fn bulk_delete_filters_by_status_and_age() {
    let api = start().await;
    let old = api.session(json!({"persistent": true})).await;
    api.emu.advance_clock(Duration::from_secs(100));
    let fresh = api.session(json!({"persistent": true})).await;
    let busy = api.session(json!({"persistent": true})).await;
    api.emu
        .script_turn(&busy, sleeping(5_000))
        .expect("scripted");
    let turn = api.message(&busy, "work").await;

    for bad in [
        "status=busy",
        "older_than=10",
        "older_than=1x",
        "older_than=",
        "status=",
    ] {
        let resp = api
            .delete(&format!("/v1/sessions?{bad}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{bad}"
        );
    }

    let deleted = |query: &'static str| {
        let req = api.delete(&format!("/v1/sessions{query}"));
        async move {
            let resp = req.send().await.expect("answer");
            assert_eq!(resp.status(), StatusCode::OK);
            resp.json::<Value>().await.expect("JSON")["deleted"].clone()
        }
    };
    assert_eq!(deleted("?older_than=1m30s").await, 1);
    assert_eq!(
        api.get(&format!("/v1/sessions/{old}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
    // Both filters: nothing is idle and 1 h old.
    assert_eq!(deleted("?status=idle&older_than=1h").await, 0);
    assert_eq!(deleted("?status=idle").await, 1);
    assert_eq!(
        api.get(&format!("/v1/sessions/{fresh}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
    assert_eq!(api.record(&busy).await["busy"], true);

    // No filter destroys busy sessions too; their turn ends with an error.
    assert_eq!(deleted("").await, 1);
    let read = read_stream(turn).await;
    let last = read.events.last().expect("events");
    assert_eq!(last.event, "message.error");
    assert_eq!(last.data["error"], "session destroyed");
    assert_eq!(deleted("").await, 0);
}

#[tokio::test]
async fn ttl_and_idle_expiry_follow_the_virtual_clock() {
    let api = start().await;
    let persistent = api.session(json!({"persistent": true, "ttl": 60})).await;
    let idle = api.session(json!({})).await;
    let busy = api.session(json!({"ttl": 100_000})).await;
    api.emu
        .script_turn(&busy, sleeping(5_000))
        .expect("scripted");
    let turn = api.message(&busy, "work").await;
    let created = api.record(&persistent).await["created_at"]
        .as_f64()
        .expect("float");

    api.emu.advance_clock(Duration::from_secs(59));
    assert_eq!(api.record(&persistent).await["ttl"], 60);
    api.emu.advance_clock(Duration::from_secs(2));
    assert_eq!(
        api.get(&format!("/v1/sessions/{persistent}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
    // Idle timer: 5 minutes after creation for a session without turns.
    api.emu.advance_clock(Duration::from_secs(237));
    assert_eq!(api.record(&idle).await["busy"], false);
    api.emu.advance_clock(Duration::from_secs(3));
    assert_eq!(
        api.get(&format!("/v1/sessions/{idle}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
    // A busy session is never idle-destroyed.
    let record = api.record(&busy).await;
    assert_eq!(record["busy"], true);
    assert_eq!(record["status"], "busy");
    assert!(api.emu.clock_now() >= created + 300.0);

    // Its TTL still ends it: the turn errors, then the session is gone.
    api.emu.advance_clock(Duration::from_secs(100_000));
    let read = read_stream(turn).await;
    let last = read.events.last().expect("events");
    assert_eq!(
        (last.event.as_str(), &last.data["error"]),
        ("message.error", &json!("session expired"))
    );
    assert_eq!(
        api.get(&format!("/v1/sessions/{busy}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
    assert_eq!(api.emu.sessions_json(), json!([]));
}

#[tokio::test]
async fn a_completed_turn_restarts_the_idle_timer() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu.advance_clock(Duration::from_secs(200));
    read_stream(api.message(&sid, "hi").await).await;
    let record = api.record(&sid).await;
    assert!(record["last_activity"].as_f64() > record["created_at"].as_f64());
    api.emu.advance_clock(Duration::from_secs(200));
    assert_eq!(api.record(&sid).await["busy"], false);
    api.emu.advance_clock(Duration::from_secs(101));
    assert_eq!(
        api.get(&format!("/v1/sessions/{sid}"))
            .send()
            .await
            .expect("answer")
            .status(),
        404
    );
}

#[tokio::test]
async fn a_default_turn_streams_the_documented_sequence() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let resp = api.message(&sid, "hello big world").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let rid = rid(&resp);
    let hex = rid.strip_prefix("msg_").expect("msg_ prefix");
    assert_eq!(hex.len(), 24);
    let read = read_stream(resp).await;
    assert!(!read.broken);
    let events = read.events;
    assert_contiguous(&events, 0);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "message.created",
            "text.start",
            "text.delta",
            "text.delta",
            "text.delta",
            "text.delta",
            "text.stop",
            "message.completed"
        ]
    );
    assert_eq!(
        events[0].data,
        json!({"id": rid, "session_id": sid, "status": "in_progress", "sequence_number": 0})
    );
    let text: String = events
        .iter()
        .filter(|e| e.event == "text.delta")
        .map(|e| e.data["content"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(text, "Echo: hello big world");
    let done = &events[7].data;
    assert_eq!(
        (&done["id"], &done["status"]),
        (&json!(rid), &json!("completed"))
    );
    let usage = &done["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["input_tokens"].as_u64().unwrap_or(0)
                + usage["output_tokens"].as_u64().unwrap_or(0)
        )
    );
    // The frames are exactly the spec's three lines and a blank line.
    let raw = String::from_utf8(read.raw).expect("utf-8");
    assert!(
        raw.starts_with("id: 0\nevent: message.created\ndata: {"),
        "{raw}"
    );
    assert!(raw.contains("\n\nid: 1\nevent: text.start\ndata: {\"sequence_number\":1}\n\n"));
    let record = api.record(&sid).await;
    assert_eq!(
        (&record["busy"], &record["status"]),
        (&json!(false), &json!("ready"))
    );
    assert_eq!(record["metadata"]["progress"], "done");
}

#[tokio::test]
async fn scripted_turns_produce_every_event_type_and_outcome() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let script = TurnScript {
        steps: vec![
            ScriptStep::Thinking {
                text: "hmm".into(),
                deltas: Some(2),
            },
            ScriptStep::ToolUse {
                name: "web_search".into(),
                input: json!({"q": "nvda"}),
                output: json!("found"),
                is_error: false,
            },
            ScriptStep::Event {
                event: "custom.thing".into(),
                data: json!({"k": 1}),
            },
            ScriptStep::Text {
                text: "answer".into(),
                deltas: None,
            },
        ],
        outcome: TurnOutcome::Error {
            error: "boom".into(),
        },
        usage: None,
        pace_ms: Some(1),
    };
    api.emu.script_turn(&sid, script).expect("scripted");
    let events = read_stream(api.message(&sid, "go").await).await.events;
    assert_contiguous(&events, 0);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "message.created",
            "thinking.start",
            "thinking.delta",
            "thinking.delta",
            "thinking.stop",
            "tool_use.start",
            "tool_use.input_delta",
            "tool_use.executing",
            "tool_use.stop",
            "tool_result",
            "custom.thing",
            "text.start",
            "text.delta",
            "text.stop",
            "message.error"
        ]
    );
    let tool_id = &events[5].data["id"];
    assert_eq!(events[5].data["name"], "web_search");
    assert_eq!(events[7].data["input"], json!({"q": "nvda"}));
    assert_eq!(events[9].data["id"], *tool_id);
    assert_eq!(events[9].data["content"], "found");
    assert_eq!(events[9].data["is_error"], false);
    assert_eq!(events[14].data["error"], "boom");
    // The next turn, unscripted, is the default echo again.
    let events = read_stream(api.message(&sid, "again").await).await.events;
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("message.completed")
    );

    let bad = TurnScript {
        steps: vec![ScriptStep::File {
            path: "../escape".into(),
            content: String::new(),
            size: None,
        }],
        ..TurnScript::default()
    };
    assert!(api.emu.script_turn(&sid, bad).is_err());
    assert!(
        api.emu
            .script_turn("sess_missing", TurnScript::default())
            .is_err()
    );
}

#[tokio::test]
async fn events_magic_word_sets_the_event_count() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let events = read_stream(api.message(&sid, "stream events=200").await)
        .await
        .events;
    assert_eq!(events.len(), 200);
    assert_contiguous(&events, 0);
    let sid2 = api.session(json!({})).await;
    let events = read_stream(api.message(&sid2, "events=20000 pace_ms=0").await)
        .await
        .events;
    assert_eq!(events.len(), 20_000);
    assert_eq!(events[19_999].event, "message.completed");
}

#[tokio::test]
async fn second_message_while_busy_is_409_even_after_disconnect() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu
        .script_turn(&sid, sleeping(5_000))
        .expect("scripted");
    let resp = api.message(&sid, "long").await;
    let rid = rid(&resp);
    read_until(resp, |e| e.event == "text.stop").await; // then hang up
    let again = api.message(&sid, "another").await;
    assert_eq!(
        error_of(again).await,
        (StatusCode::CONFLICT, "session.busy".into())
    );
    assert_eq!(api.record(&sid).await["busy"], true);
    assert_eq!(api.cancel(&sid, &rid).await.status(), StatusCode::ACCEPTED);
    api.wait_idle(&sid).await;
    assert_eq!(api.message(&sid, "now").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn message_body_validation_is_400() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    for body in [
        "",
        "[]",
        "{}",
        r#"{"message": ""}"#,
        r#"{"message": 3}"#,
        "nope",
    ] {
        let resp = api
            .post(&format!("/v1/sessions/{sid}/messages"))
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{body}"
        );
    }
    let resp = api.message("sess_000000000000", "hi").await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

#[tokio::test]
async fn resume_by_header_and_query_has_no_gaps_or_duplicates() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu
        .script_turn(
            &sid,
            TurnScript {
                steps: vec![
                    ScriptStep::Text {
                        text: "a".into(),
                        deltas: Some(10),
                    },
                    ScriptStep::Sleep { ms: 150 },
                    ScriptStep::Text {
                        text: "b".into(),
                        deltas: Some(10),
                    },
                ],
                ..TurnScript::default()
            },
        )
        .expect("scripted");
    let resp = api.message(&sid, "go").await;
    let rid = rid(&resp);
    let first = read_until(resp, |e| e.seq() == 5).await;
    assert_contiguous(&first, 0);

    // Resume live (the turn is still sleeping), by header.
    let resumed = api.resume(&sid, &rid, Some(5)).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    assert_eq!(resumed.headers()["x-response-id"], rid.as_str());
    let rest = read_stream(resumed).await.events;
    assert_contiguous(&rest, 6);
    assert_eq!(
        rest.last().map(|e| e.event.as_str()),
        Some("message.completed")
    );
    let total = 6 + rest.len();

    // By query, and the header wins over the query.
    let by_query: Vec<_> = read_stream(
        api.get(&format!(
            "/v1/sessions/{sid}/responses/{rid}/events?last_event_id=20"
        ))
        .send()
        .await
        .expect("answer"),
    )
    .await
    .events;
    assert_contiguous(&by_query, 21);
    let both = read_stream(
        api.get(&format!(
            "/v1/sessions/{sid}/responses/{rid}/events?last_event_id=20"
        ))
        .header("last-event-id", "2")
        .send()
        .await
        .expect("answer"),
    )
    .await
    .events;
    assert_contiguous(&both, 3);

    // No position: the full turn, byte-identical to what the original stream sent.
    let full = read_stream(api.resume(&sid, &rid, None).await).await.events;
    assert_eq!(full.len(), total);
    assert_eq!(&full[..6], &first[..]);
    assert_eq!(&full[6..], &rest[..]);
    // At or past the terminal: no events, clean end.
    let past = read_stream(api.resume(&sid, &rid, Some(total as u64 - 1)).await).await;
    assert!(past.events.is_empty() && !past.broken);
    assert!(
        read_stream(api.resume(&sid, &rid, Some(10_000)).await)
            .await
            .events
            .is_empty()
    );
}

#[tokio::test]
async fn resume_errors_and_the_grace_window() {
    let api = start().await;
    let sid = api.session(json!({"persistent": true})).await;
    let other = api.session(json!({"persistent": true})).await;
    let resp = api.message(&sid, "hi").await;
    let rid = rid(&resp);
    read_stream(resp).await;

    for bad in ["-1", "x", "1.5", ""] {
        let resp = api
            .get(&format!("/v1/sessions/{sid}/responses/{rid}/events"))
            .header("last-event-id", bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            error_of(resp).await,
            (StatusCode::BAD_REQUEST, "bad_request".into()),
            "{bad:?}"
        );
    }
    for (session, response) in [(&sid, "msg_unknown"), (&other, rid.as_str())] {
        let resp = api.resume(session, response, Some(0)).await;
        assert_eq!(
            error_of(resp).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
    }
    api.emu.advance_clock(Duration::from_secs(119));
    assert_eq!(api.resume(&sid, &rid, None).await.status(), StatusCode::OK);
    api.emu.advance_clock(Duration::from_secs(2));
    let resp = api.resume(&sid, &rid, None).await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let resp = api.cancel(&sid, &rid).await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

#[tokio::test]
async fn cancel_in_flight_ends_live_and_resumed_streams() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let balance = api.emu.sessions_config().credits_balance;
    api.emu
        .script_turn(&sid, sleeping(10_000))
        .expect("scripted");
    let resp = api.message(&sid, "long").await;
    let rid = rid(&resp);
    let resumed = api.resume(&sid, &rid, Some(0)).await;

    let cancel = api.cancel(&sid, &rid).await;
    assert_eq!(cancel.status(), StatusCode::ACCEPTED);
    let body: Value = cancel.json().await.expect("JSON");
    assert_eq!(body, json!({"response_id": rid, "status": "cancelling"}));

    for read in [read_stream(resp).await, read_stream(resumed).await] {
        let last = read.events.last().expect("events");
        assert_eq!(last.event, "message.cancelled");
        assert_eq!(last.data["status"], "cancelled");
        assert_eq!(last.data["id"], rid.as_str());
        assert!(!read.broken);
    }
    assert_eq!(api.record(&sid).await["busy"], false);
    let again = api.cancel(&sid, &rid).await;
    assert_eq!(again.status(), StatusCode::OK);
    let body: Value = again.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"response_id": rid, "status": "already_complete"})
    );
    let resp = api.cancel(&sid, "msg_nope").await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // Not billed: no tokens, no debit (the turn itself is counted).
    assert_eq!(api.emu.sessions_config().credits_balance, balance);
    let usage: Value = api
        .get("/v1/usage")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let hour = &usage["rate_limit"]["buckets"]["session_turn"]["windows"][0];
    assert_eq!((&hour["turns"], &hour["tokens"]), (&json!(1), &json!(0)));
    // A resume after the cancel replays up to message.cancelled.
    let replay = read_stream(api.resume(&sid, &rid, None).await).await.events;
    assert_eq!(
        replay.last().map(|e| e.event.as_str()),
        Some("message.cancelled")
    );
}

#[tokio::test]
async fn turn_timeout_is_judged_by_the_virtual_clock() {
    let api = start().await;
    let sid = api.session(json!({"persistent": true})).await;
    api.emu
        .script_turn(&sid, sleeping(10_000))
        .expect("scripted");
    let resp = api.message(&sid, "long").await;
    api.emu.advance_clock(Duration::from_secs(91 * 60));
    let events = read_stream(resp).await.events;
    let last = events.last().expect("events");
    assert_eq!(
        (last.event.as_str(), &last.data["error"]),
        ("message.error", &json!("turn timeout"))
    );
    assert_eq!(api.record(&sid).await["busy"], false);
}

#[tokio::test]
async fn metadata_progress_and_files_are_visible_during_the_turn() {
    let api = start().await;
    let sid = api
        .session(json!({"persistent": true, "metadata": {"owner": "me"},
        "tools": [{"type": "function", "name": "checkpoint"}]}))
        .await;
    let status = |v: &str| {
        let mut set = serde_json::Map::new();
        set.insert("temasek_status".into(), json!(v));
        ScriptStep::Metadata { set }
    };
    // Client tool calls double as barriers: the agent waits until the test answers.
    let barrier = ScriptStep::ToolCall {
        name: "checkpoint".into(),
        arguments: json!({}),
    };
    api.emu
        .script_turn(
            &sid,
            TurnScript {
                steps: vec![
                    status("researching"),
                    barrier.clone(),
                    status("drafting"),
                    ScriptStep::File {
                        path: "output/deck.pptx".into(),
                        content: "PK".into(),
                        size: Some(100),
                    },
                    barrier,
                    status("rendering"),
                ],
                ..TurnScript::default()
            },
        )
        .expect("scripted");
    let resp = api.message(&sid, "Build a deck").await;
    let rid = rid(&resp);
    let answer = |call: Value| {
        let req = api.post(&format!("/v1/sessions/{sid}/tool_results"));
        async move {
            let resp = req
                .json(&json!({"call_id": call, "output": "ok"}))
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status(), StatusCode::OK);
        }
    };

    let seen = read_until(resp, |e| e.event == "tool_call.requested").await;
    let record = api.record(&sid).await;
    assert_eq!(record["busy"], true);
    assert_eq!(
        record["metadata"],
        json!({"owner": "me", "temasek_status": "researching"})
    );
    answer(seen.last().expect("event").data["call_id"].clone()).await;

    let resumed = api.resume(&sid, &rid, Some(seen.len() as u64 - 1)).await;
    let seen = read_until(resumed, |e| e.event == "tool_call.requested").await;
    let record = api.record(&sid).await;
    assert_eq!(
        (&record["busy"], &record["metadata"]["temasek_status"]),
        (&json!(true), &json!("drafting"))
    );
    let files: Value = api
        .get(&format!("/v1/sessions/{sid}/files?path=output"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(files[0]["name"], "deck.pptx");
    assert_eq!(files[0]["size"], 100);
    answer(seen.last().expect("event").data["call_id"].clone()).await;

    api.wait_idle(&sid).await;
    let record = api.record(&sid).await;
    assert_eq!(record["metadata"]["temasek_status"], "rendering");
    let deck = api
        .get(&format!("/v1/sessions/{sid}/files/output/deck.pptx"))
        .send()
        .await
        .expect("answer");
    assert_eq!(deck.bytes().await.expect("bytes").len(), 100);
}

#[tokio::test]
async fn the_presentation_turn_follows_the_recipe() {
    let api = start().await;
    let sid = api.session(json!({"persistent": true, "ttl": 14400})).await;
    let events = read_stream(
        api.message(&sid, "Build a Temasek-style PPT on Q3 NVIDIA performance.")
            .await,
    )
    .await
    .events;
    assert_contiguous(&events, 0);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    for name in [
        "thinking.start",
        "tool_use.executing",
        "tool_result",
        "text.delta",
        "message.completed",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    let record = api.record(&sid).await;
    assert_eq!(record["metadata"]["temasek_status"], "done");
    let files: Value = api
        .get(&format!("/v1/sessions/{sid}/files?path=output"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let deck = files
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["name"].as_str().is_some_and(|n| n.ends_with(".pptx")))
        })
        .expect("a pptx");
    assert_eq!(deck["type"], "file");
    let bytes = api
        .emu
        .workspace_file("output/deck.pptx")
        .expect("deck written");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    // Files outlive the session.
    api.delete(&format!("/v1/sessions/{sid}"))
        .send()
        .await
        .expect("answer");
    let sid2 = api.session(json!({})).await;
    let resp = api
        .get(&format!("/v1/sessions/{sid2}/files/output/deck.pptx"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), bytes);
}

#[tokio::test]
async fn idempotent_replay_in_flight_and_after_completion() {
    let api = start().await;
    // Long TTLs: the test crosses the 24 h key retention.
    let sid = api
        .session(json!({"persistent": true, "ttl": 200_000}))
        .await;
    let other = api
        .session(json!({"persistent": true, "ttl": 200_000}))
        .await;
    api.emu.script_turn(&sid, sleeping(300)).expect("scripted");
    let keyed = |session: &str, body: &str, key: &str| {
        api.post(&format!("/v1/sessions/{session}/messages"))
            .header("idempotency-key", key)
            .body(body.to_owned())
            .send()
    };
    let first = keyed(&sid, r#"{"message": "once"}"#, "k1")
        .await
        .expect("answer");
    let rid = rid(&first);
    // Same key, same body (formatted differently): same rid, replayed from id 0, no 409.
    let replay = keyed(&sid, "{ \"message\":\"once\" }", "k1")
        .await
        .expect("answer");
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(common::rid(&replay), rid);
    let (a, b) = (
        read_stream(first).await.events,
        read_stream(replay).await.events,
    );
    assert_contiguous(&b, 0);
    assert_eq!(a, b);
    assert_eq!(api.emu.turns_json().as_array().map(Vec::len), Some(1));

    // Mismatches are 422.
    for (session, body) in [
        (&sid, r#"{"message": "twice"}"#),
        (&other, r#"{"message": "once"}"#),
    ] {
        let resp = keyed(session, body, "k1").await.expect("answer");
        assert_eq!(
            error_of(resp).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_mismatch".into()
            )
        );
    }
    // After completion, within the grace window: the full stream again.
    let again = read_stream(
        keyed(&sid, r#"{"message":"once"}"#, "k1")
            .await
            .expect("answer"),
    )
    .await
    .events;
    assert_eq!(again, a);
    // After eviction: JSON, no events, same rid.
    api.emu.advance_clock(Duration::from_secs(121));
    let evicted = keyed(&sid, r#"{"message":"once"}"#, "k1")
        .await
        .expect("answer");
    assert_eq!(evicted.status(), StatusCode::OK);
    assert_eq!(evicted.headers()["content-type"], "application/json");
    assert_eq!(common::rid(&evicted), rid);
    let body: Value = evicted.json().await.expect("JSON");
    assert_eq!(
        (&body["response_id"], &body["status"]),
        (&json!(rid), &json!("replayed"))
    );
    assert!(body["note"].is_string());
    // Keys are forgotten after 24 h: a new turn.
    api.emu.advance_clock(Duration::from_secs(24 * 3600));
    let fresh = keyed(&sid, r#"{"message":"once"}"#, "k1")
        .await
        .expect("answer");
    assert_ne!(common::rid(&fresh), rid);
    read_stream(fresh).await;
    // Bad keys are 400.
    for key in ["x".repeat(256), "tab\tkey".to_owned()] {
        let resp = keyed(&sid, r#"{"message":"k"}"#, &key)
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{key:?}");
    }
}

#[tokio::test]
async fn concurrent_same_key_posts_start_one_turn_and_409_stores_nothing() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu
        .script_turn(&sid, sleeping(10_000))
        .expect("scripted");
    let send = |key: &'static str| {
        api.post(&format!("/v1/sessions/{sid}/messages"))
            .header("idempotency-key", key)
            .json(&json!({"message": "same"}))
            .send()
    };
    let (a, b) = tokio::join!(send("k"), send("k"));
    let (a, b) = (a.expect("answer"), b.expect("answer"));
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let rid = rid(&a);
    assert_eq!(common::rid(&b), rid);
    // Another key while busy: 409, and that key is not recorded.
    let busy = send("k2").await.expect("answer");
    assert_eq!(busy.status(), StatusCode::CONFLICT);
    assert_eq!(api.cancel(&sid, &rid).await.status(), StatusCode::ACCEPTED);
    for read in [read_stream(a).await, read_stream(b).await] {
        assert_eq!(
            read.events.last().map(|e| e.event.as_str()),
            Some("message.cancelled")
        );
    }
    assert_eq!(api.emu.turns_json().as_array().map(Vec::len), Some(1));
    let later = send("k2").await.expect("answer");
    assert_eq!(later.status(), StatusCode::OK);
    read_stream(later).await;
    assert_eq!(api.emu.turns_json().as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn client_tool_round_trip_and_errors() {
    let api = start().await;
    let sid = api
        .session(json!({"tools": [{"type": "function", "name": "get_weather",
        "parameters": {"type": "object"}}]}))
        .await;
    let results = format!("/v1/sessions/{sid}/tool_results");
    let resp = api.message(&sid, "weather? tool=get_weather").await;
    let rid = rid(&resp);
    let seen = read_until(resp, |e| e.event == "tool_call.requested").await;
    let call = &seen.last().expect("event").data;
    assert_eq!(call["name"], "get_weather");
    let call_id = call["call_id"].as_str().expect("call id").to_owned();
    assert!(call_id.starts_with("call_") && call_id.len() == 29);
    let arguments: Value =
        serde_json::from_str(call["arguments"].as_str().expect("string")).expect("JSON");
    assert!(arguments.is_object());
    assert_eq!(api.record(&sid).await["busy"], true);

    for (body, status) in [
        (json!({"output": "x"}), StatusCode::BAD_REQUEST),
        (json!({"call_id": call_id}), StatusCode::BAD_REQUEST),
        (
            json!({"call_id": "call_unknown", "output": "x"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let resp = api.post(&results).json(&body).send().await.expect("answer");
        assert_eq!(resp.status(), status, "{body}");
    }
    let ok = api
        .post(&results)
        .json(&json!({"call_id": call_id, "output": {"temp": 21}}))
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.json::<Value>().await.expect("JSON"),
        json!({"call_id": call_id, "status": "accepted"})
    );
    let twice = api
        .post(&results)
        .json(&json!({"call_id": call_id, "output": "again"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(twice.status(), StatusCode::CONFLICT);

    let rest = read_stream(api.resume(&sid, &rid, Some(seen.len() as u64 - 1)).await)
        .await
        .events;
    assert_eq!(rest[0].event, "tool_result");
    assert_eq!(
        rest[0].data,
        json!({"id": call_id, "content": "{\"temp\":21}", "is_error": false, "sequence_number": seen.len()})
    );
    assert_eq!(
        rest.last().map(|e| e.event.as_str()),
        Some("message.completed")
    );
    let resp = api
        .post("/v1/sessions/sess_000000000000/tool_results")
        .json(&json!({"call_id": call_id, "output": ""}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tool_result_timeout_ends_the_turn() {
    let api = start().await;
    api.config(|c| c.tool_result_timeout_secs = Some(30.0));
    let sid = api.session(json!({"persistent": true})).await;
    let resp = api.message(&sid, "tool=lookup").await;
    let seen = read_until(resp, |e| e.event == "tool_call.requested").await;
    let rid = rid_of(&seen);
    api.emu.advance_clock(Duration::from_secs(31));
    let rest = read_stream(api.resume(&sid, &rid, None).await).await.events;
    let last = rest.last().expect("events");
    assert_eq!(
        (last.event.as_str(), &last.data["error"]),
        ("message.error", &json!("tool result timeout"))
    );
}

fn rid_of(events: &[common::Event]) -> String {
    events[0].data["id"].as_str().expect("rid").to_owned()
}

#[tokio::test]
async fn usage_credits_and_rate_limits() {
    let api = start().await;
    let sid = api.session(json!({"persistent": true})).await;
    let events = read_stream(api.message(&sid, "count me").await)
        .await
        .events;
    let total = events.last().expect("events").data["usage"]["total_tokens"].clone();
    let usage: Value = api
        .get("/v1/usage")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let windows = &usage["rate_limit"]["buckets"]["session_turn"]["windows"];
    assert_eq!(windows[0]["name"], "hour");
    assert_eq!(windows[0]["duration_seconds"], 3600);
    assert_eq!(
        (&windows[0]["turns"], &windows[0]["tokens"]),
        (&json!(1), &total)
    );
    assert_eq!(windows[1]["max_turns"], 5000);
    assert_eq!(
        usage["rate_limit"]["buckets"]["response"]["windows"][0]["turns"],
        0
    );
    assert_eq!(usage["credits"]["mode"], "soft");
    assert_eq!(usage["credits"]["balance"], 99_999.0);

    api.config(|c| c.old_usage_shape = true);
    let old: Value = api
        .get("/v1/usage")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(old["rate_limit"]["windows"][0]["turns"], 1);
    assert!(old["rate_limit"].get("buckets").is_none());

    // Hard credits with a low balance: 402, and nothing starts.
    api.config(|c| {
        c.credits_mode = CreditsMode::Hard;
        c.credits_balance = 0.5;
    });
    let resp = api.message(&sid, "no money").await;
    assert_eq!(
        error_of(resp).await,
        (StatusCode::PAYMENT_REQUIRED, "insufficient_credits".into())
    );

    // An exhausted window: 429 with Retry-After; rolling over frees it.
    api.config(|c| {
        c.credits_mode = CreditsMode::Soft;
        c.hour_max_turns = 1;
    });
    let resp = api.message(&sid, "too many").await;
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!((1..=3600).contains(&retry));
    assert_eq!(
        error_of(resp).await,
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
    api.emu.advance_clock(Duration::from_secs(3601));
    assert_eq!(api.message(&sid, "later").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn old_stream_format_behind_a_switch() {
    let api = start().await;
    api.config(|c| c.old_stream_format = true);
    let sid = api.session(json!({})).await;
    let resp = api.message(&sid, "old").await;
    assert!(!resp.headers().contains_key("x-response-id"));
    let read = read_stream(resp).await;
    let raw = String::from_utf8(read.raw).expect("utf-8");
    assert!(raw.starts_with("event: message.created\ndata: {"));
    assert!(!raw.contains("id: ") && !raw.contains("sequence_number"));
    assert!(read.events.iter().all(|e| e.id.is_none()));
    assert_eq!(
        read.events.last().map(|e| e.event.as_str()),
        Some("message.completed")
    );
}

#[tokio::test]
async fn silent_streams_get_ping_comments() {
    let api = start().await;
    api.config(|c| c.ping_interval_ms = 20);
    let sid = api.session(json!({})).await;
    api.emu.script_turn(&sid, sleeping(200)).expect("scripted");
    let read = read_stream(api.message(&sid, "quiet").await).await;
    let raw = String::from_utf8(read.raw).expect("utf-8");
    assert!(raw.contains("\n: ping\n\n"), "{raw}");
    assert_contiguous(&read.events, 0);
}

#[tokio::test]
async fn health_degraded_and_unknown_routes() {
    let api = start().await;
    let health = api
        .http
        .get(api.url("/health"))
        .send()
        .await
        .expect("answer");
    assert_eq!(health.status(), StatusCode::OK);
    api.config(|c| c.degraded = true);
    let health = api
        .http
        .get(api.url("/health"))
        .send()
        .await
        .expect("answer");
    assert!(health.headers().contains_key("retry-after"));
    assert_eq!(
        error_of(health).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable".into()
        )
    );
    let resp = api.get("/v1/nope").send().await.expect("answer");
    assert_eq!(
        error_of(resp).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let resp = api
        .request(reqwest::Method::PATCH, "/v1/sessions")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn control_routes_over_http() {
    let api = start().await;
    let control = |path: &str| format!("{}/_emulator{path}", api.emu.url());
    let clock: Value = api
        .http
        .get(control("/clock"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(clock["frozen"], false);
    let advanced: Value = api
        .http
        .post(control("/clock/advance"))
        .json(&json!({"secs": 3600}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert!(advanced["offset_secs"].as_f64() >= Some(3600.0));
    for bad in [json!({"secs": -1}), json!({}), json!({"seconds": 1})] {
        let resp = api
            .http
            .post(control("/clock/advance"))
            .json(&bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let frozen: Value = api
        .http
        .post(control("/clock/freeze"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(frozen["frozen"], true);
    let t1 = api.emu.clock_now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(api.emu.clock_now(), t1);
    api.http
        .post(control("/clock/freeze"))
        .json(&json!({"frozen": false}))
        .send()
        .await
        .expect("answer");

    let config: Value = api
        .http
        .post(control("/sessions/config"))
        .json(&json!({"pace_ms": 7}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["pace_ms"], 7);
    assert_eq!(api.emu.sessions_config().pace_ms, 7);
    let bad = api
        .http
        .post(control("/sessions/config"))
        .json(&json!({"pace": 1}))
        .send()
        .await
        .expect("answer");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let sid = api.session(json!({})).await;
    let script = json!({"steps": [{"type": "text", "text": "scripted over http"}], "pace_ms": 0});
    let resp = api
        .http
        .post(control(&format!("/sessions/{sid}/script")))
        .json(&script)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    let listed: Value = api
        .http
        .get(control("/sessions"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed[0]["queued_scripts"], 1);
    let events = read_stream(api.message(&sid, "x").await).await.events;
    assert_eq!(events[2].data["content"], "scripted ");
    let missing = api
        .http
        .post(control("/sessions/sess_nope/script"))
        .json(&script)
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let invalid = api
        .http
        .post(control(&format!("/sessions/{sid}/script")))
        .json(&json!({"steps": [{"type": "warp"}]}))
        .send()
        .await
        .expect("answer");
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let turns: Value = api
        .http
        .get(control("/turns"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(turns[0]["status"], "completed");

    // Reset forgets sessions, files and settings, and returns to real time.
    api.emu
        .put_workspace_file("notes.md", "x")
        .expect("written");
    api.http
        .post(control("/reset"))
        .send()
        .await
        .expect("answer");
    assert_eq!(api.emu.sessions_json(), json!([]));
    assert!(api.emu.workspace_file("notes.md").is_none());
    assert_eq!(api.emu.sessions_config().pace_ms, 3);
    let clock: Value = api
        .http
        .get(control("/clock"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(clock["offset_secs"], 0.0);
}
