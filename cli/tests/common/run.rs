//! Running the `poke` binary with an isolated environment: its own config directory, the
//! emulator's URLs, no browser, no colours, nothing inherited from the developer's shell.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary home for one test: config dir, a `PATH` without browsers, scratch files.
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    /// A fresh directory under the system temp dir, removed on drop.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "poke-cli-{name}-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        std::fs::create_dir_all(dir.join("bin")).unwrap_or_else(|e| panic!("{e}"));
        Self { dir }
    }

    /// `$XDG_CONFIG_HOME`.
    pub fn xdg(&self) -> PathBuf {
        self.dir.join("xdg")
    }

    /// The credentials file the CLI reads and writes.
    pub fn credentials(&self) -> PathBuf {
        self.xdg().join("poke").join("credentials.json")
    }

    /// Saves a login token as `poke login` would.
    pub fn log_in(&self, token: &str) {
        let path = self.credentials();
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, format!("{{\"token\": \"{token}\"}}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The `poke` binary with this home and `api` as `POKE_API`.
    pub fn poke(&self, api: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_poke"));
        cmd.env_clear()
            .env("HOME", self.dir.join("home"))
            .env("XDG_CONFIG_HOME", self.xdg())
            // No xdg-open, no sensible-browser: only what a test puts in bin/.
            .env("PATH", self.dir.join("bin"))
            .env("POKE_API", api)
            .env("POKE_FRONTEND", "http://front.test")
            .env("BROWSER", self.dir.join("bin").join("no-such-browser"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }
}

impl Home {
    /// `poke ARGS…` with this home and `api` as `POKE_API`.
    pub fn cmd(&self, api: &str, args: &[&str]) -> Command {
        let mut cmd = self.poke(api);
        cmd.args(args);
        cmd
    }

    /// A script in the test's `bin/` that appends its arguments to `file`; returns its path.
    pub fn recorder(&self, name: &str, file: &Path) -> PathBuf {
        let path = self.dir.join("bin").join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"$@\" >> '{}'\n", file.display()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        path
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    nanos ^ (NEXT.fetch_add(1, Ordering::Relaxed) << 32)
}

/// What a finished command left.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end.
pub fn run(mut cmd: Command) -> Ran {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("poke did not start: {e}"));
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls `check` until it returns `Some` (for up to a minute, a guard against hangs).
pub async fn eventually<T>(mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(v) = check() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the condition never held");
}

/// Runs `cmd` on a blocking thread, for async tests.
pub async fn run_async(cmd: Command) -> Ran {
    tokio::task::spawn_blocking(move || run(cmd))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sends `signal` (`INT`, `TERM`) to the process `pid`, a child of this test.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success(), "kill -{signal} {pid}");
}
