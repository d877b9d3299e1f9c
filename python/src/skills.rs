//! `_SkillsCore`: the skills endpoints (E16–E18) for `client.skills` of `poke._sessions`.

use crate::args::{self, Source};
use crate::call::{Call, Mode};
use crate::pokee::PokeeCore;
use crate::progress::{self, Callback};
use crate::skill_records::{InstalledSkill, Skill};
use poke::binding::progress::Reporter;
use poke::{PokeeClient, SkillSource};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// The skills calls of one client (built from its `_PokeeCore`).
#[pyclass(frozen, module = "poke._poke", name = "_SkillsCore")]
pub(crate) struct SkillsCore {
    core: Py<PokeeCore>,
}

fn into_py<T: for<'a> IntoPyObject<'a>>(py: Python<'_>, value: T) -> PyResult<Py<PyAny>> {
    value.into_py_any(py)
}

fn nothing(py: Python<'_>, (): ()) -> PyResult<Py<PyAny>> {
    Ok(py.None())
}

fn byte_args(py: Python<'_>, (done, total): (u64, Option<u64>)) -> PyResult<Py<PyTuple>> {
    Ok((done, total).into_pyobject(py)?.unbind())
}

impl SkillsCore {
    fn client(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<PokeeClient> {
        self.core.bind(py).get().with(timeout, max_retries)
    }
}

#[pymethods]
impl SkillsCore {
    #[new]
    fn new(core: Py<PokeeCore>) -> Self {
        Self { core }
    }

    #[pyo3(signature = (timeout=None, max_retries=None))]
    fn list(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.client(py, timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| {
                Ok(async move {
                    let list = c.list_skills().await?;
                    Ok(list.into_iter().map(Skill::from).collect::<Vec<_>>())
                })
            },
            into_py,
        ))
    }

    /// `source`: a directory (zipped on the fly), a `.zip` file (`str` or `os.PathLike`), or
    /// zip bytes (`bytes`, `bytearray`, `memoryview`).
    #[pyo3(signature = (name, source, on_progress=None, timeout=None, max_retries=None))]
    fn install(
        &self,
        py: Python<'_>,
        name: String,
        source: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let source = match args::source(py, source).map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "source must be a directory or .zip path (str or os.PathLike), or zip bytes",
            )
        })? {
            Source::Bytes(data) => SkillSource::from(data),
            Source::File(path) => SkillSource::Path(path),
        };
        let on_progress = on_progress.map(Bound::unbind);
        let c = self.client(py, timeout, max_retries)?;
        let start = move |py: Python<'_>, mode| {
            let callback = Callback::from_arg(
                py,
                on_progress.map(|f| f.into_bound(py)),
                mode == Mode::Async,
            )?;
            Ok(async move {
                let op = |reports: Reporter<(u64, Option<u64>)>| async move {
                    c.install_skill(&name, source, move |done, total| {
                        reports.send((done, total));
                    })
                    .await
                };
                let installed = progress::run(callback, op, byte_args).await?;
                Ok(InstalledSkill::from(installed))
            })
        };
        Ok(Call::of(start, into_py))
    }

    #[pyo3(signature = (name, timeout=None, max_retries=None))]
    fn delete(
        &self,
        py: Python<'_>,
        name: String,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
    ) -> PyResult<Call> {
        let c = self.client(py, timeout, max_retries)?;
        Ok(Call::of(
            move |_, _| Ok(async move { c.delete_skill(&name).await }),
            nothing,
        ))
    }
}
