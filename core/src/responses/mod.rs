//! Stateless responses of the Pokee Enterprise API (E19–E21): one OpenAI-Responses-shaped
//! inference call with tools, answered whole ([`PokeeClient::create_response`]) or streamed
//! as typed events that resume after a drop ([`PokeeClient::stream_response`]), cancelled
//! through E21, and a helper that runs the function-tool loop with local functions
//! ([`PokeeClient::run_tools`]).
//!
//! [`PokeeClient::create_response`]: crate::PokeeClient::create_response
//! [`PokeeClient::stream_response`]: crate::PokeeClient::stream_response
//! [`PokeeClient::run_tools`]: crate::PokeeClient::run_tools

mod client;
mod event;
mod request;
mod response;
mod run;
mod stream;
mod tools;

pub use event::{ResponseEvent, ResponseEventKind};
pub use request::{CreateResponse, InputItem, Reasoning, ResponseInput};
pub use response::{
    ContentPart, FunctionCall, OutputItem, OutputMessage, Response, ResponseError, ResponseUsage,
};
pub use run::{DEFAULT_MAX_ROUNDS, ToolRun};
pub use stream::ResponseStream;
pub use tools::{
    FunctionTool, MAX_TOOL_DESCRIPTION_BYTES, MAX_TOOL_NAME_CHARS, MAX_TOOLS, check_tools,
};
