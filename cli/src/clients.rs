//! The clients commands use, built the way the SDK builds them, marked as the CLI.

use crate::args::KeyArgs;
use crate::exit::Failure;
use poke::account::AccountClient;
use poke::binding::SdkLang;
use poke::{Client, PokeeClient};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Poke front end (device page, recipe links): `POKE_FRONTEND`, default `https://poke.com`.
pub fn frontend_url() -> String {
    std::env::var("POKE_FRONTEND")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "https://poke.com".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The account client with the saved token (`anonymous`: without one, for logging in).
pub fn account(anonymous: bool) -> Result<AccountClient, Failure> {
    let mut builder = AccountClient::builder().sdk(SdkLang::Cli, VERSION);
    if anonymous {
        builder = builder.anonymous();
    }
    builder
        .build()
        .map_err(|e| Failure::new(format!("poke: {e}")))
}

/// A Poke API client with the SDK's key chain.
pub fn poke(key: &KeyArgs) -> Result<Client, Failure> {
    let mut builder = Client::builder().sdk(SdkLang::Cli, VERSION);
    if let Some(k) = key.api_key.as_deref() {
        builder = builder.api_key(k);
    }
    if let Some(url) = key.base_url.as_deref() {
        builder = builder.base_url(url);
    }
    builder.build().map_err(|e| match e {
        poke::Error::MissingApiKey => {
            Failure::new("No API key found: pass --api-key, set POKE_API_KEY, or run 'poke login'.")
        }
        other => Failure::new(other.to_string()),
    })
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// A Pokee API client with the SDK's key chain.
pub fn pokee(key: &KeyArgs) -> Result<PokeeClient, Failure> {
    if key.api_key.as_deref().is_none_or(str::is_empty) && !env_set("POKEE_KEY") {
        return Err(Failure::new(
            "No Pokee API key found: pass --api-key or set POKEE_KEY.",
        ));
    }
    if key.base_url.as_deref().is_none_or(str::is_empty) && !env_set("POKEE_API") {
        return Err(Failure::new(
            "No Pokee API URL found: pass --base-url or set POKEE_API.",
        ));
    }
    let mut builder = PokeeClient::builder().sdk(SdkLang::Cli, VERSION);
    if let Some(k) = key.api_key.as_deref() {
        builder = builder.api_key(k);
    }
    if let Some(url) = key.base_url.as_deref() {
        builder = builder.base_url(url);
    }
    builder.build().map_err(|e| Failure::new(e.to_string()))
}
