//! Blocking calls for callers without an async runtime (the bindings' synchronous clients).
//!
//! - [`Lanes`]: current-thread runtimes lent to one blocking call at a time, each with a
//!   client of its own, so the calling thread drives every step of its call itself;
//! - [`crate::runtime::block_on_interruptible`] on [`crate::runtime::shared`] for everything
//!   else.

mod lanes;

pub use lanes::Lanes;
