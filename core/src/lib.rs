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

pub mod blocking;
mod client;
mod compat;
mod config;
mod credentials;
mod error;
mod files;
mod http;
mod ids;
mod mcp;
mod poke_api;
pub mod progress;
mod responses;
pub mod runtime;
mod secret;
mod sessions;
mod skills;
mod turn;

pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use compat::json_style::{JsonStyle, to_vec as encode_json};
pub use compat::messages::{FORBIDDEN_MESSAGE, RATE_LIMITED_MESSAGE, UNAUTHORIZED_MESSAGE};
pub use config::{ClientConfig, DEFAULT_BASE_URL, SdkLang, resolve_base_url};
pub use credentials::{credentials_path, load_credentials_token, resolve_api_key};
pub use error::{ApiError, Error, ErrorKind, Result, TimeoutPhase};
pub use files::{Download, FileEntry, UploadResult, download_destination};
pub use http::{CallOptions, Idempotency, JsonResponse, RetryPolicy, Timeouts, parse_retry_after};
pub use mcp::{
    CallbackChain, CallbackContext, CallbackPolicy, CallbackReply, CallbackSender, ChainStep,
    extract_callback_context,
};
pub use poke_api::{SendMessageResponse, Webhook};
pub use responses::{
    ContentPart, CreateResponse, DEFAULT_MAX_ROUNDS, FunctionCall, FunctionTool, InputItem,
    MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_NAME_CHARS, MAX_TOOLS, OutputItem, OutputMessage,
    Reasoning, Response, ResponseError, ResponseEvent, ResponseEventKind, ResponseInput,
    ResponseStream, ResponseUsage, ToolRun, check_tools,
};
pub use secret::Secret;
pub use sessions::{
    BulkDelete, BulkDeleteResult, CancelResult, CreateSession, Credits, FileAccess, PokeeClient,
    PokeeClientBuilder, RateLimit, ReplayNotice, SessionRecord, ToolResultAck, Usage, UsageBucket,
    UsageWindow, WaitOptions,
};
pub use skills::{InstalledSkill, Skill, SkillSource, check_skill_name};
pub use turn::{
    CancelHandle, Convert, MessageOptions, Next, Position, ReadEvent, ResumePolicy, SeenIds,
    SseDecoder, SseEvent, Ticket, TurnEvent, TurnEventKind, TurnHandle, TurnReader, TurnStream,
};
