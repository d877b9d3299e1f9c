//! How the account routes answer, set through `POST /_emulator/account/settings`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The behaviour of the account routes; every field has a default, unknown fields are refused.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AccountSettings {
    /// What a login code turns into after `login_after_polls` pending answers:
    /// `authenticated`, `expired`, `invalid`, or `manual` (pending until a control route
    /// decides).
    pub(crate) login_outcome: LoginOutcome,
    /// Polls answered `pending` before the outcome.
    pub(crate) login_after_polls: u32,
    /// `interval` sent with a new code (seconds), if any.
    pub(crate) login_interval: Option<f64>,
    /// `expires_in` sent with a new code (seconds), if any; a code older than this polls as
    /// `expired` unless `login_enforce_expiry` is false.
    pub(crate) login_expires_in: Option<f64>,
    /// Whether codes expire on the server after `login_expires_in` (false: only the client's
    /// own deadline ends the login).
    pub(crate) login_enforce_expiry: bool,
    /// Whether an `authenticated` poll carries the token (false: a broken server).
    pub(crate) login_reply_token: bool,
    /// The reply of `GET /user/profile`.
    pub(crate) profile: Value,
    /// `POST /mcp/connections/cli` (not tunnelled) answers 400 `OAUTH_REQUIRED`.
    pub(crate) mcp_oauth_required: bool,
    /// The `tools` of an added connection.
    pub(crate) mcp_tools: Vec<Value>,
    /// What `activate-tunnel` answers once the agent is connected.
    pub(crate) activation: Activation,
    /// A recipe comes with every new tunnelled connection (else `create-recipe` makes one).
    pub(crate) recipe_with_connection: bool,
    /// `create-recipe` answers 500.
    pub(crate) recipe_fails: bool,
}

/// What a login code becomes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LoginOutcome {
    /// Approved: the poll carries a new token.
    #[default]
    Authenticated,
    /// The code expires.
    Expired,
    /// The code is reported invalid.
    Invalid,
    /// Pending until `POST /_emulator/account/codes/{code}` decides.
    Manual,
}

/// What `activate-tunnel` answers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Activation {
    /// `{"status": "authenticated"}`.
    #[default]
    Authenticated,
    /// `{"status": "oauth_required", "authUrl": …}`.
    OauthRequired,
    /// 500.
    Fail,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            login_outcome: LoginOutcome::Authenticated,
            login_after_polls: 1,
            login_interval: None,
            login_expires_in: None,
            login_enforce_expiry: true,
            login_reply_token: true,
            profile: json!({"id": "user_emulated", "name": "Emulated User", "email": "user@example.com"}),
            mcp_oauth_required: false,
            mcp_tools: Vec::new(),
            activation: Activation::Authenticated,
            recipe_with_connection: false,
            recipe_fails: false,
        }
    }
}
