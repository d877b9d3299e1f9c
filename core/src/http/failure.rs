//! Transport failures (reqwest errors) as the crate's errors, worded like Python's socket errors.

use crate::error::{Error, TimeoutPhase};

pub(crate) fn map_body_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            phase: TimeoutPhase::ReadIdle,
            after: std::time::Duration::ZERO,
        };
    }
    Error::Connection {
        reason: reason_of(&e),
        maybe_sent: true,
    }
}

pub(crate) fn map_reqwest(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_connect() {
        if e.is_timeout() {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: std::time::Duration::ZERO,
            };
        }
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

/// Maps a failed `send()` the way [`Http::execute`] does.
pub(crate) fn map_send_error(e: reqwest::Error) -> Error {
    map_reqwest(e)
}
