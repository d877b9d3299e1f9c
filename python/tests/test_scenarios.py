"""The shared scenario list (tests/scenarios/scenarios.json) in Python, against the emulator.

Each test is named ``scenario_<id>`` so tests/scenarios/check.py can build the matrix.
"""

from __future__ import annotations

import asyncio
import socket

import poke
import poke.mcp as mcp
import pytest
from conftest import api_requests

MSG = "/api/v1/inbound/api-message"


def strict(emulator):
    return poke.Poke(api_key="k", base_url=emulator.poke_api_url, max_retries=0)


def fail(emulator, status):
    emulator.add_fault(path=MSG, status=status, times=5)
    with pytest.raises(poke.PokeError) as info:
        strict(emulator).send_message("x")
    return info.value


def test_scenario_quickstart(client, emulator):
    assert client.send_message("hi") == {"success": True, "message": "Message sent successfully"}
    assert emulator.messages() == [{"message": "hi"}]


def test_scenario_error_401(emulator):
    e = fail(emulator, 401)
    assert type(e) is poke.AuthenticationError and e.status == 401
    assert str(e) == "Invalid API key. Get a new one at https://poke.com/kitchen/api-keys"


def test_scenario_error_403(emulator):
    e = fail(emulator, 403)
    assert type(e) is poke.ForbiddenError and e.status == 403
    assert str(e) == "API key doesn't have permission for this action"


def test_scenario_error_429(emulator):
    e = fail(emulator, 429)
    assert type(e) is poke.RateLimitError and e.status == 429
    assert str(e) == "Rate limited. Please slow down and retry."


def test_scenario_error_500(emulator):
    e = fail(emulator, 500)
    assert type(e) is poke.InternalServerError and e.status == 500
    assert str(e) == "Poke API error (500): Internal Server Error"
    assert e.request_id


def test_scenario_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = poke.Poke(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(poke.APIConnectionError) as info:
        c.send_message("x")
    assert info.value.status is None and "Connection refused" in str(info.value)


def test_scenario_timeout(emulator):
    emulator.add_fault(path=MSG, stall_ms=5000)
    with pytest.raises(poke.APITimeoutError):
        poke.Poke(
            api_key="k", base_url=emulator.poke_api_url, timeout=0.3, max_retries=0
        ).send_message("x")


def test_scenario_webhook_round_trip(client, emulator):
    hook = client.create_webhook(condition="c", action="a")
    assert client.send_webhook(
        webhook_url=hook["webhookUrl"], webhook_token=hook["webhookToken"], data={"k": 1}
    ) == {"success": True}
    assert emulator.webhook_fires() == [{"triggerId": hook["triggerId"], "data": {"k": 1}}]


def test_scenario_session_lifecycle(pokee, emulator):
    s = pokee.sessions.create(persistent=True, ttl=3600, metadata={"owner": "py"})
    assert s.id.startswith("sess_") and s.record.persistent
    assert pokee.sessions.get(s.id).id == s.id
    assert s.id in [r.id for r in pokee.sessions.list()]
    other = pokee.sessions.create()
    other.delete()
    with pytest.raises(poke.NotFoundError):
        pokee.sessions.get(other.id)
    emulator.advance_clock(3601)
    with pytest.raises(poke.NotFoundError):
        s.refresh()


def test_scenario_streamed_turn(session):
    with session.send("hello events=25") as turn:
        events = list(turn)
        assert turn.response_id
    assert len(events) == 25
    assert events[0].type == "message.created" and events[-1].type == "message.completed"
    assert [e.sequence_number for e in events] == list(range(25))


def test_scenario_resume_after_drop(session, emulator):
    emulator.add_fault(path="/v1/sessions/*/messages", drop_after_events=6, drop_mid_event=True)
    emulator.add_fault(
        path="/v1/sessions/*/responses/*/events", drop_after_events=5, duplicate_ids=4
    )
    events = list(session.send("go events=30"))
    assert [e.sequence_number for e in events] == list(range(30))
    resumes = [r for r in emulator.requests() if r["path"].endswith("/events")]
    assert len(resumes) >= 2
    assert all("last-event-id" in dict(r["headers"]) for r in resumes)


def test_scenario_cancel_turn(session):
    turn = session.send("long events=3000 pace_ms=5")
    first = next(turn)
    assert first.type == "message.created"
    turn.cancel()
    rest = list(turn)
    assert rest and rest[-1].type == "message.cancelled"
    assert len(rest) < 2999
    assert not session.wait(poll_interval=0.01).busy


def test_scenario_wait_with_progress(session):
    turn = session.send("make a presentation pace_ms=20")
    turn.close()
    seen = []
    record = session.wait(
        poll_interval=0.01,
        max_interval=0.02,
        on_progress=lambda r: seen.append(r.metadata.get("temasek_status")),
    )
    assert not record.busy and record.metadata["temasek_status"] == "done"
    assert len(seen) >= 2 and all(a != b for a, b in zip(seen, seen[1:]))


def test_scenario_file_upload_download(session, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"a,b\n1,2\n")
    session.files.upload("input/in.csv", src)
    assert "in.csv" in [f.name for f in session.files.list("input")]
    progress = []
    out = session.files.download(
        "input/in.csv", tmp_path / "out.csv", on_progress=lambda d, t: progress.append(d)
    )
    assert out.read_bytes() == b"a,b\n1,2\n" and progress[-1] == 8
    session.files.delete("input/in.csv")
    with pytest.raises(poke.NotFoundError):
        session.files.download("input/in.csv", tmp_path / "gone.csv")
    assert not (tmp_path / "gone.csv").exists()


async def test_scenario_mcp_callback_chain(emulator):
    chain = emulator.new_callback_chain()

    @mcp.with_callbacks
    async def tool():
        yield "started"
        yield "step"
        yield "done"

    token = mcp.set_callback_context(mcp.CallbackContext(chain["token"], chain["url"]))
    try:
        assert await tool() == "started"
    finally:
        mcp.reset_callback_context(token)
    for _ in range(300):
        if not mcp._background_tasks:
            break
        await asyncio.sleep(0.01)
    (record,) = emulator.callback_chains()
    posts = record["posts"]
    assert [(p["content"], p["has_more"]) for p in posts] == [("step", True), ("done", False)]
    assert posts[0]["token"] == chain["token"] and posts[1]["token"] != chain["token"]
    assert api_requests(emulator)[0]["path"] == "/api/v1/mcp/callback"
