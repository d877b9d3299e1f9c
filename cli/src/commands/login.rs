//! `poke login`: a device code shown here, approved in the browser, polled until the server
//! hands out a token, which is saved atomically with owner-only permissions.

use super::failures::transport_message;
use crate::args::LoginArgs;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use crate::{browser, clients};
use poke::Error;
use poke::account::LoginStatus;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

/// Wait between polls when the server does not say (npm's value).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// How long a code is polled when the server does not say (npm's value).
const DEFAULT_EXPIRY: Duration = Duration::from_secs(300);

pub async fn run(args: LoginArgs, out: Output) -> Outcome {
    if poke::binding::load_credentials_token().is_some() {
        out.line("Already logged in. Run 'poke logout' first to switch accounts.");
        return Ok(());
    }
    let client = clients::account(true)?;
    let code_url = format!("{}/cli-auth/code", client.base_url());
    let code = client.create_login_code().await.map_err(|e| match e {
        Error::Api(_) => Failure::new("Failed to create login code"),
        other => Failure::new(transport_message(&other, &code_url)),
    })?;
    let page = format!("{}/device", clients::frontend_url());
    if out.json() {
        out.data(&json!({"event": "code", "user_code": code.user_code, "url": page}));
    } else {
        out.line(format!(
            "Your login code: {}",
            console::style(&code.user_code).bold()
        ));
        out.line(format!("Enter it at: {page}"));
    }
    if !args.no_browser {
        if let Err(reason) = browser::open(&page) {
            out.warn(format!(
                "could not open a browser ({reason}); open {page} yourself"
            ));
        }
    }
    if !out.json() {
        out.line("Waiting for authentication...");
    }
    let interval = code.interval.unwrap_or(DEFAULT_INTERVAL);
    let deadline = Instant::now() + code.expires_in.unwrap_or(DEFAULT_EXPIRY);
    // The poll URL carries the device code: messages name the route without it.
    let poll_url = format!("{}/cli-auth/poll/…", client.base_url());
    let mut dotted = false;
    let end_dots = |dotted: bool| {
        if dotted {
            out.line("");
        }
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(interval.min(left)).await;
        let poll = client.poll_login(&code.device_code).await.map_err(|e| {
            end_dots(dotted);
            match e {
                Error::Api(api) => Failure::new(format!(
                    "Login failed: the server answered HTTP {} to a poll",
                    api.status
                )),
                other => Failure::new(transport_message(&other, &poll_url)),
            }
        })?;
        match poll.status {
            LoginStatus::Authenticated => {
                end_dots(dotted);
                let Some(token) = poll.token else {
                    return Err(Failure::new(
                        "Login failed: the server reported success but sent no token.",
                    ));
                };
                let path = poke::account::save_credentials_token(&token)
                    .map_err(|e| Failure::new(format!("Could not save the credentials: {e}")))?;
                if out.json() {
                    out.data(&json!({"event": "logged_in", "credentials": path}));
                } else {
                    out.success("Logged in successfully!");
                }
                return Ok(());
            }
            LoginStatus::Expired => {
                end_dots(dotted);
                return Err(Failure::new("Code expired. Run 'poke login' again."));
            }
            LoginStatus::Invalid => {
                end_dots(dotted);
                return Err(Failure::new("Invalid code. Run 'poke login' again."));
            }
            _ => {
                if Instant::now() >= deadline {
                    end_dots(dotted);
                    return Err(Failure::new("Login timed out. Run 'poke login' again."));
                }
                if !out.json() {
                    out.part(".");
                    dotted = true;
                }
            }
        }
    }
}
