//! `poke logout`: deletes the saved token (no server call: there is no revocation endpoint).

use crate::exit::Outcome;
use crate::output::Output;

pub fn run(out: Output) -> Outcome {
    let removed = poke::account::remove_credentials();
    if out.json() {
        out.data(&serde_json::json!({"logged_out": true, "removed": removed}));
    } else {
        out.line("Logged out.");
    }
    Ok(())
}
