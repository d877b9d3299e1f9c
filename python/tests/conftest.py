"""Shared fixtures: a fresh in-process emulator per test and an isolated environment."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import subprocess
import sys
import threading
import urllib.request

import poke
import pytest
from poke.testing import start_emulator

KEY = "test-key"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No test sees the developer's real credentials or endpoints."""
    for var in ("POKE_API_KEY", "POKE_API", "POKEE_KEY", "POKEE_API", "POKE_LOG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def emulator():
    with start_emulator() as emu:
        yield emu


@pytest.fixture
def client(emulator):
    return poke.Poke(api_key=KEY, base_url=emulator.poke_api_url)


@pytest.fixture
def aclient(emulator):
    return poke.AsyncPoke(api_key=KEY, base_url=emulator.poke_api_url)


@pytest.fixture
def emulator_process():
    """The URL of an emulator in a process of its own (so a child's RSS is the client's)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "poke.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"poke emulator listening on (\S+)\n", line)
        assert m, line
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def configure_sessions(url: str, **config) -> None:
    """Sets the emulator's session config (limits, pace) through its control API."""
    req = urllib.request.Request(
        url + "/_emulator/sessions/config",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=10).read()


def headers_of(request: dict) -> dict:
    """Lower-cased header dict of a journal entry."""
    return {k: v for k, v in request["headers"]}


def api_requests(emulator) -> list:
    return [r for r in emulator.requests() if r["path"].startswith("/api/")]


def body_json(request: dict):
    return json.loads(request["body"])


@pytest.fixture
def pokee(emulator):
    """A blocking Pokee client on the emulator's sessions API."""
    return poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url)


@pytest.fixture
def apokee(emulator):
    """An asyncio Pokee client on the emulator's sessions API."""
    return poke.AsyncPokee(api_key=KEY, base_url=emulator.pokee_api_url)


@pytest.fixture
def session(pokee):
    """A fresh persistent session."""
    return pokee.sessions.create(persistent=True)


def session_requests(emulator, suffix: str = "") -> list:
    """Journal entries of the sessions API (`/v1/...`) whose path ends with `suffix`."""
    return [
        r
        for r in emulator.requests()
        if r["path"].startswith("/v1/") and r["path"].endswith(suffix)
    ]


@contextlib.contextmanager
def serve_http(handler: type):
    """A threaded loopback HTTP server with `handler`; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
