//! The core's `tracing` events as records of Python's `logging` (loggers `poke`, `poke.mcp`).
//!
//! The thread that logs only queues the record; a thread that holds the GIL hands the queue to
//! `logging` at a safe point (after a blocking call, every tick of a long one, on the event
//! loop's thread when it settles calls), so no runtime thread calls into Python. What is
//! recorded follows the `poke` logger's effective level, read at those safe points, so a
//! standard `logging` configuration is enough, made before or after `import poke`.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Most records held between two safe points; more are counted and dropped.
const MAX_QUEUED: usize = 10_000;

/// Python levels.
const DEBUG: u8 = 10;
const INFO: u8 = 20;
const WARNING: u8 = 30;
const ERROR: u8 = 40;
/// Nothing is recorded.
const OFF: u8 = 255;

/// The lowest Python level recorded, as last read from the `poke` logger.
static THRESHOLD: AtomicU8 = AtomicU8::new(OFF);
/// When the threshold was last read, in ms since the epoch.
static READ_AT_MS: AtomicU64 = AtomicU64::new(0);
/// How often the threshold is read again at most.
const REREAD_MS: u64 = 250;

struct Record {
    logger: &'static str,
    level: u8,
    message: String,
}

static QUEUE: Mutex<(Vec<Record>, usize)> = Mutex::new((Vec::new(), 0));

fn level_of(level: &Level) -> u8 {
    match *level {
        Level::ERROR => ERROR,
        Level::WARN => WARNING,
        Level::INFO => INFO,
        _ => DEBUG,
    }
}

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

struct Queued;

impl<S: Subscriber> Layer<S> for Queued {
    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        meta.target().starts_with("poke")
            && level_of(meta.level()) >= THRESHOLD.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let logger = if meta.target().starts_with("poke.mcp") {
            "poke.mcp"
        } else {
            "poke"
        };
        let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.0.len() < MAX_QUEUED {
            queue.0.push(Record {
                logger,
                level: level_of(meta.level()),
                message: fields.0.trim_end().to_owned(),
            });
        } else {
            queue.1 += 1;
        }
    }
}

/// Installs the bridge (once per process); the level is read as the first call starts.
pub(crate) fn init() {
    let subscriber = tracing_subscriber::registry().with(Queued);
    // Another library may have installed a global subscriber first; then we stay silent.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Drops what a `logging` call raised, as `logging` does with a broken handler, except an
/// interruption (`KeyboardInterrupt`, `SystemExit`: not an `Exception`). Python ran the signal
/// handler that raised it inside `logging`'s code, so dropping it would lose the user's Ctrl-C.
fn unless_interrupted<T>(py: Python<'_>, result: PyResult<T>) -> PyResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_instance_of::<PyException>(py) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the effective level of the `poke` logger into the threshold.
fn read_threshold(py: Python<'_>) -> PyResult<()> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let level = LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("logging")?
                .getattr("getLogger")?
                .call1(("poke",))?
                .unbind())
        })
        .and_then(|logger| logger.bind(py).call_method0("getEffectiveLevel"))
        .and_then(|l| l.extract::<i64>());
    // Interrupted, the threshold stays as it was and is read again at the next safe point.
    let threshold = match unless_interrupted(py, level)? {
        Some(l) if l <= i64::from(DEBUG) => DEBUG,
        Some(l) => u8::try_from(l).unwrap_or(OFF),
        None => OFF,
    };
    READ_AT_MS.store(now_ms(), Ordering::Relaxed);
    if THRESHOLD.swap(threshold, Ordering::Relaxed) != threshold {
        // Each call site caches whether it is enabled, which depends on the threshold.
        tracing::callsite::rebuild_interest_cache();
    }
    Ok(())
}

/// Reads the logger's level again when the last read is old (a configuration made after
/// `import poke`); called as a call starts and at each flush. Raises only an interruption.
pub(crate) fn refresh(py: Python<'_>) -> PyResult<()> {
    if now_ms().saturating_sub(READ_AT_MS.load(Ordering::Relaxed)) >= REREAD_MS {
        read_threshold(py)?;
    }
    Ok(())
}

/// Reads the `poke` logger's level now (`poke/__init__.py` calls it after `POKE_LOG`).
#[pyfunction]
pub(crate) fn _refresh_logging(py: Python<'_>) -> PyResult<()> {
    read_threshold(py)
}

/// Hands the queued records to `logging`, from a thread that holds the GIL. Raises only an
/// interruption; the records not yet handed over then go back to the queue.
pub(crate) fn flush(py: Python<'_>) -> PyResult<()> {
    refresh(py)?;
    let (records, dropped) = {
        let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.0.is_empty() && queue.1 == 0 {
            return Ok(());
        }
        (std::mem::take(&mut queue.0), std::mem::take(&mut queue.1))
    };
    let Some(get_logger) = unless_interrupted(
        py,
        py.import("logging").and_then(|m| m.getattr("getLogger")),
    )?
    else {
        return Ok(());
    };
    let mut records = records.into_iter();
    while let Some(r) = records.next() {
        let logged = get_logger
            .call1((r.logger,))
            .and_then(|logger| logger.call_method1("log", (r.level, r.message)));
        if let Err(e) = unless_interrupted(py, logged) {
            let mut queue = QUEUE.lock().unwrap_or_else(PoisonError::into_inner);
            let newer = std::mem::take(&mut queue.0);
            queue.0 = records.chain(newer).collect();
            queue.1 += dropped;
            return Err(e);
        }
    }
    if dropped > 0 {
        let text = format!("{dropped} log records were dropped (too many between two calls)");
        let logged = get_logger
            .call1(("poke",))
            .and_then(|logger| logger.call_method1("log", (WARNING, text)));
        unless_interrupted(py, logged)?;
    }
    Ok(())
}
