"""A process forked after the first call (gunicorn --preload, celery prefork, multiprocessing
with fork) works with a new client; an inherited client refuses with a clear error."""

from __future__ import annotations

import multiprocessing
import os
import sys

import poke
import pytest
from conftest import KEY

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="fork() is a POSIX start method",
)


def _child(url: str, inherited: poke.Poke, out) -> None:
    try:
        inherited.send_message("inherited")
        out.send(("inherited", "no error"))
    except poke.PokeError as e:
        out.send(("inherited", str(e)))
    fresh = poke.Poke(api_key=KEY, base_url=url)
    out.send(("fresh", fresh.send_message("from the child")))
    sessions = poke.Pokee(api_key=KEY, base_url=url.replace("/api/v1", ""))
    out.send(("pokee", sessions.health()))


def test_a_forked_child_makes_a_new_client_and_refuses_the_inherited_one(emulator):
    url = emulator.poke_api_url
    parent = poke.Poke(api_key=KEY, base_url=url)
    parent.send_message("before the fork")  # runtime, lanes and pool now exist
    ctx = multiprocessing.get_context("fork")
    rx, tx = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(url, parent, tx))
    child.start()
    got = {}
    for _ in range(3):
        assert rx.poll(30), "the child hung"
        key, value = rx.recv()
        got[key] = value
    child.join(30)
    assert child.exitcode == 0
    assert "created in another process" in got["inherited"]
    assert got["fresh"]["success"] is True
    assert got["pokee"]
    # The parent's client still works, and the emulator saw both real messages.
    parent.send_message("after the fork")
    texts = [m["message"] for m in emulator.messages()]
    assert texts == ["before the fork", "from the child", "after the fork"]
    assert os.getpid() != child.pid
