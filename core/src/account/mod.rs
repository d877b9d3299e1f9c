//! The Poke account API behind the `poke` command: device-code login, the user's profile, MCP
//! connections (plain and tunnelled) and the credentials file `poke login` writes.
//!
//! Calls are authenticated with the login token (the credentials file by default), not with an
//! API key, and go through the same transport as every other call.

mod client;
mod connections;
mod lenient;
mod login;
mod profile;
mod store;

pub use client::{AccountClient, AccountClientBuilder};
pub use connections::{
    Activation, McpConnection, NewConnection, NewTunnel, Recipe, TunnelAccess, TunnelConnection,
};
pub use login::{LoginCode, LoginPoll, LoginStatus};
pub use profile::Profile;
pub use store::{remove_credentials, save_credentials_token};
