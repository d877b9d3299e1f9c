//! Kotlin and Swift bindings of the `poke` core, through uniffi (library mode).
//!
//! The one rule: this crate converts types and errors, nothing else. Retries, timeouts,
//! defaults, URLs, headers and the environment are all decided by `poke` (core/).
//!
//! - [`client`]: `PokeClient` and its records (the Poke developer API).
//! - [`error`]: `PokeError` (Kotlin `PokeException`), built by one match over `poke::Error`.
//! - [`emulator`] (feature `emulator`, on by default): the in-process fake server for tests.
//!
//! Later concepts (sessions, turn streams, files, listeners + `TaskHandle`) go in new modules
//! beside these, each exporting with `#[uniffi::export(async_runtime = "tokio")]` wherever an
//! `async fn` appears (the `export_lint` test enforces it).

uniffi::setup_scaffolding!("poke");

pub mod client;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;

#[cfg(test)]
mod export_lint;

pub use client::{
    HostLanguage, JsonReply, PokeClient, PokeClientOptions, RequestOptions, SendMessageResult,
    Timeouts, Webhook,
};
#[cfg(feature = "emulator")]
pub use emulator::{Emulator, EmulatorRequest, HttpHeader};
pub use error::{ApiErrorKind, PokeError, TimeoutPhase};
