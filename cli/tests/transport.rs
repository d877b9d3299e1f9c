//! The tunnel transport against the emulator's tunnel server (an independent yamux server that
//! splits frames across WebSocket messages, as piko's fork does) and, when `PIKO_BIN` names a
//! piko 0.7.0 binary, against the real thing (`scripts/piko-interop.sh`).

mod common;

use common::local::{self, BIG, Local, big_byte};
use futures_util::StreamExt;
use poke::Secret;
use poke_cli::tunnel::{AgentConfig, AgentEvent, AgentStop, LocalTarget, run_agent, upstream_url};
use poke_emulator::{Emulator, EmulatorConfig};
use reqwest::Url;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Guard against a hung test; never an assertion about speed.
const HANG: Duration = Duration::from_secs(60);

/// Where an agent connects, and how the public side reaches its endpoint.
struct Upstream {
    ws_url: Url,
    token: Secret,
    /// The public URL of the local `/mcp`.
    public: String,
    /// `x-piko-endpoint` for servers that route by header.
    endpoint_header: Option<String>,
}

struct Agent {
    task: JoinHandle<AgentStop>,
    events: mpsc::UnboundedReceiver<AgentEvent>,
}

impl Agent {
    fn start(up: &Upstream, target: &str, first_connect: Duration) -> Self {
        let (tx, events) = mpsc::unbounded_channel();
        let config = AgentConfig {
            url: up.ws_url.clone(),
            token: up.token.clone(),
            target: LocalTarget::parse(target).unwrap_or_else(|| panic!("{target}")),
            first_connect_timeout: first_connect,
        };
        Self {
            task: tokio::spawn(run_agent(config, tx)),
            events,
        }
    }

    /// Events up to and including the first one `pred` accepts.
    async fn until(&mut self, mut pred: impl FnMut(&AgentEvent) -> bool) -> Vec<AgentEvent> {
        let mut seen = Vec::new();
        let wait = async {
            while let Some(event) = self.events.recv().await {
                let done = pred(&event);
                seen.push(event);
                if done {
                    return;
                }
            }
        };
        if tokio::time::timeout(HANG, wait).await.is_err() {
            panic!("no matching agent event; saw {seen:?}");
        }
        seen
    }

    async fn connected(&mut self) -> Vec<AgentEvent> {
        self.until(|e| matches!(e, AgentEvent::Connected { .. }))
            .await
    }

    async fn stopped(self) -> AgentStop {
        match tokio::time::timeout(HANG, self.task).await {
            Ok(Ok(stop)) => stop,
            other => panic!("the agent did not stop: {other:?}"),
        }
    }
}

async fn emulator() -> Emulator {
    common::tls();
    Emulator::start(EmulatorConfig::default())
        .await
        .unwrap_or_else(|e| panic!("emulator: {e}"))
}

/// Creates a tunnelled connection on the emulator for `local_url`.
async fn emulator_upstream(emu: &Emulator, local_url: &str) -> (Upstream, String) {
    let reply: Value = reqwest::Client::new()
        .post(format!("{}/mcp/connections/cli", emu.poke_api_url()))
        .bearer_auth("test-login")
        .json(&json!({"name": "transport", "serverUrl": local_url, "tunnel": true}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("create: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("create reply: {e}"));
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{reply}")).to_owned();
    let id = text(&reply["id"]);
    let up = Upstream {
        ws_url: upstream_url(&text(&reply["tunnel"]["upstreamUrl"]), &id)
            .unwrap_or_else(|e| panic!("{e}")),
        token: Secret::new(text(&reply["tunnel"]["token"])),
        public: text(&reply["serverUrl"]),
        endpoint_header: None,
    };
    (up, id)
}

async fn control(emu: &Emulator, path: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}/_emulator/{path}", emu.url()))
        .json(&body)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("control {path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("control {path}: {e}"))
}

fn get(up: &Upstream, rest: &str) -> reqwest::RequestBuilder {
    let mut req = reqwest::Client::new().get(format!("{}{rest}", up.public));
    if let Some(endpoint) = &up.endpoint_header {
        req = req.header("x-piko-endpoint", endpoint);
    }
    req
}

/// Everything a tunnel must carry: paths and queries under the local prefix, forwarding
/// headers, request and reply bodies of several MiB, an unbuffered event stream, and
/// concurrent requests.
async fn exercise(up: &Upstream, local: &Local) {
    let echo: Value = get(up, "?x=1")
        .header("x-custom", "kept")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(echo["path"], "/mcp", "{echo}");
    assert_eq!(echo["query"], "x=1", "{echo}");
    assert_eq!(echo["headers"]["x-custom"], "kept", "{echo}");
    assert_eq!(echo["headers"]["x-piko-forward"], "true", "{echo}");
    let forwarded = echo["headers"]["x-forwarded-for"].as_str().unwrap_or("");
    assert!(forwarded.contains("127.0.0.1"), "{echo}");
    let public_host = Url::parse(&up.public)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port()?)));
    assert_eq!(
        echo["headers"]["host"].as_str().map(str::to_owned),
        public_host,
        "Host kept as sent"
    );

    let upload = vec![7u8; 1024 * 1024 + 17];
    let mut post = reqwest::Client::new()
        .post(format!("{}/upload?y=2", up.public))
        .body(upload.clone());
    if let Some(endpoint) = &up.endpoint_header {
        post = post.header("x-piko-endpoint", endpoint);
    }
    let echo: Value = post
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/mcp/upload");
    assert_eq!(echo["body_len"], upload.len(), "{echo}");

    let big = get(up, "/big")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(big.len(), BIG);
    assert!(
        big.iter().enumerate().all(|(i, b)| *b == big_byte(i)),
        "body corrupted"
    );

    // The second event is only sent once the first has arrived here: a buffering tunnel
    // would never deliver the first, and this would hang (caught by HANG).
    let resp = get(up, "/sse")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 200);
    let mut chunks = resp.bytes_stream();
    let mut text = String::new();
    let first = async {
        while !text.contains("data: one\n\n") {
            match chunks.next().await {
                Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                other => panic!("stream ended early: {other:?} after {text:?}"),
            }
        }
    };
    tokio::time::timeout(HANG, first)
        .await
        .unwrap_or_else(|_| panic!("the first event did not come through: {text:?}"));
    assert!(!text.contains("two"));
    local.release();
    while let Some(chunk) = chunks.next().await {
        text.push_str(&String::from_utf8_lossy(
            &chunk.unwrap_or_else(|e| panic!("{e}")),
        ));
    }
    assert_eq!(text, "data: one\n\ndata: two\n\n");

    let many = futures_util::future::join_all((0..16).map(|i| async move {
        get(up, &format!("/n/{i}"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    }))
    .await;
    assert!(many.iter().all(|r| matches!(r, Ok(200))), "{many:?}");
}

#[tokio::test]
async fn tunnel_carries_paths_headers_bodies_and_streams() {
    let emu = emulator().await;
    let local = local::start().await;
    let (up, _) = emulator_upstream(&emu, &local.url).await;
    let mut agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    agent.connected().await;
    exercise(&up, &local).await;
}

#[tokio::test]
async fn agent_reconnects_after_the_upstream_restarts() {
    let emu = emulator().await;
    let local = local::start().await;
    let (up, id) = emulator_upstream(&emu, &local.url).await;
    let mut agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    agent.connected().await;
    control(&emu, "tunnels/restart", json!({"down_ms": 300})).await;
    let seen = agent
        .until(|e| matches!(e, AgentEvent::Connected { reconnect: true }))
        .await;
    assert!(
        matches!(seen.first(), Some(AgentEvent::Disconnected { .. })),
        "{seen:?}"
    );
    exercise(&up, &local).await;
    let tunnels = control(&emu, "tunnels/restart", json!({"down_ms": 0})).await;
    assert_eq!(tunnels["ok"], true);
    agent
        .until(|e| matches!(e, AgentEvent::Connected { reconnect: true }))
        .await;
    let state: Value = reqwest::get(format!("{}/_emulator/tunnels", emu.url()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state["endpoints"][&id]["connects"], 3, "{state}");
}

#[tokio::test]
async fn retryable_statuses_are_retried_and_401_stops_the_agent() {
    let emu = emulator().await;
    let local = local::start().await;
    let (up, id) = emulator_upstream(&emu, &local.url).await;
    control(&emu, "tunnels/refuse", json!({"status": 503, "times": 2})).await;
    let mut agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    let seen = agent.connected().await;
    let retries: Vec<&AgentEvent> = seen
        .iter()
        .filter(|e| matches!(e, AgentEvent::Retrying { reason, .. } if reason.contains("503")))
        .collect();
    assert_eq!(retries.len(), 2, "{seen:?}");

    // The token stops being accepted: the session is closed and the reconnect gets 401.
    control(&emu, &format!("tunnels/{id}/revoke"), json!({})).await;
    let stop = agent.stopped().await;
    assert!(
        matches!(&stop, AgentStop::Refused { status: 401, .. }),
        "{stop:?}"
    );
    assert!(stop.to_string().contains("HTTP 401"), "{stop}");
}

/// hashicorp's yamux closes the whole session when a stream it opened is not acknowledged
/// within its open timeout (75 s); the agent acknowledges as soon as it reads the request, so
/// a reply slower than the timeout still arrives.
#[tokio::test]
async fn streams_are_acknowledged_before_the_reply_is_ready() {
    let emu = emulator().await;
    let local = local::start().await;
    let (up, _) = emulator_upstream(&emu, &local.url).await;
    control(
        &emu,
        "tunnels/settings",
        json!({"stream_open_timeout_ms": 1000}),
    )
    .await;
    let mut agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    agent.connected().await;
    let reply = get(&up, "/slow?ms=3000")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text().await.unwrap_or_default(), "slow reply");
    let stray: Vec<AgentEvent> = std::iter::from_fn(|| agent.events.try_recv().ok()).collect();
    assert!(stray.is_empty(), "the session dropped: {stray:?}");
}

#[tokio::test]
async fn other_statuses_are_fatal_at_once() {
    let emu = emulator().await;
    let local = local::start().await;
    let (up, _) = emulator_upstream(&emu, &local.url).await;
    control(&emu, "tunnels/refuse", json!({"status": 403, "times": 1})).await;
    let agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    let stop = agent.stopped().await;
    assert!(
        matches!(stop, AgentStop::Refused { status: 403, .. }),
        "{stop:?}"
    );
}

#[tokio::test]
async fn an_unreachable_local_server_is_a_502_not_a_dead_tunnel() {
    let emu = emulator().await;
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("{e}"));
    let target = format!("http://{closed}/mcp");
    let (up, _) = emulator_upstream(&emu, &target).await;
    let mut agent = Agent::start(&up, &target, Duration::from_secs(30));
    agent.connected().await;
    let resp = get(&up, "").send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body, json!({"error": "upstream unreachable"}));
    agent
        .until(|e| matches!(e, AgentEvent::LocalUnreachable(reason) if reason.contains(&closed.to_string())))
        .await;
    // The tunnel itself is still up.
    let local = local::start().await;
    drop(local);
}

#[tokio::test]
async fn the_first_connection_gives_up_after_its_bound() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("{e}"));
    let up = Upstream {
        ws_url: upstream_url(&format!("http://{closed}"), "nobody")
            .unwrap_or_else(|e| panic!("{e}")),
        token: Secret::new("t"),
        public: String::new(),
        endpoint_header: None,
    };
    let agent = Agent::start(&up, "http://127.0.0.1:9/mcp", Duration::from_millis(300));
    let stop = agent.stopped().await;
    assert!(
        matches!(&stop, AgentStop::GaveUp(reason) if reason.contains("connect")),
        "{stop:?}"
    );
}

/// A real piko 0.7.0 server (`PIKO_BIN`), its proxy routing by `x-piko-endpoint`.
#[tokio::test]
#[ignore = "needs a piko 0.7.0 binary in PIKO_BIN: run scripts/piko-interop.sh"]
async fn interop_with_a_real_piko_server() {
    let Ok(bin) = std::env::var("PIKO_BIN") else {
        panic!("PIKO_BIN is not set: run scripts/piko-interop.sh");
    };
    let ports: Vec<u16> = (0..4)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let spawn = || {
        std::process::Command::new(&bin)
            .args(["server", "--log.level", "warn"])
            .args(["--proxy.bind-addr", &format!("127.0.0.1:{}", ports[0])])
            .args(["--upstream.bind-addr", &format!("127.0.0.1:{}", ports[1])])
            .args(["--admin.bind-addr", &format!("127.0.0.1:{}", ports[2])])
            .args([
                "--cluster.gossip.bind-addr",
                &format!("127.0.0.1:{}", ports[3]),
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin}: {e}"))
    };
    let mut server = spawn();
    let local = local::start().await;
    let up = Upstream {
        ws_url: upstream_url(&format!("http://127.0.0.1:{}", ports[1]), "interop")
            .unwrap_or_else(|e| panic!("{e}")),
        token: Secret::new("no-auth-configured"),
        public: format!("http://127.0.0.1:{}/mcp", ports[0]),
        endpoint_header: Some("interop".to_owned()),
    };
    let mut agent = Agent::start(&up, &local.url, Duration::from_secs(30));
    agent.connected().await;
    exercise(&up, &local).await;

    // The server restarts on the same ports: the agent comes back.
    let _ = server.kill();
    let _ = server.wait();
    agent
        .until(|e| matches!(e, AgentEvent::Disconnected { .. }))
        .await;
    let mut server = spawn();
    agent
        .until(|e| matches!(e, AgentEvent::Connected { reconnect: true }))
        .await;
    exercise(&up, &local).await;
    let _ = server.kill();
    let _ = server.wait();
}
