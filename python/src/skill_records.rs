//! Python views of the skills records (`client.skills`).

use crate::records::{Reduced, from_kwargs, record, repr_of, to_py};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

record! {
    /// One custom skill of the listing (`client.skills.list()`).
    Skill(poke::Skill) {
        #[getter]
        fn name(&self) -> &str {
            &self.0.name
        }

        /// Size of its `SKILL.md`, in bytes.
        #[getter]
        fn skill_md_size(&self) -> u64 {
            self.0.skill_md_size
        }

        /// When it was installed, Unix seconds.
        #[getter]
        fn modified(&self) -> Option<f64> {
            self.0.modified
        }
    }
}

record! {
    /// The answer of `client.skills.install(...)`.
    InstalledSkill(poke::InstalledSkill) {
        #[getter]
        fn name(&self) -> &str {
            &self.0.name
        }

        /// Its regular files, relative to the skill root, sorted.
        #[getter]
        fn files(&self) -> Vec<String> {
            self.0.files.clone()
        }

        /// Unpacked size of every file, in bytes.
        #[getter]
        fn total_bytes(&self) -> u64 {
            self.0.total_bytes
        }

        /// Size of its `SKILL.md`, in bytes.
        #[getter]
        fn skill_md_size(&self) -> u64 {
            self.0.skill_md_size
        }
    }
}
