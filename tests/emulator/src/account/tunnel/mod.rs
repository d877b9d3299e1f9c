//! An emulated piko server for `poke tunnel`: agents connect to the upstream listener over a
//! WebSocket carrying yamux ([`upstream`], [`mux`]); requests to a connection's public URL on
//! the proxy listener are forwarded through the agent's session ([`proxy`]).
//!
//! Both listeners start with the first tunnelled connection, on the emulator's host: the
//! upstream one can be restarted (same port) and told to refuse connections, to exercise the
//! agent's reconnects.

mod mux;
mod proxy;
mod upstream;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::state::lock;
pub(super) use mux::MuxStream;

/// The upstream and public base URLs of the tunnel server.
pub(super) struct Urls {
    pub(super) upstream: String,
    pub(super) proxy: String,
}

/// The tunnel server: its listeners, and the endpoints (one per tunnelled connection).
#[derive(Default)]
pub(crate) struct TunnelHub {
    inner: Mutex<HubInner>,
    /// Serialises the first start, so two connections made at once share one server.
    start: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct HubInner {
    listening: Option<Listening>,
    endpoints: HashMap<String, Endpoint>,
    /// Upstream connection attempts still to refuse, and with which status.
    refuse: Option<(StatusCode, u32)>,
    /// How long a stream may stay unacknowledged (`None`: 75 s, hashicorp's default).
    open_timeout: Option<Duration>,
    next_link: u64,
}

struct Listening {
    upstream: SocketAddr,
    proxy: SocketAddr,
    /// Stops the upstream listener alone (a restart).
    upstream_stop: watch::Sender<bool>,
    /// Stops everything: both listeners and every session.
    stop_all: watch::Sender<bool>,
}

struct Endpoint {
    token: String,
    revoked: bool,
    removed: bool,
    agent: Option<AgentLink>,
    connects: u64,
    forwarded: u64,
    refused: u64,
}

/// The way to an agent's session: stream requests in, and a close signal (dropping the link
/// closes the session).
struct AgentLink {
    id: u64,
    opener: mpsc::UnboundedSender<mux::OpenRequest>,
    _close: watch::Sender<()>,
}

/// Why the upstream listener refused an agent.
pub(super) enum Refusal {
    Status(StatusCode),
    Unauthorized,
}

impl TunnelHub {
    /// Starts both listeners on the host of `base_url` unless they run; returns their URLs.
    pub(super) async fn ensure_started(self: &Arc<Self>, base_url: &str) -> io::Result<Urls> {
        let _starting = self.start.lock().await;
        if let Some(urls) = self.urls() {
            return Ok(urls);
        }
        let host = host_of(base_url);
        let upstream = TcpListener::bind((host.as_str(), 0)).await?;
        let proxy = TcpListener::bind((host.as_str(), 0)).await?;
        let (upstream_stop, upstream_rx) = watch::channel(false);
        let (stop_all, all_rx) = watch::channel(false);
        lock(&self.inner).listening = Some(Listening {
            upstream: upstream.local_addr()?,
            proxy: proxy.local_addr()?,
            upstream_stop,
            stop_all,
        });
        tokio::spawn(upstream::serve(
            self.clone(),
            upstream,
            upstream_rx,
            all_rx.clone(),
        ));
        tokio::spawn(proxy::serve(self.clone(), proxy, all_rx));
        self.urls()
            .ok_or_else(|| io::Error::other("tunnel server stopped while starting"))
    }

    fn urls(&self) -> Option<Urls> {
        let inner = lock(&self.inner);
        let l = inner.listening.as_ref()?;
        Some(Urls {
            upstream: format!("http://{}", l.upstream),
            proxy: format!("http://{}", l.proxy),
        })
    }

    /// Adds the endpoint of a new tunnelled connection.
    pub(super) fn register(&self, id: &str, token: &str) {
        lock(&self.inner).endpoints.insert(
            id.to_owned(),
            Endpoint {
                token: token.to_owned(),
                revoked: false,
                removed: false,
                agent: None,
                connects: 0,
                forwarded: 0,
                refused: 0,
            },
        );
    }

    /// The connection was deleted: its agent is disconnected and may not come back.
    pub(super) fn unregister(&self, id: &str) {
        if let Some(e) = lock(&self.inner).endpoints.get_mut(id) {
            e.removed = true;
            e.agent = None;
        }
    }

    /// Whether an agent is connected to endpoint `id`.
    pub(super) fn is_connected(&self, id: &str) -> bool {
        lock(&self.inner)
            .endpoints
            .get(id)
            .is_some_and(|e| e.agent.is_some())
    }

    /// Closes the agent's session of `id` (and refuses its token from now on with `revoke`);
    /// false when there was no agent (or, with `revoke`, no endpoint).
    pub(super) fn drop_agent(&self, id: &str, revoke: bool) -> bool {
        let mut inner = lock(&self.inner);
        let Some(e) = inner.endpoints.get_mut(id) else {
            return false;
        };
        if revoke {
            e.revoked = true;
        }
        e.agent.take().is_some() || revoke
    }

    /// Sets how long a stream may stay unacknowledged before its session is closed.
    pub(super) fn set_open_timeout(&self, timeout: Duration) {
        lock(&self.inner).open_timeout = Some(timeout);
    }

    fn open_timeout(&self) -> Duration {
        lock(&self.inner)
            .open_timeout
            .unwrap_or(Duration::from_secs(75))
    }

    /// Answers the next `times` upstream connection attempts with `status`.
    pub(super) fn refuse(&self, status: StatusCode, times: u32) {
        lock(&self.inner).refuse = (times > 0).then_some((status, times));
    }

    /// Stops the upstream listener and every session, and listens again on the same port
    /// after `down`; false when the server is not running.
    pub(super) fn restart_upstream(self: &Arc<Self>, down: Duration) -> bool {
        let (addr, all_rx) = {
            let mut inner = lock(&self.inner);
            let Some(l) = inner.listening.as_mut() else {
                return false;
            };
            l.upstream_stop.send_replace(true);
            let all_rx = l.stop_all.subscribe();
            let addr = l.upstream;
            for e in inner.endpoints.values_mut() {
                e.agent = None;
            }
            (addr, all_rx)
        };
        let hub = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(down).await;
            // The old socket may linger a moment after its listener is dropped.
            for _ in 0..100 {
                if *all_rx.borrow() {
                    return;
                }
                if let Ok(listener) = TcpListener::bind(addr).await {
                    let (stop, stop_rx) = watch::channel(false);
                    if let Some(l) = lock(&hub.inner).listening.as_mut() {
                        l.upstream_stop = stop;
                    }
                    upstream::serve(hub.clone(), listener, stop_rx, all_rx).await;
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            eprintln!("poke-emulator: could not listen again on {addr}");
        });
        true
    }

    /// Closes every session and forgets every endpoint (the listeners keep running).
    pub(crate) fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.endpoints.clear();
        inner.refuse = None;
        inner.open_timeout = None;
    }

    /// Stops both listeners and every session.
    pub(crate) fn shutdown(&self) {
        let mut inner = lock(&self.inner);
        if let Some(l) = inner.listening.take() {
            l.stop_all.send_replace(true);
        }
        inner.endpoints.clear();
    }

    /// Checks an upstream connection attempt for endpoint `id` with `token`.
    fn admit(&self, id: &str, token: Option<&str>) -> Result<(), Refusal> {
        let mut inner = lock(&self.inner);
        if let Some((status, times)) = inner.refuse {
            inner.refuse = (times > 1).then_some((status, times - 1));
            if let Some(e) = inner.endpoints.get_mut(id) {
                e.refused += 1;
            }
            return Err(Refusal::Status(status));
        }
        match inner.endpoints.get_mut(id) {
            Some(e) if !e.revoked && !e.removed && token == Some(e.token.as_str()) => Ok(()),
            Some(e) => {
                e.refused += 1;
                Err(Refusal::Unauthorized)
            }
            None => Err(Refusal::Unauthorized),
        }
    }

    /// Makes `link` the agent of endpoint `id` (closing any previous session); returns the
    /// link's id, or `None` when the endpoint is gone.
    fn attach(
        &self,
        id: &str,
        opener: mpsc::UnboundedSender<mux::OpenRequest>,
        close: watch::Sender<()>,
    ) -> Option<u64> {
        let mut inner = lock(&self.inner);
        inner.next_link += 1;
        let link_id = inner.next_link;
        let e = inner.endpoints.get_mut(id)?;
        e.connects += 1;
        e.agent = Some(AgentLink {
            id: link_id,
            opener,
            _close: close,
        });
        Some(link_id)
    }

    /// Forgets the agent of endpoint `id` if it is still the session `link_id`.
    fn detach(&self, id: &str, link_id: u64) {
        if let Some(e) = lock(&self.inner).endpoints.get_mut(id) {
            if e.agent.as_ref().is_some_and(|a| a.id == link_id) {
                e.agent = None;
            }
        }
    }

    /// Opens a stream to the agent of endpoint `id`.
    async fn open_stream(&self, id: &str) -> Option<io::Result<MuxStream>> {
        let opener = lock(&self.inner)
            .endpoints
            .get(id)
            .and_then(|e| e.agent.as_ref().map(|a| a.opener.clone()))?;
        let (tx, rx) = oneshot::channel();
        opener.send(tx).ok()?;
        rx.await.ok()
    }

    fn count_forwarded(&self, id: &str) {
        if let Some(e) = lock(&self.inner).endpoints.get_mut(id) {
            e.forwarded += 1;
        }
    }

    /// The endpoint of connection `id`, for the account snapshot.
    pub(super) fn endpoint_json(&self, id: &str) -> Value {
        let inner = lock(&self.inner);
        match inner.endpoints.get(id) {
            Some(e) => endpoint_json(e),
            None => Value::Null,
        }
    }

    /// The server and every endpoint, for `GET /_emulator/tunnels`.
    pub(super) fn to_json(&self) -> Value {
        let inner = lock(&self.inner);
        let endpoints: serde_json::Map<String, Value> = inner
            .endpoints
            .iter()
            .map(|(id, e)| (id.clone(), endpoint_json(e)))
            .collect();
        json!({
            "upstream_url": inner.listening.as_ref().map(|l| format!("http://{}", l.upstream)),
            "proxy_url": inner.listening.as_ref().map(|l| format!("http://{}", l.proxy)),
            "endpoints": endpoints,
        })
    }
}

fn endpoint_json(e: &Endpoint) -> Value {
    json!({
        "connected": e.agent.is_some(),
        "connects": e.connects,
        "forwarded": e.forwarded,
        "refused": e.refused,
        "revoked": e.revoked,
        "removed": e.removed,
    })
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// The host of a base URL (`127.0.0.1` of `http://127.0.0.1:41234`, `::1` of
/// `http://[::1]:80`).
fn host_of(base_url: &str) -> String {
    let authority = base_url.split_once("://").map_or(base_url, |(_, a)| a);
    let authority = authority.split('/').next().unwrap_or(authority);
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_of_base_urls() {
        assert_eq!(super::host_of("http://127.0.0.1:41234"), "127.0.0.1");
        assert_eq!(super::host_of("https://[::1]:8443"), "::1");
        assert_eq!(super::host_of("http://localhost"), "localhost");
    }
}
