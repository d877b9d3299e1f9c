//! Async Rust client for the Poke developer API (poke.com) and the Pokee Enterprise sessions
//! API: timeouts, retries with idempotency keys, typed errors, agent turns streamed over
//! Server-Sent Events that resume after a disconnect (each event once, in order), workspace
//! files and MCP callbacks. The same core serves the `poke` Python, Kotlin and Swift packages.
//!
//! The clients are async and need a [tokio](https://tokio.rs) runtime (`#[tokio::main]`);
//! without one, enable the `blocking` feature and use `poke::blocking`.
//!
//! # Poke API
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = poke_emulator::Emulator::start(Default::default()).await?;
//! # let base_url = emulator.poke_api_url();
//! // The key: the builder, else POKE_API_KEY, else the `poke login` credentials file.
//! let client = poke::Client::builder()
//!     .api_key("my-key")
//!     .base_url(base_url) // https://poke.com/api/v1 when not set
//!     .build()?;
//! let reply = client.send_message("Summarize my unread emails").await?;
//! assert!(reply.success);
//!
//! let hook = client.create_webhook("When a deploy fails", "Summarize the error").await?;
//! client.send_webhook(&hook, &serde_json::json!({"repo": "app"})).await?;
//! # Ok(()) }
//! ```
//!
//! # Sessions (Pokee Enterprise)
//!
//! ```
//! use futures_util::StreamExt;
//! use poke::{CreateSession, EventPayload, PokeeClient, WaitOptions};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = poke_emulator::Emulator::start(Default::default()).await?;
//! # let base_url = emulator.pokee_api_url();
//! # let dir = std::env::temp_dir().join(format!("poke-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let deck = dir.join("deck.pptx");
//! let pokee = PokeeClient::builder()
//!     .api_key("pk_tenant_token") // else POKEE_KEY
//!     .base_url(base_url) // else POKEE_API
//!     .build()?;
//! let record = pokee
//!     .create_session(&CreateSession::new().persistent(true).ttl(Duration::from_secs(4 * 3600)))
//!     .await?;
//! let session = pokee.session(&record.id);
//!
//! let mut turn = session.send_message("Build a presentation on Q3").await?;
//! while let Some(event) = turn.next().await {
//!     // Resumed automatically after a disconnect: each event exactly once, in order.
//!     match event?.payload() {
//!         EventPayload::TextDelta { content, .. } => print!("{content}"),
//!         EventPayload::MessageError { error, .. } => eprintln!("failed: {error}"),
//!         _ => {}
//!     }
//! }
//! session.wait_idle(WaitOptions::default(), |_progress| {}).await?;
//! session.download_to("output/deck.pptx", &deck, |_done, _total| {}).await?;
//! session.delete().await?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Result`]: one [`Error`] enum whose variants say what failed (the
//! server's answer in [`Error::Api`] with its [`ErrorKind`], [`Error::Connection`],
//! [`Error::Timeout`] with its phase, ...), with the underlying cause as
//! [`std::error::Error::source`], and predicates for the usual questions:
//!
//! ```
//! # async fn f(client: poke::Client) {
//! match client.send_message("hi").await {
//!     Ok(reply) => println!("{}", reply.success),
//!     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
//!     Err(e) => eprintln!("failed: {e}"),
//! }
//! # }
//! ```
//!
//! # Time bounds and retries
//!
//! Set on the builder for every call ([`ClientBuilder::timeouts`],
//! [`ClientBuilder::retry_policy`]), or for some calls with `with_options`:
//!
//! ```
//! # async fn f(client: poke::Client) -> poke::Result<()> {
//! use poke::CallOptions;
//! use std::time::Duration;
//! let quick = client.with_options(CallOptions::new().timeout(Duration::from_secs(2)).max_retries(0));
//! quick.send_message("hi").await?;
//! # Ok(()) }
//! ```
//!
//! # Testing without an account
//!
//! The `poke-sdk-emulator` crate is an in-process fake of both APIs (stateful, with fault
//! injection and a request journal): start one in a test and point the client at it, as the
//! examples above do.
//!
//! ```toml
//! [dev-dependencies]
//! poke-sdk-emulator = "0.3"
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use poke_emulator::{Emulator, EmulatorConfig, Fault};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! emulator.add_fault(Fault { path: "/api/v1/inbound/api-message".into(), status: Some(429), ..Fault::default() });
//! let client = poke::Client::builder()
//!     .api_key("k")
//!     .base_url(emulator.poke_api_url())
//!     .max_retries(0)
//!     .build()?;
//! let err = client.send_message("hi").await.unwrap_err();
//! assert_eq!(err.status(), Some(429));
//! assert_eq!(emulator.requests().len(), 1);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `rustls` (default): TLS with rustls and the ring provider. A process-wide default provider
//!   (e.g. aws-lc-rs, installed with `rustls::crypto::CryptoProvider::install_default`) is
//!   used instead when there is one.
//! - `native-tls`: the platform's TLS library instead (with `default-features = false`).
//! - `blocking`: `poke::blocking` clients, for code without an async runtime.
//!
//! The minimum supported Rust version is 1.85 (`rust-version`; `scripts/msrv.sh`, a step of the
//! test command, checks it with that toolchain).

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::pedantic))]
// Kept off, on purpose: `# Errors` would repeat on every call that it can fail with any
// `Error` (each kind says when it happens, and the handles document what is specific);
// `#[must_use]` on every getter adds noise (builders and `with_*` setters do carry it);
// similar binding names are the rx/tx, read/ready pairs of the stream code; durations are cast
// to whole ms/µs for logs and counters, which fit a u64 for longer than a process lives.
#![allow(
    clippy::missing_errors_doc,
    clippy::must_use_candidate,
    clippy::similar_names,
    clippy::cast_possible_truncation
)]

pub mod account;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
#[doc(hidden)]
pub mod compat;
mod config;
mod credentials;
mod error;
mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod ids;
mod mcp;
mod poke_api;
mod progress;
mod responses;
#[cfg(feature = "blocking")]
mod runtime;
mod secret;
mod sessions;
mod skills;
mod turn;

pub use client::{Client, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES};
pub use compat::messages::{FORBIDDEN_MESSAGE, RATE_LIMITED_MESSAGE, UNAUTHORIZED_MESSAGE};
pub use config::DEFAULT_BASE_URL;
pub use error::{ApiError, Error, ErrorKind, Result, TimeoutPhase};
pub use files::{Download, FileEntry, UploadResult};
pub use http::{
    CallOptions, Idempotency, JsonResponse, RetryPolicy, Timeouts, reqwest_client_builder,
};
pub use mcp::{
    CallbackChain, CallbackContext, CallbackPolicy, CallbackReply, CallbackSender, ChainStep,
    extract_callback_context,
};
pub use poke_api::{SendMessageResponse, Webhook, WebhookResponse};
pub use responses::{
    ContentPart, CreateResponse, DEFAULT_MAX_ROUNDS, FunctionCall, FunctionTool, InputItem,
    MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_NAME_CHARS, MAX_TOOLS, OutputItem, OutputMessage,
    Reasoning, Response, ResponseError, ResponseEvent, ResponseEventKind, ResponseInput,
    ResponseStream, ResponseUsage, ToolRun, check_tools,
};
pub use secret::Secret;
pub use sessions::{
    BulkDelete, BulkDeleteResult, CancelResult, CreateSession, Credits, FileAccess, PokeeClient,
    PokeeClientBuilder, RateLimit, ReplayNotice, Session, SessionRecord, ToolResultAck, Usage,
    UsageBucket, UsageWindow, WaitOptions,
};
pub use skills::{InstalledSkill, Skill, SkillSource, check_skill_name};
pub use turn::{
    CancelHandle, EventPayload, ResumePolicy, TurnEvent, TurnEventKind, TurnHandle, TurnStream,
};

/// What the Python and uniffi bindings need from the core and Rust users do not: not part of
/// the public API, not covered by semver.
#[doc(hidden)]
pub mod binding {
    #[cfg(feature = "blocking")]
    pub use crate::blocking::{LaneClient, Lanes};
    pub use crate::compat::json_style::{JsonStyle, to_vec as encode_json};
    pub use crate::compat::messages::python_text;
    pub use crate::config::{ClientConfig, SdkLang, resolve_base_url};
    pub use crate::credentials::{credentials_path, load_credentials_token, resolve_api_key};
    pub use crate::files::{
        BLOCK_BYTES, Block, ByteReader, FEED_DEPTH, Feeder, NextBlock, OpenDownload,
        StartReadAhead, download_destination,
    };
    pub use crate::http::parse_retry_after;
    pub use crate::turn::{
        Convert, Next, Position, ReadEvent, SeenIds, SseDecoder, SseEvent, Ticket, TurnReader,
    };
    /// Progress reports from a call to the thread that delivers them.
    pub mod progress {
        pub use crate::progress::*;
    }
    /// The process-wide runtime and blocking helpers.
    #[cfg(feature = "blocking")]
    pub mod runtime {
        pub use crate::runtime::*;
    }
}

/// The README's examples, compiled by `cargo test --doc` so that what crates.io shows builds.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
