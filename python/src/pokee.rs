//! `_PokeeCore`: the Pokee Enterprise sessions API for the Python classes of `poke._sessions`.
//!
//! One method per endpoint; each converts its arguments and returns a [`Call`] that the
//! blocking classes `.wait()` on and the asyncio classes await (so nothing starts until then).

use crate::args::{self, Source};
use crate::byte_stream::ByteStreamCore;
use crate::call::{Call, Mode};
use crate::errors::to_py_err;
use crate::progress::{self, Callback};
use crate::records::{
    BulkDeleteResult, CancelResult, FileEntry, SessionRecord, ToolResultAck, UploadResult, Usage,
    to_py,
};
use crate::runtime::{Make, awaitable_on_lane, interrupted};
use crate::turn::TurnCore;
use futures_util::StreamExt;
use poke::binding::Lanes;
use poke::binding::SdkLang;
use poke::binding::progress::Reporter;
use poke::binding::{ByteReader, Feeder};
use poke::{BulkDelete, CreateSession, PokeeClient, WaitOptions};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

fn into_py<T: for<'a> IntoPyObject<'a>>(py: Python<'_>, value: T) -> PyResult<Py<PyAny>> {
    value.into_py_any(py)
}

fn json(py: Python<'_>, value: serde_json::Value) -> PyResult<Py<PyAny>> {
    to_py(py, &value)
}

fn nothing(py: Python<'_>, (): ()) -> PyResult<Py<PyAny>> {
    Ok(py.None())
}

fn bytes_of(py: Python<'_>, data: Vec<u8>) -> PyResult<Py<PyAny>> {
    Ok(PyBytes::new(py, &data).into_any().unbind())
}

fn records<R: for<'a> IntoPyObject<'a>>(py: Python<'_>, list: Vec<R>) -> PyResult<Py<PyAny>> {
    list.into_py_any(py)
}

fn byte_progress(reports: Reporter<(u64, Option<u64>)>) -> impl FnMut(u64, Option<u64>) + Send {
    move |done, total| reports.send((done, total))
}

fn byte_args(py: Python<'_>, (done, total): (u64, Option<u64>)) -> PyResult<Py<PyTuple>> {
    Ok((done, total).into_pyobject(py)?.unbind())
}

fn record_args(py: Python<'_>, record: poke::SessionRecord) -> PyResult<Py<PyTuple>> {
    PyTuple::new(py, [SessionRecord::from(record)]).map(Bound::unbind)
}

/// The sessions client shared by `Pokee`, `AsyncPokee` and their sessions and files.
#[pyclass(frozen, subclass, module = "poke._poke", name = "_PokeeCore")]
pub(crate) struct PokeeCore {
    pub(crate) client: PokeeClient,
    /// The lanes of the calls that move a file's bytes (see `on_lane`).
    lanes: Arc<Lanes<PokeeClient>>,
}

impl PokeeCore {
    /// The client for one call with its own options.
    pub(crate) fn with(
        &self,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<PokeeClient> {
        Ok(self
            .client
            .with_options(args::call_options(timeout, max_retries, None)?))
    }

    /// A call that moves a file's bytes, run on a lane of this client: blocking, driven by
    /// the calling thread; awaited, by a thread of its own. Either way the connection's
    /// buffers are made and freed on one thread, which mimalloc needs to reuse that memory
    /// promptly (freed from another thread, it stays in the process: ~100 MiB after a few
    /// hundred 2 MiB round trips). `c` is the client with the call's options.
    fn on_lane<T, F, G>(
        &self,
        c: PokeeClient,
        start: impl FnOnce(Python<'_>, Mode) -> PyResult<G> + Send + 'static,
        make: Make<T>,
    ) -> Call
    where
        T: Send + 'static,
        G: FnOnce(PokeeClient) -> F + Send + 'static,
        F: Future<Output = poke::Result<T>> + 'static,
    {
        let lanes = self.lanes.clone();
        Call::new(move |py, mode| {
            let go = start(py, mode)?;
            if mode == Mode::Async {
                return awaitable_on_lane(py, &lanes, c, go, make).map(Bound::unbind);
            }
            crate::logging::refresh(py)?;
            let out = py.detach(|| lanes.run(&c, go, interrupted));
            crate::logging::flush(py)?;
            make(py, out?.map_err(to_py_err)?)
        })
    }
}

#[pymethods]
impl PokeeCore {
    #[new]
    #[pyo3(signature = (*, api_key=None, base_url=None, timeout=None, max_retries=None))]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Self> {
        // The file methods return a `pathlib.Path`: converting one here resolves that type
        // (importing `pathlib`, about 3 ms if nothing did yet), so the first download does not.
        PathBuf::new().into_pyobject(py)?;
        let mut builder = PokeeClient::builder().sdk(SdkLang::Python, env!("CARGO_PKG_VERSION"));
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(t) = args::timeouts(timeout)? {
            builder = builder.timeouts(t);
        }
        if let Some(n) = args::retries(max_retries)? {
            builder = builder.max_retries(n);
        }
        Ok(Self {
            client: builder.build().map_err(to_py_err)?,
            lanes: Arc::new(Lanes::new()),
        })
    }

    /// The resolved base URL, without trailing slash.
    #[getter]
    fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// Refuses later calls (they raise `PokeError`) and drops idle connections.
    fn close(&self) {
        self.lanes.close();
        self.client.close();
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn usage(
        &self,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.usage().await.map(Usage::from) }),
            into_py,
        ))
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn health(
        &self,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.health().await }),
            json,
        ))
    }

    #[pyo3(signature = (persistent, ttl, metadata, file_access, model, tools, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn create_session(
        &self,
        py: Python<'_>,
        persistent: Option<bool>,
        ttl: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyAny>>,
        file_access: Option<&Bound<'_, PyAny>>,
        model: Option<String>,
        tools: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let mut params = CreateSession::new();
        params.persistent = persistent;
        params.model = model;
        if let Some(ttl) = ttl.filter(|v| !v.is_none()) {
            params = params.ttl(args::whole_seconds("ttl", ttl)?);
        }
        params.metadata = args::opt_json(py, "metadata", metadata)?;
        params.file_access = args::opt_json(py, "file_access", file_access)?;
        params.tools = args::opt_json(py, "tools", tools)?;
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.create_session(&params).await.map(SessionRecord::from) }),
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, timeout=None, max_retries=None))]
    fn get_session(
        &self,
        session_id: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move { c.get_session(&session_id).await.map(SessionRecord::from) })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn list_sessions(
        &self,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        let listing = move |_: Python<'_>, _| {
            Ok(async move {
                let list = c.list_sessions().await?;
                Ok(list
                    .into_iter()
                    .map(SessionRecord::from)
                    .collect::<Vec<_>>())
            })
        };
        Ok(Call::of(listing, records))
    }

    #[pyo3(signature = (session_id, timeout=None, max_retries=None))]
    fn delete_session(
        &self,
        session_id: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.delete_session(&session_id).await }),
            nothing,
        ))
    }

    #[pyo3(signature = (status, older_than, timeout=None, max_retries=None))]
    fn delete_sessions(
        &self,
        status: Option<String>,
        older_than: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let mut filter = BulkDelete::new();
        filter.status = status;
        if let Some(age) = older_than.filter(|v| !v.is_none()) {
            // Duration text (`90s`, `1h30m`) goes as it is; numbers and timedeltas are seconds.
            filter = match age.extract::<String>() {
                Ok(text) => {
                    filter.older_than = Some(text);
                    filter
                }
                Err(_) => filter.older_than(args::duration("older_than", age)?),
            };
        }
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move { c.delete_sessions(&filter).await.map(BulkDeleteResult::from) })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, message, idempotency_key=None, timeout=None, max_retries=None))]
    fn send(
        &self,
        session_id: String,
        message: String,
        idempotency_key: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let opts = args::call_options(timeout, max_retries, idempotency_key)?;
        let c = self.client.clone();
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let stream = c.send_message_with(&session_id, &message, &opts).await?;
                    TurnCore::new(session_id, stream)
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, response_id, last_event_id=None, timeout=None, max_retries=None))]
    fn resume(
        &self,
        session_id: String,
        response_id: String,
        last_event_id: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let opts = args::call_options(timeout, max_retries, None)?;
        let c = self.client.clone();
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let last = last_event_id.as_deref();
                    let stream = c
                        .resume_with(&session_id, &response_id, last, &opts)
                        .await?;
                    TurnCore::new(session_id, stream)
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, response_id, timeout=None, max_retries=None))]
    fn cancel(
        &self,
        session_id: String,
        response_id: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    c.cancel(&session_id, &response_id)
                        .await
                        .map(CancelResult::from)
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, call_id, output, timeout=None, max_retries=None))]
    fn submit_tool_result(
        &self,
        py: Python<'_>,
        session_id: String,
        call_id: String,
        output: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let output = crate::convert::to_raw_json(py, output)?;
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let ack = c.submit_tool_result(&session_id, &call_id, &output).await?;
                    Ok(ToolResultAck::from(ack))
                })
            },
            into_py,
        ))
    }

    #[pyo3(signature = (session_id, timeout=None, poll_interval=None, max_interval=None, on_progress=None))]
    fn wait(
        &self,
        session_id: String,
        timeout: Option<&Bound<'_, PyAny>>,
        poll_interval: Option<&Bound<'_, PyAny>>,
        max_interval: Option<&Bound<'_, PyAny>>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Call> {
        let mut opts = WaitOptions::default();
        opts.deadline = args::opt_duration("timeout", timeout)?;
        if let Some(d) = args::opt_duration("poll_interval", poll_interval)? {
            opts.poll_interval = d;
        }
        if let Some(d) = args::opt_duration("max_interval", max_interval)? {
            opts.max_interval = d;
        }
        let on_progress = on_progress.map(Bound::unbind);
        let c = self.client.clone();
        let start = move |py: Python<'_>, mode| {
            let callback = Callback::from_arg(
                py,
                on_progress.map(|f| f.into_bound(py)),
                mode == Mode::Async,
            )?;
            Ok(async move {
                let op = |reports: Reporter<poke::SessionRecord>| {
                    c.wait_idle(&session_id, opts, move |r| reports.send(r.clone()))
                };
                let record = progress::run(callback, op, record_args).await?;
                Ok(SessionRecord::from(record))
            })
        };
        Ok(Call::of(start, into_py))
    }

    #[pyo3(signature = (session_id, path=None, timeout=None, max_retries=None))]
    fn list_files(
        &self,
        session_id: String,
        path: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        let listing = move |_: Python<'_>, _| {
            Ok(async move {
                let entries = c.list_files(&session_id, path.as_deref()).await?;
                Ok(entries.into_iter().map(FileEntry::from).collect::<Vec<_>>())
            })
        };
        Ok(Call::of(listing, records))
    }

    /// Saves a file to `dest` (a file, or a directory to put it in; default: its name in the
    /// current directory) and returns that path. It runs on a lane (see `on_lane`), whose
    /// thread reads the socket and writes the file itself, as a blocking client does.
    #[pyo3(signature = (session_id, path, dest=None, on_progress=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn download(
        &self,
        session_id: String,
        path: String,
        dest: Option<PathBuf>,
        on_progress: Option<Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let dest = poke::binding::download_destination(&path, dest.as_deref());
        let on_progress = on_progress.map(Bound::unbind);
        let start = move |py: Python<'_>, mode| {
            let callback = Callback::from_arg(
                py,
                on_progress.map(|f| f.into_bound(py)),
                mode == Mode::Async,
            )?;
            Ok(move |client: PokeeClient| async move {
                let op = |reports| async move {
                    let download = client.download(&session_id, &path).await?;
                    download
                        .save_to_inline(&dest, byte_progress(reports))
                        .await?;
                    Ok(dest)
                };
                progress::run(callback, op, byte_args).await
            })
        };
        Ok(self.on_lane(self.with(timeout, max_retries)?, start, into_py))
    }

    #[pyo3(signature = (session_id, path, start=None, end=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn read(
        &self,
        session_id: String,
        path: String,
        start: Option<u64>,
        end: Option<u64>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let reading = move |_: Python<'_>, _| {
            Ok(move |c: PokeeClient| async move {
                let mut download = match (start, end) {
                    (None, None) => c.download(&session_id, &path).await?,
                    (start, end) => {
                        c.download_range(&session_id, &path, start.unwrap_or(0), end)
                            .await?
                    }
                };
                let hint = download.content_length().unwrap_or(0).min(64 << 20);
                let mut data = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
                while let Some(chunk) = download.next().await {
                    data.extend_from_slice(&chunk?);
                }
                Ok(data)
            })
        };
        Ok(self.on_lane(self.with(timeout, max_retries)?, reading, bytes_of))
    }

    /// A file's bytes (or bytes `start..=end` of it) as a stream of chunks read ahead by the
    /// core in bounded memory; nothing is sent until the first read. The read-ahead runs on a
    /// lane driven by a thread of its own, so the connection's buffers are made and freed on
    /// one thread (see `poke::binding::Block`); blocking and asyncio readers both use it.
    #[pyo3(signature = (session_id, path, start=None, end=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn iter_bytes(
        &self,
        session_id: String,
        path: String,
        start: Option<u64>,
        end: Option<u64>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<ByteStreamCore> {
        let c = self.with(timeout, max_retries)?;
        let lanes = self.lanes.clone();
        let label = path.clone();
        let start_read_ahead = move |feeder: Feeder| {
            let slot = Arc::new(Mutex::new(Some(feeder)));
            let (ours, on_fail) = (slot.clone(), slot.clone());
            let take =
                |s: &Mutex<Option<Feeder>>| s.lock().unwrap_or_else(PoisonError::into_inner).take();
            let call = move |client: PokeeClient| async move {
                let Some(feeder) = take(&ours) else { return };
                let open = async move {
                    match (start, end) {
                        (None, None) => client.download(&session_id, &path).await,
                        (start, end) => {
                            client
                                .download_range(&session_id, &path, start.unwrap_or(0), end)
                                .await
                        }
                    }
                };
                feeder.run(open).await;
            };
            let failed = move |e| {
                if let Some(feeder) = take(&on_fail) {
                    feeder.fail(e);
                }
            };
            if let Err(e) = lanes.spawn(c, call, failed)
                && let Some(feeder) = take(&slot)
            {
                feeder.fail(poke::Error::Config(format!(
                    "could not start a thread: {e}"
                )));
            }
        };
        Ok(ByteStreamCore::new(
            label,
            ByteReader::with_start(Box::new(start_read_ahead)),
        ))
    }

    #[pyo3(signature = (session_id, path, src, on_progress=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        py: Python<'_>,
        session_id: String,
        path: String,
        src: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let source = args::source(py, src)?;
        let on_progress = on_progress.map(Bound::unbind);
        let start = move |py: Python<'_>, mode| {
            let callback = Callback::from_arg(
                py,
                on_progress.map(|f| f.into_bound(py)),
                mode == Mode::Async,
            )?;
            Ok(move |c: PokeeClient| async move {
                let op = |reports| async move {
                    match source {
                        Source::Bytes(data) => c.upload_bytes(&session_id, &path, data).await,
                        Source::File(src) => {
                            let report = byte_progress(reports);
                            c.upload_file(&session_id, &path, src, report).await
                        }
                    }
                };
                let result = progress::run(callback, op, byte_args).await?;
                Ok(UploadResult::from(result))
            })
        };
        Ok(self.on_lane(self.with(timeout, max_retries)?, start, into_py))
    }

    #[pyo3(signature = (session_id, path, timeout=None, max_retries=None))]
    fn delete_file(
        &self,
        session_id: String,
        path: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.with(timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.delete_file(&session_id, &path).await }),
            nothing,
        ))
    }
}
