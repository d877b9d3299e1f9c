//! Running core futures from Python: blocking with the GIL released, or as awaitables.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// How often a blocked call wakes to let Python handle Ctrl-C.
const TICK: Duration = Duration::from_millis(100);

static OWNER_PID: OnceLock<u32> = OnceLock::new();

/// The one tokio runtime of the process, refusing use from a forked child (its threads are gone).
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    let pid = *OWNER_PID.get_or_init(std::process::id);
    if pid != std::process::id() {
        return Err(crate::errors::poke_error(
            "poke cannot be used in a process forked after its first call; create clients in the child before any call, or use the 'spawn' start method",
        ));
    }
    Ok(pyo3_async_runtimes::tokio::get_runtime())
}

/// Runs `fut` to completion with the GIL released, waking every tick to check for signals.
pub(crate) fn wait<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = poke::Result<T>> + Send,
{
    let rt = runtime()?;
    let mut fut = std::pin::pin!(fut);
    loop {
        let polled =
            py.detach(|| rt.block_on(async { tokio::time::timeout(TICK, &mut fut).await }));
        match polled {
            Ok(result) => return result.map_err(to_py_err),
            // Dropping `fut` on a signal aborts the request.
            Err(_) => py.check_signals()?,
        }
    }
}

/// Wraps `fut` as a Python awaitable on the shared runtime.
pub(crate) fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = PyResult<T>> + Send + 'static,
{
    runtime()?;
    pyo3_async_runtimes::tokio::future_into_py(py, fut)
}
