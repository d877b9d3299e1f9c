//! JSON replies: the check every 2xx JSON reply passes, and the records decoded from it.
//! A reply the check refuses decodes as nothing; a record that decodes survives being
//! encoded and decoded again unchanged; nothing panics.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use poke::{
    BulkDeleteResult, CancelResult, FileEntry, JsonResponse, ReplayNotice, SendMessageResponse,
    SessionRecord, ToolResultAck, UploadResult, Usage, Webhook,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes `body` as `T` the way the clients do; when it decodes, checks the round trip.
fn record<T>(reply: &JsonResponse, checked: bool) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let value: T = reply.json().ok()?;
    assert!(checked, "a reply the JSON check refused decoded as a record");
    let again = serde_json::to_vec(&value).expect("a decoded record encodes");
    let back: T = serde_json::from_slice(&again).expect("an encoded record decodes");
    assert_eq!(back, value, "round trip of {}", String::from_utf8_lossy(&again));
    Some(value)
}

fuzz_target!(|body: &[u8]| {
    let checked = poke::fuzzing::check_json_reply(body).is_ok();
    if checked {
        assert!(std::str::from_utf8(body).is_ok(), "a reply that is not UTF-8 passed");
    }
    let value = serde_json::from_slice::<serde_json::Value>(body);
    // The check builds nothing, but accepts exactly what a full parse accepts, except what
    // the JSON grammar allows and a `Value` cannot hold: numbers past f64's range (`1e400`)
    // and lone surrogate escapes (`"\ud83e."`). Python's `json.loads` takes both; the Rust
    // decoders refuse them with a typed error.
    match &value {
        Ok(_) => assert!(checked, "the check refused valid JSON"),
        Err(e) if checked => {
            let why = e.to_string();
            assert!(
                why.starts_with("number out of range")
                    || why.contains("surrogate")
                    || why.starts_with("unexpected end of hex escape"),
                "{why}"
            );
        }
        Err(_) => {}
    }
    let reply = JsonResponse::new(200, Bytes::copy_from_slice(body), None);
    if let Some(s) = record::<SessionRecord>(&reply, checked) {
        let _ = (s.is_busy(), s.is_ready(), s.progress("temasek_status"));
    }
    record::<Vec<SessionRecord>>(&reply, checked);
    if let Some(f) = record::<FileEntry>(&reply, checked) {
        assert!(!(f.is_dir() && f.is_file()));
    }
    record::<Vec<FileEntry>>(&reply, checked);
    record::<UploadResult>(&reply, checked);
    if let Some(u) = record::<Usage>(&reply, checked) {
        if let Some(r) = &u.rate_limit {
            let _ = r.all_windows().count();
        }
    }
    record::<BulkDeleteResult>(&reply, checked);
    record::<CancelResult>(&reply, checked);
    record::<ToolResultAck>(&reply, checked);
    record::<ReplayNotice>(&reply, checked);
    // Records that drop unknown fields skip them unread (invalid UTF-8 there goes unseen,
    // which is why the client checks every reply before decoding): they must not panic.
    let _ = reply.json::<SendMessageResponse>();
    let _ = reply.json::<Webhook>();
    // A failed decode is a typed error whose message names the API.
    if let Err(e) = reply.json::<SessionRecord>() {
        assert!(matches!(e, poke::Error::Decode { .. }));
        assert!(e.to_string().starts_with("Poke API returned an invalid response body"));
    }
});
