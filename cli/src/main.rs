//! The `poke` binary: everything is in the library, which the Python package calls too.

fn main() {
    std::process::exit(poke_cli::main(std::env::args_os()));
}
