"""client.responses (E19-E21) on Pokee and AsyncPokee against the emulator: typed responses
and events, resume after a cut, cancel, idempotency keys, bad input, and the tool loop."""

from __future__ import annotations

import asyncio
import enum
import json
import math
import pickle
import threading
from typing import List, Literal, Optional

import poke
import pytest
from conftest import KEY, session_requests

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


@pytest.fixture(autouse=True)
def fast(emulator):
    emulator.configure_sessions(pace_ms=0)


def posts(emulator) -> list:
    return [r for r in session_requests(emulator, "/v1/responses") if r["method"] == "POST"]


def test_create_returns_a_typed_response(pokee, emulator):
    r = pokee.responses.create(input="Hello there", model="pokee-isaac", reasoning="low")
    assert isinstance(r, poke.Response)
    assert r.id.startswith("resp_") and r.object == "response"
    assert r.status == "completed" and r.error is None
    assert r.output_text == "Echo: Hello there"
    (item,) = r.output
    assert isinstance(item, poke.ResponseOutputMessage)
    assert item.role == "assistant" and item.text == "Echo: Hello there"
    assert item.to_dict()["type"] == "message"
    assert isinstance(r.usage, poke.ResponseUsage)
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert r.to_dict()["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    assert pickle.loads(pickle.dumps(r)) == r
    assert json.loads(posts(emulator)[0]["body"]) == {
        "input": "Hello there",
        "model": "pokee-isaac",
        "reasoning": {"effort": "low"},
        "stream": False,
    }
    failed = pokee.responses.create(input="x error=overheated")
    assert failed.status == "failed"
    assert isinstance(failed.error, poke.ResponseError) and failed.error.message == "overheated"


def test_stream_yields_typed_events(pokee, emulator):
    with pokee.responses.stream(input="one two") as stream:
        assert isinstance(stream, poke.ResponseStream)
        events = list(stream)
    assert all(isinstance(e, poke.ResponseEvent) for e in events)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].type == "response.created" and events[0].response_id == stream.response_id
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(e.delta for e in deltas) == "Echo: one two"
    assert {(e.output_index, e.content_index) for e in deltas} == {(0, 0)}
    added = next(e for e in events if e.type == "response.output_item.added")
    assert isinstance(added.item, poke.ResponseOutputMessage)
    assert deltas[0].item_id == added.item.id
    last = events[-1]
    assert last.is_terminal and last.type == "response.completed"
    assert last.response.output_text == "Echo: one two"
    assert stream.is_finished and stream.last_event_id == str(len(events) - 1)
    key = stream.idempotency_key
    assert key and dict(posts(emulator)[0]["headers"])["idempotency-key"] == key
    final = pokee.responses.create(input="abc", stream=True).get_final_response()
    assert final.output_text == "Echo: abc"


def test_a_cut_stream_resumes_each_event_once(pokee, emulator):
    emulator.add_fault(path="/v1/responses", method="POST", drop_after_events=5)
    emulator.add_fault(path="/v1/responses/*/events", drop_after_events=7, duplicate_ids=3)
    ids = [e.sequence_number for e in pokee.responses.stream(input="go events=40")]
    assert ids == list(range(40))
    resumes = session_requests(emulator, "/events")
    assert dict(resumes[0]["headers"])["last-event-id"] == "4"
    assert len(posts(emulator)) == 1

    stream = pokee.responses.stream(input="more events=20")
    for _ in range(10):
        next(stream)
    stream.close()
    rest = pokee.responses.resume(stream.response_id, stream.last_event_id)
    assert [e.sequence_number for e in rest] == list(range(10, 20))
    before = len(session_requests(emulator, "/events"))
    assert list(pokee.responses.resume(stream.response_id, "19")) == []
    assert len(session_requests(emulator, "/events")) == before + 1


def test_cancel_and_foreign_or_unknown_ids(pokee, emulator):
    stream = pokee.responses.stream(input="slow sleep_ms=10000")
    next(stream)
    rid = stream.response_id
    other = poke.Pokee(api_key="someone-else", base_url=emulator.pokee_api_url)
    with pytest.raises(poke.NotFoundError):
        other.responses.resume(rid)
    with pytest.raises(poke.NotFoundError):
        other.responses.cancel(rid)
    other.close()
    result = stream.cancel()
    assert result.is_cancelling and result.response_id == rid
    assert [e.type for e in stream][-1] == "response.cancelled"
    assert pokee.responses.cancel(rid).is_already_complete
    with pytest.raises(poke.NotFoundError):
        pokee.responses.cancel("resp_000000000000000000000000")
    with pytest.raises(poke.InvalidRequestError):
        pokee.responses.resume("..")


def test_idempotency_key_replays_the_stream(pokee, emulator):
    first = [e.raw for e in pokee.responses.stream(input="same", idempotency_key="py-key-1")]
    again = [e.raw for e in pokee.responses.stream(input="same", idempotency_key="py-key-1")]
    assert first == again
    with pytest.raises(poke.UnprocessableEntityError):
        pokee.responses.stream(input="other", idempotency_key="py-key-1")
    assert [dict(r["headers"])["idempotency-key"] for r in posts(emulator)] == ["py-key-1"] * 3


def test_bad_input_is_refused_typed(pokee, emulator):
    many = [{"type": "function", "name": f"t{i}"} for i in range(129)]
    with pytest.raises(poke.InvalidRequestError, match="128"):
        pokee.responses.create(input="x", tools=many)
    with pytest.raises(poke.InvalidRequestError, match="name"):
        pokee.responses.stream(input="x", tools=[{"type": "function", "name": "n" * 65}])
    with pytest.raises(poke.InvalidRequestError, match="description"):
        pokee.responses.create(
            input="x", tools=[{"type": "function", "name": "t", "description": "d" * 16385}]
        )
    with pytest.raises(poke.InvalidRequestError):
        pokee.responses.create(input="x", extra_body={"temperature": math.nan})
    with pytest.raises(TypeError):
        pokee.responses.create(input=[object()])
    with pytest.raises(TypeError):
        pokee.responses.create(input="x", tools=[42])
    assert posts(emulator) == []
    for kwargs in (
        {"input": [3]},
        {"input": "x", "model": "no-such-model"},
        {"input": "x", "reasoning": "extreme"},
        {"input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]},
    ):
        with pytest.raises(poke.BadRequestError):
            pokee.responses.create(**kwargs)
    usage = pokee.usage()
    bucket = usage.rate_limit["buckets"]["response"]["windows"][0]
    assert bucket["turns"] == 0


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


def test_tools_read_their_schema_from_the_signature():
    def forecast(
        city: str, days: int, unit: Unit = Unit.C, hourly: Optional[bool] = None,
        tags: List[str] = (), mode: Literal["a", "b"] = "a",
    ) -> str:
        """The forecast of a city."""
        return ""

    tool = poke.Tool(forecast)
    assert tool.definition() == {
        "type": "function",
        "name": "forecast",
        "description": "The forecast of a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "hourly": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "mode": {"enum": ["a", "b"]},
            },
            "required": ["city", "days"],
        },
    }
    explicit = poke.Tool(forecast, name="fc", parameters={"type": "object"}, strict=True)
    assert explicit.definition()["name"] == "fc" and explicit.definition()["strict"] is True
    nested = poke.Tool.of({"type": "function", "function": {"name": "n", "parameters": {}}})
    assert nested.name == "n" and nested.func is None


def test_run_calls_local_functions(pokee, emulator):
    threads = set()

    def get_weather(location: str) -> dict:
        """Weather of a city."""
        threads.add(threading.get_ident())
        return {"location": location, "temp": 18}

    run = pokee.responses.run(input="Weather in Paris? tool=get_weather", tools=[get_weather])
    assert isinstance(run, poke.ToolRun)
    assert run.rounds == 2
    assert '{"location": "Paris", "temp": 18}' in run.output_text
    assert [i["type"] for i in run.history] == [
        "message", "function_call", "function_call_output", "message"
    ]
    assert threads == {threading.get_ident()}
    second = json.loads(posts(emulator)[1]["body"])
    assert second["tools"][0]["name"] == "get_weather"
    assert [i["type"] for i in second["input"]] == [
        "message", "function_call", "function_call_output"
    ]

    def broken(location: str) -> str:
        raise LookupError("sensor offline")

    with pytest.raises(LookupError, match="sensor offline"):
        pokee.responses.run(input="x tool=broken", tools=[poke.Tool(broken)])

    async def coro(location: str) -> str:
        return "x"

    with pytest.raises(TypeError, match="AsyncPokee"):
        pokee.responses.run(input="x", tools=[coro])
    with pytest.raises(TypeError, match="no function"):
        pokee.responses.run(input="x", tools=[WEATHER])

    for _ in range(3):
        emulator.script_response(
            {"output": [{"type": "function_call", "name": "get_weather", "arguments": {"location": "Oslo"}}]}
        )
    with pytest.raises(poke.ToolRoundsExceededError):
        pokee.responses.run(input="x", tools=[get_weather], max_rounds=2)
    emulator.script_response(
        {"output": [{"type": "function_call", "name": "unknown_tool", "arguments": {}}]}
    )
    with pytest.raises(poke.PokeError, match="unknown_tool"):
        pokee.responses.run(input="x", tools=[get_weather])


async def test_async_responses(apokee, emulator):
    r = await apokee.responses.create(input="async hello")
    assert r.output_text == "Echo: async hello"
    stream = await apokee.responses.create(input="a b", stream=True)
    assert isinstance(stream, poke.AsyncResponseStream)
    async with stream:
        kinds = [e.type async for e in stream]
    assert kinds[-1] == "response.completed"
    final = await (await apokee.responses.stream(input="z")).get_final_response()
    assert final.output_text == "Echo: z"

    slow = await apokee.responses.stream(input="slow sleep_ms=10000")
    await slow.__anext__()
    assert (await slow.cancel()).is_cancelling
    assert [e.type async for e in slow][-1] == "response.cancelled"

    loop_thread = threading.get_ident()
    seen = []

    async def get_weather(location: str) -> str:
        seen.append(threading.get_ident())
        await asyncio.sleep(0.01)
        return f"sunny in {location}"

    def sync_tool(location: str) -> str:
        seen.append(threading.get_ident())
        return "x"

    run = await apokee.responses.run(input="w? tool=get_weather", tools=[get_weather, sync_tool])
    assert "sunny in Paris" in run.output_text
    run = await apokee.responses.run(input="w? tool=sync_tool", tools=[get_weather, sync_tool])
    assert run.rounds == 2
    assert seen == [loop_thread, loop_thread]

    async def broken(location: str) -> str:
        raise ValueError("bad city")

    with pytest.raises(ValueError, match="bad city"):
        await apokee.responses.run(input="x tool=broken", tools=[broken])
    with pytest.raises(poke.NotFoundError):
        await apokee.responses.resume("resp_000000000000000000000000")
    await apokee.aclose()


def test_records_are_plain_values():
    r = poke.Response(id="resp_1", status="completed", output=[
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "reasoning", "summary": []},
    ])
    kinds = [type(i) for i in r.output]
    assert kinds == [poke.ResponseOutputMessage, poke.ResponseFunctionToolCall, poke.ResponseOutputItem]
    assert r.output_text == "hi" and r.function_calls[0].name == "f"
    assert r.output[2].type == "reasoning"
    assert KEY not in repr(r)
