//! The emulator for command tests, driven through its control routes.

use poke_emulator::{Emulator, EmulatorConfig, Fault};
use serde_json::Value;

/// Starts an in-process emulator that accepts any bearer token.
pub async fn start() -> Emulator {
    super::tls();
    Emulator::start(EmulatorConfig::default())
        .await
        .unwrap_or_else(|e| panic!("emulator: {e}"))
}

/// POSTs `body` to `/_emulator/{path}` and returns the reply.
pub async fn control(emu: &Emulator, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/_emulator/{path}", emu.url()))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("control {path}: {e}"));
    let status = resp.status();
    let value: Value = resp
        .json()
        .await
        .unwrap_or_else(|e| panic!("control {path}: {e}"));
    assert!(status.is_success(), "control {path}: {status} {value}");
    value
}

/// GETs `/_emulator/{path}`.
pub async fn inspect(emu: &Emulator, path: &str) -> Value {
    reqwest::get(format!("{}/_emulator/{path}", emu.url()))
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Changes account settings.
pub async fn settings(emu: &Emulator, changes: Value) {
    control(emu, "account/settings", changes).await;
}

/// Installs a fault given as JSON.
pub fn fault(emu: &Emulator, fault: Value) {
    let fault: Fault = serde_json::from_value(fault).unwrap_or_else(|e| panic!("fault: {e}"));
    emu.add_fault(fault);
}

/// The account API's requests in the journal, as `METHOD path` lines.
pub fn account_calls(emu: &Emulator) -> Vec<String> {
    emu.requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| format!("{} {}", r.method, r.path.trim_start_matches("/api/v1")))
        .collect()
}

/// The connections the emulator knows, from `GET /_emulator/account`.
pub async fn connections(emu: &Emulator) -> Vec<Value> {
    inspect(emu, "account").await["connections"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
