//! Driving core futures from Python: blocking with the GIL released, or as asyncio futures.
//!
//! The engine (the runtime, lanes, interruptible waits) is the core's; this module only
//! releases the GIL, checks for signals, and hands results to the event loop. No runtime
//! thread ever calls into Python: results of asyncio calls are queued for the loop, which a
//! byte on a socket it watches wakes up (loops that cannot watch a socket get a fallback),
//! and they become Python objects on the loop's thread.

use crate::errors::{poke_error, to_py_err};
use futures_util::future::{AbortHandle, Abortable};
use poke::binding::{LaneClient, Lanes};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The core's process runtime, made anew in a forked child.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    poke::binding::runtime::shared().map_err(to_py_err)
}

/// Checks for a pending signal (Ctrl-C) from a thread that released the GIL.
pub(crate) fn interrupted() -> PyResult<()> {
    Python::attach(|py| {
        crate::logging::flush(py)?;
        py.check_signals()
    })
}

/// Runs `fut` on the shared runtime, driven by this thread with the GIL released; Ctrl-C
/// drops it (cancelling the call) and raises `KeyboardInterrupt`.
pub(crate) fn block<T: Send>(
    py: Python<'_>,
    fut: impl Future<Output = poke::Result<T>> + Send,
) -> PyResult<T> {
    let rt = runtime()?;
    crate::logging::refresh(py)?;
    let out = py.detach(|| poke::binding::runtime::block_on_interruptible(rt, fut, interrupted));
    crate::logging::flush(py)?;
    out?.map_err(to_py_err)
}

/// Makes the Python value of a finished call, on the thread that owns the GIL.
pub(crate) type Make<T> = fn(Python<'_>, T) -> PyResult<Py<PyAny>>;

/// Work for the loop's thread, handed over without the GIL.
type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// Runs `fut` on the shared runtime and returns an asyncio future of `make(result)`; the
/// Python value is made on the loop's thread. Cancelling the asyncio future drops `fut`.
pub(crate) fn awaitable<T: Send + 'static>(
    py: Python<'_>,
    fut: impl Future<Output = poke::Result<T>> + Send + 'static,
    make: Make<T>,
) -> PyResult<Bound<'_, PyAny>> {
    let rt = runtime()?;
    let (future, mut settled) = loop_future(py)?;
    let task = rt.spawn(async move { settled.outcome(fut.await, make) });
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnDone::task(task.abort_handle()),),
    )?;
    Ok(future)
}

/// Runs `call` with `client` on a lane of `lanes` driven by a thread of its own (the core's
/// `Lanes::spawn`), for calls that move a file's bytes: its buffers are then made and freed on
/// one thread, which the allocator needs to reuse them. Returns an asyncio future of
/// `make(result)`; cancelling it drops the call.
pub(crate) fn awaitable_on_lane<'py, C, T, F>(
    py: Python<'py>,
    lanes: &Arc<Lanes<C>>,
    client: C,
    call: impl FnOnce(C) -> F + Send + 'static,
    make: Make<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    C: LaneClient + Send + 'static,
    T: Send + 'static,
    F: Future<Output = poke::Result<T>> + 'static,
{
    let (future, settled) = loop_future(py)?;
    let settled = Arc::new(Mutex::new(settled));
    let on_fail = settled.clone();
    let (abort, registration) = AbortHandle::new_pair();
    let run = move |client| async move {
        // Aborted means the asyncio future is cancelled already: nothing to settle.
        if let Ok(outcome) = Abortable::new(call(client), registration).await {
            lock(&settled).outcome(outcome, make);
        }
    };
    let failed = move |e| lock(&on_fail).outcome(Err(e), make);
    lanes
        .spawn(client, run, failed)
        .map_err(|e| poke_error(&format!("could not start a thread: {e}")))?;
    future.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnDone(Abort::Lane(abort)),),
    )?;
    Ok(future)
}

/// A new asyncio future of the running loop, and what settles it from any thread.
fn loop_future(py: Python<'_>) -> PyResult<(Bound<'_, PyAny>, Settle)> {
    crate::logging::refresh(py)?;
    let event_loop = running_loop(py)?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let waker = LoopWaker::of(py, &event_loop)?;
    let settled = Settle(Some((waker, future.clone().unbind())));
    Ok((future, settled))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Settles an asyncio future from a task exactly once: with the task's result, or with an
/// error if the task panics (an aborted task's future is already cancelled).
struct Settle(Option<(LoopWaker, Py<PyAny>)>);

impl Settle {
    fn with(&mut self, f: impl FnOnce(Python<'_>, Py<PyAny>) + Send + 'static) {
        if let Some((waker, future)) = self.0.take() {
            waker.run(Box::new(move |py| f(py, future)));
        }
    }

    /// Settles with `outcome`, made into its Python value on the loop's thread.
    fn outcome<T: Send + 'static>(&mut self, outcome: poke::Result<T>, make: Make<T>) {
        self.with(move |py, future| {
            let value = outcome.map_err(to_py_err).and_then(|v| make(py, v));
            settle(py, future.bind(py), value);
        });
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.with(|py, future| {
                let err = poke_error("internal error: the call panicked");
                settle(py, future.bind(py), Err(err));
            });
        }
    }
}

/// Sets the future's result or exception unless it is done already (cancelled). Never
/// raises: this runs as a loop callback, where one failure must not lose other results.
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

/// Stops a call when its asyncio future is done (cancelled; otherwise a no-op).
#[pyclass(frozen, module = "poke._poke")]
pub(crate) struct AbortOnDone(Abort);

/// What stops a call: a task of the shared runtime, or a call on a lane.
enum Abort {
    Task(tokio::task::AbortHandle),
    Lane(AbortHandle),
}

impl AbortOnDone {
    /// Aborts the task `handle` belongs to.
    pub(crate) fn task(handle: tokio::task::AbortHandle) -> Self {
        Self(Abort::Task(handle))
    }
}

#[pymethods]
impl AbortOnDone {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        match &self.0 {
            Abort::Task(h) => h.abort(),
            Abort::Lane(h) => h.abort(),
        }
    }
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
        })?
        .bind(py)
        .call0()
}

// --- Handing work to an event loop's thread

/// Gets work onto one event loop's thread from any thread, without touching Python there.
#[derive(Clone)]
pub(crate) struct LoopWaker(Arc<Queue>);

struct Queue {
    jobs: Mutex<Vec<Job>>,
    /// Set while a wake-up is in flight, so a burst of completions wakes the loop once.
    signaled: AtomicBool,
    wake: Wake,
}

/// How the loop is woken.
enum Wake {
    /// A byte on a socket the loop watches (`add_reader`).
    Socket(wake::Sender),
    /// Loops that cannot watch a socket (Windows' proactor): `call_soon_threadsafe`, called
    /// from a thread of the runtime's blocking pool that takes the GIL.
    Threadsafe(Arc<Py<PyAny>>),
}

impl LoopWaker {
    /// The waker of `event_loop`, made once per loop (the last one is cached per thread: a
    /// strong reference, so no other loop can take its address meanwhile).
    pub(crate) fn of(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Self> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<(Py<PyAny>, LoopWaker)>> =
                const { std::cell::RefCell::new(None) };
        }
        let cached = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|(l, _)| l.bind(py).is(event_loop))
                .map(|(_, w)| w.clone())
        });
        if let Some(waker) = cached {
            return Ok(waker);
        }
        let waker = Self::lookup(py, event_loop)?;
        let entry = (event_loop.clone().unbind(), waker.clone());
        LAST.with_borrow_mut(|last| *last = Some(entry));
        Ok(waker)
    }

    fn lookup(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Self> {
        static WAKERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let wakers = WAKERS
            .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py
                    .import("weakref")?
                    .getattr("WeakKeyDictionary")?
                    .call0()?
                    .unbind())
            })?
            .bind(py);
        if let Ok(found) = wakers.call_method1("get", (event_loop,))?.cast::<Drain>() {
            return Ok(Self(found.get().0.clone()));
        }
        let threadsafe = |py| {
            let wake = Wake::Threadsafe(Arc::new(event_loop.clone().unbind()));
            Py::new(py, Drain(Arc::new(Queue::new(wake)), None))
        };
        let drain = match wake::pair() {
            Ok((tx, rx)) => {
                let fd = rx.fd();
                let drain = Py::new(py, Drain(Arc::new(Queue::new(Wake::Socket(tx))), Some(rx)))?;
                match event_loop.call_method1("add_reader", (fd, &drain)) {
                    Ok(_) => drain,
                    Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => {
                        threadsafe(py)?
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(_) => threadsafe(py)?,
        };
        wakers.set_item(event_loop, &drain)?;
        Ok(Self(drain.get().0.clone()))
    }

    /// Runs `job` on the loop's thread, from any thread.
    pub(crate) fn run(&self, job: Job) {
        self.0
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(job);
        if self.0.signaled.swap(true, Ordering::SeqCst) {
            return;
        }
        match &self.0.wake {
            Wake::Socket(tx) => tx.wake(),
            Wake::Threadsafe(event_loop) => {
                let queue = self.0.clone();
                let event_loop = event_loop.clone();
                let send = move || {
                    Python::attach(|py| {
                        let drain = Drain(queue, None);
                        // A closed loop refuses the job: nothing waits for it any more.
                        let _ = event_loop
                            .bind(py)
                            .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (drain,));
                    });
                };
                match poke::binding::runtime::shared() {
                    Ok(rt) => drop(rt.spawn_blocking(send)),
                    Err(_) => send(),
                }
            }
        }
    }
}

impl Queue {
    fn new(wake: Wake) -> Self {
        Self {
            jobs: Mutex::new(Vec::new()),
            signaled: AtomicBool::new(false),
            wake,
        }
    }
}

/// Runs the queued jobs on the loop's thread (called by the loop when woken).
#[pyclass(frozen, module = "poke._poke")]
struct Drain(Arc<Queue>, Option<wake::Receiver>);

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(rx) = &self.1 {
            rx.clear();
        }
        self.0.signaled.store(false, Ordering::SeqCst);
        let jobs = std::mem::take(&mut *self.0.jobs.lock().unwrap_or_else(PoisonError::into_inner));
        for job in jobs {
            job(py);
        }
        crate::logging::flush(py)
    }
}

/// A pair of connected sockets, one end watched by the loop.
mod wake {
    use std::io::{Read, Write};

    #[cfg(unix)]
    type Socket = std::os::unix::net::UnixStream;
    #[cfg(not(unix))]
    type Socket = std::net::TcpStream;

    /// The writing end: one byte wakes the loop.
    pub(super) struct Sender(Socket);
    /// The watched end.
    pub(super) struct Receiver(Socket);

    impl Sender {
        pub(super) fn wake(&self) {
            // Non-blocking; a full socket already holds a pending wake-up.
            let _ = (&self.0).write(&[1]);
        }
    }

    impl Receiver {
        pub(super) fn clear(&self) {
            let mut buf = [0u8; 64];
            while matches!((&self.0).read(&mut buf), Ok(n) if n > 0) {}
        }
    }

    #[cfg(unix)]
    fn connected() -> std::io::Result<(Socket, Socket)> {
        Socket::pair()
    }

    #[cfg(not(unix))]
    fn connected() -> std::io::Result<(Socket, Socket)> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let tx = Socket::connect(listener.local_addr()?)?;
        let (rx, _) = listener.accept()?;
        tx.set_nodelay(true)?;
        Ok((tx, rx))
    }

    pub(super) fn pair() -> std::io::Result<(Sender, Receiver)> {
        let (tx, rx) = connected()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok((Sender(tx), Receiver(rx)))
    }

    impl Receiver {
        /// What `loop.add_reader` takes for this end.
        #[cfg(unix)]
        pub(super) fn fd(&self) -> i64 {
            use std::os::fd::AsRawFd;
            i64::from(self.0.as_raw_fd())
        }

        /// What `loop.add_reader` takes for this end.
        #[cfg(windows)]
        pub(super) fn fd(&self) -> i64 {
            use std::os::windows::io::AsRawSocket;
            i64::try_from(self.0.as_raw_socket()).unwrap_or(-1)
        }
    }
}
