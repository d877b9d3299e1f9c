"""Test helpers: start the bundled emulator in-process on a free loopback port.

from poke.testing import emulator

def test_send(emulator):              # as a pytest fixture (pytest_plugins = ["poke.testing"])
    client = Poke(api_key="k", base_url=emulator.poke_api_url)

with start_emulator() as emu:          # or as a context manager
    ...
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
