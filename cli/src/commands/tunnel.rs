//! `poke tunnel`: creates a tunnelled MCP connection, runs the built-in transport to the local
//! server, activates the connection, syncs its tools every few minutes, and removes it from
//! Poke on every way out: a signal, a transport that cannot come back, an expired login, or a
//! panic. The removal is bounded in time and its result reported as it is; a second signal
//! exits at once.

use super::failures::{
    Doing, NOT_LOGGED_IN, account_failure, is_unauthorized, session_expired, transport_message,
};
use crate::args::TunnelArgs;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use crate::signals::Signals;
use crate::tunnel::{AgentConfig, AgentEvent, AgentStop, LocalTarget, run_agent, upstream_url};
use crate::{browser, clients, qr};
use poke::account::{AccountClient, NewTunnel, TunnelConnection};
use poke::{CallOptions, Error, Secret, Timeouts};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};

/// Bound on removing the connection at exit, retries included.
const REMOVE_WITHIN: Duration = Duration::from_secs(10);

/// Why the tunnel stopped.
enum Ending {
    /// A stop signal.
    Signal(&'static str),
    /// The transport stopped for good.
    Transport(AgentStop),
    /// A call was refused with 401.
    SessionExpired,
    /// Something else that ends the command, with its message.
    Failed(String),
}

/// What the running part needs; moved into its task so a panic there still leads to cleanup.
struct Running {
    args: TunnelArgs,
    out: Output,
    client: AccountClient,
    conn: TunnelConnection,
    id: String,
    target: LocalTarget,
    signals: Arc<Mutex<Signals>>,
}

pub async fn run(args: TunnelArgs, out: Output) -> Outcome {
    let Some(target) = LocalTarget::parse(&args.local_url) else {
        return Err(Failure::new(format!("Invalid URL: {}", args.local_url)));
    };
    let client = clients::account(false)?;
    if !client.is_logged_in() {
        return Err(Failure::new(NOT_LOGGED_IN));
    }
    let signals =
        Signals::install().map_err(|e| Failure::new(format!("poke: cannot catch signals: {e}")))?;
    let signals = Arc::new(Mutex::new(signals));
    let create_url = format!("{}/mcp/connections/cli", client.base_url());
    let request = NewTunnel::new(&args.name, &args.local_url).oauth_client(
        args.client_id.clone(),
        args.client_secret.clone().map(Secret::new),
    );
    // A signal during creation waits for the reply: the connection it may make is removed.
    let mut early_signal = None;
    let created = {
        let create = client.create_tunnel(&request);
        tokio::pin!(create);
        loop {
            tokio::select! {
                result = &mut create => break result,
                name = next_signal(&signals) => {
                    if early_signal.is_some() {
                        return Err(Failure::interrupted(
                            "Interrupted: a tunnel connection may have been created; check the Poke web app.",
                        ));
                    }
                    early_signal = Some(name);
                    out.note("Stopping once Poke answers (Ctrl+C again to quit at once)...");
                }
            }
        }
    };
    let conn = created.map_err(|e| {
        account_failure(&e, &create_url, Doing::Detailed("Failed to create tunnel"))
    })?;
    let Some(id) = conn.id.clone() else {
        return Err(Failure::new("Tunnel configuration not available."));
    };
    // From here on the connection exists on Poke: every way out goes through `remove`.
    let ending = match early_signal {
        Some(name) => Ending::Signal(name),
        None => {
            let running = Running {
                args,
                out,
                client: client.clone(),
                conn,
                id: id.clone(),
                target,
                signals: signals.clone(),
            };
            match tokio::spawn(running.run()).await {
                Ok(ending) => ending,
                Err(e) if e.is_panic() => Ending::Failed(
                    "poke: internal error (the tunnel task panicked); removing the connection"
                        .to_owned(),
                ),
                Err(_) => Ending::Failed("poke: the tunnel task was cancelled".to_owned()),
            }
        }
    };
    match &ending {
        Ending::Transport(stop) => out.note(format!("Tunnel stopped: {stop}")),
        Ending::Failed(message) => out.note(message),
        Ending::Signal(name) if *name != "SIGINT" => out.note(format!("Received {name}.")),
        Ending::Signal(_) | Ending::SessionExpired => {}
    }
    let removed = remove(&client, &id, out, &signals).await?;
    match ending {
        Ending::Signal(_) if removed => Ok(()),
        Ending::SessionExpired => Err(session_expired()),
        _ => Err(Failure::quiet(crate::exit::FAILURE)),
    }
}

async fn next_signal(signals: &Mutex<Signals>) -> &'static str {
    signals.lock().await.next().await
}

/// Removes connection `id`, within [`REMOVE_WITHIN`]; a second signal gives up at once.
/// Returns whether it was removed.
async fn remove(
    client: &AccountClient,
    id: &str,
    out: Output,
    signals: &Mutex<Signals>,
) -> Result<bool, Failure> {
    if out.json() {
        out.data(&json!({"event": "removing", "id": id}));
    } else {
        out.line("Removing MCP connection...");
    }
    let bounded = client.with_options(
        CallOptions::new()
            .timeouts(Timeouts::default().with_total(REMOVE_WITHIN))
            .max_retries(2),
    );
    let url = format!("{}/mcp/connections/{id}", client.base_url());
    tokio::select! {
        result = bounded.delete_connection(id) => match result {
            Ok(_) => {
                if out.json() {
                    out.data(&json!({"event": "removed", "id": id}));
                } else {
                    out.success("MCP connection removed.");
                }
                Ok(true)
            }
            Err(e) => {
                let why = match &e {
                    Error::Api(api) if api.status == 401 => {
                        "HTTP 401: the login token was refused".to_owned()
                    }
                    Error::Api(api) => format!(
                        "HTTP {}{}",
                        api.status,
                        api.server_message().map(|m| format!(": {m}")).unwrap_or_default()
                    ),
                    other => transport_message(other, &url),
                };
                if out.json() {
                    out.data(&json!({"event": "remove_failed", "id": id, "error": why}));
                }
                out.note(format!(
                    "Could not remove the MCP connection {id} ({why}); remove it in the Poke web app."
                ));
                Ok(false)
            }
        },
        _ = next_signal(signals) => Err(Failure::interrupted(format!(
            "Interrupted: the MCP connection {id} may remain; remove it in the Poke web app."
        ))),
    }
}

impl Running {
    async fn run(self) -> Ending {
        let out = self.out;
        let tunnel = self.conn.tunnel.clone().unwrap_or_default();
        let (Some(token), Some(upstream)) = (tunnel.token, tunnel.upstream_url) else {
            return Ending::Failed("Tunnel configuration not available.".to_owned());
        };
        let url = match upstream_url(&upstream, &self.id) {
            Ok(url) => url,
            Err(e) => return Ending::Failed(format!("Tunnel configuration not available: {e}")),
        };
        let (tx, mut events) = mpsc::unbounded_channel();
        let agent = run_agent(
            AgentConfig {
                url,
                token,
                target: self.target.clone(),
                first_connect_timeout: Duration::from_secs(self.args.connect_timeout),
            },
            tx,
        );
        tokio::pin!(agent);
        let mut reporter = Reporter {
            out,
            retrying: false,
        };
        if !out.json() {
            out.line("Connecting the tunnel...");
        }
        loop {
            tokio::select! {
                stop = &mut agent => return Ending::Transport(stop),
                name = next_signal(&self.signals) => return Ending::Signal(name),
                event = events.recv() => match event {
                    Some(AgentEvent::Connected { .. }) => break,
                    Some(other) => reporter.report(&other),
                    None => {}
                },
            }
        }
        self.print_active();
        // Debug builds only: lets the tests check that a panic still removes the connection.
        #[cfg(debug_assertions)]
        if std::env::var_os("POKE_CLI_TEST_PANIC_WHEN_ACTIVE").is_some() {
            panic!("test panic requested by POKE_CLI_TEST_PANIC_WHEN_ACTIVE");
        }
        let steps = async {
            if let Some(ending) = self.activate().await {
                return Some(ending);
            }
            if self.args.recipe {
                return self.recipe().await;
            }
            None
        };
        tokio::select! {
            stop = &mut agent => return Ending::Transport(stop),
            name = next_signal(&self.signals) => return Ending::Signal(name),
            ending = steps => if let Some(ending) = ending { return ending },
        }
        let period = Duration::from_secs(self.args.sync_interval);
        let mut sync = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                stop = &mut agent => return Ending::Transport(stop),
                name = next_signal(&self.signals) => return Ending::Signal(name),
                event = events.recv() => if let Some(event) = event { reporter.report(&event) },
                _ = sync.tick() => if let Some(ending) = self.sync_tools().await { return ending },
            }
        }
    }

    fn print_active(&self) {
        let out = self.out;
        let public = self.conn.server_url.as_deref().unwrap_or("(not given)");
        let name = self.conn.name.as_deref().unwrap_or(&self.args.name);
        if out.json() {
            out.data(&json!({
                "event": "active",
                "id": self.id,
                "tunnel_url": public,
                "local": self.args.local_url,
                "name": name,
            }));
        } else {
            out.success("Tunnel is active!");
            out.field("Tunnel URL", public);
            out.field("Local", &self.args.local_url);
            out.field("Name", name);
        }
    }

    /// `activate-tunnel`; `Some` when the command must end.
    async fn activate(&self) -> Option<Ending> {
        let out = self.out;
        match self.client.activate_tunnel(&self.id).await {
            Ok(activation) => {
                let status = activation.status.as_deref().unwrap_or("");
                let auth_url = activation.auth_url.as_deref();
                if out.json() {
                    out.data(
                        &json!({"event": "activated", "status": status, "auth_url": auth_url}),
                    );
                } else {
                    match status {
                        "authenticated" => out.line("Connection activated and tools synced."),
                        "oauth_required" => {
                            out.line("This MCP server requires OAuth authentication.");
                            if let Some(auth_url) = auth_url {
                                out.field("Auth URL", auth_url);
                            }
                        }
                        other => out.line(format!("Activation answered status {other:?}.")),
                    }
                }
                if let (Some(auth_url), "oauth_required", false) =
                    (auth_url, status, self.args.no_browser)
                {
                    if let Err(reason) = browser::open(auth_url) {
                        out.warn(format!(
                            "could not open a browser ({reason}); open the Auth URL yourself"
                        ));
                    }
                }
            }
            Err(e) if is_unauthorized(&e) => return Some(Ending::SessionExpired),
            Err(e) => {
                let why = match &e {
                    Error::Api(api) => format!("HTTP {}", api.status),
                    other => transport_message(other, &self.url("/activate-tunnel")),
                };
                if out.json() {
                    out.data(&json!({"event": "activation_failed", "error": why}));
                } else {
                    out.line(format!(
                        "Activation failed ({why}). Falling back to periodic sync."
                    ));
                }
                return self.sync_tools().await;
            }
        }
        None
    }

    /// The recipe link (made now unless it came with the connection), with its QR code.
    async fn recipe(&self) -> Option<Ending> {
        let out = self.out;
        let link = match self.conn.recipe.as_ref().and_then(|r| r.link.clone()) {
            Some(link) => link,
            None => match self.client.create_recipe(&self.id, &self.args.name).await {
                Ok(recipe) => match recipe.link {
                    Some(link) => link,
                    None => {
                        out.warn("could not create a recipe: the reply had no link");
                        return None;
                    }
                },
                Err(e) if is_unauthorized(&e) => return Some(Ending::SessionExpired),
                Err(e) => {
                    let why = match &e {
                        Error::Api(api) => format!("HTTP {}", api.status),
                        other => transport_message(other, &self.url("/create-recipe")),
                    };
                    out.warn(format!("could not create a recipe ({why})"));
                    return None;
                }
            },
        };
        let link = frontend_link(&link, self.client.base_url(), &clients::frontend_url());
        if out.json() {
            out.data(&json!({"event": "recipe", "link": link}));
        } else {
            out.field("Recipe", &link);
            if let Some(code) = qr::render(&link) {
                out.line(code);
            }
        }
        None
    }

    /// `sync-tools`; `Some` when the command must end (401).
    async fn sync_tools(&self) -> Option<Ending> {
        let out = self.out;
        match self.client.sync_tools(&self.id).await {
            Ok(_) => {
                if out.json() {
                    out.data(&json!({"event": "synced"}));
                } else {
                    out.line("Tools synced.");
                }
            }
            Err(e) if is_unauthorized(&e) => return Some(Ending::SessionExpired),
            Err(e) => {
                let why = match &e {
                    Error::Api(api) => format!("HTTP {}", api.status),
                    other => transport_message(other, &self.url("/sync-tools")),
                };
                if out.json() {
                    out.data(&json!({"event": "sync_failed", "error": why}));
                } else if matches!(e, Error::Api(_)) {
                    out.line(format!("Tool sync failed ({why})."));
                } else {
                    out.line(format!("Tool sync failed: {why}"));
                }
            }
        }
        None
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/mcp/connections/{}{rest}",
            self.client.base_url(),
            self.id
        )
    }
}

/// Tells what the transport does; a run of failed attempts is told once (JSON tells each).
struct Reporter {
    out: Output,
    retrying: bool,
}

impl Reporter {
    fn report(&mut self, event: &AgentEvent) {
        let out = self.out;
        if out.json() {
            let value = match event {
                AgentEvent::Connected { reconnect } => {
                    json!({"event": if *reconnect { "reconnected" } else { "connected" }})
                }
                AgentEvent::Disconnected { reason } => {
                    json!({"event": "disconnected", "reason": reason})
                }
                AgentEvent::Retrying { reason, wait } => {
                    json!({"event": "retrying", "reason": reason, "wait_ms": wait.as_millis() as u64})
                }
                AgentEvent::LocalUnreachable(reason) => {
                    json!({"event": "local_unreachable", "reason": reason})
                }
            };
            out.data(&value);
            return;
        }
        match event {
            AgentEvent::Connected { .. } => {
                self.retrying = false;
                out.line("Tunnel reconnected.");
            }
            AgentEvent::Disconnected { reason } => {
                out.warn(format!("tunnel connection lost ({reason}); reconnecting"));
            }
            AgentEvent::Retrying { reason, .. } => {
                if !self.retrying {
                    self.retrying = true;
                    out.warn(format!(
                        "tunnel connection failed ({reason}); retrying with backoff"
                    ));
                }
            }
            AgentEvent::LocalUnreachable(reason) => {
                out.warn(format!("the local server is unreachable ({reason})"));
            }
        }
    }
}

/// `link` with the API's origin replaced by the front end's (npm does the same).
fn frontend_link(link: &str, api_base: &str, frontend: &str) -> String {
    let origin = |url: &str| {
        reqwest::Url::parse(url)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    match (origin(api_base), origin(frontend)) {
        (Some(api), Some(front)) if link.starts_with(&api) => {
            format!("{front}{}", &link[api.len()..])
        }
        _ => link.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::frontend_link;

    #[test]
    fn recipe_links_move_to_the_front_end() {
        assert_eq!(
            frontend_link(
                "https://poke.com/api/r/abc",
                "https://poke.com/api/v1",
                "https://app.poke.com/"
            ),
            "https://app.poke.com/api/r/abc"
        );
        assert_eq!(
            frontend_link(
                "http://127.0.0.1:9/r/x",
                "http://127.0.0.1:9/api/v1",
                "http://front.test"
            ),
            "http://front.test/r/x"
        );
        assert_eq!(
            frontend_link(
                "https://elsewhere.test/r/x",
                "https://poke.com/api/v1",
                "https://f.test"
            ),
            "https://elsewhere.test/r/x"
        );
    }
}
