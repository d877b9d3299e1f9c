//! Kotlin and Swift bindings of the `poke` core, through uniffi (library mode).
//!
//! The one rule: this crate converts types and errors, nothing else. Retries, timeouts,
//! defaults, URLs, headers, resume, polling and the environment are all decided by `poke`
//! (core/).
//!
//! - [`client`]: `PokeClient` and its records (the Poke developer API).
//! - [`sessions`]: `PokeeClient` (Pokee Enterprise sessions API), its records, `waitIdle`.
//! - [`stream`]: `Turn`, a turn's event stream with an async `next()` (null at the end).
//! - [`files`]: workspace files (list, download to a path, upload, delete).
//! - [`skills`]: custom skills (list, install from a path or bytes with progress, delete).
//! - [`responses`]: stateless responses (whole, `ResponseStream`, resume, cancel) and the
//!   function-tool loop with a foreign `ToolHandler`.
//! - [`listener`]: progress listeners implemented in Kotlin / Swift (sync methods).
//! - [`interruption`]: how a blocking call (Kotlin's `…Blocking`) learns it should stop.
//! - [`mcp`]: `CallbackSender` + `CallbackChain` (MCP callbacks), `extractCallbackContext`.
//! - [`error`]: `PokeError` (Kotlin `PokeException`), built by one match over `poke::Error`.
//! - [`emulator`] (feature `emulator`, on by default): the in-process fake server for tests.
//!
//! Every `#[uniffi::export]` with an `async fn` names `async_runtime = "tokio"` (the
//! `export_lint` test enforces it). A call is a future: cancelling the Kotlin coroutine drops
//! it. The one background task is a turn's read-ahead (`poke::binding::TurnReader`), which
//! `Turn.close()` stops (and dropping the `Turn` too).

// With `kotlin`, `PokeError::Api` carries the response headers and passes clippy's size bound
// for error values; uniffi lifts errors field by field, so the usual fix (boxing) is not open.
#![cfg_attr(feature = "kotlin", allow(clippy::result_large_err))]

uniffi::setup_scaffolding!("poke");

pub mod client;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod files;
pub mod interruption;
pub mod listener;
pub mod mcp;
pub mod responses;
pub mod sessions;
pub mod skills;
pub mod stream;

#[cfg(test)]
#[path = "tests/export_lint.rs"]
mod export_lint;

pub use client::{
    HostLanguage, HttpHeader, JsonReply, PokeClient, PokeClientOptions, RequestOptions,
    SendMessageResult, Timeouts, Webhook,
};
#[cfg(feature = "emulator")]
pub use emulator::{Emulator, EmulatorCallbackChain, EmulatorRequest};
pub use error::{ApiErrorKind, PokeError, TimeoutPhase};
pub use files::{FileEntry, UploadResult};
pub use listener::{TransferProgressListener, WaitProgressListener};
pub use mcp::{
    CallbackChain, CallbackContext, CallbackLimits, CallbackSender, ChainStep,
    extract_callback_context,
};
pub use responses::{
    CreateResponseParams, FunctionToolSpec, Response, ResponseEvent, ResponseEventKind,
    ResponseOutputItem, ResponseStream, ResponseUsage, ToolHandler, ToolRunResult,
};
pub use sessions::{
    BulkDeleteFilter, BulkDeleteResult, CreateSessionParams, FileAccess, PokeeClient,
    PokeeClientOptions, ResumeOptions, SessionRecord, ToolResultAck, Usage, UsageWindow,
    WaitOptions,
};
pub use skills::{InstalledSkill, Skill};
pub use stream::{CancelResult, ReplayNotice, Turn, TurnEvent, TurnEventKind};
