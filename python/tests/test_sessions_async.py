"""AsyncPokee: the main sessions scenarios as coroutines and async iterators."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import os
import threading

import poke
import pytest
from conftest import headers_of, session_requests


def expected_ids(n: int) -> list:
    return [str(i) for i in range(n)]


async def test_lifecycle(apokee, emulator):
    assert repr(apokee).startswith("AsyncPokee(base_url=")
    s = await apokee.sessions.create(persistent=True, ttl=60, metadata={"k": "v"})
    assert isinstance(s, poke.AsyncSession)
    assert s.record.persistent and s.record.metadata == {"k": "v"}
    got = await apokee.sessions.get(s.id)
    assert got.record == s.record
    other = await apokee.sessions.create()
    assert [x.id for x in await apokee.sessions.list()] == [s.id, other.id]
    assert (await s.refresh()).id == s.id
    emulator.advance_clock(61)
    with pytest.raises(poke.NotFoundError):
        await s.refresh()
    assert await other.delete() is None
    assert await apokee.sessions.list() == []
    a = await apokee.sessions.create(persistent=True)
    await apokee.sessions.create(persistent=True)
    emulator.advance_clock(600)
    fresh = await apokee.sessions.create(persistent=True)
    result = await apokee.sessions.delete_many(older_than=datetime.timedelta(minutes=5))
    assert result.deleted == 2
    assert [x.id for x in await apokee.sessions.list()] == [fresh.id]
    with pytest.raises(poke.NotFoundError):
        await apokee.sessions.delete(a.id)
    assert (await apokee.usage()).credits["enabled"] is True
    assert await apokee.health() == {"status": "ok"}


async def test_streamed_turn_and_two_hundred_events(apokee, emulator):
    emulator.configure_sessions(pace_ms=0)
    s = await apokee.sessions.create()
    turn = await s.send("events=200")
    assert isinstance(turn, poke.AsyncTurn)
    assert turn.response_id.startswith("msg_")
    events = []
    async with turn:
        async for ev in turn:
            events.append(ev)
    assert [e.id for e in events] == expected_ids(200)
    assert events[0].type == "message.created" and events[-1].type == "message.completed"
    assert turn.is_finished and turn.last_event_id == "199"


async def test_resume_after_drops_with_duplicates(apokee, emulator):
    emulator.configure_sessions(pace_ms=0)
    s = await apokee.sessions.create()
    emulator.add_fault(path="/v1/sessions/*/messages", drop_after_events=4, drop_mid_event=True)
    emulator.add_fault(
        path="/v1/sessions/*/responses/*/events", duplicate_ids=2, drop_after_events=5
    )
    turn = await s.send("events=25")
    ids = [ev.id async for ev in turn]
    assert ids == expected_ids(25)
    positions = [headers_of(r)["last-event-id"] for r in session_requests(emulator, "/events")]
    assert positions == ["3", "6"]

    # A manual resume from a position, then from the start.
    rest = [ev.id async for ev in await s.resume(turn.response_id, "20")]
    assert rest == ["21", "22", "23", "24"]
    assert [ev.id async for ev in await s.resume(turn.response_id)] == expected_ids(25)
    # From the terminal event: nothing, at once (one request, no reconnects).
    at_end = await s.resume(turn.response_id, "24")
    assert [ev.id async for ev in at_end] == []
    assert at_end.is_finished
    assert len(session_requests(emulator, "/events")) == 5


async def test_cancel_conflict_and_wait_with_progress(apokee, emulator):
    s = await apokee.sessions.create(persistent=True)
    turn = await s.send("Build a presentation pace_ms=15")
    first = await turn.__anext__()
    assert first.type == "message.created"
    with pytest.raises(poke.ConflictError):
        await s.send("busy?")
    await turn.aclose()
    seen = []
    final = await s.wait(poll_interval=0.005, max_interval=0.02, on_progress=seen.append)
    assert not final.busy and s.record == final
    assert seen[0].busy and seen[-1] == final
    assert final.progress("temasek_status") == "done"

    emulator.configure_sessions(pace_ms=20)
    turn = await s.send("events=500")
    events = [await turn.__anext__() for _ in range(3)]
    result = await turn.cancel()
    assert result.is_cancelling
    events += [ev async for ev in turn]
    assert events[-1].type == "message.cancelled"
    assert [e.id for e in events] == expected_ids(len(events))

    def boom(record):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        await s.wait(on_progress=boom)


async def test_cancelling_the_task_stops_a_pending_read(apokee):
    s = await apokee.sessions.create()
    turn = await s.send("slow sleep_ms=60000")
    assert (await turn.__anext__()).type == "message.created"
    task = asyncio.ensure_future(turn.__anext__())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The turn is still readable after the abandoned read, and cancellable on the server.
    await turn.cancel()
    rest = [ev.type async for ev in turn]
    assert rest[-1] == "message.cancelled"


async def test_files(apokee, emulator, tmp_path):
    s = await apokee.sessions.create(persistent=True)
    async for _ in await s.send("a ppt about Q3"):
        pass
    assert [e.name for e in await s.files.list("output")] == ["deck.pptx"]
    progress = []
    dest = await s.files.download(
        "output/deck.pptx", tmp_path / "deck.pptx", on_progress=lambda d, t: progress.append(d)
    )
    assert dest.read_bytes().startswith(b"PK\x03\x04") and progress[-1] == 4096
    payload = os.urandom(1024 * 1024 + 3)
    src = tmp_path / "up.bin"
    src.write_bytes(payload)
    up = await s.files.upload("inputs/up.bin", src, on_progress=lambda d, t: None)
    assert up.size == len(payload)
    back = await s.files.read("inputs/up.bin")
    assert hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()
    assert (await s.files.upload("inputs/small.txt", b"hi")).size == 2
    assert await s.files.read("inputs/small.txt", start=1) == b"i"
    assert await s.files.delete("inputs/small.txt") is None
    with pytest.raises(poke.NotFoundError):
        await s.files.read("inputs/small.txt")
    with pytest.raises(poke.InvalidRequestError):
        await s.files.read("../etc/passwd")
    with pytest.raises(poke.RangeNotSatisfiableError):
        await s.files.read("inputs/up.bin", start=10**9)


async def test_errors(apokee, emulator):
    s = await apokee.sessions.create()
    async for _ in await s.send("x", idempotency_key="k1"):
        pass
    with pytest.raises(poke.UnprocessableEntityError):
        await s.send("y", idempotency_key="k1")
    emulator.configure_sessions(credits_mode="hard", credits_balance=0)
    with pytest.raises(poke.PaymentRequiredError):
        await s.send("z")
    emulator.configure_sessions(upload_limit_bytes=1)
    with pytest.raises(poke.PayloadTooLargeError):
        await s.files.upload("a.txt", b"ab")
    with pytest.raises(poke.InvalidRequestError):
        await apokee.sessions.get("..")


async def test_concurrent_turns_on_many_sessions(apokee, emulator):
    emulator.configure_sessions(pace_ms=1)
    sessions = [await apokee.sessions.create() for _ in range(5)]

    async def run(s):
        return [ev.id async for ev in await s.send("events=30")]

    results = await asyncio.gather(*(run(s) for s in sessions))
    assert results == [expected_ids(30)] * 5


async def test_progress_callbacks_run_on_the_event_loop_thread(apokee, emulator, tmp_path):
    loop_thread = threading.get_ident()
    emulator.put_workspace_file("output/big.bin", os.urandom(3 * 1024 * 1024))
    s = await apokee.sessions.create()
    threads = set()
    progress = []

    def on_progress(done, total):
        threads.add(threading.get_ident())
        progress.append(done)

    await s.files.download("output/big.bin", tmp_path / "big.bin", on_progress=on_progress)
    assert threads == {loop_thread} and progress[-1] == 3 * 1024 * 1024
    src = tmp_path / "big.bin"
    await s.files.upload("inputs/big.bin", src, on_progress=on_progress)
    turn = await s.send("events=20 pace_ms=10")
    await turn.aclose()
    await s.wait(poll_interval=0.01, on_progress=lambda r: threads.add(threading.get_ident()))
    assert threads == {loop_thread}

    def fail(done, total):
        if done:
            raise LookupError("stop here")

    with pytest.raises(LookupError, match="stop here"):
        await s.files.download("output/big.bin", tmp_path / "again.bin", on_progress=fail)
    assert not (tmp_path / "again.bin").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]


async def test_cancelled_reads_never_lose_an_event(apokee):
    """Reads cancelled at random moments (often just as an event arrives): every event is
    still delivered once, in order, to the reads that complete."""
    import random

    rng = random.Random(7)
    s = await apokee.sessions.create()
    turn = await s.send("events=400 pace_ms=1")
    got, cancelled = [], 0
    while True:
        read = asyncio.ensure_future(turn.__anext__())
        done, _ = await asyncio.wait({read}, timeout=rng.choice([0, 0.0005, 0.001, 0.002]))
        if not done:
            read.cancel()
            cancelled += 1
        try:
            got.append((await read).id)
        except asyncio.CancelledError:
            continue
        except StopAsyncIteration:
            break
    assert got == expected_ids(400)
    assert cancelled > 50


async def test_concurrent_reads_share_a_turn_in_order(apokee, emulator):
    """Reads issued together (some served from events already read ahead, some waiting on
    the network) each get a distinct event, in order; the end is raised on `await`."""
    emulator.configure_sessions(pace_ms=0)
    s = await apokee.sessions.create()
    turn = await s.send("events=300 pace_ms=1")
    got = []
    while True:
        results = await asyncio.gather(
            *(asyncio.wait_for(turn.__anext__(), 10) for _ in range(7)), return_exceptions=True
        )
        got += [r.id for r in results if isinstance(r, poke.Event)]
        ends = [r for r in results if not isinstance(r, poke.Event)]
        if ends:
            assert all(isinstance(e, StopAsyncIteration) for e in ends)
            break
    assert got == expected_ids(300)
    assert turn.is_finished
