//! The drop-in layer: what it takes to behave byte for byte like the official `poke` 0.2.1
//! (Python's `json.dumps` bytes, `str()` of JSON values, the verbatim error messages).

pub(crate) mod json_style;
pub mod messages;
pub(crate) mod pyrepr;
