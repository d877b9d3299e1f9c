//! The `poke` console script: the command line runs in Rust, with the GIL released.

use pyo3::prelude::*;

/// Runs the `poke` command line `argv` (program name first) and returns its exit code.
#[pyfunction]
pub fn _cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(|| poke_cli::main(argv))
}
