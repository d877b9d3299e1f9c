//! Transport failures (reqwest errors) as the crate's errors, worded like Python's socket errors.

use super::connector::ConnectTimedOut;
use crate::error::{Error, TimeoutPhase};

/// A failure while reading a response body.
pub(crate) fn map_body_error(e: reqwest::Error) -> Error {
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent: true,
    }
}

/// A failure of `send()`: before the request could reach the server (connect), or after.
pub(crate) fn map_reqwest(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if let Some(limit) = connect_timed_out(&e) {
        return Error::timeout(TimeoutPhase::Connect, limit);
    }
    if e.is_connect() {
        return Error::Connection {
            reason: reason_of(&e),
            maybe_sent: false,
        };
    }
    if e.is_builder() {
        return Error::InvalidInput {
            field: "request",
            reason: reason_of(&e),
        };
    }
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent: true,
    }
}

/// The innermost cause, worded like Python's socket errors where there is an OS error code.
fn reason_of(e: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost: &(dyn std::error::Error + 'static) = e;
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(code) = io.raw_os_error() {
                let text = std::io::Error::from_raw_os_error(code).to_string();
                let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
                return format!("[Errno {code}] {text}");
            }
        }
        let text = err.to_string();
        if text.contains("connection closed before message completed") {
            return "Remote end closed connection without response".into();
        }
        innermost = err;
        cur = err.source();
    }
    innermost.to_string()
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
