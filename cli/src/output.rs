//! Everything printed: plain lines or JSON on stdout, messages on stderr, colours only on a
//! terminal and never with `NO_COLOR`, progress bars only on a terminal.

use console::style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

/// Where and how a command prints.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

/// True when `NO_COLOR` is set to a non-empty value (https://no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Output {
    /// Output for this run; `json` turns data into one JSON document per line.
    pub fn new(json: bool) -> Self {
        if no_color() {
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        Self { json }
    }

    /// True when data is printed as JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// A line on stdout (errors such as a closed pipe are ignored: the reader left).
    pub fn line(&self, text: impl std::fmt::Display) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// Text on stdout without a newline, flushed (streamed replies, progress dots).
    pub fn part(&self, text: impl std::fmt::Display) {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{text}");
        let _ = out.flush();
    }

    /// A line on stderr.
    pub fn note(&self, text: impl std::fmt::Display) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// A warning on stderr.
    pub fn warn(&self, text: impl std::fmt::Display) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} {text}",
            style("warning:").yellow().bold().for_stderr()
        );
    }

    /// `value` as one line of JSON on stdout.
    pub fn data<T: Serialize + ?Sized>(&self, value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => self.line(text),
            Err(e) => self.note(format!("could not encode the output as JSON: {e}")),
        }
    }

    /// A success line on stdout (`✓ …`, green on a terminal).
    pub fn success(&self, text: impl std::fmt::Display) {
        self.line(format!("{} {text}", style("✓").green().bold()));
    }

    /// `label: value` on stdout, the label dimmed on a terminal.
    pub fn field(&self, label: &str, value: impl std::fmt::Display) {
        self.line(format!("  {} {value}", style(format!("{label}:")).dim()));
    }

    /// A progress bar on stderr for `len` bytes (a spinner when unknown); hidden with `--json`
    /// and when stderr is not a terminal.
    pub fn bytes_bar(&self, len: Option<u64>, what: &str) -> ProgressBar {
        let bar = match len {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(what.to_owned());
        if self.json {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        bar
    }
}
