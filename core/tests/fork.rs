//! A process forked after the first call: a new client works in the child (its own runtime
//! and connections), and a client inherited from the parent refuses with a clear error.
//!
//! `fork()` in a multi-threaded test binary is unsafe to mix with other tests' threads, so
//! the forking runs in a child process (this test binary, running the ignored test below),
//! whose only threads are its test thread and the core's runtime.

#![allow(unsafe_code)]

use poke::{Client, Error};
use poke_emulator::{Emulator, EmulatorConfig};
use std::process::Command;

#[tokio::test]
async fn a_forked_child_makes_a_new_client_and_refuses_the_inherited_one() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let exe = std::env::current_exe().expect("test binary");
    let url = emu.poke_api_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args(["--ignored", "--exact", "forking_child", "--nocapture"])
            .env("POKE_FORK_TEST_URL", url)
            .output()
    })
    .await
    .expect("joined")
    .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(
        stdout.contains("grandchild: inherited refused, new client ok"),
        "{stdout}"
    );
    // Before the fork, the grandchild's new client, the parent after the fork: three distinct
    // messages (a key repeated across the fork would make the last a replay).
    assert_eq!(emu.messages().len(), 3);
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(url)
        .build()
        .expect("client")
}

#[test]
#[ignore = "run by a_forked_child_makes_a_new_client_and_refuses_the_inherited_one"]
fn forking_child() {
    let Ok(url) = std::env::var("POKE_FORK_TEST_URL") else {
        return;
    };
    let rt = poke::binding::runtime::shared().expect("runtime");
    let inherited = client(&url);
    rt.block_on(inherited.send_message("before the fork"))
        .expect("parent call");

    // SAFETY: the child only uses the core (which makes its own runtime) and then exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match grandchild(&url, &inherited) {
            Ok(()) => {
                println!("grandchild: inherited refused, new client ok");
                0
            }
            Err(why) => {
                println!("grandchild failed: {why}");
                1
            }
        };
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: ends the forked process without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child made above.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status), "the grandchild did not exit");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the grandchild failed");
    // The parent goes on: its next idempotency key must differ from the child's.
    rt.block_on(inherited.send_message("after the fork"))
        .expect("parent call after the fork");
}

fn grandchild(url: &str, inherited: &Client) -> Result<(), String> {
    let rt = poke::binding::runtime::shared().map_err(|e| e.to_string())?;
    match rt.block_on(inherited.send_message("inherited")) {
        Err(Error::Forked) => {}
        other => return Err(format!("inherited client: {other:?}")),
    }
    let fresh = client(url);
    rt.block_on(fresh.send_message("from the child"))
        .map(drop)
        .map_err(|e| e.to_string())
}
