//! The skill name rule (spec §2.17), checked before anything is sent.

use crate::error::{Error, Result};

/// Longest skill name.
const MAX_NAME: usize = 64;
/// Prefix reserved for skills Pokee provisions.
const RESERVED_PREFIX: &str = "custom-";

/// Checks a skill name: `[a-z0-9_-]`, 1–64 characters, first `[a-z0-9]`, not `custom-…`.
pub fn check_skill_name(name: &str) -> Result<()> {
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let reason = if name.is_empty() || name.len() > MAX_NAME {
        format!("must be 1 to {MAX_NAME} characters")
    } else if !chars_ok {
        "may only hold a-z, 0-9, '_' and '-'".to_owned()
    } else if !first_ok {
        "must start with a-z or 0-9".to_owned()
    } else if name.starts_with(RESERVED_PREFIX) {
        format!("the prefix '{RESERVED_PREFIX}' is reserved")
    } else {
        return Ok(());
    };
    Err(Error::InvalidInput {
        field: "name",
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::check_skill_name;

    #[test]
    fn the_name_rule() {
        for good in ["a", "myskill", "0x", "a_b-c", &"a".repeat(64)] {
            assert!(check_skill_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "a b",
            "a.b",
            "a/b",
            "é",
            "custom-x",
            &"a".repeat(65),
        ] {
            let err = check_skill_name(bad).err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("invalid name: ")),
                "{bad}: {err:?}"
            );
        }
    }
}
