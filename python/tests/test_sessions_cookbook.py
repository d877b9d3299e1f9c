"""The long-running presentation cookbook against the emulator: the spec's own httpx code,
unchanged, and the same flow written with Pokee and AsyncPokee."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
COOKBOOK = REPO / ".." / "shared" / "spec" / "cookbook_long_running_presentation.py"
MESSAGE = "Build a Temasek-style PPT on Q3 NVIDIA performance."


def test_the_cookbook_code_runs_unchanged(emulator, tmp_path):
    if not COOKBOOK.is_file():
        pytest.skip(
            f"cookbook not found at {COOKBOOK.resolve()} (the shared spec folder is absent)"
        )
    pytest.importorskip("httpx", reason="the cookbook uses httpx")
    env = {**os.environ, "POKEE_API": emulator.pokee_api_url, "POKEE_KEY": "any-key"}
    done = subprocess.run(
        [sys.executable, str(COOKBOOK)],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    deck = tmp_path / "deck.pptx"
    assert deck.read_bytes().startswith(b"PK\x03\x04") and deck.stat().st_size == 4096
    (live,) = emulator.sessions()
    assert live["persistent"] and not live["busy"]
    assert live["metadata"]["temasek_status"] == "done"
    sid = live["id"]
    requests = [(r["method"], r["target"]) for r in emulator.requests()]
    assert requests[:2] == [("POST", "/v1/sessions"), ("POST", f"/v1/sessions/{sid}/messages")]
    assert ("GET", f"/v1/sessions/{sid}/files?path=output") in requests
    assert requests[-1] == ("GET", f"/v1/sessions/{sid}/files/output/deck.pptx")


def test_the_cookbook_flow_with_pokee(pokee, tmp_path):
    session = pokee.sessions.create(persistent=True, ttl=14400)
    with session.send(MESSAGE) as turn:
        for event in turn:
            if event.type in ("message.completed", "message.error"):
                break
    record = session.wait(poll_interval=0.05)
    assert record.progress("temasek_status") == "done"
    pptx = next(f for f in session.files.list("output") if f.name.endswith(".pptx"))
    saved = session.files.download(f"output/{pptx.name}", tmp_path / pptx.name)
    assert saved.read_bytes().startswith(b"PK\x03\x04")
    session.delete()
    assert pokee.sessions.delete_many(status="idle", older_than=3600).deleted == 0


async def test_the_cookbook_flow_with_async_pokee(apokee, tmp_path):
    session = await apokee.sessions.create(persistent=True, ttl=14400)
    async with await session.send(MESSAGE) as turn:
        async for event in turn:
            if event.is_terminal:
                break
    assert event.type == "message.completed"
    await session.wait(poll_interval=0.05)
    pptx = next(f for f in await session.files.list("output") if f.name.endswith(".pptx"))
    saved = await session.files.download(f"output/{pptx.name}", tmp_path / pptx.name)
    assert saved.stat().st_size == pptx.size
    await session.delete()
