//! Custom skills of the Pokee Enterprise API (E16–E18): list, install (a directory zipped on
//! the fly, a `.zip` file or zip bytes, streamed with progress), delete.

mod bundle;
mod client;
mod name;
mod records;

pub use bundle::SkillSource;
pub use name::check_skill_name;
pub use records::{InstalledSkill, Skill};
