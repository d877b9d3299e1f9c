//! Helpers shared by the CLI tests: a local HTTP server to tunnel to, the emulator, and the
//! `poke` binary run with an isolated environment.

#![allow(dead_code)]

pub mod child;
pub mod emu;
pub mod local;
pub mod run;
