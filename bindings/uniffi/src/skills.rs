//! Custom skills of the sessions API (E16–E18): list, install from a path (a directory
//! zipped on the fly, or a `.zip` file) or zip bytes, with progress, delete. Checks, zipping
//! and streaming are the core's.

use crate::error::PokeError;
use crate::listener::{self, TransferProgressListener};
use crate::sessions::PokeeClient;
use poke::binding::progress::Reporter;
use std::sync::Arc;

/// One custom skill of the listing.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Skill {
    /// The skill's name.
    pub name: String,
    /// Size of its `SKILL.md`, in bytes.
    pub skill_md_size: u64,
    /// When it was installed, Unix seconds.
    pub modified: Option<f64>,
}

impl From<poke::Skill> for Skill {
    fn from(s: poke::Skill) -> Self {
        Self {
            name: s.name,
            skill_md_size: s.skill_md_size,
            modified: s.modified,
        }
    }
}

/// The answer of an install.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InstalledSkill {
    /// The skill's name.
    pub name: String,
    /// Its regular files, relative to the skill root, sorted.
    pub files: Vec<String>,
    /// Unpacked size of every file, in bytes.
    pub total_bytes: u64,
    /// Size of its `SKILL.md`, in bytes.
    pub skill_md_size: u64,
}

impl From<poke::InstalledSkill> for InstalledSkill {
    fn from(s: poke::InstalledSkill) -> Self {
        Self {
            name: s.name,
            files: s.files,
            total_bytes: s.total_bytes,
            skill_md_size: s.skill_md_size,
        }
    }
}

fn report(
    l: &Arc<dyn TransferProgressListener>,
    (done, total): (u64, Option<u64>),
) -> Result<(), PokeError> {
    l.on_progress(done, total)
}

impl PokeeClient {
    async fn install(
        &self,
        name: String,
        source: poke::SkillSource,
        listener: Option<Arc<dyn TransferProgressListener>>,
    ) -> Result<InstalledSkill, PokeError> {
        let op = |reports: Reporter<(u64, Option<u64>)>| {
            self.inner.install_skill(&name, source, move |done, total| {
                reports.send((done, total));
            })
        };
        Ok(listener::run(listener, op, report).await?.into())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl PokeeClient {
    /// The custom skills installed for the tenant (not the built-in ones).
    pub async fn list_skills(&self) -> Result<Vec<Skill>, PokeError> {
        let list = self.inner.list_skills().await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Installs or replaces skill `name` from the local `path`: a directory holding
    /// `SKILL.md` (zipped on the fly) or a `.zip` file. The name and a directory are checked
    /// before anything is sent; a bad bundle fails with `BadRequest`, an oversized one with
    /// `PayloadTooLarge`, and the installed skill stays as it was.
    #[uniffi::method(default(listener = None))]
    pub async fn install_skill(
        &self,
        name: String,
        path: String,
        listener: Option<Arc<dyn TransferProgressListener>>,
    ) -> Result<InstalledSkill, PokeError> {
        let source = poke::SkillSource::Path(path.into());
        self.install(name, source, listener).await
    }

    /// Installs or replaces skill `name` from zip bytes.
    #[uniffi::method(default(listener = None))]
    pub async fn install_skill_bytes(
        &self,
        name: String,
        zip: Vec<u8>,
        listener: Option<Arc<dyn TransferProgressListener>>,
    ) -> Result<InstalledSkill, PokeError> {
        self.install(name, poke::SkillSource::from(zip), listener)
            .await
    }

    /// Uninstalls skill `name` (`NotFound` when there is none).
    pub async fn delete_skill(&self, name: String) -> Result<(), PokeError> {
        Ok(self.inner.delete_skill(&name).await?)
    }
}
