"""Test helpers: start the bundled emulator in-process on a free loopback port.

from poke.testing import emulator

def test_send(emulator):              # as a pytest fixture (pytest_plugins = ["poke.testing"])
    client = Poke(api_key="k", base_url=emulator.poke_api_url)

with start_emulator() as emu:          # or as a context manager
    ...

Faking a turn
-------------
Against the emulator, a turn's events are scripted: the magic words of the message
(``events=20 pace_ms=10``, ``tool=get_weather``, ``error=boom``), or exactly, with
``emu.script_turn(session_id, {"events": [...], "pace_ms": 0})`` before ``session.send``;
faults (``emu.add_fault(path=..., drop_after_events=3)``) cut the stream to test resuming.

Without a server, build the events yourself: ``poke.Event(type="text.delta",
data={"content": "hi"}, id="1")`` (or ``raw=`` for the exact payload text) and records such
as ``poke.SessionRecord(id="sess_1", status="ready")``; they compare by value and pickle, so
a fake ``Session`` can hand them out (``unittest.mock.patch.object(session, "send", ...)``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Optional

from ._poke import Emulator

__all__ = ["Emulator", "emulator", "start_emulator"]


@contextlib.contextmanager
def start_emulator(
    *, api_key: Optional[str] = None, port: int = 0, tls: bool = False
) -> Iterator[Emulator]:
    """Starts an emulator for the duration of the block and shuts it down afterwards.

    With ``tls=True`` it serves HTTPS with a throwaway CA (``emu.tls_ca_pem``).
    """
    emu = Emulator(host="127.0.0.1", port=port, api_key=api_key, tls=tls)
    try:
        yield emu
    finally:
        emu.shutdown()


try:
    import pytest

    @pytest.fixture
    def emulator() -> Iterator[Emulator]:
        """A fresh emulator per test."""
        with start_emulator() as emu:
            yield emu

except ImportError:  # pytest is optional
    pass
