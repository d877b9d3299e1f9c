//! The local functions of a tool loop (`responses.run`): the core runs the loop and calls
//! `dispatch(name, arguments, call_id)` for each function call. A blocking call's dispatch
//! runs on the calling thread (which drives the call); an asyncio call's on the event loop's
//! thread, where a coroutine it returns is awaited as a task. No runtime thread calls into
//! Python; an exception comes back unchanged.

use crate::errors::poke_error;
use crate::runtime::LoopWaker;
use pyo3::prelude::*;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

type Outcome = PyResult<String>;

/// The Python side of a tool loop: one dispatch function, and the loop it runs on.
pub(crate) struct Dispatch {
    func: Arc<Py<PyAny>>,
    on_loop: Option<LoopWaker>,
}

impl Dispatch {
    /// `dispatch` must be callable; with `on_loop`, it runs on the current thread's running
    /// event loop.
    pub(crate) fn new(py: Python<'_>, dispatch: Bound<'_, PyAny>, on_loop: bool) -> PyResult<Self> {
        if !dispatch.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "the tool dispatcher must be callable",
            ));
        }
        let on_loop = if on_loop {
            let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
            Some(LoopWaker::of(py, &event_loop)?)
        } else {
            None
        };
        Ok(Self {
            func: Arc::new(dispatch.unbind()),
            on_loop,
        })
    }

    /// Runs the function for `call` and returns its output text.
    pub(crate) async fn call(&self, call: poke::FunctionCall) -> Outcome {
        let func = self.func.clone();
        let args = (call.name, call.arguments, call.call_id);
        let Some(waker) = &self.on_loop else {
            return Python::attach(|py| func.bind(py).call1(args)?.extract::<String>());
        };
        let (tx, rx) = oneshot::channel::<Outcome>();
        waker.run(Box::new(move |py| {
            let tx = Arc::new(Mutex::new(Some(tx)));
            if let Err(e) = start(py, &func, args, &tx) {
                send(&tx, Err(e));
            }
        }));
        rx.await.unwrap_or_else(|_| {
            Err(poke_error(
                "the event loop closed before the tool function finished",
            ))
        })
    }
}

type Sender = Arc<Mutex<Option<oneshot::Sender<Outcome>>>>;

fn send(tx: &Sender, outcome: Outcome) {
    if let Some(tx) = tx.lock().unwrap_or_else(PoisonError::into_inner).take() {
        // The waiting call may be gone (cancelled): then nobody needs the outcome.
        let _ = tx.send(outcome);
    }
}

/// On the loop's thread: calls the function; a coroutine is scheduled as a task whose end
/// sends the outcome.
fn start(
    py: Python<'_>,
    func: &Py<PyAny>,
    args: (String, String, String),
    tx: &Sender,
) -> PyResult<()> {
    let value = func.bind(py).call1(args)?;
    let awaitable = py
        .import("inspect")?
        .call_method1("isawaitable", (&value,))?
        .is_truthy()?;
    if !awaitable {
        send(tx, value.extract::<String>());
        return Ok(());
    }
    let task = py
        .import("asyncio")?
        .call_method1("ensure_future", (value,))?;
    task.call_method1("add_done_callback", (Finished(tx.clone()),))?;
    Ok(())
}

/// The done-callback of a tool's task: hands its result (or exception) to the loop.
#[pyclass(frozen, module = "poke._poke")]
struct Finished(Sender);

#[pymethods]
impl Finished {
    fn __call__(&self, task: &Bound<'_, PyAny>) {
        let outcome = task
            .call_method0("result")
            .and_then(|r| r.extract::<String>());
        send(&self.0, outcome);
    }
}
