//! Rust core of the `poke` SDK.
//!
//! One implementation of the Poke developer API (poke.com) and the Pokee Enterprise sessions
//! API, shared by the Python, Kotlin and Swift packages: credentials, HTTP (reqwest + rustls,
//! pooled), timeouts, retries with idempotency keys, typed errors with the official SDK's
//! messages, MCP callbacks, streamed turns that resume after a disconnect, and files.
//!
//! # Poke API
//!
//! ```no_run
//! # async fn run() -> poke::Result<()> {
//! // The key comes from the argument, POKE_API_KEY, or the `poke login` credentials file.
//! let client = poke::Client::builder().api_key("my-key").build()?;
//! let reply: poke::SendMessageResponse = client.send_message("Hello from Rust").await?.json()?;
//! assert!(reply.success);
//! let hook: poke::Webhook = client.create_webhook("When a deploy fails", "Summarize it").await?.json()?;
//! client
//!     .send_webhook(&hook.webhook_url, Some(&hook.webhook_token), &serde_json::json!({"repo": "app"}))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Sessions (Pokee Enterprise)
//!
//! ```no_run
//! use futures_util::StreamExt;
//! # async fn run() -> poke::Result<()> {
//! let pokee = poke::PokeeClient::builder()
//!     .api_key("pk_tenant_token")
//!     .base_url("https://tenant.enterprise.pokee.ai")
//!     .build()?;
//! let session = pokee
//!     .create_session(&poke::CreateSession::new().persistent(true).ttl(std::time::Duration::from_secs(4 * 3600)))
//!     .await?;
//! let mut turn = pokee.send_message(&session.id, "Build a presentation on Q3").await?;
//! while let Some(event) = turn.next().await {
//!     // Resumed automatically after a disconnect: each event exactly once, in order.
//!     let event = event?;
//!     if let Some(text) = event.content() {
//!         print!("{text}");
//!     }
//! }
//! pokee.download_to(&session.id, "output/deck.pptx", std::path::Path::new("deck.pptx"), |_, _| {}).await?;
//! # Ok(()) }
//! ```
//!
//! Runnable versions against the bundled emulator: `cargo run -p poke-sdk --example quickstart`
//! and `cargo run -p poke-sdk --example sessions`.

#![warn(missing_docs)]

mod api_error;
mod client;
mod config;
mod credentials;
mod error;
mod files;
mod json_style;
mod mcp;
mod poke_api;
mod pyrepr;
mod resume;
mod retry;
mod secret;
mod sessions;
mod sse;
mod tls;
mod transport;

pub use api_error::{FORBIDDEN_MESSAGE, RATE_LIMITED_MESSAGE, UNAUTHORIZED_MESSAGE};
pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use config::{ClientConfig, DEFAULT_BASE_URL, SdkLang, Timeouts, resolve_base_url};
pub use credentials::{credentials_path, load_credentials_token, resolve_api_key};
pub use error::{ApiError, Error, ErrorKind, Result, TimeoutPhase};
pub use files::{Download, FileEntry, UploadResult};
pub use json_style::{JsonStyle, to_vec as encode_json};
pub use mcp::{
    CallbackChain, CallbackContext, CallbackPolicy, CallbackReply, CallbackSender, ChainStep,
    extract_callback_context,
};
pub use poke_api::{SendMessageResponse, Webhook};
pub use resume::{
    CancelHandle, ResumePolicy, SeenIds, TurnEvent, TurnEventKind, TurnHandle, TurnStream,
};
pub use retry::{Idempotency, RetryPolicy, parse_retry_after};
pub use secret::Secret;
pub use sessions::{
    BulkDelete, BulkDeleteResult, CancelResult, CreateSession, Credits, FileAccess, MessageOptions,
    PokeeClient, PokeeClientBuilder, RateLimit, ReplayNotice, SessionRecord, ToolResultAck, Usage,
    UsageBucket, UsageWindow, WaitOptions,
};
pub use sse::{SseDecoder, SseEvent};
pub use transport::{CallOptions, JsonResponse};
