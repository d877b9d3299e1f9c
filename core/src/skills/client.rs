//! The skills endpoints on [`PokeeClient`]: E16 list, E17 install, E18 delete.

use super::bundle::SkillSource;
use super::name::check_skill_name;
use super::records::{InstalledSkill, Skill};
use crate::error::Result;
use crate::files::streamed_body;
use crate::http::{Body, CallOptions, Idempotency};
use crate::sessions::{PokeeClient, encode_component};
use reqwest::Method;

/// Skill bundles are zip archives.
const ZIP: &str = "application/zip";

impl PokeeClient {
    fn skill_url(&self, name: &str) -> Result<String> {
        check_skill_name(name)?;
        Ok(self.url(&format!("/v1/skills/{}", encode_component(name))))
    }

    /// The custom skills installed for the tenant (not the built-in ones).
    pub async fn list_skills(&self) -> Result<Vec<Skill>> {
        let url = self.url("/v1/skills");
        self.call_json(self.request(Method::GET, url, Body::Empty, Idempotency::Safe))
            .await
    }

    /// Installs or replaces the skill `name` from `source`: a directory (zipped on the fly,
    /// in a fixed order), a `.zip` file or zip bytes. The name and a directory are checked
    /// before anything is sent; the bundle is streamed, reporting `(sent, Some(total))` to
    /// `progress`. The server refuses a bad bundle with 400 and an oversized one with 413,
    /// leaving an installed skill of that name as it was.
    pub async fn install_skill(
        &self,
        name: &str,
        source: impl Into<SkillSource>,
        progress: impl FnMut(u64, Option<u64>) + Send + 'static,
    ) -> Result<InstalledSkill> {
        let url = self.skill_url(name)?;
        let (from, len) = source.into().prepare().await?;
        let body = streamed_body(from, len, ZIP, Box::new(progress));
        // A bundle is a transfer: no total bound, the transfer's idle bounds instead.
        let opts = CallOptions {
            timeouts: Some(self.transfer_timeouts()),
            ..self.opts.clone()
        };
        // Installing the same bundle twice leaves the same skill: retries are safe.
        self.call_json_with(
            self.request(Method::POST, url, body, Idempotency::Safe),
            &opts,
        )
        .await
    }

    /// Uninstalls the skill `name` (404 when there is none).
    pub async fn delete_skill(&self, name: &str) -> Result<()> {
        let url = self.skill_url(name)?;
        self.call_empty(self.request(Method::DELETE, url, Body::Empty, Idempotency::Safe))
            .await
    }
}
