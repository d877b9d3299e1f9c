//! The logged-in user's profile.

use super::client::AccountClient;
use super::lenient;
use crate::Result;
use crate::http::{Body, Idempotency};
use reqwest::Method;
use serde::Deserialize;

/// The reply of `GET /user/profile`; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// The user id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: Option<String>,
    /// The e-mail address.
    #[serde(default, deserialize_with = "lenient::text")]
    pub email: Option<String>,
}

impl Profile {
    /// The first of name, e-mail and id that is present, as `poke whoami` shows it.
    pub fn display_name(&self) -> Option<&str> {
        [&self.name, &self.email, &self.id]
            .into_iter()
            .find_map(|v| v.as_deref())
    }
}

impl AccountClient {
    /// Reads the user's profile (`GET /user/profile`).
    pub async fn profile(&self) -> Result<Profile> {
        let req = self.authed(Method::GET, "/user/profile", Body::Empty, Idempotency::Safe)?;
        self.call_json(req).await
    }
}
