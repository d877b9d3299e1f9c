//! Opening the upstream WebSocket: `{upstreamUrl}/piko/v1/upstream/{id}` with the tunnel token
//! as bearer, and sorting failures into retryable ones (no HTTP reply; 408, 429, 500, 502, 503,
//! 504) and fatal ones (any other status, 401 included), as piko's agent does.

use poke::Secret;
use reqwest::Url;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_util::either::Either;

/// The upstream connection: plain TCP or TLS.
pub type UpstreamIo = Either<TcpStream, TlsStream<TcpStream>>;

/// Bound on one connection attempt (TCP, TLS and the WebSocket handshake).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a connection attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// No HTTP reply, or a status worth retrying.
    Retryable(String),
    /// A status that will not change by retrying (401: the token is not accepted).
    Fatal {
        /// The HTTP status.
        status: u16,
        /// What the server said (its JSON `error`, else the reason phrase).
        message: String,
    },
    /// The upstream URL cannot be used.
    BadUrl(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Retryable(reason) => f.write_str(reason),
            Self::Fatal { status, message } => write!(f, "HTTP {status}: {message}"),
            Self::BadUrl(reason) => write!(f, "invalid tunnel upstream URL: {reason}"),
        }
    }
}

/// The WebSocket URL of endpoint `id` under `upstream` (`http`→`ws`, `https`→`wss`).
pub fn upstream_url(upstream: &str, id: &str) -> Result<Url, ConnectError> {
    let mut url = Url::parse(upstream).map_err(|e| ConnectError::BadUrl(e.to_string()))?;
    let scheme = match url.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => return Err(ConnectError::BadUrl(format!("unsupported scheme {other}"))),
    };
    url.set_scheme(scheme)
        .map_err(|()| ConnectError::BadUrl("cannot change the scheme".to_owned()))?;
    let path = format!("{}/piko/v1/upstream/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.path_segments_mut()
        .map_err(|()| ConnectError::BadUrl("the URL cannot have a path".to_owned()))?
        .pop_if_empty()
        .push(id);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// One attempt: the WebSocket, and the server's address (for `X-Forwarded-For`).
pub async fn connect(
    url: &Url,
    token: &Secret,
) -> Result<(WebSocketStream<UpstreamIo>, Option<IpAddr>), ConnectError> {
    match tokio::time::timeout(ATTEMPT_TIMEOUT, attempt(url, token)).await {
        Ok(result) => result,
        Err(_) => Err(ConnectError::Retryable(format!(
            "no answer within {}s",
            ATTEMPT_TIMEOUT.as_secs()
        ))),
    }
}

async fn attempt(
    url: &Url,
    token: &Secret,
) -> Result<(WebSocketStream<UpstreamIo>, Option<IpAddr>), ConnectError> {
    let host = url
        .host_str()
        .ok_or_else(|| ConnectError::BadUrl("no host".to_owned()))?
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| ConnectError::BadUrl("no port".to_owned()))?;
    let dial = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((dial, port))
        .await
        .map_err(|e| ConnectError::Retryable(format!("cannot connect to {host}:{port}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let peer = tcp.peer_addr().ok().map(|a| a.ip());
    let io = if url.scheme() == "wss" {
        let name = rustls::pki_types::ServerName::try_from(dial.to_owned())
            .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
        let tls = TlsConnector::from(tls_config()?)
            .connect(name, tcp)
            .await
            .map_err(|e| ConnectError::Retryable(format!("TLS with {host}:{port} failed: {e}")))?;
        Either::Right(tls)
    } else {
        Either::Left(tcp)
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
    let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| ConnectError::BadUrl("the tunnel token is not a valid header value".into()))?;
    bearer.set_sensitive(true);
    request.headers_mut().insert("authorization", bearer);
    match tokio_tungstenite::client_async(request, io).await {
        Ok((ws, _response)) => Ok((ws, peer)),
        Err(WsError::Http(response)) => {
            let status = response.status().as_u16();
            let message = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or_else(|| {
                    response
                        .status()
                        .canonical_reason()
                        .unwrap_or("")
                        .to_owned()
                });
            if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) {
                Err(ConnectError::Retryable(format!("HTTP {status}: {message}")))
            } else {
                Err(ConnectError::Fatal { status, message })
            }
        }
        Err(e) => Err(ConnectError::Retryable(format!(
            "WebSocket handshake failed: {e}"
        ))),
    }
}

/// TLS settings for `wss://` upstreams: the platform's roots, HTTP/1.1 only.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, ConnectError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use rustls_platform_verifier::BuilderVerifierExt;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|b| b.with_platform_verifier())
                .map_err(|e| e.to_string())?
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(|e| ConnectError::Retryable(format!("TLS setup failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::upstream_url;

    #[test]
    fn endpoint_path_appended_and_scheme_switched() {
        let u = |up: &str, id: &str| upstream_url(up, id).map(|u| u.to_string());
        assert_eq!(
            u("http://127.0.0.1:8001", "conn_1").ok().as_deref(),
            Some("ws://127.0.0.1:8001/piko/v1/upstream/conn_1")
        );
        assert_eq!(
            u("https://tunnel.example/base/", "a b").ok().as_deref(),
            Some("wss://tunnel.example/base/piko/v1/upstream/a%20b")
        );
        assert_eq!(
            u("https://tunnel.example/base?x=1", "c").ok().as_deref(),
            Some("wss://tunnel.example/base/piko/v1/upstream/c")
        );
        assert!(u("ftp://x", "c").is_err());
        assert!(u("nope", "c").is_err());
    }
}
