//! Rust core of the `poke` SDK.
//!
//! One implementation of the Poke developer API (poke.com) and the Pokee Enterprise sessions
//! API, shared by the Python, Kotlin and Swift packages.
//!
//! ```no_run
//! # async fn run() -> poke::Result<()> {
//! let client = poke::Client::builder().api_key("my-key").build()?;
//! let reply = client.send_message("Hello from Rust").await?;
//! let parsed: poke::SendMessageResponse = reply.json()?;
//! assert!(parsed.success);
//! # Ok(()) }
//! ```

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
