#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn events_convert_with_the_cores_accessors() {
    let ev: TurnEvent = poke::TurnEvent::new(
        Some("3".into()),
        "text.delta",
        r#"{"content":"Hi","sequence_number":3}"#,
    )
    .into();
    assert_eq!(ev.kind, TurnEventKind::TextDelta);
    assert_eq!(ev.content.as_deref(), Some("Hi"));
    assert_eq!(ev.sequence_number, Some(3));
    assert!(!ev.is_terminal);

    let odd: TurnEvent = poke::TurnEvent::new(None, "brand.new", "not json").into();
    assert_eq!(odd.kind, TurnEventKind::Other);
    assert_eq!(odd.event, "brand.new");
    assert_eq!(odd.data_json, r#""not json""#);
    assert_eq!(odd.raw, "not json");

    let end: TurnEvent =
        poke::TurnEvent::new(Some("9".into()), "message.error", r#"{"error":"boom"}"#).into();
    assert!(end.is_terminal);
    assert_eq!(end.kind, TurnEventKind::MessageError);
    assert_eq!(end.error.as_deref(), Some("boom"));
}
