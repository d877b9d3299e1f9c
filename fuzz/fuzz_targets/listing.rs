//! The download's directory check: a JSON reply for a path not named `*.json` is refused when
//! it is a directory listing, and any other body reaches the caller byte for byte.
//!
//! A listing is read up to a cap; past it the body is a file, passed on unread.
//!
//! Input: byte 0 bit 0 = `Content-Type: application/json`, bit 1 = path named `.JSON`, bit 2
//! = the connection breaks after the body; byte 1 = chunk size (0 = one chunk); byte 2 = the
//! cap in 4-byte units (0 = no cap); the body.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if input.len() < 3 {
        return;
    }
    let (json, named_json, broken) = (input[0] & 1 != 0, input[0] & 2 != 0, input[0] & 4 != 0);
    let size = usize::from(input[1]);
    let cap = match input[2] {
        0 => u64::MAX,
        n => u64::from(n) * 4,
    };
    let body = &input[3..];
    let path = if named_json { "out/list.JSON" } else { "out/list.bin" };
    let content_type = json.then_some("Application/JSON; charset=utf-8");
    let mut chunks: Vec<poke::Result<Bytes>> = if size == 0 {
        vec![Ok(Bytes::copy_from_slice(body))]
    } else {
        body.chunks(size).map(|c| Ok(Bytes::copy_from_slice(c))).collect()
    };
    if broken {
        chunks.push(Err(poke::Error::Connection {
            reason: "reset".into(),
            maybe_sent: true,
            source: None,
        }));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let got = rt.block_on(poke::fuzzing::refuse_listing(path, content_type, chunks, cap));
    let within = body.len() as u64 <= cap;
    let listing = within && serde_json::from_slice::<Vec<poke::FileEntry>>(body).is_ok();
    match got {
        Err(e) => {
            assert!(json && !named_json && listing, "refused a file: {e:?}");
            assert!(
                matches!(e, poke::Error::File { kind: std::io::ErrorKind::IsADirectory, .. }),
                "{e:?}"
            );
        }
        Ok(items) => {
            assert!(!(json && !named_json && listing), "a listing got through");
            let mut seen = Vec::new();
            let mut failed = false;
            for item in items {
                assert!(!failed, "nothing follows a failure");
                match item {
                    Ok(c) => seen.extend_from_slice(&c),
                    Err(_) => failed = true,
                }
            }
            assert_eq!(seen, body, "the body changed on its way");
            assert_eq!(failed, broken, "a broken body must end with its error");
        }
    }
});
