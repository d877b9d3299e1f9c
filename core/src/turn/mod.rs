//! Turns: the events of one session turn, decoded from SSE, resumed after a drop, deduplicated.

mod dedupe;
mod event;
mod handle;
mod open;
mod payload;
mod policy;
mod reader;
mod sse;
mod stream;

pub(crate) use handle::TurnControl;
pub(crate) use open::{Opened, Opening, Reconnect, Start};
pub(crate) use stream::TurnSetup;

pub use dedupe::SeenIds;
pub use event::{TurnEvent, TurnEventKind};
pub use handle::{CancelHandle, TurnHandle};
pub use payload::EventPayload;
pub use policy::ResumePolicy;
pub use reader::{Convert, Next, Position, ReadEvent, Ticket, TurnReader};
pub use sse::{SseDecoder, SseEvent};
pub use stream::TurnStream;
