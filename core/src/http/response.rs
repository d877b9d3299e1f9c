//! Reading responses: capped bodies, headers, and the API error of a non-2xx answer.

use super::api_error::{self, Flavor};
use super::failure::map_body_error;
use super::retry_after::parse_retry_after;
use super::watch::Watch;
use crate::error::{Error, Result};
use bytes::Bytes;
use std::time::SystemTime;

/// A response header as text, when present and visible ASCII.
pub(crate) fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a body, failing once it passes `cap` bytes.
pub(crate) async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Bytes> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(Error::BodyTooLarge { limit: cap });
    }
    let mut buf = Vec::with_capacity(
        resp.content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
    );
    while let Some(chunk) = resp.chunk().await.map_err(map_body_error)? {
        Watch::progress();
        if buf.len() as u64 + chunk.len() as u64 > cap {
            return Err(Error::BodyTooLarge { limit: cap });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Builds the API error of a non-2xx response, reading (a capped part of) its body.
pub(crate) async fn error_from_response(resp: reqwest::Response, flavor: Flavor) -> Error {
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let retry_after =
        parse_retry_after(get("retry-after-ms"), get("retry-after"), SystemTime::now());
    let body = read_capped(resp, 64 * 1024).await.unwrap_or_default();
    Error::Api(Box::new(api_error::build(
        flavor,
        status,
        headers,
        &body,
        retry_after,
    )))
}
