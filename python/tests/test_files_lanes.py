"""File calls that move bytes (`upload`, `read`, `download`, `iter_bytes`) run on lanes of the
client: per-call options still apply when a lane is reused, an awaited call stops when its task
is cancelled, and many round trips keep the client's memory flat (issue 20).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import poke
import pytest
from conftest import KEY

MIB = 1024 * 1024


def file_url(session_id: str, path: str) -> str:
    return f"/v1/sessions/{session_id}/files/{path}"


# --- per-call options on a reused lane

OPERATIONS = {
    "read": lambda files, **kw: files.read("output/f.bin", **kw),
    "download": lambda files, tmp, **kw: files.download("output/f.bin", tmp / "f.bin", **kw),
    "upload": lambda files, **kw: files.upload("input/u.bin", b"u" * 100, **kw),
}


def stall(emulator, session_id: str, op: str) -> None:
    """The next request of `op` gets no answer for 3 s."""
    method, path = ("PUT", "input/u.bin") if op == "upload" else ("GET", "output/f.bin")
    emulator.add_fault(method=method, path=file_url(session_id, path), stall_ms=3000, times=1)


def run_op(files, op: str, tmp, **kw):
    if op == "download":
        return OPERATIONS[op](files, tmp, **kw)
    return OPERATIONS[op](files, **kw)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_a_per_call_timeout_applies_on_a_reused_lane(pokee, emulator, tmp_path, op):
    emulator.put_workspace_file("output/f.bin", b"x" * 1000)
    s = pokee.sessions.create()
    # The first call makes the lane, with the client's options (no timeout to speak of).
    run_op(s.files, op, tmp_path)
    stall(emulator, s.id, op)
    with pytest.raises(poke.APITimeoutError):
        run_op(s.files, op, tmp_path, timeout=0.3, max_retries=0)
    # The lane is not spoiled for the next call either.
    run_op(s.files, op, tmp_path)


def test_a_per_call_timeout_applies_to_iter_bytes_on_a_reused_lane(pokee, emulator):
    emulator.put_workspace_file("output/f.bin", b"x" * 1000)
    s = pokee.sessions.create()
    assert b"".join(s.files.iter_bytes("output/f.bin")) == b"x" * 1000
    stall(emulator, s.id, "read")
    with pytest.raises(poke.APITimeoutError):
        b"".join(s.files.iter_bytes("output/f.bin", timeout=0.3, max_retries=0))


@pytest.mark.parametrize("op", sorted(OPERATIONS))
async def test_an_awaited_call_takes_its_per_call_timeout(apokee, emulator, tmp_path, op):
    emulator.put_workspace_file("output/f.bin", b"x" * 1000)
    s = await apokee.sessions.create()
    await run_op(s.files, op, tmp_path)
    stall(emulator, s.id, op)
    with pytest.raises(poke.APITimeoutError):
        await run_op(s.files, op, tmp_path, timeout=0.3, max_retries=0)
    await run_op(s.files, op, tmp_path)


# --- cancelling an awaited call


async def test_cancelling_an_awaited_download_stops_it(apokee, emulator, tmp_path):
    emulator.put_workspace_file("output/f.bin", os.urandom(MIB))
    s = await apokee.sessions.create()
    dest = tmp_path / "f.bin"
    emulator.add_fault(method="GET", path=file_url(s.id, "output/f.bin"), delay_ms=500)
    task = asyncio.ensure_future(s.files.download("output/f.bin", dest))
    await asyncio.sleep(0.1)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Had the call gone on, the file would be written when the server answers (after 0.5 s).
    await asyncio.sleep(1.0)
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []
    assert await s.files.download("output/f.bin", dest) == dest


async def test_cancelling_an_awaited_upload_stops_it(apokee, emulator):
    s = await apokee.sessions.create()
    emulator.add_fault(method="PUT", path=file_url(s.id, "input/u.bin"), delay_ms=500)
    task = asyncio.ensure_future(s.files.upload("input/u.bin", b"u" * 1000))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(1.0)
    assert [e.path for e in await s.files.list()] == []
    await s.files.upload("input/u.bin", b"v" * 10)
    assert await s.files.read("input/u.bin") == b"v" * 10


async def test_gathered_reads_each_get_their_own_file(apokee, emulator):
    blobs = {f"output/{i}.bin": os.urandom(MIB + i) for i in range(8)}
    for path, data in blobs.items():
        emulator.put_workspace_file(path, data)
    s = await apokee.sessions.create()
    for path in blobs:
        emulator.add_fault(method="GET", path=file_url(s.id, path), delay_ms=300, times=1)
    got = await asyncio.gather(*(s.files.read(p) for p in blobs))
    assert got == list(blobs.values())


def test_uploads_of_every_buffer_type_send_their_bytes_as_they_were(session):
    data = bytearray(os.urandom(3 * MIB))
    session.files.upload("input/a.bin", data)
    session.files.upload("input/m.bin", memoryview(data)[MIB:])
    session.files.upload("input/b.bin", bytes(data))
    assert session.files.read("input/a.bin") == data
    assert session.files.read("input/m.bin") == data[MIB:]
    assert session.files.read("input/b.bin") == data


async def test_a_bytearray_changed_while_its_upload_waits_is_sent_as_it_was(apokee, emulator):
    s = await apokee.sessions.create()
    data = bytearray(b"a" * 1000)
    emulator.add_fault(method="PUT", path=file_url(s.id, "input/u.bin"), delay_ms=300)
    task = asyncio.ensure_future(s.files.upload("input/u.bin", data))
    await asyncio.sleep(0.05)
    data[:] = b"b" * 1000
    await task
    assert await s.files.read("input/u.bin") == b"a" * 1000


# --- memory over many round trips

ROUND_TRIPS = textwrap.dedent(
    """
    import asyncio, random, sys
    import poke

    def rss_mib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    url, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(20)
    blobs = [rng.randbytes(rng.randrange(1, 2 << 20)) for _ in range(16)]
    marks = []

    def step(i, ok):
        assert ok, i
        if i == 1 or i == n - 1:
            marks.append(rss_mib())

    if mode == "sync":
        s = poke.Pokee(api_key="k", base_url=url).sessions.create()
        for i in range(n):
            s.files.upload(f"in/{i % 16}.bin", blobs[i % 16])
            step(i, s.files.read(f"in/{i % 16}.bin") == blobs[i % 16])
    else:
        async def main():
            s = await poke.AsyncPokee(api_key="k", base_url=url).sessions.create()
            for i in range(n):
                await s.files.upload(f"in/{i % 16}.bin", blobs[i % 16])
                step(i, await s.files.read(f"in/{i % 16}.bin") == blobs[i % 16])
        asyncio.run(main())
    print(*marks)
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_file_round_trips_keep_memory_flat(emulator_process, mode):
    # 200 uploads and reads of up to 2 MiB. Before uploads sent the `bytes` object itself and
    # these calls ran on lanes, RSS grew by 60-100 MiB after the first two (memory freed by
    # another thread than the one that made it stays with mimalloc); now by under 10 MiB.
    out = subprocess.run(
        [sys.executable, "-c", ROUND_TRIPS, emulator_process, mode, "200"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "POKE_API_KEY": KEY},
    )
    assert out.returncode == 0, out.stderr
    warm, end = map(float, out.stdout.split())
    print(f"\n{mode}: RSS {warm:.1f} MiB after 2 round trips, {end:.1f} MiB after 200")
    assert end - warm < 24, f"RSS grew by {end - warm:.1f} MiB after the first two"
