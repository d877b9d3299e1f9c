//! HTTPS against the emulator's throwaway CA, trusted the standard way (`SSL_CERT_FILE`).
//!
//! The environment cannot be changed safely inside a threaded test, so the trusting client
//! runs in a child process (this same test binary, running the ignored test below).

use poke::Client;
use poke_emulator::{Emulator, EmulatorConfig};
use std::process::Command;

#[tokio::test]
async fn https_trusted_through_ssl_cert_file() {
    let emu = Emulator::start_tls(EmulatorConfig::default())
        .await
        .expect("emulator");
    assert!(emu.url().starts_with("https://"));
    let untrusted = Client::builder()
        .api_key("k")
        .base_url(emu.poke_api_url())
        .max_retries(0)
        .build()
        .expect("client");
    let err = untrusted
        .send_message("x")
        .await
        .expect_err("unknown CA is refused");
    assert!(err.to_string().starts_with("Network error: "), "{err}");
    assert!(emu.messages().is_empty());

    let path = std::env::temp_dir().join(format!("poke-test-ca-{}.pem", std::process::id()));
    std::fs::write(&path, emu.tls_ca_pem().expect("a CA")).expect("write CA");
    let exe = std::env::current_exe().expect("test binary");
    let url = emu.poke_api_url();
    let pokee_url = emu.pokee_api_url();
    let ca = path.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args(["--ignored", "--exact", "child_sends_over_https"])
            .env("SSL_CERT_FILE", &ca)
            .env("POKE_TLS_TEST_URL", url)
            .env("POKEE_TLS_TEST_URL", pokee_url)
            .output()
    })
    .await
    .expect("joined")
    .expect("child runs");
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert_eq!(emu.messages().len(), 1);
    let sessions = emu.sessions_json();
    assert_eq!(
        sessions.as_array().map(Vec::len),
        Some(1),
        "the own-pool client's session: {sessions}"
    );
}

#[tokio::test]
#[ignore = "run by https_trusted_through_ssl_cert_file in a child process"]
async fn child_sends_over_https() {
    let url = std::env::var("POKE_TLS_TEST_URL").expect("started by the parent test");
    let client = Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("client");
    client
        .send_message("over TLS")
        .await
        .expect("sent over https");

    // A client with its own pool shares the TLS settings (and the trust) of its parent.
    let url = std::env::var("POKEE_TLS_TEST_URL").expect("started by the parent test");
    let pokee = poke::PokeeClient::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("client");
    let own = pokee.with_own_pool().expect("own pool");
    own.create_session(&poke::CreateSession::new())
        .await
        .expect("session created over https");
    own.health().await.expect("health over https");
}
