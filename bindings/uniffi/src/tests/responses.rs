#![allow(clippy::unwrap_used)]

use super::*;
use crate::sessions::PokeeClientOptions;

#[test]
fn params_convert_and_bad_json_is_invalid_input() {
    let request = CreateResponseParams {
        input_json: Some(r#"[{"role":"user","content":"hi"}]"#.into()),
        model: Some("pokee-isaac".into()),
        tools: vec![FunctionToolSpec {
            name: "f".into(),
            description: Some("d".into()),
            parameters_json: Some(r#"{"type":"object"}"#.into()),
            strict: None,
        }],
        reasoning_effort: Some("low".into()),
        extra_json: Some(r#"{"temperature":0.5}"#.into()),
        ..Default::default()
    }
    .into_core()
    .unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::json!({
            "input": [{"type": "message", "role": "user", "content": "hi"}],
            "model": "pokee-isaac",
            "tools": [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}],
            "reasoning": {"effort": "low"},
            "temperature": 0.5
        })
    );
    for bad in [
        CreateResponseParams::default(),
        CreateResponseParams {
            input_json: Some("[not json".into()),
            ..Default::default()
        },
        CreateResponseParams {
            input: Some("x".into()),
            extra_json: Some("[1]".into()),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            bad.into_core(),
            Err(PokeError::InvalidInput { .. })
        ));
    }
}

#[test]
fn events_and_items_convert_with_the_cores_accessors() {
    let ev: ResponseEvent = poke::ResponseEvent::from(poke::TurnEvent::new(
        Some("5".into()),
        "response.output_item.done",
        r#"{"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}","status":"completed"},"sequence_number":5}"#,
    ))
    .into();
    assert_eq!(ev.kind, ResponseEventKind::OutputItemDone);
    assert_eq!(ev.sequence_number, Some(5));
    assert_eq!(ev.output_index, Some(1));
    let item = ev.item.unwrap();
    assert_eq!(item.kind, "function_call");
    assert_eq!(item.call_id.as_deref(), Some("call_1"));
    assert!(!ev.is_terminal);
    let done: ResponseEvent = poke::ResponseEvent::from(poke::TurnEvent::new(
        Some("9".into()),
        "response.failed",
        r#"{"id":"resp_1","response":{"id":"resp_1","status":"failed","error":{"message":"boom"}}}"#,
    ))
    .into();
    assert!(done.is_terminal);
    assert_eq!(done.error_message.as_deref(), Some("boom"));
    assert_eq!(done.response.map(|r| r.status).as_deref(), Some("failed"));
}

struct Weather;

impl ToolHandler for Weather {
    fn call(&self, name: String, arguments: String, _call_id: String) -> Result<String, PokeError> {
        match name.as_str() {
            "get_weather" => Ok(format!("weather for {arguments}")),
            other => Err(PokeError::Config {
                msg: format!("no tool {other}"),
            }),
        }
    }
}

#[cfg(feature = "emulator")]
#[tokio::test]
async fn the_tool_loop_calls_the_foreign_handler_and_keeps_its_error() {
    let emulator = crate::Emulator::new(None).unwrap();
    emulator.set_turn_pace_ms(0);
    let client = PokeeClient::new(PokeeClientOptions {
        api_key: Some("pk_ffi".into()),
        base_url: Some(emulator.pokee_api_url()),
        ..Default::default()
    })
    .unwrap();
    let weather = FunctionToolSpec {
        name: "get_weather".into(),
        description: None,
        parameters_json: Some(
            r#"{"type":"object","properties":{"location":{"type":"string"}}}"#.into(),
        ),
        strict: None,
    };
    let params = CreateResponseParams {
        input: Some("weather? tool=get_weather".into()),
        tools: vec![weather.clone()],
        ..Default::default()
    };
    let run = client
        .run_tools(params, Arc::new(Weather), None)
        .await
        .unwrap();
    assert_eq!(run.rounds, 2);
    assert!(
        run.response
            .output_text
            .contains(r#"weather for {"location":"Paris"}"#)
    );
    assert!(run.history_json.contains("function_call_output"));

    let failing = CreateResponseParams {
        input: Some("x tool=other".into()),
        tools: vec![FunctionToolSpec {
            name: "other".into(),
            ..weather
        }],
        ..Default::default()
    };
    match client.run_tools(failing, Arc::new(Weather), None).await {
        Err(PokeError::Config { msg }) => assert_eq!(msg, "no tool other"),
        other => panic!("unexpected {other:?}"),
    }
    emulator
        .script_response_json(
            r#"{"output":[{"type":"function_call","name":"get_weather","arguments":{}}]}"#.into(),
        )
        .unwrap();
    let looping = CreateResponseParams {
        input: Some("x".into()),
        ..Default::default()
    };
    match client.run_tools(looping, Arc::new(Weather), Some(1)).await {
        Err(PokeError::ToolRounds { rounds, .. }) => assert_eq!(rounds, 1),
        other => panic!("unexpected {other:?}"),
    }
}
