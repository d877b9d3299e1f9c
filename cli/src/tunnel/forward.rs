//! Serving one tunnel stream: it carries one HTTP/1.1 connection with one request, which is
//! reverse-proxied to the local server, the reply streamed back as it comes (SSE included),
//! without any time bound.

use super::local::LocalTarget;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Body as _, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// The body of a reply sent back through the tunnel.
type ReplyBody = BoxBody<Bytes, std::io::Error>;

/// Hop-by-hop headers (RFC 9110 §7.6.1), which a proxy does not forward.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Forwards tunnel streams to the local server.
pub struct Forwarder {
    client: reqwest::Client,
    target: LocalTarget,
    /// Told when the local server cannot be reached.
    on_unreachable: Box<dyn Fn(String) + Send + Sync>,
}

impl Forwarder {
    /// A forwarder to `target`; `on_unreachable` hears why a request could not be forwarded.
    pub fn new(
        target: LocalTarget,
        on_unreachable: impl Fn(String) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            // The local server is local: no proxy, and its redirects go back to the caller.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            target,
            on_unreachable: Box::new(on_unreachable),
        })
    }

    /// Serves the HTTP/1.1 connection carried by `stream`; `forwarded_for` is appended to
    /// `X-Forwarded-For`.
    pub async fn serve<S>(self: Arc<Self>, stream: S, forwarded_for: Option<IpAddr>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = hyper::service::service_fn(move |req| {
            let this = self.clone();
            async move { Ok::<_, Infallible>(this.forward(req, forwarded_for).await) }
        });
        // One request per stream: the tunnel server asks for `Connection: close`.
        let _ = hyper::server::conn::http1::Builder::new()
            .keep_alive(false)
            .serve_connection(TokioIo::new(stream), service)
            .await;
    }

    async fn forward(
        &self,
        req: Request<Incoming>,
        forwarded_for: Option<IpAddr>,
    ) -> Response<ReplyBody> {
        let (parts, body) = req.into_parts();
        let url = self
            .target
            .url_for(parts.uri.path_and_query().map_or("/", |p| p.as_str()));
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        if let Some(ip) = forwarded_for {
            append_forwarded_for(&mut headers, ip);
        }
        let mut request = self.client.request(parts.method, &url).headers(headers);
        if !body.is_end_stream() {
            request = request.body(reqwest::Body::wrap_stream(body.into_data_stream()));
        }
        let reply = match request.send().await {
            Ok(reply) => reply,
            Err(e) => {
                (self.on_unreachable)(format!("{}: {}", self.target.origin(), error_chain(&e)));
                return unreachable_reply();
            }
        };
        let mut response = Response::builder().status(reply.status());
        if let Some(h) = response.headers_mut() {
            *h = reply.headers().clone();
            strip_hop_by_hop(h);
        }
        let chunks = reply
            .bytes_stream()
            .map_ok(Frame::data)
            .map_err(std::io::Error::other);
        response
            .body(BodyExt::boxed(StreamBody::new(chunks)))
            .unwrap_or_else(|_| unreachable_reply())
    }
}

/// piko's answer when the local server cannot be reached.
fn unreachable_reply() -> Response<ReplyBody> {
    let mut resp = Response::new(
        Full::new(Bytes::from_static(br#"{"error":"upstream unreachable"}"#))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = StatusCode::BAD_GATEWAY;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Removes the hop-by-hop headers and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn append_forwarded_for(headers: &mut HeaderMap, ip: IpAddr) {
    let value = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) if !prior.trim().is_empty() => format!("{prior}, {ip}"),
        _ => ip.to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert("x-forwarded-for", v);
    }
}

/// An error with its causes, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("close, x-secret-hop"),
        );
        h.insert("x-secret-hop", HeaderValue::from_static("1"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert("host", HeaderValue::from_static("public.example"));
        h.insert("accept", HeaderValue::from_static("text/event-stream"));
        strip_hop_by_hop(&mut h);
        let names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["host", "accept"]);
    }

    #[test]
    fn forwarded_for_is_appended() {
        let mut h = HeaderMap::new();
        append_forwarded_for(&mut h, IpAddr::from([10, 0, 0, 1]));
        append_forwarded_for(&mut h, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            h.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
            Some("10.0.0.1, 127.0.0.1")
        );
    }
}
