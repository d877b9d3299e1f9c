//! The `poke._poke` extension module: converts Python values to core calls and back.
//!
//! The public classes are in `python/poke` (plain Python, for real coroutines, mocking and
//! `@final`); they build on the cores here: `Poke`, `_AsyncPokeCore`, `_PokeeCore`, `Turn`,
//! `AsyncTurn`, the records, `Event`, and the emulator.

mod args;
mod byte_stream;
mod call;
mod cli;
mod client;
mod convert;
mod emulator;
mod errors;
mod event;
mod json_to_py;
mod logging;
mod mcp;
mod pokee;
mod progress;
mod records;
mod response_event;
mod response_records;
mod response_stream;
mod responses;
mod runtime;
mod skill_records;
mod skills;
mod tools;
mod turn;

use pyo3::prelude::*;

// The core allocates many small values on the runtime's threads that Python's thread frees
// (events, parsed JSON); mimalloc handles that cross-thread traffic far better than glibc.
// The mature v2 line, with the TLS model that suits a library loaded by dlopen, and without
// transparent huge pages (which made a download's peak RSS grow 4x).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _poke(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::init();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_BASE_URL", poke::DEFAULT_BASE_URL)?;
    m.add_function(wrap_pyfunction!(logging::_refresh_logging, m)?)?;
    m.add_function(wrap_pyfunction!(records::_rebuild, m)?)?;
    m.add_function(wrap_pyfunction!(cli::_cli_main, m)?)?;
    m.add_class::<client::Poke>()?;
    m.add_class::<client::AsyncPokeCore>()?;
    m.add_class::<client::RawPoke>()?;
    m.add_class::<client::RawAsyncPokeCore>()?;
    m.add_class::<client::RawResponse>()?;
    m.add_class::<call::Call>()?;
    m.add_class::<emulator::Emulator>()?;
    m.add_function(wrap_pyfunction!(client::resolve_api_key, m)?)?;
    m.add_function(wrap_pyfunction!(client::resolve_base_url, m)?)?;
    m.add_function(wrap_pyfunction!(client::load_credentials_token, m)?)?;
    m.add_class::<mcp::CallbackChain>()?;
    m.add_function(wrap_pyfunction!(mcp::set_callback_policy, m)?)?;
    m.add_function(wrap_pyfunction!(mcp::callback_policy, m)?)?;
    m.add_function(wrap_pyfunction!(mcp::extract_callback_context, m)?)?;
    m.add_class::<pokee::PokeeCore>()?;
    m.add_class::<turn::TurnCore>()?;
    m.add_class::<turn::Turn>()?;
    m.add_class::<turn::AsyncTurn>()?;
    m.add_class::<byte_stream::ByteStreamCore>()?;
    m.add_class::<byte_stream::ByteStream>()?;
    m.add_class::<byte_stream::AsyncByteStream>()?;
    m.add_class::<records::SessionRecord>()?;
    m.add_class::<event::Event>()?;
    m.add_class::<records::FileEntry>()?;
    m.add_class::<records::UploadResult>()?;
    m.add_class::<records::CancelResult>()?;
    m.add_class::<records::BulkDeleteResult>()?;
    m.add_class::<records::ToolResultAck>()?;
    m.add_class::<records::ReplayNotice>()?;
    m.add_class::<records::Usage>()?;
    m.add_class::<skills::SkillsCore>()?;
    m.add_class::<skill_records::Skill>()?;
    m.add_class::<skill_records::InstalledSkill>()?;
    m.add_class::<responses::ResponsesCore>()?;
    m.add_class::<response_stream::ResponseStreamCore>()?;
    m.add_class::<response_stream::ResponseStream>()?;
    m.add_class::<response_stream::AsyncResponseStream>()?;
    m.add_class::<response_event::ResponseEvent>()?;
    m.add_class::<response_records::Response>()?;
    m.add_class::<response_records::ResponseUsage>()?;
    m.add_class::<response_records::ResponseError>()?;
    m.add_class::<response_records::ResponseOutputMessage>()?;
    m.add_class::<response_records::ResponseFunctionToolCall>()?;
    m.add_class::<response_records::ResponseOutputItem>()?;
    m.add_class::<response_records::ToolRun>()?;
    Ok(())
}
