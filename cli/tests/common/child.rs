//! A `poke` process that keeps running (a tunnel): its output read line by line as it comes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Guard against a hung test; never an assertion about speed.
const HANG: Duration = Duration::from_secs(60);

/// A running command.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<(bool, String)>,
    /// Every stdout line so far.
    pub stdout: Vec<String>,
    /// Every stderr line so far.
    pub stderr: Vec<String>,
}

impl Running {
    /// Starts `cmd` with piped output.
    pub fn start(mut cmd: Command) -> Self {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("poke did not start: {e}"));
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
        let err = child.stderr.take().unwrap_or_else(|| panic!("stderr"));
        for (is_err, pipe) in [
            (false, Box::new(out) as Box<dyn std::io::Read + Send>),
            (true, Box::new(err)),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send((is_err, line)).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            child,
            lines,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads lines until one (on stdout, or stderr with `on_stderr`) satisfies `pred`.
    pub fn wait_for(&mut self, on_stderr: bool, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(HANG) {
                Ok((is_err, line)) => {
                    let hit = is_err == on_stderr && pred(&line);
                    if is_err {
                        self.stderr.push(line.clone());
                    } else {
                        self.stdout.push(line.clone());
                    }
                    if hit {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no such line; stdout so far: {:?}; stderr so far: {:?}",
                    self.stdout, self.stderr
                ),
            }
        }
    }

    /// Waits for a stdout line containing `text`.
    pub fn wait_stdout(&mut self, text: &str) -> String {
        self.wait_for(false, |l| l.contains(text))
    }

    /// Waits for the exit, collecting the rest of the output; returns the exit code.
    pub fn finish(&mut self) -> i32 {
        let status = {
            let mut waited = None;
            for _ in 0..(HANG.as_millis() / 50) {
                if let Some(status) = self.child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                    waited = Some(status);
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            match waited {
                Some(status) => status,
                None => {
                    let _ = self.child.kill();
                    panic!(
                        "poke did not exit; stdout {:?} stderr {:?}",
                        self.stdout, self.stderr
                    );
                }
            }
        };
        while let Ok((is_err, line)) = self.lines.recv_timeout(Duration::from_secs(5)) {
            if is_err {
                self.stderr.push(line);
            } else {
                self.stdout.push(line);
            }
        }
        status.code().unwrap_or(-1)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
