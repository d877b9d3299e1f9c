"""The official ``openai`` package pointed at the emulator's ``/v1/responses`` (spec §2.18,
§2.20): whole and streamed responses, its ``responses.stream()`` helper (which rebuilds the
response from the events), and a function-calling round trip."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseFunctionToolCall,
    ResponseTextDeltaEvent,
)

MODEL = "pokee-isaac"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather of a city",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location", "unit"],
        "additionalProperties": False,
    },
}


@pytest.fixture
def oai(emulator):
    emulator.configure_sessions(pace_ms=0)
    client = openai.OpenAI(base_url=emulator.pokee_api_url + "/v1", api_key="sk-test", max_retries=0)
    yield client
    client.close()


def test_create_returns_a_response(oai, emulator):
    response = oai.responses.create(model=MODEL, input="Hello there")
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.model == MODEL
    assert response.output_text == "Echo: Hello there"
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    sent = [r for r in emulator.requests() if r["path"] == "/v1/responses"]
    assert len(sent) == 1
    assert dict(sent[0]["headers"])["authorization"] == "Bearer sk-test"


def test_create_with_stream_true_yields_typed_events(oai):
    events = list(oai.responses.create(model=MODEL, input="one two three", stream=True))
    assert isinstance(events[0], ResponseCreatedEvent)
    assert events[0].response.status == "in_progress"
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e for e in events if isinstance(e, ResponseTextDeltaEvent)]
    assert "".join(d.delta for d in deltas) == "Echo: one two three"
    assert {(d.output_index, d.content_index) for d in deltas} == {(0, 0)}
    assert len({d.item_id for d in deltas}) == 1
    assert events[-1].response.output_text == "Echo: one two three"


def test_the_stream_helper_rebuilds_the_response(oai):
    with oai.responses.stream(model=MODEL, input="tide pools are small") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Echo: tide pools are small"
    assert final.output_text == text
    assert final.status == "completed"


def test_a_function_calling_round_trip(oai):
    question = {"role": "user", "content": "Weather in Paris? tool=get_weather"}
    first = oai.responses.create(model=MODEL, input=[question], tools=[WEATHER])
    calls = [o for o in first.output if o.type == "function_call"]
    assert len(calls) == 1
    call = calls[0]
    assert isinstance(call, ResponseFunctionToolCall)
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"location": "Paris", "unit": "celsius"}
    result = {"temperature": 18, "unit": "celsius"}
    second = oai.responses.create(
        model=MODEL,
        tools=[WEATHER],
        input=[
            question,
            *first.output,
            {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(result)},
        ],
    )
    assert second.status == "completed"
    assert json.dumps(result) in second.output_text


def test_a_streamed_function_call_through_the_helper(oai):
    with oai.responses.stream(
        model=MODEL, input="Weather? tool=get_weather", tools=[WEATHER]
    ) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    assert "response.function_call_arguments.done" in kinds
    (call,) = [o for o in final.output if o.type == "function_call"]
    assert json.loads(call.arguments)["location"] == "Paris"


def test_a_failed_response_is_an_event_not_an_exception(oai):
    events = list(oai.responses.create(model=MODEL, input="x error=overheated", stream=True))
    assert isinstance(events[-1], ResponseFailedEvent)
    assert events[-1].response.status == "failed"
    assert events[-1].response.error is not None
    assert events[-1].response.error.message == "overheated"
    whole = oai.responses.create(model=MODEL, input="x error=overheated")
    assert whole.status == "failed"


def test_errors_map_to_openai_exceptions(oai):
    with pytest.raises(openai.BadRequestError):
        oai.responses.create(model="no-such-model", input="x")
    many = [{"type": "function", "name": f"t{i}"} for i in range(129)]
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model=MODEL, input="x", tools=many)
    assert info.value.status_code == 400


def test_the_async_client_streams_too(emulator):
    emulator.configure_sessions(pace_ms=0)

    async def main() -> str:
        async with openai.AsyncOpenAI(
            base_url=emulator.pokee_api_url + "/v1", api_key="sk-test", max_retries=0
        ) as client:
            async with client.responses.stream(model=MODEL, input="async works") as stream:
                async for _ in stream:
                    pass
                final = await stream.get_final_response()
            return final.output_text

    assert asyncio.run(main()) == "Echo: async works"
