//! The one error of the bindings: `PokeError` (Kotlin `PokeException`, Swift `PokeError`).
//!
//! Built by ONE match over the core's error ([`From<poke::Error>`]); every text is the core's
//! `Display`, so Kotlin, Swift, Python and Rust users read the same words. Fields are called
//! `msg`, never `message`, which collides with `Throwable.message` in Kotlin (uniffi-rs#1434).
//! The error is rich, not flat: a flat error cannot be lifted back from a foreign callback.

use std::time::Duration;

/// Everything that can go wrong in a call.
///
/// `Display` (Kotlin `toString()`, Swift `description`) is the user-facing message, the same
/// text as `msg`. No variant ever carries the API key or a webhook token.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Debug, Display)]
pub enum PokeError {
    /// The server answered with a non-2xx status.
    #[error("{msg}")]
    Api {
        /// The message (the official SDK's wording for the Poke API).
        msg: String,
        /// HTTP status code.
        status: u16,
        /// Stable classification of `status`.
        kind: ApiErrorKind,
        /// The `error` short name of a JSON error body, when it is a string.
        code: Option<String>,
        /// The `x-request-id` response header.
        request_id: Option<String>,
        /// The server's retry hint (`retry-after-ms` or `Retry-After`), in milliseconds.
        retry_after_ms: Option<u64>,
        /// The response body (lossy UTF-8, capped at a few KiB).
        body: Option<String>,
        /// The response headers, in arrival order (feature `kotlin`: the Kotlin exceptions
        /// carry them; the Swift package's generated API stays as it is).
        #[cfg(feature = "kotlin")]
        headers: Vec<crate::client::HttpHeader>,
    },
    /// The connection failed: refused, DNS, TLS, reset, closed without a reply.
    #[error("{msg}")]
    Connection {
        /// The message (`Network error: ...`).
        msg: String,
        /// False when the request cannot have reached the server.
        maybe_sent: bool,
        /// The underlying failure in a few words (`Connection refused (os error 111)`), for
        /// the Kotlin exception's `cause` (feature `kotlin`).
        #[cfg(feature = "kotlin")]
        reason: String,
    },
    /// A time bound expired.
    #[error("{msg}")]
    Timeout {
        /// The message.
        msg: String,
        /// Which bound expired.
        phase: TimeoutPhase,
        /// The bound that expired, in milliseconds (0 when the core does not know it).
        after_ms: u64,
    },
    /// A 2xx response whose body could not be decoded.
    #[error("{msg}")]
    Decode {
        /// The message.
        msg: String,
        /// HTTP status of the response.
        status: u16,
    },
    /// A response larger than the client's cap.
    #[error("{msg}")]
    ResponseTooLarge {
        /// The message.
        msg: String,
        /// The cap, in bytes.
        limit_bytes: u64,
    },
    /// No API key in the options, `POKE_API_KEY` or the `poke login` credentials file.
    #[error("{msg}")]
    MissingApiKey {
        /// The message.
        msg: String,
    },
    /// Invalid client configuration.
    #[error("{msg}")]
    Config {
        /// The message.
        msg: String,
    },
    /// An argument the server could never accept (e.g. CR/LF in a key); nothing was sent.
    #[error("{msg}")]
    InvalidInput {
        /// The message (`invalid <field>: <reason>`; never the offending value).
        msg: String,
        /// Which argument.
        field: String,
    },
    /// A stream ended before its terminal event and could not be resumed.
    #[error("{msg}")]
    Stream {
        /// The message.
        msg: String,
        /// The id of the last event delivered, for a manual resume.
        last_event_id: Option<String>,
    },
    /// A local file could not be read or written.
    #[error("{msg}")]
    File {
        /// The message.
        msg: String,
        /// The path involved.
        path: String,
    },
    /// The operation was cancelled.
    #[error("{msg}")]
    Cancelled {
        /// The message.
        msg: String,
    },
    /// A tool loop (`runTools`) still got function calls after its last allowed round.
    #[error("{msg}")]
    ToolRounds {
        /// The message.
        msg: String,
        /// The rounds made.
        rounds: u32,
    },
    /// A bug or an error the bindings do not know yet (a newer core); report it.
    #[error("{msg}")]
    Internal {
        /// The message.
        msg: String,
    },
}

/// Status classes that callers branch on (the core's `ErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ApiErrorKind {
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

/// Which time bound expired (the core's `TimeoutPhase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// Waiting for more bytes on an open response.
    ReadIdle,
    /// The whole request, headers and body.
    Total,
}

impl From<poke::ErrorKind> for ApiErrorKind {
    fn from(kind: poke::ErrorKind) -> Self {
        use poke::ErrorKind as K;
        match kind {
            K::BadRequest => Self::BadRequest,
            K::Unauthorized => Self::Unauthorized,
            K::PaymentRequired => Self::PaymentRequired,
            K::Forbidden => Self::Forbidden,
            K::NotFound => Self::NotFound,
            K::Conflict => Self::Conflict,
            K::PayloadTooLarge => Self::PayloadTooLarge,
            K::RangeNotSatisfiable => Self::RangeNotSatisfiable,
            K::UnprocessableEntity => Self::UnprocessableEntity,
            K::RateLimited => Self::RateLimited,
            K::Server => Self::Server,
            _ => Self::Other,
        }
    }
}

impl From<poke::TimeoutPhase> for TimeoutPhase {
    fn from(phase: poke::TimeoutPhase) -> Self {
        match phase {
            poke::TimeoutPhase::Connect => Self::Connect,
            poke::TimeoutPhase::ReadIdle => Self::ReadIdle,
            // `Total` and any phase a newer core adds: the bound on the whole call.
            _ => Self::Total,
        }
    }
}

/// A duration as whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<poke::Error> for PokeError {
    fn from(e: poke::Error) -> Self {
        use poke::Error as E;
        // A listener's (or a tool handler's) own error comes back as it was thrown.
        let e = match e {
            E::Callback { source } => match source.downcast::<PokeError>() {
                Ok(thrown) => return *thrown,
                Err(source) => E::Callback { source },
            },
            E::Tool { name, source } => match source.downcast::<PokeError>() {
                Ok(thrown) => return *thrown,
                Err(source) => E::Tool { name, source },
            },
            e => e,
        };
        let msg = e.to_string();
        match e {
            E::Api(api) => {
                let api = *api;
                Self::Api {
                    msg,
                    status: api.status,
                    kind: api.kind.into(),
                    code: api.code,
                    request_id: api.request_id,
                    retry_after_ms: api.retry_after.map(millis),
                    body: api.body,
                    #[cfg(feature = "kotlin")]
                    headers: api
                        .headers
                        .into_iter()
                        .map(|(name, value)| crate::client::HttpHeader { name, value })
                        .collect(),
                }
            }
            #[cfg_attr(not(feature = "kotlin"), allow(unused_variables))]
            E::Connection {
                maybe_sent, reason, ..
            } => Self::Connection {
                msg,
                maybe_sent,
                #[cfg(feature = "kotlin")]
                reason,
            },
            // `after_ms` is the bound that fired; the message carries the real elapsed time.
            E::Timeout { phase, limit, .. } => Self::Timeout {
                msg,
                phase: phase.into(),
                after_ms: millis(limit),
            },
            E::Decode { status, .. } => Self::Decode { msg, status },
            E::BodyTooLarge { limit } => Self::ResponseTooLarge {
                msg,
                limit_bytes: limit,
            },
            E::MissingApiKey => Self::MissingApiKey { msg },
            E::Config(_) => Self::Config { msg },
            E::MissingSetting { .. } => Self::Config { msg },
            E::InvalidInput { field, .. } => Self::InvalidInput {
                msg,
                field: field.to_owned(),
            },
            E::Stream { last_event_id, .. } => Self::Stream { msg, last_event_id },
            E::File { path, .. } => Self::File { msg, path },
            E::Cancelled => Self::Cancelled { msg },
            E::ToolRounds { rounds } => Self::ToolRounds { msg, rounds },
            _ => Self::Internal { msg },
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PokeError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal {
            msg: format!("unexpected error in a foreign callback: {}", e.reason),
        }
    }
}

/// An argument that failed to convert at the FFI edge, as the core's `InvalidInput`. Public
/// for the emulator module that `poke-ffi-testing` compiles too.
#[doc(hidden)]
pub fn invalid_input(field: &'static str, reason: impl Into<String>) -> PokeError {
    poke::Error::InvalidInput {
        field,
        reason: reason.into(),
    }
    .into()
}

#[cfg(test)]
#[path = "tests/error.rs"]
mod tests;
