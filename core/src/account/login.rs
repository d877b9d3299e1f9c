//! Device-code login: a code for the user to type in the browser, then polling until the
//! server answers with a token (or says the code expired or is invalid).

use super::client::AccountClient;
use super::lenient;
use crate::Result;
use crate::http::{Body, Idempotency};
use crate::secret::Secret;
use crate::sessions::id_segment;
use reqwest::Method;
use serde::Deserialize;
use std::time::Duration;

/// A login code from `POST /cli-auth/code`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct LoginCode {
    /// The code the command polls with; it is as good as the token once approved.
    #[serde(rename = "deviceCode")]
    pub device_code: Secret,
    /// The code the user types on the device page.
    #[serde(rename = "userCode")]
    pub user_code: String,
    /// How long to wait between polls, when the server says.
    #[serde(default, deserialize_with = "lenient::seconds")]
    pub interval: Option<Duration>,
    /// How long the code stays valid, when the server says.
    #[serde(default, alias = "expiresIn", deserialize_with = "lenient::seconds")]
    pub expires_in: Option<Duration>,
}

/// One answer of `GET /cli-auth/poll/{deviceCode}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct LoginPoll {
    /// Where the login stands.
    #[serde(default, deserialize_with = "status")]
    pub status: LoginStatus,
    /// The login token, with [`LoginStatus::Authenticated`].
    #[serde(default, deserialize_with = "lenient::secret")]
    pub token: Option<Secret>,
}

/// The `status` of a login poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginStatus {
    /// The user approved the code; the reply carries the token.
    Authenticated,
    /// The code expired before it was approved.
    Expired,
    /// The server does not know the code.
    Invalid,
    /// Not decided yet (any other value, kept as sent).
    #[default]
    Pending,
    /// A status this version does not know, kept as sent; treated as pending.
    Other(String),
}

fn status<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<LoginStatus, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "authenticated" => LoginStatus::Authenticated,
            "expired" => LoginStatus::Expired,
            "invalid" => LoginStatus::Invalid,
            "pending" => LoginStatus::Pending,
            _ => LoginStatus::Other(s),
        },
        _ => LoginStatus::Pending,
    })
}

impl AccountClient {
    /// Asks for a login code (`POST /cli-auth/code`, no credentials).
    pub async fn create_login_code(&self) -> Result<LoginCode> {
        let req = self.anonymous(
            Method::POST,
            "/cli-auth/code",
            Body::Empty,
            // A second code is harmless: the first simply expires.
            Idempotency::Safe,
        );
        self.call_json(req).await
    }

    /// Polls a login code once (`GET /cli-auth/poll/{deviceCode}`, no credentials).
    pub async fn poll_login(&self, device_code: &Secret) -> Result<LoginPoll> {
        let code = id_segment("device_code", device_code.expose())?;
        let req = self.anonymous(
            Method::GET,
            &format!("/cli-auth/poll/{code}"),
            Body::Empty,
            Idempotency::Safe,
        );
        self.call_json(req).await
    }
}
