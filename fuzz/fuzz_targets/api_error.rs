//! Error bodies: the API error a non-2xx answer becomes, for any status, headers and body.
//!
//! Input: byte 0 bit 0 = sessions API (else Poke API), bytes 1-2 = status (u16 LE), then
//! header lines (`name: value`), a blank line, and the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poke::{Error, ErrorKind, FORBIDDEN_MESSAGE, RATE_LIMITED_MESSAGE, UNAUTHORIZED_MESSAGE};

fn split_head(rest: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let at = rest.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match at {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (&b""[..], rest),
    };
    let headers = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (headers, body)
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 3 {
        return;
    }
    let pokee = input[0] & 1 == 1;
    let status = u16::from_le_bytes([input[1], input[2]]);
    let (headers, body) = split_head(&input[3..]);
    let request_id = headers
        .iter()
        .find(|(k, _)| k == "x-request-id")
        .map(|(_, v)| v.clone());
    let e = poke::fuzzing::api_error(pokee, status, headers, body);

    assert_eq!(e.status, status);
    assert_eq!(e.kind, ErrorKind::from_status(status));
    assert_eq!(e.request_id, request_id);
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = std::str::from_utf8(body)
        .ok()
        .and_then(|t| serde_json::from_str(t).ok());
    let code = parsed
        .as_ref()
        .and_then(|o| o.get("error"))
        .and_then(|v| v.as_str());
    assert_eq!(e.code.as_deref(), code);
    match (pokee, status) {
        (false, 401) => assert_eq!(e.message, UNAUTHORIZED_MESSAGE),
        (false, 403) => assert_eq!(e.message, FORBIDDEN_MESSAGE),
        (false, 429) => assert_eq!(e.message, RATE_LIMITED_MESSAGE),
        (false, _) => assert!(e.message.starts_with(&format!("Poke API error ({status}): "))),
        (true, _) => assert!(e.message.starts_with(&format!("Pokee API error ({status}): "))),
    }
    // The kept body is a bounded prefix (8 KiB of bytes, U+FFFD for invalid ones).
    match &e.body {
        None => assert!(body.is_empty()),
        Some(kept) => {
            assert!(!body.is_empty());
            assert!(kept.len() <= 3 * 8 * 1024);
        }
    }
    let shown = Error::Api(Box::new(e.clone())).to_string();
    assert_eq!(shown, e.message);
});
