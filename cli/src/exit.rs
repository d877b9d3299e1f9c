//! Exit codes, and the one error type commands return.

/// The command did what was asked.
pub const SUCCESS: i32 = 0;
/// The command failed (API error, not logged in, network, bad input); the reason is on stderr.
pub const FAILURE: i32 = 1;
/// The command line itself is wrong (unknown command or option, missing argument).
pub const USAGE: i32 = 2;
/// Interrupted by Ctrl+C (or SIGTERM) before it finished.
pub const INTERRUPTED: i32 = 130;

/// The exit codes as `--help` lists them.
pub const HELP: &str = "\
Exit codes:
  0    success
  1    failure: API error, not logged in, network error, invalid input (the reason is on stderr)
  2    invalid command line
  130  interrupted (Ctrl+C): a chat turn cancelled, a tunnel left at once by a second Ctrl+C";

/// Why a command stopped: a line for stderr and the exit code.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    /// The message (may be empty when everything was already said).
    pub message: String,
    /// The process exit code.
    pub code: i32,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: FAILURE,
        }
    }

    /// An interruption (exit code 130).
    pub fn interrupted(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: INTERRUPTED,
        }
    }

    /// An exit with `code` and nothing more to say.
    pub fn quiet(code: i32) -> Self {
        Self {
            message: String::new(),
            code,
        }
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;
