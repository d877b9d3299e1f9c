//! Helpers shared by the sessions-API tests: a client bound to one emulator, a small SSE
//! parser, and a raw HTTP request for paths a URL library would normalise.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use poke_emulator::{Emulator, EmulatorConfig, SessionsConfig};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One parsed SSE event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

impl Event {
    /// The `id:` as a number.
    pub fn seq(&self) -> u64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .expect("numeric id")
    }

    pub fn is_terminal(&self) -> bool {
        matches!(
            self.event.as_str(),
            "message.completed" | "message.error" | "message.cancelled"
        )
    }
}

/// Parses complete SSE blocks (any of `\n`, `\r\n`, `\r`); comments are skipped. Returns the
/// events and how many bytes of `text` they used.
pub fn parse_sse(text: &str) -> (Vec<Event>, usize) {
    parse_sse_at(text, false)
}

/// Like [`parse_sse`]; at end of stream (`eof`) a trailing `\r` ends its line.
pub fn parse_sse_at(text: &str, eof: bool) -> (Vec<Event>, usize) {
    let mut events = Vec::new();
    let mut used = 0;
    let mut pos = 0;
    let bytes = text.as_bytes();
    let mut id = None;
    let mut event = String::new();
    let mut data = String::new();
    let mut line_start = 0;
    while pos < bytes.len() {
        let b = bytes[pos];
        if b != b'\n' && b != b'\r' {
            pos += 1;
            continue;
        }
        // A lone trailing \r may be the first half of \r\n: wait for more.
        if b == b'\r' && pos + 1 == bytes.len() && !eof {
            break;
        }
        let line = &text[line_start..pos];
        pos += if b == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        line_start = pos;
        if line.is_empty() {
            if !event.is_empty() || !data.is_empty() {
                let parsed = serde_json::from_str(&data).unwrap_or(Value::String(data.clone()));
                events.push(Event {
                    id: id.take(),
                    event: std::mem::take(&mut event),
                    data: parsed,
                });
                data.clear();
            }
            used = pos;
        } else if line.starts_with(':') {
            // comment (ping)
        } else if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("event: ") {
            event = v.to_owned();
        } else if let Some(v) = line.strip_prefix("data: ") {
            data.push_str(v);
        }
    }
    (events, used)
}

/// What reading a whole SSE body gave.
pub struct Read {
    pub events: Vec<Event>,
    pub raw: Vec<u8>,
    /// The transfer broke (connection cut) instead of ending cleanly.
    pub broken: bool,
    /// Chunks the body arrived in.
    pub chunks: usize,
}

/// Reads an SSE body to its end (or until it breaks).
pub async fn read_stream(resp: Response) -> Read {
    let mut raw = Vec::new();
    let mut chunks = 0;
    let mut broken = false;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => {
                chunks += 1;
                raw.extend_from_slice(&bytes);
            }
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    let (events, _) = parse_sse_at(&String::from_utf8_lossy(&raw), true);
    Read {
        events,
        raw,
        broken,
        chunks,
    }
}

/// Reads events until `pred` holds for one of them, then drops the connection.
pub async fn read_until(resp: Response, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut raw = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(Ok(bytes)) = body.next().await {
        raw.extend_from_slice(&bytes);
        let (events, _) = parse_sse(&String::from_utf8_lossy(&raw));
        if let Some(at) = events.iter().position(&pred) {
            return events[..=at].to_vec();
        }
    }
    panic!("stream ended before the awaited event");
}

/// Checks that ids run 0.. contiguously and match `sequence_number`.
pub fn assert_contiguous(events: &[Event], first: u64) {
    for (i, event) in events.iter().enumerate() {
        let expected = first + i as u64;
        assert_eq!(event.seq(), expected, "{events:?}");
        assert_eq!(event.data["sequence_number"], expected);
    }
}

/// A client bound to one emulator.
pub struct Api {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

pub async fn start() -> Api {
    start_with(None).await
}

pub async fn start_with(api_key: Option<&str>) -> Api {
    let emu = Emulator::start(EmulatorConfig {
        api_key: api_key.map(str::to_owned),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    // Tests do not time the agent; a zero pace keeps them quick.
    emu.set_turn_pace(Duration::ZERO);
    // reqwest has TLS without a provider here (poke-sdk picks ring for its own clients).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds");
    Api { emu, http }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.pokee_api_url())
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth("pk_test_token")
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    pub fn config(&self, change: impl FnOnce(&mut SessionsConfig)) {
        let mut config = self.emu.sessions_config();
        change(&mut config);
        self.emu.set_sessions_config(config);
    }

    /// Creates a session and returns its id.
    pub async fn session(&self, body: Value) -> String {
        let resp = self
            .post("/v1/sessions")
            .json(&body)
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::CREATED);
        let record: Value = resp.json().await.expect("JSON");
        record["id"].as_str().expect("id").to_owned()
    }

    pub async fn record(&self, sid: &str) -> Value {
        let resp = self
            .get(&format!("/v1/sessions/{sid}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.expect("JSON")
    }

    pub async fn message(&self, sid: &str, text: &str) -> Response {
        self.post(&format!("/v1/sessions/{sid}/messages"))
            .json(&json!({"message": text}))
            .send()
            .await
            .expect("answer")
    }

    pub async fn resume(&self, sid: &str, rid: &str, last: Option<u64>) -> Response {
        let mut req = self.get(&format!("/v1/sessions/{sid}/responses/{rid}/events"));
        if let Some(last) = last {
            req = req.header("last-event-id", last.to_string());
        }
        req.send().await.expect("answer")
    }

    pub async fn cancel(&self, sid: &str, rid: &str) -> Response {
        self.post(&format!("/v1/sessions/{sid}/responses/{rid}/cancel"))
            .send()
            .await
            .expect("answer")
    }

    /// Waits (bounded) until the session is no longer busy.
    pub async fn wait_idle(&self, sid: &str) {
        for _ in 0..200 {
            if self.record(sid).await["busy"] == false {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("session {sid} stayed busy");
    }
}

/// The `X-Response-Id` header.
pub fn rid(resp: &Response) -> String {
    resp.headers()["x-response-id"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// The status code and body of a raw HTTP/1.1 request, sent byte for byte.
pub async fn raw_request(api: &Api, method: &str, target: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(api.emu.local_addr())
        .await
        .expect("connects");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answers in time")
        .expect("reads");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
