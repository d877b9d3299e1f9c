//! The server's retry hint: `retry-after-ms`, then `Retry-After` as seconds or an HTTP date.

use std::time::{Duration, SystemTime};

/// Reads the server's retry hint: `retry-after-ms`, then `Retry-After` as seconds or an HTTP
/// date.
pub fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(secs_or_max(ms / 1000.0));
        }
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs_or_max(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative number of seconds as a duration; one too long for a `Duration` is the
/// longest, which every bound refuses to wait for (found by the `retry_after` fuzz target:
/// `Duration::from_secs_f64` panics on such values).
pub(crate) fn secs_or_max(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(Some("250"), Some("9"), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(None, Some("2"), now),
            Some(Duration::from_secs(2))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(None, Some(&date), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after(None, Some("soon"), now), None);
        assert_eq!(parse_retry_after(Some("x"), None, now), None);
    }

    /// Fuzz finding (retry_after): a hint too long for a `Duration` panicked the client.
    #[test]
    fn absurd_hints_are_the_longest_wait_not_a_panic() {
        let now = SystemTime::UNIX_EPOCH;
        for (ms, header) in [
            (None, Some("23333333333333333333333333333")),
            (None, Some("1e300")),
            (Some("1e300"), None),
            (Some("1e23"), Some("1")),
        ] {
            assert_eq!(
                parse_retry_after(ms, header, now),
                Some(Duration::MAX),
                "{ms:?} {header:?}"
            );
        }
    }
}
