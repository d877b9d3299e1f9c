//! The stream fault knobs (design §6) on the sessions API's SSE answers, over real HTTP.

mod common;

use std::time::Duration;

use common::{Api, assert_contiguous, parse_sse, read_stream, rid, start};
use poke_emulator::{Fault, LineEnding};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MESSAGES: &str = "/v1/sessions/*/messages";
const EVENTS: &str = "/v1/sessions/*/responses/*/events";

fn fault(path: &str) -> Fault {
    Fault {
        path: path.into(),
        ..Fault::default()
    }
}

/// A session and a finished turn of `n` events; returns (session, rid, events).
async fn finished_turn(api: &Api, n: u64) -> (String, String, Vec<common::Event>) {
    let sid = api.session(json!({"persistent": true})).await;
    let resp = api.message(&sid, &format!("go events={n}")).await;
    let rid = rid(&resp);
    let events = read_stream(resp).await.events;
    assert_eq!(events.len() as u64, n);
    (sid, rid, events)
}

#[tokio::test]
async fn drop_after_events_cuts_the_stream_and_the_turn_goes_on() {
    let api = start().await;
    api.emu.add_fault(Fault {
        drop_after_events: Some(5),
        ..fault(MESSAGES)
    });
    let sid = api.session(json!({})).await;
    let resp = api.message(&sid, "go events=30 pace_ms=2").await;
    let rid = rid(&resp);
    let first = read_stream(resp).await;
    assert!(first.broken, "the transfer is cut, not ended");
    assert_eq!(first.events.len(), 5);
    assert_contiguous(&first.events, 0);
    // Resume from the last id seen: exactly the missing events, then the terminal.
    let rest = read_stream(api.resume(&sid, &rid, Some(4)).await).await;
    assert!(!rest.broken);
    assert_contiguous(&rest.events, 5);
    assert_eq!(5 + rest.events.len(), 30);
    assert!(rest.events.last().is_some_and(common::Event::is_terminal));
}

#[tokio::test]
async fn drop_mid_event_sends_half_a_frame() {
    let api = start().await;
    api.emu.add_fault(Fault {
        drop_after_events: Some(2),
        drop_mid_event: true,
        ..fault(MESSAGES)
    });
    let sid = api.session(json!({})).await;
    let read = read_stream(api.message(&sid, "go events=10").await).await;
    assert!(read.broken);
    let text = String::from_utf8_lossy(&read.raw).into_owned();
    let (events, used) = parse_sse(&text);
    assert_eq!(events.len(), 2);
    let tail = &text[used..];
    assert!(tail.starts_with("id: 2\n"), "{tail:?}");
    assert!(!tail.ends_with("\n\n"));
}

#[tokio::test]
async fn drop_after_zero_events_sends_headers_only() {
    let api = start().await;
    let (sid, rid, _) = finished_turn(&api, 6).await;
    api.emu.add_fault(Fault {
        drop_after_events: Some(0),
        ..fault(EVENTS)
    });
    let resp = api.resume(&sid, &rid, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-response-id"], rid.as_str());
    let read = read_stream(resp).await;
    assert!(read.broken && read.events.is_empty());
}

#[tokio::test]
async fn stall_mid_stream_trips_a_read_timeout_then_resume_works() {
    let api = start().await;
    let (sid, rid, all) = finished_turn(&api, 12).await;
    api.emu.add_fault(Fault {
        stall_after_events: Some(3),
        stall_ms: Some(1_500),
        ..fault(EVENTS)
    });
    // reqwest has TLS without a provider here (poke-sdk picks ring for its own clients).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .read_timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let resp = client
        .get(api.url(&format!("/v1/sessions/{sid}/responses/{rid}/events")))
        .bearer_auth("t")
        .send()
        .await
        .expect("headers arrive");
    let read = read_stream(resp).await;
    assert!(read.broken, "the read timeout fires during the stall");
    assert_eq!(read.events.len(), 3);
    let rest = read_stream(api.resume(&sid, &rid, Some(2)).await)
        .await
        .events;
    assert_eq!([&read.events[..], &rest[..]].concat(), all);

    // A short stall only delays: the stream carries on to the terminal.
    api.emu.add_fault(Fault {
        stall_after_events: Some(0),
        stall_ms: Some(50),
        ..fault(EVENTS)
    });
    let read = read_stream(api.resume(&sid, &rid, None).await).await;
    assert!(!read.broken);
    assert_eq!(read.events, all);
}

#[tokio::test]
async fn duplicate_ids_resends_delivered_events_after_a_reconnect() {
    let api = start().await;
    let (sid, rid, all) = finished_turn(&api, 10).await;
    api.emu.add_fault(Fault {
        duplicate_ids: Some(3),
        ..fault(EVENTS)
    });
    let events = read_stream(api.resume(&sid, &rid, Some(5)).await)
        .await
        .events;
    assert_contiguous(&events, 3);
    assert_eq!(events[..], all[3..]);
    // `true` over HTTP: everything up to the position again.
    let added = api
        .http
        .post(format!("{}/_emulator/faults", api.emu.url()))
        .json(&json!({"path": EVENTS, "duplicate_ids": true}))
        .send()
        .await
        .expect("answer");
    assert_eq!(added.status(), StatusCode::OK);
    let events = read_stream(api.resume(&sid, &rid, Some(5)).await)
        .await
        .events;
    assert_eq!(events, all);
}

#[tokio::test]
async fn slice_bytes_splits_writes_without_changing_the_stream() {
    let api = start().await;
    let (sid, rid, all) = finished_turn(&api, 8).await;
    let whole = read_stream(api.resume(&sid, &rid, None).await).await;
    api.emu.add_fault(Fault {
        slice_bytes: Some(7),
        ..fault(EVENTS)
    });
    let sliced = read_stream(api.resume(&sid, &rid, None).await).await;
    assert_eq!(sliced.raw, whole.raw);
    assert_eq!(sliced.events, all);
    assert!(
        sliced.chunks > whole.chunks,
        "{} vs {}",
        sliced.chunks,
        whole.chunks
    );
}

#[tokio::test]
async fn line_endings_crlf_and_cr() {
    let api = start().await;
    let (sid, rid, all) = finished_turn(&api, 6).await;
    for (ending, eol) in [(LineEnding::Crlf, "\r\n"), (LineEnding::Cr, "\r")] {
        api.emu.add_fault(Fault {
            line_ending: Some(ending),
            ..fault(EVENTS)
        });
        let read = read_stream(api.resume(&sid, &rid, None).await).await;
        let raw = String::from_utf8(read.raw).expect("utf-8");
        assert!(raw.starts_with(&format!("id: 0{eol}event: message.created{eol}")));
        if ending == LineEnding::Cr {
            assert!(!raw.contains('\n'));
        } else {
            assert_eq!(raw.matches("\r\n").count(), raw.matches('\n').count());
        }
        assert_eq!(read.events, all);
    }
}

#[tokio::test]
async fn id_too_old_refuses_once_and_end_204_stops() {
    let api = start().await;
    let (sid, rid, all) = finished_turn(&api, 6).await;
    api.emu.add_fault(Fault {
        id_too_old: true,
        ..fault(EVENTS)
    });
    let resp = api.resume(&sid, &rid, Some(1)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["error"], "not_found");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too old"))
    );
    // The fault is used up: the next resume works.
    let rest = read_stream(api.resume(&sid, &rid, Some(1)).await)
        .await
        .events;
    assert_eq!(rest[..], all[2..]);

    api.emu.add_fault(Fault {
        end_204: true,
        ..fault(EVENTS)
    });
    let resp = api.resume(&sid, &rid, Some(1)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn knobs_combine_and_count_down() {
    let api = start().await;
    api.emu.add_fault(Fault {
        method: Some("POST".into()),
        times: 2,
        line_ending: Some(LineEnding::Crlf),
        slice_bytes: Some(5),
        drop_after_events: Some(4),
        ..fault(MESSAGES)
    });
    let sid = api.session(json!({"persistent": true})).await;
    for _ in 0..2 {
        let resp = api.message(&sid, "go events=8").await;
        let read = read_stream(resp).await;
        assert!(read.broken);
        assert_eq!(read.events.len(), 4);
        assert!(String::from_utf8_lossy(&read.raw).contains("\r\n\r\n"));
        api.wait_idle(&sid).await;
    }
    let read = read_stream(api.message(&sid, "go events=8").await).await;
    assert!(!read.broken && read.events.len() == 8);
}

#[tokio::test]
async fn status_and_plain_stall_faults_still_work_on_v1_paths() {
    let api = start().await;
    let sid = api.session(json!({})).await;
    api.emu.add_fault(Fault {
        status: Some(503),
        headers: vec![("retry-after".into(), "2".into())],
        body: Some(String::new()),
        ..fault(MESSAGES)
    });
    let resp = api.message(&sid, "hi").await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["retry-after"], "2");
    // A faulted POST started no turn.
    assert_eq!(api.emu.turns_json(), json!([]));
    api.emu.add_fault(Fault {
        stall_ms: Some(100),
        ..fault(MESSAGES)
    });
    let err = api
        .post(&format!("/v1/sessions/{sid}/messages"))
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .expect_err("closed without an answer");
    assert!(!err.is_timeout());
    assert_eq!(api.record(&sid).await["busy"], false);
}

#[tokio::test]
async fn stream_knobs_over_http_are_validated_and_listed() {
    let api = start().await;
    let control = format!("{}/_emulator/faults", api.emu.url());
    let added = api
        .http
        .post(&control)
        .json(&json!({
            "path": EVENTS, "drop_after_events": 3, "drop_mid_event": true,
            "stall_after_events": 1, "stall_ms": 10, "slice_bytes": 4, "line_ending": "cr",
            "duplicate_ids": 2, "id_too_old": false, "end_204": false
        }))
        .send()
        .await
        .expect("answer");
    assert_eq!(added.status(), StatusCode::OK);
    let listed: Value = api
        .http
        .get(&control)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed[0]["line_ending"], "cr");
    assert_eq!(listed[0]["duplicate_ids"], 2);
    assert_eq!(listed[0]["drop_after_events"], 3);
    for bad in [
        json!({"path": EVENTS, "drop_mid_event": true}),
        json!({"path": EVENTS, "stall_after_events": 1}),
        json!({"path": EVENTS, "slice_bytes": 0}),
        json!({"path": EVENTS, "line_ending": "crcr"}),
        json!({"path": EVENTS, "duplicate_ids": -1}),
        json!({"path": EVENTS, "dropAfterEvents": 1}),
    ] {
        let resp = api
            .http
            .post(&control)
            .json(&bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}
