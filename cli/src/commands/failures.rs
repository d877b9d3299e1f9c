//! How a failed call of the account API is told: the npm command's messages where it has
//! them, one line naming the URL (never a token) for network failures.

use crate::exit::Failure;
use poke::Error;

/// "Not logged in" (no saved token).
pub const NOT_LOGGED_IN: &str = "Not logged in. Run 'poke login'.";
/// A call was refused with 401: the token was deleted.
pub const SESSION_EXPIRED: &str = "Session expired. Run 'poke login' again.";

/// What the command was doing, for the message of a refused call.
pub enum Doing<'a> {
    /// The message alone, whatever the server said.
    Plain(&'a str),
    /// The message, `: `, and the server's `message` (or `HTTP <status>`).
    Detailed(&'a str),
}

/// True when the server refused the token.
pub fn is_unauthorized(e: &Error) -> bool {
    e.status() == Some(401)
}

/// Deletes the saved token and says so (after any cleanup the caller had to do).
pub fn session_expired() -> Failure {
    poke::account::remove_credentials();
    Failure::new(SESSION_EXPIRED)
}

/// The failure for `e`, raised by a call to `url`; a 401 deletes the saved token.
pub fn account_failure(e: &Error, url: &str, doing: Doing<'_>) -> Failure {
    match e {
        Error::Api(api) if api.status == 401 => session_expired(),
        Error::Api(api) => match doing {
            Doing::Plain(what) => Failure::new(what),
            Doing::Detailed(what) => Failure::new(format!(
                "{what}: {}",
                api.server_message()
                    .unwrap_or_else(|| format!("HTTP {}", api.status))
            )),
        },
        Error::MissingApiKey => Failure::new(NOT_LOGGED_IN),
        other => Failure::new(transport_message(other, url)),
    }
}

/// One line for a failure that is not an error status: unreachable, timed out, not JSON.
pub fn transport_message(e: &Error, url: &str) -> String {
    match e {
        Error::Decode { status, .. } => {
            format!("{url} answered HTTP {status} with a body that is not the expected JSON")
        }
        Error::Connection { .. } | Error::Timeout { .. } => format!("Could not reach {url}: {e}"),
        other => format!("{url}: {other}"),
    }
}
