//! The skill name rule (spec §2.17): `[a-z0-9_-]`, 1–64 characters, first `[a-z0-9]`, and the
//! `custom-` prefix reserved.

/// Longest skill name.
const MAX_NAME: usize = 64;
/// Prefix reserved for skills Pokee provisions.
const RESERVED_PREFIX: &str = "custom-";

/// Why `name` cannot name a skill, if it cannot.
pub(crate) fn problem(name: &str) -> Option<String> {
    let first_ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let chars_ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if name.is_empty() || name.len() > MAX_NAME {
        Some(format!("skill name must be 1 to {MAX_NAME} characters"))
    } else if !chars_ok {
        Some("skill name may only hold a-z, 0-9, '_' and '-'".to_owned())
    } else if !first_ok {
        Some("skill name must start with a-z or 0-9".to_owned())
    } else if name.starts_with(RESERVED_PREFIX) {
        Some(format!("the prefix '{RESERVED_PREFIX}' is reserved"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn names() {
        for good in ["a", "myskill", "0x", "a_b-c", &"a".repeat(64)] {
            assert_eq!(problem(good), None, "{good}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "a b",
            "a.b",
            "é",
            "custom-x",
            &"a".repeat(65),
        ] {
            assert!(problem(bad).is_some(), "{bad}");
        }
    }
}
