//! The Pokee Enterprise sessions API: the client, its records and long-running helpers.

mod client;
mod handle;
mod records;
mod wait;

pub use client::{PokeeClient, PokeeClientBuilder};
pub(crate) use client::{encode_component, id_segment, json_body};
pub use handle::Session;
pub use records::{
    BulkDelete, BulkDeleteResult, CancelResult, CreateSession, Credits, FileAccess, RateLimit,
    ReplayNotice, SessionRecord, ToolResultAck, Usage, UsageBucket, UsageWindow,
};
pub use wait::WaitOptions;
