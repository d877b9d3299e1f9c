//! Forwards the core's `tracing` events to Python's `logging` (loggers `poke`, `poke.mcp`).

use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?} "));
        } else {
            self.0.push_str(&format!("{}={value:?} ", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value} "));
        } else {
            self.0.push_str(&format!("{}={value} ", field.name()));
        }
    }
}

struct PyLogging;

impl<S: Subscriber> Layer<S> for PyLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("poke") {
            return;
        }
        let level = match *meta.level() {
            Level::ERROR => 40,
            Level::WARN => 30,
            Level::INFO => 20,
            _ => 10,
        };
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let logger_name = meta
            .target()
            .split("::")
            .next()
            .unwrap_or("poke")
            .to_owned();
        Python::attach(|py| {
            let logged = py
                .import("logging")
                .and_then(|m| m.getattr("getLogger")?.call1((logger_name,)))
                .and_then(|logger| logger.call_method1("log", (level, fields.0.trim_end())));
            // A broken handler must not break the request that logged.
            drop(logged);
        });
    }
}

/// Installs the bridge when `POKE_LOG` asks for it (`info` or `debug`).
pub(crate) fn init_from_env() {
    let level = match std::env::var("POKE_LOG").ok().as_deref().map(str::trim) {
        Some("debug") => Level::DEBUG,
        Some("info") => Level::INFO,
        _ => return,
    };
    let subscriber = tracing_subscriber::registry()
        .with(PyLogging)
        .with(tracing_subscriber::filter::LevelFilter::from_level(level));
    // Another library may have installed a global subscriber first; then we stay silent.
    let _ = tracing::subscriber::set_global_default(subscriber);
}
