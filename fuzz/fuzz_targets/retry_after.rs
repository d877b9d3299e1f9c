//! `Retry-After` parsing: `retry-after-ms`, then `Retry-After` as seconds or an HTTP date.
//!
//! Input: byte 0 bit 0 = `retry-after-ms` present, bit 1 = `Retry-After` present; the rest
//! is the two values separated by the first `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime};

/// What a number of seconds should become: its duration, or the longest one when it does
/// not fit (a server asking for longer than any bound is never waited for).
fn expected(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0)
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (ms, header) = text.split_once('\n').unwrap_or((text, ""));
    let ms = (flags & 1 == 1).then_some(ms);
    let header = (flags & 2 == 2).then_some(header);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let got = poke::binding::parse_retry_after(ms, header, now);

    if let Some(v) = ms.and_then(number) {
        assert_eq!(got, Some(expected(v / 1000.0)), "retry-after-ms {ms:?}");
        return;
    }
    let Some(h) = header else {
        assert_eq!(got, None);
        return;
    };
    if h.trim().parse::<f64>().is_ok() {
        assert_eq!(got, number(h).map(expected), "Retry-After {h:?}");
        return;
    }
    match httpdate::parse_http_date(h.trim()) {
        Ok(when) => {
            let want = when.duration_since(now).unwrap_or(Duration::ZERO);
            assert_eq!(got, Some(want), "date {h:?}");
        }
        Err(_) => assert_eq!(got, None, "neither number nor date {h:?}"),
    }
});
