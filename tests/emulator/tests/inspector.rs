//! The inspector's server side over real HTTP: the bounded journal and its dropped count,
//! redaction, the SSE feed, the page's safety headers, and the control routes the page uses.

mod common;

use std::time::Duration;

use common::{Api, Event, parse_sse, start, start_with};
use futures_util::StreamExt;
use poke_emulator::{Fault, ScriptStep, TurnScript};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "pk_inspector_secret_0001";

/// Reads the inspector's feed event by event.
struct Feed {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    text: String,
    queued: std::collections::VecDeque<Event>,
}

impl Feed {
    async fn open(api: &Api, session: Option<&str>) -> Feed {
        let query = session.map(|s| format!("?session={s}")).unwrap_or_default();
        let resp = api
            .http
            .get(api.url(&format!("/_emulator/ui/feed{query}")))
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .expect("feed answers");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.headers()["x-frame-options"], "DENY");
        Feed {
            body: Box::pin(resp.bytes_stream()),
            text: String::new(),
            queued: Default::default(),
        }
    }

    /// The next event (a guard against hanging, not a timing assertion).
    async fn next(&mut self) -> Event {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return event;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.body.next())
                .await
                .expect("the feed sends something")
                .expect("the feed stays open")
                .expect("the feed reads");
            self.text.push_str(&String::from_utf8_lossy(&chunk));
            let (events, used) = parse_sse(&self.text);
            self.text.drain(..used);
            self.queued.extend(events);
        }
    }

    /// Events up to and including the first one `pred` accepts.
    async fn until(&mut self, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let done = pred(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

async fn get_json(api: &Api, path: &str) -> Value {
    let resp = api.http.get(api.url(path)).send().await.expect("answer");
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.expect("JSON")
}

async fn send_message(api: &Api, auth: &str, body: Value) -> reqwest::Response {
    api.http
        .post(api.url("/api/v1/inbound/api-message"))
        .header("authorization", auth)
        .json(&body)
        .send()
        .await
        .expect("answer")
}

/// The page rows of the inspector's request list, newest first.
async fn rows(api: &Api, query: &str) -> Vec<Value> {
    let page = get_json(api, &format!("/_emulator/ui/api/requests?{query}")).await;
    page["entries"].as_array().expect("entries").clone()
}

#[tokio::test]
async fn journal_is_bounded_and_says_how_much_it_dropped() {
    let api = start().await;
    // `start` sets the turn pace: a control marker, the journal's one entry so far.
    let stats = get_json(&api, "/_emulator/journal").await;
    assert_eq!(
        stats,
        json!({"capacity": 10_000, "len": 1, "dropped": 0, "total": 1})
    );

    let resp = api
        .http
        .post(api.url("/_emulator/journal"))
        .json(&json!({"capacity": 5}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    // The capacity change is a marker too: two entries before the eight requests.
    for i in 0..8 {
        let resp = send_message(&api, "Bearer k", json!({"message": format!("m{i}")})).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let stats = api.emu.journal_stats();
    assert_eq!(
        (stats.capacity, stats.len, stats.dropped, stats.total),
        (5, 5, 5, 10)
    );
    let bodies: Vec<String> = api.emu.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 5);
    assert!(
        bodies[0].contains("m3") && bodies[4].contains("m7"),
        "{bodies:?}"
    );
    // The control route still answers a plain array of requests.
    let listed = get_json(&api, "/_emulator/requests").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(5));
    let page = get_json(&api, "/_emulator/ui/api/requests?limit=2").await;
    assert_eq!(page["journal"]["dropped"], 5);
    assert_eq!(page["more"], true);
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(2));

    for bad in [json!({"capacity": 0}), json!({"capacity": "x"}), json!({})] {
        let resp = api
            .http
            .post(api.url("/_emulator/journal"))
            .json(&bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    api.emu.clear_requests();
    let stats = api.emu.journal_stats();
    assert_eq!(
        (stats.len, stats.dropped),
        (1, 0),
        "only the 'cleared' marker"
    );
    assert!(api.emu.requests().is_empty());
}

#[tokio::test]
async fn nothing_the_inspector_shows_carries_a_credential() {
    let api = start_with(Some(KEY)).await;
    let auth = format!("Bearer {KEY}");
    let resp = send_message(&api, &auth, json!({"message": format!("my key is {KEY}")})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let webhook: Value = api
        .http
        .post(api.url("/api/v1/api-keys/webhook"))
        .header("authorization", &auth)
        .json(&json!({"condition": "c", "action": "a"}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let token = webhook["webhookToken"].as_str().expect("token").to_owned();
    let resp = api
        .http
        .post(api.url("/api/v1/inbound/webhook"))
        .header("authorization", format!("Bearer {token}"))
        .json(&json!({"event": "deploy", "echo": token}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);

    let chain = api.emu.new_callback_chain(None);
    let next: Value = api
        .http
        .post(&chain.url)
        .bearer_auth(&chain.token)
        .json(&json!({"content": "step 1", "hasMore": true}))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    let next_token = next["nextToken"].as_str().expect("next token").to_owned();

    let mut everything = String::new();
    let list = rows(&api, "").await;
    everything.push_str(&Value::Array(list.clone()).to_string());
    let calls: Vec<&Value> = list.iter().filter(|r| r["kind"] == "api").collect();
    assert_eq!(calls.len(), 4);
    for row in calls {
        let detail = get_json(&api, &format!("/_emulator/ui/api/requests/{}", row["seq"])).await;
        let auth_header = detail["request"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|h| h[0] == "authorization")
            .map(|h| h[1].clone());
        assert_eq!(auth_header, Some(json!("Bearer [redacted]")));
        everything.push_str(&detail.to_string());
    }
    let mut feed = Feed::open(&api, None).await;
    let hello = feed.next().await;
    assert_eq!(hello.event, "hello");
    everything.push_str(&hello.data.to_string());
    everything.push_str(
        &get_json(&api, "/_emulator/ui/api/overview")
            .await
            .to_string(),
    );

    assert!(
        !everything.contains(KEY),
        "the API key leaked: {everything}"
    );
    assert!(!everything.contains(&token), "the webhook token leaked");
    assert!(
        !everything.contains(&chain.token),
        "the callback token leaked"
    );
    assert!(
        !everything.contains(&next_token),
        "the next callback token leaked"
    );
    assert!(everything.contains(r#"\"nextToken\": \"[redacted]\""#));
    assert!(everything.contains("my key is [redacted]"));
    assert!(everything.contains(r#"\"webhookToken\": \"[redacted]\""#));
    // The raw journal, for tests, is unchanged.
    assert_eq!(
        api.emu.requests()[0].header("authorization"),
        Some(auth.as_str())
    );
}

#[tokio::test]
async fn rows_show_answers_faults_attempts_and_control_actions() {
    let api = start().await;
    let fault = api.emu.add_fault(Fault {
        method: Some("POST".into()),
        path: "/api/v1/inbound/api-message".into(),
        status: Some(503),
        ..Fault::default()
    });
    let first = api
        .http
        .post(api.url("/api/v1/inbound/api-message"))
        .bearer_auth("k")
        .header("idempotency-key", "idem-1")
        .header("user-agent", "poke-test/1")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry = api
        .http
        .post(api.url("/api/v1/inbound/api-message"))
        .bearer_auth("k")
        .header("idempotency-key", "idem-1")
        .header("x-poke-retry-count", "1")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(retry.status(), StatusCode::OK);
    api.emu.add_fault(Fault {
        path: "/api/v1/api-keys/webhook".into(),
        reset: true,
        ..Fault::default()
    });
    let reset = api
        .http
        .post(api.url("/api/v1/api-keys/webhook"))
        .bearer_auth("k")
        .body("{}")
        .send()
        .await;
    assert!(reset.is_err(), "a reset gets no answer");

    let list = rows(&api, "").await;
    let kinds: Vec<_> = list
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or(""))
        .collect();
    // Newest first; the last marker is `start` setting the turn pace.
    assert_eq!(
        kinds,
        ["api", "control", "api", "api", "control", "control"]
    );
    assert_eq!(list[5]["text"], "config changed: pace_ms = 0");
    assert_eq!(
        list[4]["text"],
        format!("fault #{fault} added: POST /api/v1/inbound/api-message: status 503, \u{d7}1")
    );
    let (closed, ok, failed) = (&list[0], &list[2], &list[3]);
    assert_eq!(
        (closed["status"].clone(), closed["state"].clone()),
        (Value::Null, json!("closed"))
    );
    assert_eq!(
        (failed["status"].clone(), failed["fault"].clone()),
        (json!(503), json!(fault))
    );
    assert_eq!(
        (failed["attempt"].clone(), ok["attempt"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(failed["idempotency_key"], "idem-1");
    assert_eq!(failed["user_agent"], "poke-test/1");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["state"], "done");
    assert!(ok["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));

    let detail = get_json(
        &api,
        &format!("/_emulator/ui/api/requests/{}", failed["seq"]),
    )
    .await;
    assert_eq!(detail["fault"]["id"], json!(fault));
    assert_eq!(detail["fault"]["status"], 503);
    assert_eq!(detail["request"]["body"]["kind"], "json");
    assert_eq!(
        detail["request"]["body"]["text"],
        "{\n  \"message\": \"hi\"\n}"
    );
    assert_eq!(detail["response"]["status"], 503);
    assert_eq!(detail["response"]["end"], "complete");
    let detail = get_json(&api, &format!("/_emulator/ui/api/requests/{}", ok["seq"])).await;
    assert_eq!(
        detail["response"]["body"]["text"],
        "{\n  \"message\": \"Message sent successfully\",\n  \"success\": true\n}"
    );

    // Filters: by status, by path, and markers only in the unfiltered list.
    let failed_rows = rows(&api, "status=5xx").await;
    assert_eq!(failed_rows.len(), 1);
    assert_eq!(rows(&api, "status=fault").await.len(), 2);
    assert_eq!(rows(&api, "status=closed").await.len(), 1);
    assert_eq!(rows(&api, "path=API-MESSAGE").await.len(), 2);
    let older = rows(&api, &format!("before={}", ok["seq"])).await;
    assert_eq!(older.len(), 3);
    let newer = rows(&api, &format!("after={}", ok["seq"])).await;
    assert_eq!(newer.len(), 2);
    assert_eq!(
        api.http
            .get(api.url("/_emulator/ui/api/requests/999999"))
            .send()
            .await
            .expect("answer")
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn binary_and_streamed_bodies_are_shown_as_size_and_type() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let resp = api
        .put(&format!("/v1/sessions/{sid}/files/output/deck.pptx"))
        .header("content-type", "application/octet-stream")
        .body(vec![0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0xfe])
        .send()
        .await
        .expect("answer");
    assert!(resp.status().is_success());
    let resp = api
        .get(&format!("/v1/sessions/{sid}/files/output/deck.pptx"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.bytes().await.expect("bytes").len(), 7);
    let list = rows(&api, &format!("session={sid}")).await;
    assert_eq!(list.len(), 3, "create, upload, download: {list:?}");
    let download = get_json(
        &api,
        &format!("/_emulator/ui/api/requests/{}", list[0]["seq"]),
    )
    .await;
    assert_eq!(download["response"]["body"]["kind"], "binary");
    assert_eq!(download["response"]["body"]["size"], 7);
    let upload = get_json(
        &api,
        &format!("/_emulator/ui/api/requests/{}", list[1]["seq"]),
    )
    .await;
    assert_eq!(upload["request"]["body"]["kind"], "omitted");
    assert_eq!(upload["request"]["body"]["size"], 7);
    // The create is tied to its session by the answer.
    assert_eq!(list[2]["target"], "/v1/sessions");
    assert_eq!(list[2]["session"], sid);
}

#[tokio::test]
async fn the_feed_streams_rows_sessions_and_turn_events_in_order() {
    let api = start().await;
    let sid = api
        .session(json!({"metadata": {"api_key": "sk_meta_secret_1"}}))
        .await;
    api.emu
        .script_turn(
            &sid,
            TurnScript {
                steps: vec![
                    ScriptStep::Text {
                        text: "one two three".into(),
                        deltas: None,
                    },
                    ScriptStep::ToolCall {
                        name: "barrier".into(),
                        arguments: json!({}),
                    },
                    ScriptStep::Text {
                        text: "four five".into(),
                        deltas: None,
                    },
                ],
                ..TurnScript::default()
            },
        )
        .expect("script");
    let mut feed = Feed::open(&api, Some(&sid)).await;
    let hello = feed.next().await;
    assert_eq!(hello.event, "hello");
    assert_eq!(hello.data["session"], sid);
    assert_eq!(hello.data["sessions"]["live"][0]["id"], sid);
    assert_eq!(
        hello.data["sessions"]["live"][0]["metadata"]["api_key"],
        "[redacted]"
    );

    let stream = api.message(&sid, "go").await;
    let rid = common::rid(&stream);
    let reader = tokio::spawn(common::read_until(stream, |e| {
        e.event == "tool_call.requested"
    }));
    // Events reach the page while the turn is still blocked on the tool call.
    let mut turn_events: Vec<Value> = Vec::new();
    let seen = feed
        .until(|e| {
            e.event == "turn"
                && e.data["events"]
                    .as_array()
                    .is_some_and(|evs| evs.iter().any(|ev| ev["event"] == "tool_call.requested"))
        })
        .await;
    for event in seen.iter().filter(|e| e.event == "turn") {
        assert_eq!(event.data["response_id"], rid);
        assert_eq!(event.data["status"], "in_progress");
        turn_events.extend(event.data["events"].as_array().cloned().unwrap_or_default());
    }
    assert!(seen.iter().any(|e| e.event == "requests"
        && e.data.as_array().is_some_and(|rows| {
            rows.iter()
                .any(|r| r["target"] == format!("/v1/sessions/{sid}/messages"))
        })));
    assert!(
        seen.iter()
            .any(|e| e.event == "sessions" && e.data["upsert"][0]["busy"] == true)
    );
    let requested = reader.await.expect("reader");
    let call_id = requested
        .last()
        .map(|e| e.data["call_id"].as_str().unwrap_or("").to_owned())
        .expect("a tool call");
    let resp = api
        .post(&format!("/v1/sessions/{sid}/tool_results"))
        .json(&json!({"call_id": call_id, "output": "ok"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    let rest = feed
        .until(|e| {
            e.event == "turn"
                && e.data["events"]
                    .as_array()
                    .is_some_and(|evs| evs.iter().any(|ev| ev["event"] == "message.completed"))
        })
        .await;
    for event in rest.iter().filter(|e| e.event == "turn") {
        turn_events.extend(event.data["events"].as_array().cloned().unwrap_or_default());
    }
    let seqs: Vec<u64> = turn_events
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    assert_eq!(
        seqs,
        (0..seqs.len() as u64).collect::<Vec<_>>(),
        "in order, once each"
    );
    let names: Vec<&str> = turn_events
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(names.first(), Some(&"message.created"));
    assert_eq!(names.last(), Some(&"message.completed"));
    assert_eq!(names.iter().filter(|n| **n == "text.delta").count(), 5);
}

#[tokio::test]
async fn the_feed_reports_control_actions_clock_moves_and_expiry() {
    let api = start().await;
    let sid = api.session(json!({"ttl": 60, "persistent": true})).await;
    let mut feed = Feed::open(&api, None).await;
    assert_eq!(feed.next().await.event, "hello");
    let resp = api
        .http
        .post(api.url("/_emulator/clock/advance"))
        .json(&json!({"secs": 61}))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    let (mut removed, mut clock, mut marker) = (None, false, false);
    while removed.is_none() || !clock || !marker {
        let event = feed.next().await;
        match event.event.as_str() {
            "sessions" if event.data["remove"] == json!([sid]) => removed = Some(event.data),
            "clock" => clock |= event.data["offset_secs"] == 61.0,
            "requests" => {
                marker |= event
                    .data
                    .as_array()
                    .is_some_and(|rows| rows.iter().any(|r| r["text"] == "clock advanced 61 s"));
            }
            _ => {}
        }
    }
    let ended = &removed.expect("removed")["ended"][0];
    assert_eq!(
        (ended["id"].clone(), ended["cause"].clone()),
        (json!(sid), json!("ttl_expired"))
    );
    let listed = get_json(&api, "/_emulator/sessions/ended").await;
    assert_eq!(listed[0]["cause"], "ttl_expired");

    api.emu.add_fault(Fault {
        path: "*".into(),
        status: Some(500),
        times: 3,
        ..Fault::default()
    });
    let seen = feed.until(|e| e.event == "faults").await;
    assert_eq!(seen.last().expect("faults").data[0]["times"], 3);
    api.emu.clear_requests();
    feed.until(|e| e.event == "cleared").await;
}

#[tokio::test]
async fn the_page_is_served_unframeable_and_stays_out_of_the_journal() {
    let api = start().await;
    let before = api.emu.journal_stats().total;
    for (path, kind) in [
        ("/_emulator/ui/", "text/html"),
        ("/_emulator/ui", "text/html"),
        ("/_emulator/ui/app.js", "text/javascript"),
        ("/_emulator/ui/app.css", "text/css"),
    ] {
        let resp = api.http.get(api.url(path)).send().await.expect("answer");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let headers = resp.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with(kind)
        );
        assert_eq!(headers["x-frame-options"], "DENY");
        let csp = headers["content-security-policy"].to_str().unwrap_or("");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let body = resp.text().await.expect("body");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "no CDN: {path}"
        );
    }
    let mut feed = Feed::open(&api, None).await;
    assert_eq!(feed.next().await.event, "hello");
    drop(feed);
    assert!(api.emu.requests().is_empty());
    assert_eq!(api.emu.journal_stats().total, before);

    // A page reached through another name (DNS rebinding) is refused.
    let resp = api
        .http
        .get(api.url("/_emulator/ui/"))
        .header("host", "evil.example")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A browser page of another origin cannot drive control routes; other clients can.
    let fault = json!({"path": "*", "status": 500});
    let resp = api
        .http
        .post(api.url("/_emulator/faults"))
        .header("origin", "http://evil.example")
        .json(&fault)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = api
        .http
        .post(api.url("/_emulator/faults"))
        .header("sec-fetch-site", "cross-site")
        .json(&fault)
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let same = api.emu.url().replace("http://", "");
    let resp = api
        .http
        .delete(api.url("/_emulator/faults"))
        .header("origin", format!("http://{same}"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn control_routes_cancel_turns_and_serve_workspace_files() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    let cancel = |sid: String| {
        let http = api.http.clone();
        let url = api.url(&format!("/_emulator/sessions/{sid}/cancel"));
        async move { http.post(url).send().await.expect("answer") }
    };
    assert_eq!(cancel(sid.clone()).await.status(), StatusCode::CONFLICT);
    assert_eq!(
        cancel("sess_nope".into()).await.status(),
        StatusCode::NOT_FOUND
    );
    let stream = api.message(&sid, "wait tool=get_weather").await;
    let reader = tokio::spawn(common::read_stream(stream));
    // The turn runs until the tool call, so the cancel finds it running.
    for _ in 0..200 {
        if api.emu.sessions_json()[0]["current_response_id"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let resp = cancel(sid.clone()).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["status"], "cancelling");
    let read = reader.await.expect("reader");
    assert_eq!(
        read.events.last().map(|e| e.event.as_str()),
        Some("message.cancelled")
    );
    assert!(api.emu.cancel_turn(&sid).is_err());

    api.emu
        .put_workspace_file("output/page.html", "<script>alert(1)</script>")
        .expect("put");
    let listing = get_json(&api, "/_emulator/workspace").await;
    assert!(
        listing
            .as_array()
            .expect("list")
            .iter()
            .any(|f| f["path"] == "output/page.html" && f["size"] == 25)
    );
    let resp = api
        .http
        .get(api.url("/_emulator/workspace/output/page.html"))
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status(), StatusCode::OK);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"page.html\""
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        resp.text().await.expect("body"),
        "<script>alert(1)</script>"
    );
    let missing = api
        .http
        .get(api.url("/_emulator/workspace/nope.txt"))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let files = get_json(&api, &format!("/_emulator/ui/api/sessions/{sid}/files")).await;
    assert_eq!(files["total"], 1);
}

#[test]
fn the_binary_prints_the_inspector_address_on_stderr() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_poke-emulator"))
        .args(["--port", "0", "--exit-on-stdin-close"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    let url = line
        .trim()
        .strip_prefix("poke emulator listening on ")
        .expect("the listening line")
        .to_owned();
    // Closing stdin stops the emulator, so its stderr ends and reading it cannot hang.
    drop(child.stdin.take());
    let expected = format!("poke-emulator: inspector at {url}/_emulator/ui/");
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .collect();
    let _ = child.wait();
    assert!(lines.contains(&expected), "{lines:?}");
}
