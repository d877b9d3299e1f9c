#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn context_is_read_by_the_core_and_prints_without_token() {
    let ctx = extract_callback_context(vec![
        HttpHeader {
            name: "X-Poke-Callback-Token".into(),
            value: "cbt_canary".into(),
        },
        HttpHeader {
            name: "x-poke-callback-url".into(),
            value: "http://x/cb".into(),
        },
    ])
    .unwrap();
    assert_eq!(ctx.callback_token.as_deref(), Some("cbt_canary"));
    assert_eq!(ctx.callback_url.as_deref(), Some("http://x/cb"));
    assert!(!ctx.to_string().contains("cbt_canary"));
    assert!(extract_callback_context(vec![]).is_none());
}

#[test]
fn limits_convert_and_reject_bad_seconds() {
    let p = to_core_policy(&CallbackLimits {
        max_attempts: Some(2),
        post_timeout_secs: Some(0.5),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(p.max_attempts, 2);
    assert_eq!(p.post_timeout, std::time::Duration::from_millis(500));
    assert_eq!(p.max_total, poke::CallbackPolicy::default().max_total);
    match to_core_policy(&CallbackLimits {
        max_total_secs: Some(f64::NAN),
        ..Default::default()
    }) {
        Err(PokeError::InvalidInput { field, .. }) => {
            assert_eq!(field, "limits.max_total_secs")
        }
        other => panic!("unexpected {other:?}"),
    }
}
