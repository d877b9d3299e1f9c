//! API key resolution: argument, then `POKE_API_KEY`, then the `poke login` credentials file.

use crate::secret::Secret;
use crate::{Error, Result};
use std::path::PathBuf;

/// Path of the credentials file written by `poke login`.
///
/// `$XDG_CONFIG_HOME/poke/credentials.json` when that variable is set and non-empty, otherwise
/// `~/.config/poke/credentials.json`.
pub fn credentials_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home_dir()?.join(".config"),
    };
    Some(base.join("poke").join("credentials.json"))
}

// `std::env::home_dir` is deprecated before Rust 1.86 (our MSRV is 1.85) and fixed since.
#[allow(deprecated)]
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir)
}

/// The `token` from the credentials file, or `None` when the file is missing, unreadable,
/// malformed, or holds no non-empty token.
///
/// A non-string token (e.g. a number) is used in its JSON text form, as the official SDK does.
pub fn load_credentials_token() -> Option<String> {
    token_from_text(&std::fs::read_to_string(credentials_path()?).ok()?)
}

/// The `token` of a credentials file's text, as [`load_credentials_token`] reads it.
pub(crate) fn token_from_text(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let token = value.as_object()?.get("token")?;
    if !crate::compat::pyrepr::truthy(token) {
        return None;
    }
    Some(crate::compat::pyrepr::py_str(token))
}

/// Resolves the API key: the argument, then `POKE_API_KEY`, then the credentials file.
///
/// Empty values count as absent. Fails with [`Error::MissingApiKey`] when every source is empty.
pub fn resolve_api_key(arg: Option<&str>) -> Result<Secret> {
    resolve_key(arg, "POKE_API_KEY", true).ok_or(Error::MissingApiKey)
}

pub(crate) fn resolve_key(arg: Option<&str>, env: &str, use_file: bool) -> Option<Secret> {
    if let Some(key) = arg.filter(|k| !k.is_empty()) {
        return Some(Secret::new(key));
    }
    if let Some(key) = std::env::var(env).ok().filter(|k| !k.is_empty()) {
        return Some(Secret::new(key));
    }
    if use_file {
        return load_credentials_token().map(Secret::new);
    }
    None
}
