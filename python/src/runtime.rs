//! Running core futures from Python: blocking with the GIL released, or as awaitables.
//!
//! Three ways, by cost:
//! - [`wait_on`]: a blocking call on a *lane*, a current-thread runtime that the calling thread
//!   drives itself while the call runs, so the request is written, awaited (in `epoll_wait`)
//!   and read on the caller's thread with no hand-off to another thread (the
//!   `Poke` calls; see `client.rs` for the lanes);
//! - [`wait`]: a blocking call on the shared multi-thread runtime (everything else);
//! - [`awaitable_json`]: an asyncio future completed from the shared runtime through a
//!   per-event-loop [`Bridge`]: finished calls are queued and the loop is woken through a
//!   socket it watches (`add_reader`), so no tokio thread ever waits for the GIL and
//!   completions that finish together are delivered in one wake-up (the `AsyncPoke` calls);
//!   [`awaitable`] is the general `pyo3-async-runtimes` path.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAnyMethods;
use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How often a blocked call wakes to let Python handle Ctrl-C.
const TICK: Duration = Duration::from_millis(100);

static OWNER_PID: OnceLock<u32> = OnceLock::new();

/// Refuses use from a process forked after the first call (the runtimes' threads are gone).
pub(crate) fn check_fork() -> PyResult<()> {
    let pid = *OWNER_PID.get_or_init(std::process::id);
    if pid != std::process::id() {
        return Err(crate::errors::poke_error(
            "poke cannot be used in a process forked after its first call; create clients in the child before any call, or use the 'spawn' start method",
        ));
    }
    Ok(())
}

/// The one shared tokio runtime of the process, refusing use from a forked child.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    check_fork()?;
    Ok(pyo3_async_runtimes::tokio::get_runtime())
}

/// Drives `fut` on `rt` with the GIL released, waking every tick to check for signals;
/// `before` runs first, in the same release of the GIL (one GIL hand-off per call).
fn block_ticking<T, F>(
    py: Python<'_>,
    rt: &tokio::runtime::Runtime,
    before: impl FnOnce() + Send,
    fut: F,
) -> PyResult<T>
where
    T: Send,
    F: Future<Output = poke::Result<T>> + Send,
{
    let mut fut = std::pin::pin!(fut);
    let mut before = Some(before);
    loop {
        let polled = py.detach(|| {
            if let Some(f) = before.take() {
                f();
            }
            rt.block_on(async { tokio::time::timeout(TICK, &mut fut).await })
        });
        match polled {
            Ok(result) => return result.map_err(to_py_err),
            // Dropping `fut` on a signal aborts the request.
            Err(_) => py.check_signals()?,
        }
    }
}

/// Runs `fut` to completion on the shared runtime with the GIL released.
pub(crate) fn wait<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = poke::Result<T>> + Send,
{
    block_ticking(py, runtime()?, || {}, fut)
}

/// A current-thread runtime lent to one blocking call at a time; see `client.rs`.
pub(crate) struct LaneRuntime(Option<tokio::runtime::Runtime>);

impl LaneRuntime {
    pub(crate) fn new() -> PyResult<Self> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| Self(Some(rt)))
            .map_err(|e| crate::errors::poke_error(&format!("could not start a runtime: {e}")))
    }

    fn get(&self) -> &tokio::runtime::Runtime {
        // ok: the runtime is only taken out in `Drop`, after which `get` cannot be called.
        self.0.as_ref().expect("lane runtime present until drop") // ok: invariant above
    }

    /// Lets the runtime's connection tasks see what happened while it was idle (a server that
    /// closed a pooled keep-alive connection), so the pool drops such connections before
    /// the next request picks one: two scheduler turns, each polling the I/O driver once.
    fn catch_up(&self) {
        self.get().block_on(async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
        });
    }
}

impl Drop for LaneRuntime {
    fn drop(&mut self) {
        // Never blocks, and is allowed anywhere (even inside another runtime).
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Runs `fut` on the lane `rt`, driven by this thread, with the GIL released; `idle` says the
/// lane was unused long enough for its pooled connections to need a look first.
pub(crate) fn wait_on<T, F>(py: Python<'_>, rt: &LaneRuntime, idle: bool, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = poke::Result<T>> + Send,
{
    check_fork()?;
    let catch_up = || {
        if idle {
            rt.catch_up();
        }
    };
    block_ticking(py, rt.get(), catch_up, fut)
}

/// Wraps `fut` as a Python awaitable on the shared runtime. Its result reaches the loop
/// through the loop's bridge, so no runtime thread calls into Python (which could end that
/// thread mid-call if the interpreter shuts down meanwhile); loops that cannot watch a socket
/// take the general `pyo3-async-runtimes` path. Cancelling the awaitable drops `fut`.
pub(crate) fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    F: Future<Output = PyResult<T>> + Send + 'static,
{
    let rt = runtime()?;
    let event_loop = running_loop(py)?;
    let Some(shared) = loop_bridge(py, &event_loop)? else {
        return pyo3_async_runtimes::tokio::future_into_py(py, fut);
    };
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let mut handoff = Handoff {
        shared,
        future: Some(future.clone().unbind()),
    };
    let task = rt.spawn(async move {
        let outcome = fut.await;
        handoff.finish(Box::new(move |py| {
            outcome.and_then(|v| pyo3::IntoPyObjectExt::into_py_any(v, py))
        }));
    });
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnDone(task.abort_handle()),),
    )?;
    Ok(future)
}

/// Makes a task's result on the loop's thread.
type MakeResult = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Settles an [`awaitable`]'s future through the bridge; a task that panics settles it with
/// an error (an aborted task, whose future is already done, settles nothing).
struct Handoff {
    shared: Arc<Shared>,
    future: Option<Py<PyAny>>,
}

impl Handoff {
    fn finish(&mut self, make: MakeResult) {
        if let Some(future) = self.future.take() {
            self.shared
                .run(Box::new(move |py| settle(py, future.bind(py), make(py))));
        }
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.finish(Box::new(|_| {
                Err(crate::errors::poke_error(
                    "internal error: the task panicked",
                ))
            }));
        }
    }
}

/// Sets the future's result or exception unless it is already done (cancelled). Never raises:
/// this runs as an event-loop callback, where one failure must not lose the other results.
pub(crate) fn settle(py: Python<'_>, future: &Bound<'_, PyAny>, result: PyResult<Py<PyAny>>) {
    if future
        .call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let set = match result {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(pyo3::intern!(py, "set_exception"), (err.value(py),)),
    };
    if let Err(err) = set {
        err.write_unraisable(py, Some(future));
    }
}

// --- asyncio futures completed through a per-loop bridge

type Outcome = Option<poke::Result<poke::JsonResponse>>;

/// Work for the loop's thread, handed over without the GIL.
type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// The half of a [`Bridge`] that tokio tasks hold.
pub(crate) struct Shared {
    /// Finished calls: the asyncio future and its outcome (`None`: the task panicked).
    done: Mutex<Vec<(Py<PyAny>, Outcome)>>,
    /// Other work to run on the loop's thread, in order.
    jobs: Mutex<Vec<Job>>,
    /// Set while a wake-up byte is in flight, so a burst of completions writes one byte.
    signaled: AtomicBool,
    tx: UnixStream,
}

impl Shared {
    fn push(&self, future: Py<PyAny>, outcome: Outcome) {
        self.done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((future, outcome));
        self.wake();
    }

    /// Runs `job` on the loop's thread, from any thread: no Python call happens here, so a
    /// runtime thread never waits for the GIL (which, while the interpreter shuts down, ends
    /// the thread by a forced unwind that Rust turns into an abort).
    pub(crate) fn run(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(job);
        self.wake();
    }

    fn wake(&self) {
        if !self.signaled.swap(true, Ordering::SeqCst) {
            // Non-blocking; a full socket already holds a pending wake-up.
            let _ = (&self.tx).write(&[1]);
        }
    }
}

/// Empties a queue filled by other threads.
fn take_all<T>(queue: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(
        &mut *queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Delivers finished calls on one event loop: `loop.add_reader(fd, bridge)` calls it.
#[pyclass(frozen, module = "poke._poke")]
pub(crate) struct Bridge {
    shared: Arc<Shared>,
    rx: UnixStream,
}

#[pymethods]
impl Bridge {
    fn __call__(&self, py: Python<'_>) {
        let mut buf = [0u8; 64];
        while matches!((&self.rx).read(&mut buf), Ok(n) if n > 0) {}
        self.shared.signaled.store(false, Ordering::SeqCst);
        for (future, outcome) in take_all(&self.shared.done) {
            complete(py, future.bind(py), outcome);
        }
        for job in take_all(&self.shared.jobs) {
            job(py);
        }
    }
}

/// The bridge of `event_loop` (the running loop) as a handle usable from any thread, or
/// `None` where the loop cannot watch a socket (then use `call_soon_threadsafe`).
pub(crate) fn loop_bridge(
    py: Python<'_>,
    event_loop: &Bound<'_, PyAny>,
) -> PyResult<Option<Arc<Shared>>> {
    Ok(bridge_for(py, event_loop)?.map(|b| b.get().shared.clone()))
}

/// Settles a bridged call's future with its decoded reply or its error.
fn complete(py: Python<'_>, future: &Bound<'_, PyAny>, outcome: Outcome) {
    let result = match outcome {
        Some(Ok(resp)) => crate::convert::from_json(py, &resp.body),
        Some(Err(e)) => Err(to_py_err(e)),
        None => Err(crate::errors::poke_error(
            "internal error: the request task panicked",
        )),
    };
    settle(py, future, result);
}

/// Aborts the call's task when its asyncio future is done (cancelled; otherwise a no-op, the
/// task having already finished).
#[pyclass(frozen, module = "poke._poke")]
struct AbortOnDone(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        self.0.abort();
    }
}

/// Reports the task's end to the bridge even when it ends by panic or abort (then `None`).
struct Completion {
    shared: Arc<Shared>,
    future: Option<Py<PyAny>>,
}

impl Completion {
    fn finish(mut self, outcome: poke::Result<poke::JsonResponse>) {
        if let Some(f) = self.future.take() {
            self.shared.push(f, Some(outcome));
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(f) = self.future.take() {
            self.shared.push(f, None);
        }
    }
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static BRIDGES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What a loop uses: a bridge, or `None` where `add_reader` is unsupported.
type LoopEntry = Option<Py<Bridge>>;

thread_local! {
    /// The last loop seen on this thread (a weak reference) and its entry.
    static LAST: std::cell::RefCell<Option<(Py<PyAny>, LoopEntry)>> =
        const { std::cell::RefCell::new(None) };
}

fn bridge_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<LoopEntry> {
    let cached = LAST.with_borrow(|last| {
        last.as_ref().and_then(|(weak, entry)| {
            let alive = weak.bind(py).call0().ok()?;
            alive
                .is(event_loop)
                .then(|| entry.as_ref().map(|b| b.clone_ref(py)))
        })
    });
    if let Some(entry) = cached {
        return Ok(entry);
    }
    let bridges = BRIDGES
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("weakref")?
                .getattr("WeakKeyDictionary")?
                .call0()?
                .unbind())
        })?
        .bind(py);
    let entry: LoopEntry = match bridges.call_method1("get", (event_loop, false))? {
        found if found.is_none() => None,
        found if found.is_instance_of::<Bridge>() => Some(found.cast_into::<Bridge>()?.unbind()),
        _ => {
            let entry = new_bridge(py, event_loop)?;
            match &entry {
                Some(b) => bridges.set_item(event_loop, b.clone_ref(py))?,
                None => bridges.set_item(event_loop, py.None())?,
            }
            entry
        }
    };
    let weak = py
        .import("weakref")?
        .getattr("ref")?
        .call1((event_loop,))?
        .unbind();
    let keep = entry.as_ref().map(|b| b.clone_ref(py));
    LAST.with_borrow_mut(|last| *last = Some((weak, keep)));
    Ok(entry)
}

fn new_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<LoopEntry> {
    let io =
        |e: std::io::Error| crate::errors::poke_error(&format!("could not wake the loop: {e}"));
    let (rx, tx) = UnixStream::pair().map_err(io)?;
    rx.set_nonblocking(true).map_err(io)?;
    tx.set_nonblocking(true).map_err(io)?;
    let fd = rx.as_raw_fd();
    let bridge = Py::new(
        py,
        Bridge {
            shared: Arc::new(Shared {
                done: Mutex::new(Vec::new()),
                jobs: Mutex::new(Vec::new()),
                signaled: AtomicBool::new(false),
                tx,
            }),
            rx,
        },
    )?;
    match event_loop.call_method1("add_reader", (fd, bridge.clone_ref(py))) {
        Ok(_) => Ok(Some(bridge)),
        // Loops without add_reader (Windows' proactor) use the general path.
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => Ok(None),
        Err(e) => Err(e),
    }
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    GET_RUNNING_LOOP
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

/// An asyncio future that is already done with `value`, for awaitables with nothing to wait
/// for (`aclose()`, `__aenter__`, `__aexit__`): no runtime thread is involved, so none can be
/// left completing a future while the interpreter shuts down.
pub(crate) fn ready<'py>(py: Python<'py>, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let future = running_loop(py)?.call_method0(pyo3::intern!(py, "create_future"))?;
    future.call_method1(pyo3::intern!(py, "set_result"), (value,))?;
    Ok(future)
}

/// Runs `call` on the shared runtime and returns an asyncio future of its decoded JSON reply.
/// Cancelling the future aborts the call.
pub(crate) fn awaitable_json<'py, F>(py: Python<'py>, call: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = poke::Result<poke::JsonResponse>> + Send + 'static,
{
    let rt = runtime()?;
    let event_loop = running_loop(py)?;
    let Some(bridge) = bridge_for(py, &event_loop)? else {
        return awaitable(py, async move {
            let resp = call.await.map_err(to_py_err)?;
            Python::attach(|py| crate::convert::from_json(py, &resp.body))
        });
    };
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let done = Completion {
        shared: bridge.get().shared.clone(),
        future: Some(future.clone().unbind()),
    };
    let task = rt.spawn(async move {
        let outcome = call.await;
        done.finish(outcome);
    });
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnDone(task.abort_handle()),),
    )?;
    Ok(future)
}
