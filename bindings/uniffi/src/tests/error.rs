#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn display_is_the_core_text_for_every_local_variant() {
    let cases: Vec<(poke::Error, &str)> = vec![
        (
            poke::Error::Connection {
                reason: "Connection refused (os error 111)".into(),
                maybe_sent: false,
                source: None,
            },
            "Network error: Connection refused (os error 111)",
        ),
        (
            poke::Error::Timeout {
                phase: poke::TimeoutPhase::Total,
                limit: Duration::from_millis(500),
                after: Duration::from_millis(500),
            },
            "Request timed out after 0.5s (total)",
        ),
        (
            poke::Error::Decode {
                api: "Poke API",
                what: "JSON".into(),
                detail: "expected value".into(),
                status: 200,
            },
            "Poke API returned an invalid response body (JSON): expected value",
        ),
        (
            poke::Error::BodyTooLarge { limit: 10 },
            "response body larger than the 10-byte limit",
        ),
        (
            poke::Error::MissingApiKey,
            "no API key found: pass one when creating the client, set POKE_API_KEY, or log in with `poke login`",
        ),
        (poke::Error::Config("bad".into()), "bad"),
        (
            poke::Error::InvalidInput {
                field: "token",
                reason: "contains a control character (U+000D)".into(),
            },
            "invalid token: contains a control character (U+000D)",
        ),
        (
            poke::Error::Stream {
                reason: "gone".into(),
                last_event_id: Some("7".into()),
            },
            // The Rust debug form (`Some("7")`) was a bug in the message (issue 15).
            "stream interrupted after event 7: gone",
        ),
        (
            poke::Error::File {
                path: "/x".into(),
                reason: "denied".into(),
                kind: std::io::ErrorKind::PermissionDenied,
                errno: None,
            },
            "file error on /x: denied",
        ),
        (poke::Error::Cancelled, "cancelled"),
    ];
    for (core, text) in cases {
        assert_eq!(core.to_string(), text, "core text changed");
        let ffi = PokeError::from(core);
        assert_eq!(ffi.to_string(), text);
    }
}

#[test]
fn fields_are_carried_over() {
    match PokeError::from(poke::Error::Timeout {
        phase: poke::TimeoutPhase::Connect,
        limit: Duration::from_secs(5),
        after: Duration::from_secs(5),
    }) {
        PokeError::Timeout {
            phase, after_ms, ..
        } => {
            assert_eq!(phase, TimeoutPhase::Connect);
            assert_eq!(after_ms, 5000);
        }
        other => panic!("unexpected {other:?}"),
    }
    match PokeError::from(poke::Error::Stream {
        reason: "r".into(),
        last_event_id: Some("42".into()),
    }) {
        PokeError::Stream { last_event_id, .. } => {
            assert_eq!(last_event_id.as_deref(), Some("42"))
        }
        other => panic!("unexpected {other:?}"),
    }
    match PokeError::from(poke::Error::InvalidInput {
        field: "api_key",
        reason: "x".into(),
    }) {
        PokeError::InvalidInput { field, msg } => {
            assert_eq!(field, "api_key");
            assert_eq!(msg, "invalid api_key: x");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn kinds_and_phases_map_one_to_one() {
    use poke::ErrorKind as K;
    for (status, kind) in [
        (400, ApiErrorKind::BadRequest),
        (401, ApiErrorKind::Unauthorized),
        (402, ApiErrorKind::PaymentRequired),
        (403, ApiErrorKind::Forbidden),
        (404, ApiErrorKind::NotFound),
        (409, ApiErrorKind::Conflict),
        (413, ApiErrorKind::PayloadTooLarge),
        (416, ApiErrorKind::RangeNotSatisfiable),
        (422, ApiErrorKind::UnprocessableEntity),
        (429, ApiErrorKind::RateLimited),
        (500, ApiErrorKind::Server),
        (503, ApiErrorKind::Server),
        (418, ApiErrorKind::Other),
    ] {
        assert_eq!(ApiErrorKind::from(K::from_status(status)), kind, "{status}");
    }
    assert_eq!(
        TimeoutPhase::from(poke::TimeoutPhase::ReadIdle),
        TimeoutPhase::ReadIdle
    );
    assert_eq!(
        TimeoutPhase::from(poke::TimeoutPhase::Total),
        TimeoutPhase::Total
    );
}

#[test]
fn millis_saturates() {
    assert_eq!(millis(Duration::from_millis(1500)), 1500);
    assert_eq!(millis(Duration::MAX), u64::MAX);
}
