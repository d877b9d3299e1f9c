//! The tunnel transport: piko 0.7.0's "upstream" protocol, built in.
//!
//! The agent opens a WebSocket to `{upstreamUrl}/piko/v1/upstream/{id}` with the tunnel token
//! as bearer (`connect`), reads and writes its binary messages as one byte stream
//! (`ws_io`), runs a yamux session on it in the client role (tokio-yamux, hashicorp's
//! spec: 256 KiB windows, keep-alive pings every 30 s), and serves every stream the server
//! opens as one HTTP/1.1 connection reverse-proxied to the local server (`forward`). When the
//! session drops it reconnects with piko's backoff (`backoff`) while the server answers with
//! a retryable status; any other refusal (401: the token expired) stops the agent.

mod backoff;
mod connect;
mod forward;
mod local;
mod ws_io;

pub use connect::{ConnectError, upstream_url};
pub use local::LocalTarget;

use backoff::Backoff;
use forward::Forwarder;
use futures_util::StreamExt;
use poke::Secret;
use reqwest::Url;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use ws_io::WsIo;

/// How long the first connection may take, retries included (piko's agent default).
pub const FIRST_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the agent needs.
pub struct AgentConfig {
    /// The WebSocket URL (see [`upstream_url`]).
    pub url: Url,
    /// The tunnel token.
    pub token: Secret,
    /// Where requests go.
    pub target: LocalTarget,
    /// How long the first connection may take, retries included.
    pub first_connect_timeout: Duration,
}

/// What happens to the agent, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    /// The session is up (`reconnect`: not for the first time).
    Connected {
        /// True after a drop.
        reconnect: bool,
    },
    /// The session dropped; the agent reconnects.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A connection attempt failed in a way worth retrying; the next comes after `wait`.
    Retrying {
        /// Why the attempt failed.
        reason: String,
        /// The wait before the next attempt.
        wait: Duration,
    },
    /// A request could not reach the local server (answered 502).
    LocalUnreachable(String),
}

/// Why the agent stopped for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStop {
    /// The tunnel server refused the connection with a status that retrying will not change.
    Refused {
        /// The HTTP status (401: the tunnel token is not, or no longer, accepted).
        status: u16,
        /// What the server said.
        message: String,
    },
    /// The first connection did not succeed in time.
    GaveUp(String),
    /// The configuration cannot work (bad upstream URL).
    BadConfig(String),
}

impl std::fmt::Display for AgentStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused { status, message } if message.is_empty() => {
                write!(
                    f,
                    "the tunnel server refused the connection (HTTP {status})"
                )
            }
            Self::Refused { status, message } => {
                write!(
                    f,
                    "the tunnel server refused the connection (HTTP {status}: {message})"
                )
            }
            Self::GaveUp(reason) => write!(f, "could not connect to the tunnel server: {reason}"),
            Self::BadConfig(reason) => f.write_str(reason),
        }
    }
}

/// Runs the agent until it stops for good; drop the future to stop it (in-flight requests
/// are dropped with it).
pub async fn run_agent(
    config: AgentConfig,
    events: mpsc::UnboundedSender<AgentEvent>,
) -> AgentStop {
    let told = events.clone();
    let forwarder = match Forwarder::new(config.target, move |reason| {
        let _ = told.send(AgentEvent::LocalUnreachable(reason));
    }) {
        Ok(f) => Arc::new(f),
        Err(e) => return AgentStop::BadConfig(format!("could not set up forwarding: {e}")),
    };
    let started = Instant::now();
    let mut backoff = Backoff::default();
    let mut connected_before = false;
    loop {
        let (ws, peer) = match connect::connect(&config.url, &config.token).await {
            Ok(opened) => opened,
            Err(ConnectError::Fatal { status, message }) => {
                return AgentStop::Refused { status, message };
            }
            Err(ConnectError::BadUrl(reason)) => return AgentStop::BadConfig(reason),
            Err(ConnectError::Retryable(reason)) => {
                let mut wait = backoff.next_wait();
                if !connected_before {
                    let left = config
                        .first_connect_timeout
                        .saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return AgentStop::GaveUp(reason);
                    }
                    wait = wait.min(left);
                }
                let _ = events.send(AgentEvent::Retrying { reason, wait });
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        backoff.reset();
        let _ = events.send(AgentEvent::Connected {
            reconnect: connected_before,
        });
        connected_before = true;
        let reason = serve_session(ws, peer, &forwarder).await;
        let _ = events.send(AgentEvent::Disconnected { reason });
    }
}

/// yamux as piko's agent runs it: keep-alive pings every 30 s, 256 KiB windows.
fn yamux_config() -> tokio_yamux::Config {
    tokio_yamux::Config {
        enable_keepalive: true,
        keepalive_interval: Duration::from_secs(30),
        ..tokio_yamux::Config::default()
    }
}

/// Serves the streams of one session until it ends; returns why it ended.
async fn serve_session(
    ws: WebSocketStream<connect::UpstreamIo>,
    peer: Option<IpAddr>,
    forwarder: &Arc<Forwarder>,
) -> String {
    let mut session = tokio_yamux::Session::new_client(WsIo::new(ws), yamux_config());
    // Requests in flight end with their session (dropping the set aborts them).
    let mut requests = JoinSet::new();
    loop {
        tokio::select! {
            next = session.next() => match next {
                Some(Ok(stream)) => {
                    requests.spawn(forwarder.clone().serve(stream, peer));
                }
                Some(Err(e)) => break format!("the tunnel session failed: {e}"),
                None => break "the tunnel server closed the session".to_owned(),
            },
            Some(_) = requests.join_next(), if !requests.is_empty() => {}
        }
    }
}
