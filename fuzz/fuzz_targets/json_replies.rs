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
    let value = serde_json::from_slice::<serde_json::Value>(body);
    // The check builds nothing, but accepts exactly what a full parse accepts.
    assert_eq!(checked, value.is_ok(), "check and full parse disagree: {value:?}");
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
    // Deserialize-only records: decoding must not panic, and needs a valid reply.
    if reply.json::<SendMessageResponse>().is_ok() || reply.json::<Webhook>().is_ok() {
        assert!(checked);
    }
    // A failed decode is a typed error whose message names the API.
    if let Err(e) = reply.json::<SessionRecord>() {
        assert!(matches!(e, poke::Error::Decode { .. }));
        assert!(e.to_string().starts_with("Poke API returned an invalid response body"));
    }
});
