//! Transport failures (reqwest errors) as the crate's errors, keeping the cause as `source`.

use super::connector::ConnectTimedOut;
use crate::error::{Error, TimeoutPhase};
use std::sync::Arc;

/// A failure while reading a response body.
pub(crate) fn map_body_error(e: reqwest::Error) -> Error {
    connection(e, true)
}

fn connection(e: reqwest::Error, maybe_sent: bool) -> Error {
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent,
        source: Some(Arc::new(e)),
    }
}

/// A failure of `send()`: before the request could reach the server (connect), or after.
pub(crate) fn map_reqwest(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if let Some(limit) = connect_timed_out(&e) {
        return Error::timeout(TimeoutPhase::Connect, limit);
    }
    if e.is_connect() {
        return connection(e, false);
    }
    if e.is_builder() {
        return Error::InvalidInput {
            field: "request",
            reason: reason_of(&e),
        };
    }
    connection(e, true)
}

/// What failed, in a few words: the innermost cause (`Connection refused (os error 111)`).
fn reason_of(e: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = e;
    while let Some(cause) = innermost.source() {
        innermost = cause;
    }
    let text = innermost.to_string();
    if text.contains("connection closed before message completed") {
        return "the server closed the connection without a response".into();
    }
    text
}

/// The connect bound, when the connector gave up on it.
fn connect_timed_out(e: &(dyn std::error::Error + 'static)) -> Option<std::time::Duration> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<ConnectTimedOut>() {
            return Some(t.0);
        }
        cur = err.source();
    }
    None
}
