"""Pokee: sessions lifecycle, streamed turns, resume, cancel, wait and errors (blocking client)."""

from __future__ import annotations

import datetime
import json
import threading

import poke
import pytest
from conftest import KEY, headers_of, session_requests
from poke.testing import start_emulator

TERMINAL = {"message.completed", "message.error", "message.cancelled"}


def ids_of(events) -> list:
    return [e.id for e in events]


def expected_ids(n: int) -> list:
    return [str(i) for i in range(n)]


# --- client construction


def test_client_from_environment_and_repr_hides_the_key(emulator, monkeypatch):
    monkeypatch.setenv("POKEE_KEY", "pk_canary_secret")
    monkeypatch.setenv("POKEE_API", emulator.pokee_api_url + "/")
    client = poke.Pokee()
    assert client.base_url == emulator.pokee_api_url
    assert "pk_canary" not in repr(client)
    assert repr(client) == f"Pokee(base_url={emulator.pokee_api_url!r})"
    s = client.sessions.create()
    auth = headers_of(session_requests(emulator)[0])["authorization"]
    assert auth == "Bearer pk_canary_secret"
    assert "pk_canary" not in repr(s) and "pk_canary" not in repr(client.sessions)


def test_missing_configuration_is_a_clear_error(emulator):
    with pytest.raises(poke.PokeError, match="POKEE_KEY"):
        poke.Pokee(base_url=emulator.pokee_api_url)
    with pytest.raises(poke.PokeError, match="POKEE_API"):
        poke.Pokee(api_key=KEY)
    with pytest.raises(poke.PokeError, match="invalid Pokee API URL"):
        poke.Pokee(api_key=KEY, base_url="ftp://x")


def test_timeout_arguments_are_checked():
    with pytest.raises(poke.InvalidRequestError):
        poke.Pokee(api_key=KEY, base_url="http://127.0.0.1:9", timeout=-1)
    poke.Pokee(api_key=KEY, base_url="http://127.0.0.1:9", timeout=poke.Timeout(10, read=5))
    poke.Pokee(api_key=KEY, base_url="http://127.0.0.1:9", timeout=datetime.timedelta(seconds=3))


def test_health_and_usage(pokee, session):
    assert pokee.health() == {"status": "ok"}
    list(session.send("count me"))
    usage = pokee.usage()
    assert isinstance(usage, poke.Usage)
    assert usage.credits["mode"] == "soft"
    assert usage.credit_balance == usage.credits["balance"]
    turns = {(w["bucket"], w["name"]): w["turns"] for w in usage.windows}
    assert turns[("session_turn", "hour")] == 1
    assert usage.to_dict()["rate_limit"] == usage.rate_limit


# --- lifecycle


def test_create_get_list_delete(pokee, emulator):
    s = pokee.sessions.create(
        persistent=True,
        ttl=datetime.timedelta(hours=2),
        metadata={"project": "acme", "n": 2**60},
        file_access={"read": ["projects/acme"], "write": ["projects/acme/out"]},
    )
    body = json.loads(session_requests(emulator)[0]["body"])
    assert body == {
        "persistent": True,
        "ttl": 7200,
        "metadata": {"project": "acme", "n": 2**60},
        "file_access": {"read": ["projects/acme"], "write": ["projects/acme/out"]},
    }
    assert isinstance(s, poke.Session)
    assert s.id.startswith("sess_") and s.record.id == s.id
    rec = s.record
    assert isinstance(rec, poke.SessionRecord)
    assert rec.persistent is True and rec.ttl == 7200 and rec.status == "ready"
    assert rec.busy is False and rec.is_busy is False and rec.is_ready
    assert rec.metadata == {"project": "acme", "n": 2**60}
    assert rec.progress("project") == "acme" and rec.progress("nope", 5) == 5
    assert rec.file_access == {"read": ["projects/acme"], "write": ["projects/acme/out"]}
    assert isinstance(rec.created_at, float) and rec.last_activity >= rec.created_at

    got = pokee.sessions.get(s.id)
    assert got.record == rec
    assert [x.id for x in pokee.sessions.list()] == [s.id]
    other = pokee.sessions.create()
    assert [x.id for x in pokee.sessions.list()] == [s.id, other.id]

    assert s.delete() is None
    with pytest.raises(poke.NotFoundError) as info:
        s.refresh()
    assert info.value.status == 404
    with pytest.raises(poke.NotFoundError):
        pokee.sessions.delete(s.id)
    pokee.sessions.delete(other.id)
    assert pokee.sessions.list() == []


def test_create_sends_model_and_tools_and_defaults_to_empty_body(pokee, emulator):
    pokee.sessions.create()
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    pokee.sessions.create(model="pokee-isaac", tools=[tool], ttl=60)
    bodies = [json.loads(r["body"]) for r in session_requests(emulator, "/v1/sessions")]
    assert bodies == [{}, {"ttl": 60, "model": "pokee-isaac", "tools": [tool]}]
    live = {s["model"] for s in emulator.sessions()}
    assert "pokee-isaac" in live


def test_bad_arguments_fail_before_sending(pokee, emulator):
    with pytest.raises(poke.InvalidRequestError):
        pokee.sessions.create(ttl=-5)
    with pytest.raises(poke.InvalidRequestError):
        pokee.sessions.create(file_access={"read": "not-a-list"})
    with pytest.raises(poke.InvalidRequestError):
        pokee.sessions.create(metadata=["not", "a", "dict"])
    with pytest.raises(TypeError):
        pokee.sessions.create(metadata={"x": object()})
    for bad in ["", "..", ".", "a\nb"]:
        with pytest.raises(poke.InvalidRequestError):
            pokee.sessions.get(bad)
    assert session_requests(emulator) == []


def test_records_are_frozen_equal_and_keep_unknown_fields(pokee, emulator):
    emulator.add_fault(
        path="/v1/sessions/sess_new",
        status=200,
        headers={"content-type": "application/json"},
        body='{"id": "sess_new", "status": "warming", "busy": false, "shiny": {"a": 1}}',
    )
    s = pokee.sessions.get("sess_new")
    rec = s.record
    assert rec.status == "warming" and rec.is_busy is False and rec.is_ready is False
    assert rec.to_dict()["shiny"] == {"a": 1}
    assert "shiny={'a': 1}" in repr(rec)
    with pytest.raises(AttributeError):
        rec.status = "ready"  # type: ignore[misc]
    rec.metadata["k"] = 1  # a copy: the record stays as it was
    assert rec.metadata == {}


def test_ttl_expiry_and_idle_destroy_follow_the_virtual_clock(pokee, emulator):
    short = pokee.sessions.create(persistent=True, ttl=60)
    idle = pokee.sessions.create()
    keeper = pokee.sessions.create(persistent=True)
    emulator.advance_clock(61)
    with pytest.raises(poke.NotFoundError):
        short.refresh()
    assert idle.refresh().id == idle.id  # 61 s < the 5-minute idle timer
    emulator.advance_clock(240)
    with pytest.raises(poke.NotFoundError):
        idle.refresh()
    assert [s.id for s in pokee.sessions.list()] == [keeper.id]


def test_bulk_delete_by_age_and_status(pokee, emulator):
    old_a = pokee.sessions.create(persistent=True)
    old_b = pokee.sessions.create(persistent=True)
    emulator.advance_clock(2 * 3600)
    fresh = pokee.sessions.create(persistent=True)
    result = pokee.sessions.delete_many(older_than=datetime.timedelta(hours=1))
    assert isinstance(result, poke.BulkDeleteResult)
    assert result.deleted == 2 and result.to_dict() == {"deleted": 2}
    assert [s.id for s in pokee.sessions.list()] == [fresh.id]
    assert {old_a.id, old_b.id}.isdisjoint(s["id"] for s in emulator.sessions())

    # A busy session survives status="idle"; a duration string goes as it is.
    busy = pokee.sessions.create(persistent=True)
    turn = busy.send("wait for me tool=get_weather")
    next(turn)
    idle = pokee.sessions.create(persistent=True)
    emulator.advance_clock(120)
    assert pokee.sessions.delete_many(status="idle", older_than="90s").deleted == 2
    assert [s.id for s in pokee.sessions.list()] == [busy.id]
    assert idle.id not in {s["id"] for s in emulator.sessions()}
    targets = [r["target"] for r in session_requests(emulator) if r["method"] == "DELETE"]
    assert targets == ["/v1/sessions?older_than=3600s", "/v1/sessions?status=idle&older_than=90s"]
    turn.close()
    assert pokee.sessions.delete_many().deleted == 1


# --- turns


def test_streamed_turn_sees_every_event_type_in_order(pokee, session, emulator):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    s = pokee.sessions.create(persistent=True, tools=tools)
    emulator.script_turn(
        s.id,
        {
            "pace_ms": 0,
            "steps": [
                {"type": "thinking", "text": "plan it", "deltas": 2},
                {"type": "tool_use", "name": "web_search", "input": {"q": "x"}, "output": "ok"},
                {"type": "tool_call", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "text", "text": "all done", "deltas": 2},
                {"type": "event", "event": "brand.new", "data": {"k": 1}},
            ],
        },
    )
    seen = []
    with s.send("go") as turn:
        assert isinstance(turn, poke.Turn)
        assert turn.response_id and turn.response_id.startswith("msg_")
        assert turn.idempotency_key and turn.session_id == s.id
        for ev in turn:
            assert isinstance(ev, poke.Event)
            seen.append(ev)
            if ev.type == "tool_call.requested":
                ack = s.submit_tool_result(ev.data["call_id"], "sunny")
                assert isinstance(ack, poke.ToolResultAck) and ack.status == "accepted"
        assert turn.is_finished and turn.last_event_id == seen[-1].id
    types = [e.type for e in seen]
    assert types == [
        "message.created",
        "thinking.start",
        "thinking.delta",
        "thinking.delta",
        "thinking.stop",
        "tool_use.start",
        "tool_use.input_delta",
        "tool_use.executing",
        "tool_use.stop",
        "tool_result",
        "tool_call.requested",
        "tool_result",
        "text.start",
        "text.delta",
        "text.delta",
        "text.stop",
        "brand.new",
        "message.completed",
    ]
    assert ids_of(seen) == expected_ids(len(seen))
    assert [e.sequence_number for e in seen] == list(range(len(seen)))
    assert seen[0].data["id"] == turn.response_id
    assert seen[-1].is_terminal and not any(e.is_terminal for e in seen[:-1])
    assert seen[11].data["content"] == "sunny"
    assert "".join(e.content for e in seen if e.type == "text.delta")
    assert seen[16].data == {"k": 1, "sequence_number": 16}
    assert seen[16].to_dict() == {"id": "16", "type": "brand.new", "data": seen[16].data}
    assert json.loads(seen[16].raw) == seen[16].data
    assert repr(seen[0]).startswith("Event(id='0', type='message.created', data={")


def test_error_turn_ends_with_message_error(session):
    events = list(session.send("fail please error=disk_full"))
    assert events[-1].type == "message.error"
    assert events[-1].error == "disk_full" and events[-1].is_terminal


def test_two_hundred_events(pokee, emulator):
    emulator.configure_sessions(pace_ms=0)
    s = pokee.sessions.create()
    events = list(s.send("events=200"))
    assert ids_of(events) == expected_ids(200)
    assert events[0].type == "message.created" and events[-1].type == "message.completed"
    assert all(e.type == "text.delta" for e in events[2:-2])


@pytest.mark.parametrize("mid_event", [False, True])
def test_resume_after_a_drop_delivers_each_event_once_in_order(session, emulator, mid_event):
    emulator.configure_sessions(pace_ms=0)
    emulator.add_fault(
        path="/v1/sessions/*/messages", drop_after_events=7, drop_mid_event=mid_event
    )
    turn = session.send("events=40")
    events = list(turn)
    assert ids_of(events) == expected_ids(40)
    assert turn.is_finished and turn.response_id == events[0].data["id"]
    resumes = session_requests(emulator, "/events")
    assert len(resumes) == 1
    assert resumes[0]["path"].endswith(f"/responses/{turn.response_id}/events")
    assert headers_of(resumes[0])["last-event-id"] == "6"


def test_resume_with_duplicate_ids_and_repeated_drops(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    emulator.add_fault(path="/v1/sessions/*/messages", drop_after_events=5)
    # Each resume first re-sends 3 events already seen, then 3 new ones, then drops.
    emulator.add_fault(
        path="/v1/sessions/*/responses/*/events", duplicate_ids=3, drop_after_events=6, times=2
    )
    events = list(session.send("events=20"))
    assert ids_of(events) == expected_ids(20)
    positions = [headers_of(r)["last-event-id"] for r in session_requests(emulator, "/events")]
    assert positions == ["4", "7", "10"]


@pytest.mark.parametrize("ending", ["lf", "crlf", "cr"])
def test_line_endings_and_tiny_chunks(session, emulator, ending):
    emulator.configure_sessions(pace_ms=0)
    emulator.add_fault(path="/v1/sessions/*/messages", line_ending=ending, slice_bytes=3)
    events = list(session.send("events=12"))
    assert ids_of(events) == expected_ids(12)


def test_an_evicted_turn_cannot_be_resumed(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    emulator.add_fault(path="/v1/sessions/*/messages", drop_after_events=3)
    emulator.add_fault(path="/v1/sessions/*/responses/*/events", id_too_old=True)
    turn = session.send("events=10")
    got = []
    with pytest.raises(poke.StreamInterruptedError) as info:
        for ev in turn:
            got.append(ev)
    assert ids_of(got) == expected_ids(3)
    assert info.value.last_event_id == "2"
    assert isinstance(info.value, poke.APIConnectionError)
    assert not turn.is_finished


def test_manual_resume_from_last_event_id_and_from_the_start(session, emulator):
    emulator.configure_sessions(pace_ms=5)
    turn = session.send("events=30")
    first = [next(turn) for _ in range(4)]
    turn.close()
    assert list(turn) == []  # closed: iteration ends
    rid, last = turn.response_id, turn.last_event_id
    assert last == "3"
    rest = list(session.resume(rid, last))
    assert ids_of(first + rest) == expected_ids(30)
    again = session.resume(rid)
    assert again.idempotency_key is None and again.response_id == rid
    assert ids_of(again) == expected_ids(30)


def test_resuming_a_finished_turn_from_its_last_event_ends_with_nothing(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    turn = session.send("events=5")
    ids = ids_of(turn)
    assert turn.last_event_id == ids[-1] == "4"
    assert ids_of(session.resume(turn.response_id, "3")) == ["4"]
    at_end = session.resume(turn.response_id, "4")
    assert list(at_end) == []
    assert at_end.is_finished
    # One request per resume: the server's empty answer is the end, not a cut to retry.
    positions = [headers_of(r)["last-event-id"] for r in session_requests(emulator, "/events")]
    assert positions == ["3", "4"]


def test_idempotent_resend_replays_the_same_turn(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    first = list(session.send("once", idempotency_key="key-1"))
    replay = session.send("once", idempotency_key="key-1")
    assert replay.idempotency_key == "key-1"
    assert ids_of(replay) == ids_of(first)
    assert replay.response_id == first[0].data["id"]
    keys = [headers_of(r)["idempotency-key"] for r in session_requests(emulator, "/messages")]
    assert keys == ["key-1", "key-1"]
    assert len(emulator.turns()) == 1


def test_cancel_ends_the_turn_with_message_cancelled(session, emulator):
    emulator.configure_sessions(pace_ms=20)
    with session.send("events=500") as turn:
        events = [next(turn) for _ in range(3)]
        result = turn.cancel()
        assert isinstance(result, poke.CancelResult)
        assert result.is_cancelling and result.status == "cancelling"
        assert result.response_id == turn.response_id
        events += list(turn)
    assert events[-1].type == "message.cancelled"
    assert ids_of(events) == expected_ids(len(events)) and len(events) < 500
    assert not session.wait(poll_interval=0.01).busy
    done = session.cancel(turn.response_id)
    assert done.is_already_complete and not done.is_cancelling


def test_cancel_from_another_thread_while_a_read_waits(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    turn = session.send("slow sleep_ms=60000")
    assert next(turn).type == "message.created"
    timer = threading.Timer(0.2, turn.cancel)
    timer.start()
    rest = list(turn)  # blocked in sleep until the cancel lands
    timer.join()
    assert rest[-1].type == "message.cancelled"


def test_close_stops_a_blocked_read_from_another_thread(session, emulator):
    turn = session.send("slow sleep_ms=60000")
    next(turn)
    threading.Timer(0.2, turn.close).start()
    assert list(turn) == []
    assert not turn.is_finished
    assert session.refresh().busy  # the turn still runs on the server
    session.cancel(turn.response_id)


def test_busy_session_is_a_conflict(session):
    turn = session.send("hold on tool=get_weather")
    next(turn)
    with pytest.raises(poke.ConflictError) as info:
        session.send("second")
    assert info.value.status == 409 and info.value.code == "session.busy"
    turn.cancel()
    assert list(turn)[-1].type == "message.cancelled"


# --- wait


def test_wait_reports_each_changed_record_until_idle(session, emulator):
    turn = session.send("Build a presentation on Q3 pace_ms=15")
    turn.close()
    seen = []
    final = session.wait(poll_interval=0.005, max_interval=0.02, on_progress=seen.append)
    assert isinstance(final, poke.SessionRecord)
    assert final.busy is False and final.progress("temasek_status") == "done"
    assert session.record == final
    assert seen[0].busy and seen[-1] == final
    assert all(a != b for a, b in zip(seen, seen[1:]))
    statuses = [r.progress("temasek_status") for r in seen]
    order = ["researching", "drafting", "rendering", "done"]
    picked = [s for s in dict.fromkeys(statuses) if s in order]
    assert picked == sorted(picked, key=order.index) and len(picked) >= 3, statuses


def test_wait_times_out_and_callback_errors_surface(session):
    turn = session.send("needs a tool=get_weather")
    call = next(e for e in turn if e.type == "tool_call.requested")
    with pytest.raises(poke.APITimeoutError):
        session.wait(timeout=0.2, poll_interval=0.05)

    def boom(record):
        raise ValueError("from the callback")

    with pytest.raises(ValueError, match="from the callback"):
        session.wait(on_progress=boom)
    with pytest.raises(TypeError):
        session.wait(on_progress=42)
    session.submit_tool_result(call.data["call_id"], {"temp": 21})
    assert list(turn)[-1].type == "message.completed"
    assert session.wait().busy is False


# --- errors per status


def test_errors_map_to_exception_classes(pokee, session, emulator):
    with pytest.raises(poke.NotFoundError) as info:
        pokee.sessions.get("sess_000000000000")
    assert info.value.status == 404 and info.value.code == "not_found"

    with pytest.raises(poke.BadRequestError):
        pokee.sessions.create(ttl=0)

    list(session.send("a", idempotency_key="same"))
    with pytest.raises(poke.UnprocessableEntityError) as info:
        session.send("b", idempotency_key="same")
    assert info.value.status == 422

    emulator.configure_sessions(credits_mode="hard", credits_balance=0)
    with pytest.raises(poke.PaymentRequiredError) as info:
        session.send("no credits")
    assert info.value.status == 402
    emulator.configure_sessions(credits_mode="soft")

    emulator.add_fault(path="/v1/usage", status=500, body='{"error":"boom"}', times=5)
    with pytest.raises(poke.InternalServerError):
        poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url, max_retries=0).usage()


def test_rate_limited_and_unauthorized():
    with start_emulator(api_key="right") as emu:
        wrong = poke.Pokee(api_key="wrong", base_url=emu.pokee_api_url)
        with pytest.raises(poke.AuthenticationError) as info:
            wrong.sessions.list()
        assert info.value.status == 401
        client = poke.Pokee(api_key="right", base_url=emu.pokee_api_url, max_retries=0)
        emu.configure_sessions(max_sessions=1)
        client.sessions.create()
        with pytest.raises(poke.RateLimitError) as info:
            client.sessions.create()
        assert info.value.status == 429


def test_events_read_ahead_reach_threads_sharing_a_turn_once_each_in_order(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    turn = session.send("many events=3000")
    got = {i: [] for i in range(4)}

    def read(i):
        for ev in turn:
            got[i].append(ev.sequence_number)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    everything = sorted(n for seqs in got.values() for n in seqs)
    assert everything == list(range(len(everything))) and len(everything) >= 3000
    assert all(seqs == sorted(seqs) for seqs in got.values())
    assert turn.is_finished and turn.last_event_id == str(everything[-1])


def test_position_follows_each_event_handed_out(session, emulator):
    emulator.configure_sessions(pace_ms=0)
    turn = session.send("many events=1000")
    for ev in turn:
        assert turn.last_event_id == ev.id
        assert turn.is_finished == ev.is_terminal
        assert turn.response_id is not None


def test_event_data_is_what_json_loads_makes_of_the_payload(session, emulator):
    payload = {
        "text": "naïve → ünïcödé \u2603",
        "n": [0, -1, 2**53 + 1, 2**64 - 1, -(2**63), 1.5, -2.25e-7, 1e300],
        "nested": {"a": [True, False, None, {"b": []}], "empty": {}},
    }
    emulator.script_turn(
        session.id,
        {"pace_ms": 0, "steps": [{"type": "event", "event": "custom.data", "data": payload}]},
    )
    events = list(session.send("go"))
    custom = next(e for e in events if e.type == "custom.data")
    assert custom.data == json.loads(custom.raw)
    assert custom.data["n"] == payload["n"] and custom.data["nested"] == payload["nested"]
    assert all(e.data == json.loads(e.raw) for e in events)
