//! `poke mcp add`: adds an MCP server by URL; the key may come from the environment or
//! standard input instead of the command line.

use super::failures::{Doing, NOT_LOGGED_IN, account_failure};
use crate::args::McpAddArgs;
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use poke::account::NewConnection;
use serde_json::json;

/// Checks that `url` is an absolute http(s) URL with a host.
pub fn check_url(url: &str) -> Result<reqwest::Url, Failure> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(Failure::new(format!(
            "Invalid URL: {url} (expected an absolute http:// or https:// URL)"
        ))),
    }
}

/// The first line of standard input, without its line ending.
fn read_stdin_line() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::new(format!("could not read the API key from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn add(args: McpAddArgs, out: Output) -> Outcome {
    check_url(&args.url)?;
    let key = if args.api_key_stdin {
        Some(read_stdin_line()?)
    } else {
        args.api_key
    }
    .filter(|k| !k.is_empty());
    let client = clients::account(false)?;
    if !client.is_logged_in() {
        return Err(Failure::new(NOT_LOGGED_IN));
    }
    let mut conn = NewConnection::new(&args.name, &args.url);
    if let Some(key) = key {
        conn = conn.api_key(key);
    }
    let url = format!("{}/mcp/connections/cli", client.base_url());
    let added = client.add_mcp_connection(&conn).await.map_err(|e| {
        if e.api().and_then(|a| a.code.as_deref()) == Some("OAUTH_REQUIRED") {
            return Failure::new(
                "This MCP server requires OAuth authentication. Add it from the Poke web app instead.",
            );
        }
        account_failure(&e, &url, Doing::Detailed("Failed to add MCP connection"))
    })?;
    let tools = added.tools.len();
    if out.json() {
        out.data(&json!({
            "id": added.id,
            "name": added.name,
            "serverUrl": added.server_url,
            "tools": tools,
        }));
    } else {
        out.success("MCP connection added successfully!");
        out.field("Name", added.name.as_deref().unwrap_or(&args.name));
        out.field(
            "Server URL",
            added.server_url.as_deref().unwrap_or(&args.url),
        );
        out.field("Tools", tools);
    }
    Ok(())
}
