//! The command line, as clap reads it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Top-level help text after the options.
const AFTER_HELP: &str = concat!(
    "Login, whoami, mcp and tunnel use the token that `poke login` saves in\n",
    "$XDG_CONFIG_HOME/poke/credentials.json (else ~/.config/poke/credentials.json).\n",
    "The SDK commands (send, webhook, sessions, chat, files) take their key like the SDK does:\n",
    "--api-key, then POKE_API_KEY (Poke API) or POKEE_KEY (Pokee API), then, for the Poke API,\n",
    "the credentials file. POKE_API, POKEE_API and POKE_FRONTEND set the endpoints.\n",
    "\n",
    "`poke wrap` (in the npm package) is not provided: it runs shell commands chosen by a\n",
    "model without asking, and exposes them on the network. `poke tunnel` covers exposing an\n",
    "MCP server you wrote.\n",
    "\n",
);

/// The `poke` command line.
#[derive(Debug, Parser)]
#[command(
    name = "poke",
    version,
    about = "Poke from the shell: log in, add MCP servers, tunnel a local MCP server, and use the Poke and Pokee APIs.",
    after_help = format!("{AFTER_HELP}{}", crate::exit::HELP),
    max_term_width = 100
)]
pub struct Cli {
    /// Print data as JSON (one document per line) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in with a code shown here and approved in the browser; saves the token.
    Login(LoginArgs),
    /// Delete the saved token (it stays valid on the server: there is no revocation call).
    Logout,
    /// Show who the saved token belongs to.
    Whoami,
    /// Manage MCP connections.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Expose a local MCP server to Poke through a tunnel, until Ctrl+C.
    #[command(after_help = TUNNEL_HELP)]
    Tunnel(TunnelArgs),
    /// Send a message to Poke (Poke API).
    Send(SendArgs),
    /// Create or fire webhook triggers (Poke API).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Manage sessions (Pokee API).
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Send a message in a session and stream the reply (Pokee API); Ctrl+C cancels the turn.
    Chat(ChatArgs),
    /// List, download, upload and delete workspace files (Pokee API).
    #[command(subcommand)]
    Files(FilesCommand),
    /// Run the bundled emulator of the Poke and Pokee APIs until Ctrl+C.
    Emulator(EmulatorArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

const TUNNEL_HELP: &str = "\
The tunnel is built in (piko's upstream protocol over a WebSocket): nothing is downloaded and
the tunnel token never appears in the command line, the environment, logs or files. \"active\"
is printed once the tunnel is connected. Tools are synced every --sync-interval seconds. On
Ctrl+C, SIGTERM, a lost tunnel that cannot come back, an expired login or a crash, the MCP
connection is removed from Poke (within 10 s) and the result is reported; a second Ctrl+C
exits at once.";

/// `poke login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Print the login page instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
}

/// `poke mcp …`.
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Add an MCP server by URL.
    Add(McpAddArgs),
}

/// `poke mcp add`.
#[derive(Debug, Args)]
pub struct McpAddArgs {
    /// The server's URL (http:// or https://).
    pub url: String,
    /// The connection's name.
    #[arg(long, short)]
    pub name: String,
    /// The server's API key (prefer POKE_MCP_API_KEY or --api-key-stdin: argv is visible to
    /// other users and kept in shell history).
    #[arg(
        long,
        env = "POKE_MCP_API_KEY",
        hide_env_values = true,
        conflicts_with = "api_key_stdin"
    )]
    pub api_key: Option<String>,
    /// Read the server's API key from the first line of standard input.
    #[arg(long)]
    pub api_key_stdin: bool,
}

/// `poke tunnel`.
#[derive(Debug, Args)]
pub struct TunnelArgs {
    /// The local server's URL, e.g. http://localhost:8000/mcp.
    pub local_url: String,
    /// The connection's name.
    #[arg(long, short)]
    pub name: String,
    /// Also make a recipe (a link that adds the server for others) and show it as a QR code.
    #[arg(long)]
    pub recipe: bool,
    /// OAuth client id of the server.
    #[arg(long)]
    pub client_id: Option<String>,
    /// OAuth client secret of the server.
    #[arg(long, env = "POKE_MCP_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Seconds between tool syncs.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub sync_interval: u64,
    /// Seconds the first tunnel connection may take, retries included.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,
    /// Print the OAuth page (when the server needs one) instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
}

/// Key and endpoint of an SDK command.
#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// API key (default: POKE_API_KEY / POKEE_KEY, then the credentials file for the Poke API).
    #[arg(long)]
    pub api_key: Option<String>,
    /// API base URL (default: POKE_API / POKEE_API).
    #[arg(long)]
    pub base_url: Option<String>,
}

/// `poke send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The message.
    pub message: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke webhook …`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Create a webhook trigger; prints its URL and token.
    Create(WebhookCreateArgs),
    /// Fire a webhook: POST JSON data to its URL.
    Send(WebhookSendArgs),
}

/// `poke webhook create`.
#[derive(Debug, Args)]
pub struct WebhookCreateArgs {
    /// When the trigger fires.
    #[arg(long)]
    pub condition: String,
    /// What Poke does then.
    #[arg(long)]
    pub action: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke webhook send`.
#[derive(Debug, Args)]
pub struct WebhookSendArgs {
    /// The webhook URL (from `poke webhook create`).
    pub url: String,
    /// JSON data to send; `-` reads it from standard input.
    pub data: String,
    /// The webhook token (default: POKE_WEBHOOK_TOKEN, else the API key).
    #[arg(long, env = "POKE_WEBHOOK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke sessions …`.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the tenant's sessions.
    List(KeyOnly),
    /// Create a session.
    Create(SessionsCreateArgs),
    /// Show one session.
    Get(SessionArg),
    /// Destroy a session (its workspace files stay).
    Delete(SessionArg),
}

/// Only the key options.
#[derive(Debug, Args)]
pub struct KeyOnly {
    #[command(flatten)]
    pub key: KeyArgs,
}

/// A session id.
#[derive(Debug, Args)]
pub struct SessionArg {
    /// The session id.
    pub session: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke sessions create`.
#[derive(Debug, Args)]
pub struct SessionsCreateArgs {
    /// Keep the session when idle (until its TTL).
    #[arg(long)]
    pub persistent: bool,
    /// Time to live in seconds.
    #[arg(long)]
    pub ttl: Option<u64>,
    /// Model to use.
    #[arg(long)]
    pub model: Option<String>,
    /// Metadata as key=value (repeatable).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The session id.
    pub session: String,
    /// The message.
    pub message: String,
    /// Also show the model's thinking.
    #[arg(long)]
    pub thinking: bool,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke files …`.
#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// List a workspace directory.
    Ls(FilesLsArgs),
    /// Download a file (resumes an interrupted download of the same destination).
    Get(FilesGetArgs),
    /// Upload a file.
    Put(FilesPutArgs),
    /// Delete a file.
    Rm(FilesRmArgs),
}

/// `poke files ls`.
#[derive(Debug, Args)]
pub struct FilesLsArgs {
    /// The session id.
    pub session: String,
    /// The directory (default: the root).
    pub dir: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke files get`.
#[derive(Debug, Args)]
pub struct FilesGetArgs {
    /// The session id.
    pub session: String,
    /// The file's workspace path.
    pub path: String,
    /// Where to save it (default: its name in the current directory).
    pub dest: Option<PathBuf>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke files put`.
#[derive(Debug, Args)]
pub struct FilesPutArgs {
    /// The session id.
    pub session: String,
    /// The local file.
    pub src: PathBuf,
    /// The workspace path (default: the file's name).
    pub path: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke files rm`.
#[derive(Debug, Args)]
pub struct FilesRmArgs {
    /// The session id.
    pub session: String,
    /// The file's workspace path.
    pub path: String,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `poke emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The only API key accepted (default: any non-empty bearer token).
    #[arg(long)]
    pub api_key: Option<String>,
    /// Serve HTTPS with a throwaway CA (its path is printed on stderr).
    #[arg(long)]
    pub tls: bool,
}

/// `poke completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: Shell,
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}
