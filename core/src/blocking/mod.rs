//! Blocking clients, for code without an async runtime (feature `blocking`).
//!
//! Each call runs on a runtime the crate starts once per process; calling from inside an async
//! runtime is refused with [`Error::Config`] (it would block that runtime's thread): use the
//! async clients there. Tokio's `spawn_blocking` threads count as inside (tokio cannot tell
//! them from its workers); from async code, run blocking calls on a `std::thread::spawn`
//! thread instead.
//!
//! ```
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! # let emulator = rt.block_on(poke_emulator::Emulator::start(Default::default())).unwrap();
//! # let url = emulator.pokee_api_url();
//! let pokee = poke::blocking::PokeeClient::new(
//!     poke::PokeeClient::builder().api_key("pk_demo").base_url(url).build()?,
//! );
//! let record = pokee.create_session(&poke::CreateSession::new())?;
//! let session = pokee.session(&record.id);
//! for event in session.send_message("Summarize the quarter")? {
//!     if let poke::EventPayload::TextDelta { content, .. } = event?.payload() {
//!         print!("{content}");
//!     }
//! }
//! session.delete()?;
//! # Ok::<(), poke::Error>(())
//! ```

mod clients;
mod lanes;
mod turn;

pub use clients::{Client, PokeeClient, Session};
#[doc(hidden)]
pub use lanes::{LaneClient, Lanes};
pub use turn::Turn;

use crate::error::{Error, Result};
use std::future::Future;

/// Runs `fut` to completion on the process's runtime, from a thread that is not driving one.
fn wait<T>(fut: impl Future<Output = Result<T>>) -> Result<T> {
    refuse_inside_runtime()?;
    crate::runtime::shared()?.block_on(fut)
}

/// A blocking call inside an async runtime would block one of its threads: refused.
///
/// Tokio does not tell its workers from its `spawn_blocking` threads (both have a current
/// runtime), and blocking a worker can deadlock the runtime, so both are refused; a thread of
/// one's own (`std::thread::spawn`) is not.
fn refuse_inside_runtime() -> Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Config(
            "a poke::blocking call was made inside an async runtime, whose thread it would \
             block: use the async client there (tokio's spawn_blocking threads count too; a \
             std::thread::spawn thread does not)"
                .into(),
        ));
    }
    Ok(())
}
