//! `poke whoami`: the name, e-mail or id of the saved token's user.

use super::failures::{Doing, NOT_LOGGED_IN, account_failure};
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;

pub async fn run(out: Output) -> Outcome {
    let client = clients::account(false)?;
    if !client.is_logged_in() {
        return Err(Failure::new(NOT_LOGGED_IN));
    }
    let url = format!("{}/user/profile", client.base_url());
    let profile = client
        .profile()
        .await
        .map_err(|e| account_failure(&e, &url, Doing::Plain("Failed to fetch profile")))?;
    if out.json() {
        out.data(&serde_json::json!({
            "id": profile.id,
            "name": profile.name,
            "email": profile.email,
        }));
    } else {
        out.line(profile.display_name().unwrap_or("Logged in"));
    }
    Ok(())
}
