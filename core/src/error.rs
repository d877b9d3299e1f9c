//! The one error type of the crate, with the exact messages of the official Python SDK.

use std::time::Duration;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-2xx status.
    #[error("{}", .0.message)]
    Api(Box<ApiError>),
    /// The connection failed (refused, DNS, TLS, reset, closed without a reply).
    #[error("Network error: {reason}")]
    Connection {
        /// What failed, in a few words (`Connection refused (os error 111)`).
        reason: String,
        /// False when the failure happened before the request could reach the server.
        maybe_sent: bool,
        /// The underlying failure, when there is one.
        #[source]
        source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// A time bound expired; `phase` says which.
    #[error("{}", timeout_message(*.phase, *.limit, *.after))]
    Timeout {
        /// Which bound expired.
        phase: TimeoutPhase,
        /// The bound that expired.
        limit: Duration,
        /// How long the call had run when it expired.
        after: Duration,
    },
    /// A 2xx response whose body could not be decoded.
    #[error("{api} returned an invalid response body ({what}): {detail}")]
    Decode {
        /// Which API answered (`Poke API`, `Pokee API`).
        api: &'static str,
        /// What was being decoded.
        what: String,
        /// The parser's message.
        detail: String,
        /// HTTP status of the response.
        status: u16,
    },
    /// A response or download larger than the configured cap.
    #[error("response body larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// No API key was found in any source.
    #[error(
        "no API key found: pass one when creating the client, set POKE_API_KEY, or log in with `poke login`"
    )]
    MissingApiKey,
    /// A setting the client cannot work without was neither given to its builder nor found in
    /// the environment.
    #[error("no {what} found: pass one when creating the client or set {env}")]
    MissingSetting {
        /// What is missing, e.g. `Pokee API key`.
        what: &'static str,
        /// The environment variable that would provide it.
        env: &'static str,
    },
    /// Invalid configuration.
    #[error("{0}")]
    Config(String),
    /// An argument the server could never accept; nothing was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A turn stream ended before its terminal event and could not be resumed.
    #[error("stream interrupted {}: {reason}", position(last_event_id.as_deref()))]
    Stream {
        /// Why resuming stopped.
        reason: String,
        /// The id of the last event delivered, for a manual resume.
        last_event_id: Option<String>,
    },
    /// A local file could not be read or written.
    #[error("file error on {path}: {reason}")]
    File {
        /// The caller's path.
        path: String,
        /// The OS message (without its code).
        reason: String,
        /// What kind of failure it was.
        kind: std::io::ErrorKind,
        /// The OS error number, when the OS gave one.
        errno: Option<i32>,
    },
    /// The client was closed before this call.
    #[error("the client has been closed")]
    Closed,
    /// The client was made in another process, before a `fork()`: its connections and
    /// threads belong to the parent. Make a new client in this process.
    #[error(
        "this client was created in another process (before a fork) and cannot be used here; create a new client in this process"
    )]
    Forked,
    /// A progress callback failed; the operation stopped and `source` is that failure.
    #[error("the progress callback failed: {source}")]
    Callback {
        /// What the callback returned or raised.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// A local function of a tool loop failed; the loop stopped and `source` is that failure.
    #[error("the tool {name} failed: {source}")]
    Tool {
        /// The function's name.
        name: String,
        /// What the function returned or raised.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A tool loop still got function calls after its last allowed round.
    #[error("the model still asked for tools after {rounds} rounds")]
    ToolRounds {
        /// The rounds made.
        rounds: u32,
    },
}

/// Which time bound expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for response bytes (headers, or the next chunk of a body).
    ReadIdle,
    /// Waiting for the server to take more of a streamed request body.
    Write,
    /// Waiting for a free connection slot.
    Pool,
    /// The whole call, retries included.
    Total,
    /// Waiting for a session to become idle (`wait_idle`'s deadline), not an HTTP bound.
    Wait,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::ReadIdle => "read",
            Self::Write => "write",
            Self::Pool => "pool",
            Self::Total => "total",
            Self::Wait => "wait",
        })
    }
}

/// Where a stream stopped, for its error message.
fn position(last_event_id: Option<&str>) -> String {
    match last_event_id {
        Some(id) => format!("after event {id}"),
        None => "before any event".to_owned(),
    }
}

/// The timeout message: the real elapsed time, and which bound fired.
fn timeout_message(phase: TimeoutPhase, limit: Duration, after: Duration) -> String {
    let (limit, after) = (limit.as_secs_f64(), after.as_secs_f64());
    let detail = match phase {
        TimeoutPhase::Wait => {
            return format!("Timed out after {limit:.1}s waiting for the session to become idle");
        }
        // The call was cut when its bound ran out: that is its length, to timer precision
        // (which a busy machine makes coarse), so the message names the bound.
        TimeoutPhase::Total => return format!("Request timed out after {limit:.1}s (total)"),
        TimeoutPhase::Connect => format!("connect: no connection within {limit:.1}s"),
        TimeoutPhase::ReadIdle => format!("read: no response data for {limit:.1}s"),
        TimeoutPhase::Write => format!("write: the server took no request data for {limit:.1}s"),
        TimeoutPhase::Pool => format!("pool: no free connection within {limit:.1}s"),
    };
    format!("Request timed out after {after:.1}s ({detail})")
}

/// A non-2xx answer, with what the server said.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Stable classification of the status.
    pub kind: ErrorKind,
    /// The message shown to users (the official SDK's wording for the Poke API).
    pub message: String,
    /// The `error` short name from a JSON error body, when it is a string.
    pub code: Option<String>,
    /// The `x-request-id` response header.
    pub request_id: Option<String>,
    /// The server's retry hint (`retry-after-ms` or `Retry-After`).
    pub retry_after: Option<Duration>,
    /// The response body, lossy UTF-8, capped at a few KiB.
    pub body: Option<String>,
    /// The response headers, names lowercased.
    pub headers: Vec<(String, String)>,
}

/// Status classes that callers branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 402.
    PaymentRequired,
    /// 403.
    Forbidden,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 413.
    PayloadTooLarge,
    /// 416.
    RangeNotSatisfiable,
    /// 422.
    UnprocessableEntity,
    /// 429.
    RateLimited,
    /// 500 and above.
    Server,
    /// Any other status.
    Other,
}

impl ErrorKind {
    /// Classifies a status code.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            402 => Self::PaymentRequired,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            416 => Self::RangeNotSatisfiable,
            422 => Self::UnprocessableEntity,
            429 => Self::RateLimited,
            500.. => Self::Server,
            _ => Self::Other,
        }
    }
}

impl Error {
    /// A timeout of `phase` after `limit`; the elapsed time is filled in by the call.
    pub(crate) fn timeout(phase: TimeoutPhase, limit: Duration) -> Self {
        Self::Timeout {
            phase,
            limit,
            after: limit,
        }
    }

    /// The same error with the call's real elapsed time on a timeout.
    pub(crate) fn with_elapsed(mut self, elapsed: Duration) -> Self {
        if let Self::Timeout { after, .. } = &mut self {
            *after = elapsed;
        }
        self
    }

    /// True for a time bound that expired (any phase).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True when no connection could be made (refused, DNS, TLS, connect timeout): the
    /// request never reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Self::Connection {
                maybe_sent: false,
                ..
            } | Self::Timeout {
                phase: TimeoutPhase::Connect | TimeoutPhase::Pool,
                ..
            }
        )
    }

    /// True when the same call may succeed later: network failures, timeouts of a phase,
    /// 408, 429 and 5xx answers (or the server's `x-should-retry: true`).
    ///
    /// It says nothing about whether repeating the call is safe: a message whose request may
    /// have reached the server (`Error::Connection { maybe_sent: true, .. }`, a 500) could be
    /// delivered twice, which is why the client's own retries skip those for calls without an
    /// idempotency key the server honours. Check that before repeating a call yourself.
    pub fn is_retryable(&self) -> bool {
        crate::http::is_retryable(self)
    }

    /// The HTTP status when the server answered, `None` for local and network failures.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error details, when the server answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }
}
