//! The credentials file reader (`poke login`'s `credentials.json`): any text gives a token or
//! nothing, never a panic; a string token comes back as it is, other truthy values in their
//! Python `str()` form, falsy ones as nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let token = poke::fuzzing::credentials_token(&text);
    let parsed = serde_json::from_str::<Value>(&text).ok();
    let field = parsed.as_ref().and_then(|v| v.as_object()).and_then(|o| o.get("token"));
    match (field, &token) {
        (None, t) => assert_eq!(*t, None),
        (Some(Value::String(s)), t) if s.is_empty() => assert_eq!(*t, None),
        (Some(Value::String(s)), Some(t)) => assert_eq!(s, t),
        (Some(Value::Null | Value::Bool(false)), t) => assert_eq!(*t, None),
        (Some(Value::Bool(true)), Some(t)) => assert_eq!(t, "True"),
        (Some(Value::Array(a)), t) if a.is_empty() => assert_eq!(*t, None),
        (Some(Value::Object(o)), t) if o.is_empty() => assert_eq!(*t, None),
        (Some(_), t) => {
            // Numbers: falsy when zero; everything else truthy and never empty.
            if let Some(t) = t {
                assert!(!t.is_empty());
            }
        }
    }
    if let Some(t) = &token {
        // A token goes into an Authorization header: the key resolver refuses no value here,
        // but it must survive being wrapped as a secret without showing in Debug.
        let secret = poke::Secret::new(t.clone());
        assert_eq!(format!("{secret:?}"), "Secret(****)");
    }
});
