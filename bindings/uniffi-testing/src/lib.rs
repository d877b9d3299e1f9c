//! The in-process emulator (`Emulator`, `EmulatorRequest`, `EmulatorCallbackChain`) as a uniffi
//! component of its own, `poke_testing`: the library of the Kotlin test artifact
//! `com.poke:poke-testing` (package `com.poke.testing`), so that the `poke-ffi` library apps
//! ship (built without its `emulator` feature) carries no emulator.
//!
//! There is one source for the emulator objects: `bindings/uniffi/src/emulator.rs`, compiled
//! here as well as in `poke-ffi` (feature `emulator`, used by the Swift package, whose one module
//! keeps it). The two modules below give that file the `crate::` paths it uses in `poke-ffi`;
//! `HttpHeader` and `PokeError` stay `poke-ffi`'s types (uniffi external types, so Kotlin sees
//! `com.poke.HttpHeader` and `com.poke.PokeException`).

// poke-ffi's error, with the `kotlin` feature this crate turns on: see the same allow there.
#![allow(clippy::result_large_err)]

uniffi::setup_scaffolding!("poke_testing");

// emulator.rs's unit tests run in poke-ffi (they use its other modules): under `cfg(test)`, as
// with clippy's --all-targets, this crate compiles none of it.
#[cfg(not(test))]
mod client {
    pub(crate) use poke_ffi::client::{HttpHeader, secs};
}

#[cfg(not(test))]
mod error {
    pub(crate) use poke_ffi::error::{PokeError, invalid_input};
}

#[cfg(not(test))]
#[path = "../../uniffi/src/emulator.rs"]
pub mod emulator;

#[cfg(not(test))]
pub use emulator::{Emulator, EmulatorCallbackChain, EmulatorRequest};
