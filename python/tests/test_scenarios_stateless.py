"""The shared scenarios of skills and stateless responses (tests/scenarios/scenarios.json) in
Python, against the emulator. Each test is named ``scenario_<id>`` for check.py."""

from __future__ import annotations

import io
import json
import zipfile

import poke
import pytest
from conftest import session_requests


def zip_bytes(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def test_scenario_skills_lifecycle(pokee, emulator, tmp_path):
    root = tmp_path / "greeter"
    (root / "scripts").mkdir(parents=True)
    (root / "SKILL.md").write_text("# Greeter\nSay hello.\n")
    (root / "scripts" / "hello.py").write_text("print('hello')\n")
    progress = []
    installed = pokee.skills.install("greeter", root, on_progress=lambda d, t: progress.append((d, t)))
    assert installed.files == ["SKILL.md", "scripts/hello.py"]
    assert progress[-1][0] == progress[-1][1]
    assert [s.name for s in pokee.skills.list()] == ["greeter"]

    assert pokee.skills.install("greeter", zip_bytes({"SKILL.md": "# v2"})).files == ["SKILL.md"]
    before = emulator.skills()
    with pytest.raises(poke.BadRequestError):
        pokee.skills.install("greeter", zip_bytes({"SKILL.md": "x", "../outside.txt": "x"}))
    assert emulator.skills() == before

    sent = len(session_requests(emulator))
    with pytest.raises(poke.InvalidRequestError):
        pokee.skills.install("Bad Name", zip_bytes({"SKILL.md": "x"}))
    assert len(session_requests(emulator)) == sent

    pokee.skills.delete("greeter")
    with pytest.raises(poke.NotFoundError):
        pokee.skills.delete("greeter")


def test_scenario_stateless_stream_resume(pokee, emulator):
    emulator.add_fault(path="/v1/responses", method="POST", drop_after_events=5)
    stream = pokee.responses.stream(input="stream me events=30")
    events = list(stream)
    assert [e.sequence_number for e in events] == list(range(30))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == text
    (post,) = [r for r in session_requests(emulator, "/v1/responses") if r["method"] == "POST"]
    assert dict(post["headers"])["idempotency-key"] == stream.idempotency_key
    resume = session_requests(emulator, "/events")[0]
    assert resume["path"].startswith("/v1/responses/resp_")
    assert dict(resume["headers"])["last-event-id"] == "4"


def test_scenario_tool_loop(pokee, emulator):
    calls = []

    def get_weather(location: str) -> str:
        """The weather of a city."""
        calls.append(location)
        return "sunny, 21C"

    run = pokee.responses.run(input="What is the weather in Paris? tool=get_weather", tools=[get_weather])
    assert calls == ["Paris"]
    assert run.rounds == 2
    assert "sunny, 21C" in run.output_text
    bodies = [json.loads(r["body"]) for r in session_requests(emulator, "/v1/responses")]
    assert len(bodies) == 2
    history = bodies[1]["input"]
    assert [i.get("type") for i in history] == ["message", "function_call", "function_call_output"]
    assert history[2]["output"] == "sunny, 21C"
    assert history[2]["call_id"] == history[1]["call_id"]
