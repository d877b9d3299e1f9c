//! Helpers shared by the CLI tests: a local HTTP server to tunnel to, the emulator, and the
//! `poke` binary run with an isolated environment.

#![allow(dead_code)]

pub mod child;
pub mod emu;
pub mod local;
pub mod run;

/// reqwest has TLS without a provider in this workspace (poke-sdk picks ring for its own
/// clients): the tests' clients and the in-process agent get ring too.
pub fn tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
