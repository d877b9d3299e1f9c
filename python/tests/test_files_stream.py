"""Streamed downloads: ``files.iter_bytes`` (sync and async) and ``files.download(fileobj)``.

Real HTTP against the emulator (or a loopback server where the test needs to see the
connection close); faults come from the emulator's control API.
"""

from __future__ import annotations

import _thread
import asyncio
import hashlib
import http.server
import io
import os
import subprocess
import sys
import tempfile
import textwrap
import threading

import poke
import pytest
from conftest import KEY, configure_sessions, headers_of, serve_http, session_requests

MIB = 1024 * 1024


def text_file(size: int) -> bytes:
    """`size` bytes of numbered lines (text, so a fault can carry it as its body)."""
    lines = b"".join(b"line %08d\n" % i for i in range(size // 14 + 1))
    return lines[:size]


@pytest.mark.parametrize("size", [0, 1, 5000, 3 * MIB + 17])
def test_iter_bytes_yields_the_whole_file(session, emulator, size):
    data = os.urandom(size)
    emulator.put_workspace_file("output/f.bin", data)
    with session.files.iter_bytes("output/f.bin") as stream:
        assert isinstance(stream, poke.ByteStream)
        chunks = list(stream)
        assert stream.bytes_read == size
        assert stream.content_length == size
    assert all(isinstance(c, bytes) and c for c in chunks)
    assert b"".join(chunks) == data
    # Chunks are bounded: the read-ahead hands over blocks of about 256 KiB.
    assert all(len(c) <= MIB for c in chunks)
    # After the end, the iterator stays exhausted.
    assert next(stream, None) is None


@pytest.mark.parametrize("size", [0, 5000, 3 * MIB + 17])
async def test_async_iter_bytes_yields_the_whole_file(apokee, emulator, size):
    data = os.urandom(size)
    emulator.put_workspace_file("output/f.bin", data)
    s = await apokee.sessions.create()
    async with s.files.iter_bytes("output/f.bin") as stream:
        assert isinstance(stream, poke.AsyncByteStream)
        chunks = [c async for c in stream]
        assert stream.bytes_read == size
    assert b"".join(chunks) == data
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


def test_a_byte_range(session, emulator):
    data = os.urandom(MIB)
    emulator.put_workspace_file("output/f.bin", data)
    got = b"".join(session.files.iter_bytes("output/f.bin", start=1000, end=300_999))
    assert got == data[1000:301_000]
    assert b"".join(session.files.iter_bytes("output/f.bin", start=MIB - 10)) == data[-10:]
    ranges = [headers_of(r).get("range") for r in session_requests(emulator, "/files/output/f.bin")]
    assert ranges == ["bytes=1000-300999", "bytes=1048566-"]


async def test_an_async_byte_range(apokee, emulator):
    data = os.urandom(100_000)
    emulator.put_workspace_file("output/f.bin", data)
    s = await apokee.sessions.create()
    got = b"".join([c async for c in s.files.iter_bytes("output/f.bin", start=10, end=19)])
    assert got == data[10:20]


def cut_once(emulator, session_id: str, path: str, data: bytes, keep: int) -> None:
    """The next GET of `path` announces all of `data` but sends `keep` bytes, then cuts."""
    emulator.add_fault(
        method="GET",
        path=f"/v1/sessions/{session_id}/files/{path}",
        status=200,
        headers={"content-type": "application/octet-stream"},
        body=data.decode(),
        drop_after_bytes=keep,
    )


def test_a_cut_connection_is_resumed_without_losing_or_repeating_a_byte(session, emulator):
    data = text_file(2 * MIB + 5)
    emulator.put_workspace_file("output/log.txt", data)
    cut_once(emulator, session.id, "output/log.txt", data, 700_001)
    emulator.clear_requests()
    got = b"".join(session.files.iter_bytes("output/log.txt"))
    assert len(got) == len(data)
    assert got == data
    gets = session_requests(emulator, "/files/output/log.txt")
    assert [headers_of(r).get("range") for r in gets] == [None, "bytes=700001-"]


async def test_async_a_cut_connection_is_resumed(apokee, emulator):
    data = text_file(MIB)
    emulator.put_workspace_file("output/log.txt", data)
    s = await apokee.sessions.create()
    cut_once(emulator, s.id, "output/log.txt", data, 12_345)
    out = io.BytesIO()
    assert await s.files.download("output/log.txt", out) == len(data)
    assert out.getvalue() == data


def test_a_missing_file_raises_what_read_raises(session):
    with pytest.raises(poke.NotFoundError) as read_error:
        session.files.read("output/missing.bin")
    stream = session.files.iter_bytes("output/missing.bin")
    with pytest.raises(poke.NotFoundError) as stream_error:
        next(stream)
    assert stream_error.value.status == read_error.value.status == 404
    assert str(stream_error.value) == str(read_error.value)
    # The failure is raised once; the stream is over afterwards.
    assert list(stream) == []
    with pytest.raises(poke.NotFoundError):
        session.files.download("output/missing.bin", io.BytesIO())


async def test_async_a_missing_file_raises_not_found(apokee):
    s = await apokee.sessions.create()
    with pytest.raises(poke.NotFoundError):
        async for _ in s.files.iter_bytes("output/missing.bin"):
            pass
    with pytest.raises(poke.NotFoundError):
        await s.files.download("output/missing.bin", io.BytesIO())


class _Endless(http.server.BaseHTTPRequestHandler):
    """A session record for `GET /v1/sessions/sess_x`; any file is an endless body (announced
    as 1 GiB), written until the client goes away, which sets `gone`."""

    gone = threading.Event()
    sent = 0

    def do_GET(self):
        if self.path == "/v1/sessions/sess_x":
            body = b'{"id": "sess_x", "status": "ready"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        block = b"z" * 65536
        try:
            while True:
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:
            type(self).gone.set()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def endless_server():
    _Endless.gone = threading.Event()
    _Endless.sent = 0
    with serve_http(_Endless) as url:
        yield url


def test_close_mid_stream_stops_the_download(endless_server):
    files = poke.Pokee(api_key=KEY, base_url=endless_server).sessions.get("sess_x").files
    stream = files.iter_bytes("big.bin")
    assert len(next(stream)) > 0
    stream.close()
    # The connection is closed: the server's next write fails. (A generous bound: it only
    # keeps a test that would fail from hanging.)
    assert _Endless.gone.wait(30)
    assert list(stream) == []
    assert _Endless.sent < 64 * MIB


def test_leaving_the_with_block_early_stops_the_download(endless_server):
    files = poke.Pokee(api_key=KEY, base_url=endless_server).sessions.get("sess_x").files
    read = 0
    with files.iter_bytes("big.bin") as stream:
        for chunk in stream:
            read += len(chunk)
            if read > 2 * MIB:
                break
    assert _Endless.gone.wait(30)
    assert next(stream, None) is None


async def test_async_aclose_and_leaving_async_with_stop_the_download(endless_server):
    client = poke.AsyncPokee(api_key=KEY, base_url=endless_server)
    files = (await client.sessions.get("sess_x")).files
    async with files.iter_bytes("big.bin") as stream:
        async for _ in stream:
            break
    assert await asyncio.to_thread(_Endless.gone.wait, 30)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()

    _Endless.gone.clear()
    stream = files.iter_bytes("big.bin")
    assert len(await stream.__anext__()) > 0
    await stream.aclose()
    assert await asyncio.to_thread(_Endless.gone.wait, 30)


async def test_a_cancelled_async_read_loses_no_byte(apokee, emulator):
    data = os.urandom(2 * MIB)
    emulator.put_workspace_file("output/f.bin", data)
    s = await apokee.sessions.create()
    # The server waits before answering, so the first read is pending when it is cancelled.
    emulator.add_fault(method="GET", path=f"/v1/sessions/{s.id}/files/output/f.bin", delay_ms=300)
    stream = s.files.iter_bytes("output/f.bin")
    pending = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)
    assert not pending.done()
    # Only one read waits at a time, as with an async generator.
    with pytest.raises(RuntimeError):
        await stream.__anext__()
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    got = b"".join([c async for c in stream])
    assert got == data


def test_ctrl_c_during_a_wait_raises_and_loses_no_byte(session, emulator):
    data = os.urandom(MIB)
    emulator.put_workspace_file("output/f.bin", data)
    # The answer comes late, so next() is waiting (GIL released) when the interrupt comes.
    emulator.add_fault(
        method="GET", path=f"/v1/sessions/{session.id}/files/output/f.bin", delay_ms=500
    )
    stream = session.files.iter_bytes("output/f.bin")
    timer = threading.Timer(0.1, _thread.interrupt_main)
    got = bytearray()
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            got += next(stream)
    finally:
        timer.cancel()
        timer.join()
    assert got == b""
    for chunk in stream:
        got += chunk
    assert got == data


def test_download_into_bytesio_an_open_file_and_a_spooled_file(session, emulator, tmp_path):
    data = os.urandom(3 * MIB + 1)
    emulator.put_workspace_file("output/f.bin", data)
    buf = io.BytesIO()
    progress = []
    n = session.files.download(
        "output/f.bin", buf, on_progress=lambda d, t: progress.append((d, t))
    )
    assert n == len(data) and isinstance(n, int)
    assert buf.getvalue() == data
    assert progress[-1] == (len(data), len(data))
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)

    with open(tmp_path / "out.bin", "wb") as f:
        f.write(b"head:")
        assert session.files.download("output/f.bin", f) == len(data)
    assert (tmp_path / "out.bin").read_bytes() == b"head:" + data

    # Unbuffered: a raw file may write fewer bytes than given; the rest is written too.
    with open(tmp_path / "raw.bin", "wb", buffering=0) as f:
        assert session.files.download("output/f.bin", f) == len(data)
    assert (tmp_path / "raw.bin").read_bytes() == data

    with tempfile.SpooledTemporaryFile(max_size=MIB) as f:
        assert session.files.download("output/f.bin", f) == len(data)
        f.seek(0)
        assert f.read() == data

    # A path still saves a file and returns its path.
    assert session.files.download("output/f.bin", tmp_path / "p.bin") == tmp_path / "p.bin"


class _Short:
    """A raw writer that takes at most 1000 bytes per call."""

    def __init__(self):
        self.data = bytearray()

    def write(self, b):
        taken = bytes(b[:1000])
        self.data += taken
        return len(taken)


def test_short_writes_are_completed(session, emulator):
    data = os.urandom(300_000)
    emulator.put_workspace_file("output/f.bin", data)
    out = _Short()
    assert session.files.download("output/f.bin", out) == len(data)
    assert bytes(out.data) == data


async def test_async_download_into_bytesio_and_an_async_writer(apokee, emulator, tmp_path):
    data = os.urandom(3 * MIB + 1)
    emulator.put_workspace_file("output/f.bin", data)
    s = await apokee.sessions.create()
    buf = io.BytesIO()
    assert await s.files.download("output/f.bin", buf) == len(data)
    assert buf.getvalue() == data

    class AsyncWriter:
        def __init__(self):
            self.data = bytearray()

        async def write(self, b):
            await asyncio.sleep(0)
            self.data += b
            return len(b)

    w = AsyncWriter()
    assert await s.files.download("output/f.bin", w) == len(data)
    assert bytes(w.data) == data
    with open(tmp_path / "out.bin", "wb") as f:
        assert await s.files.download("output/f.bin", f) == len(data)
    assert (tmp_path / "out.bin").read_bytes() == data
    assert await s.files.download("output/f.bin", tmp_path / "p.bin") == tmp_path / "p.bin"


class DiskFull(Exception):
    pass


class _FailingWriter:
    def __init__(self, after: int):
        self.after = after
        self.calls = 0

    def write(self, b):
        self.calls += 1
        if self.calls > self.after:
            raise DiskFull("no space left")
        return len(b)


def test_a_failing_write_propagates_and_stops_the_download(endless_server):
    files = poke.Pokee(api_key=KEY, base_url=endless_server).sessions.get("sess_x").files
    w = _FailingWriter(after=3)
    with pytest.raises(DiskFull, match="no space left"):
        files.download("big.bin", w)
    assert w.calls == 4
    assert _Endless.gone.wait(30)


async def test_async_a_failing_write_propagates(apokee, emulator):
    emulator.put_workspace_file("output/f.bin", os.urandom(2 * MIB))
    s = await apokee.sessions.create()
    w = _FailingWriter(after=0)
    with pytest.raises(DiskFull):
        await s.files.download("output/f.bin", w)
    assert w.calls == 1


def test_the_stream_is_not_picklable_and_has_a_repr(session, emulator):
    import pickle

    emulator.put_workspace_file("output/f.bin", b"abc")
    stream = session.files.iter_bytes("output/f.bin")
    assert repr(stream) == "ByteStream(path='output/f.bin', bytes_read=0)"
    with pytest.raises(TypeError):
        pickle.dumps(stream)
    assert stream.content_length is None  # nothing sent yet
    assert b"".join(stream) == b"abc"
    assert repr(stream) == "ByteStream(path='output/f.bin', bytes_read=3)"


# --- memory

SIZE = 200 * MIB


MEMORY_SCRIPT = textwrap.dedent(
    """
    import asyncio, hashlib, sys, time
    from poke import AsyncPokee, Pokee

    def hwm_kib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])

    url, src, mode = sys.argv[1:4]
    client = Pokee(api_key="k", base_url=url)
    session = client.sessions.create(persistent=True)
    session.files.upload("input/big.bin", src)
    before = hwm_kib()
    h = hashlib.sha256()
    if mode == "sync":
        with session.files.iter_bytes("input/big.bin") as stream:
            for chunk in stream:
                h.update(chunk)
                time.sleep(0.001)  # a slow consumer: the network is faster
    else:
        async def main():
            s = await AsyncPokee(api_key="k", base_url=url).sessions.get(session.id)
            async with s.files.iter_bytes("input/big.bin") as stream:
                async for chunk in stream:
                    h.update(chunk)
                    await asyncio.sleep(0.001)
        asyncio.run(main())
    print(before, hwm_kib(), h.hexdigest())
    """
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_streaming_200_mb_slowly_keeps_memory_bounded(emulator_process, tmp_path, mode):
    url = emulator_process
    configure_sessions(url, upload_limit_bytes=SIZE + 1024)
    src = tmp_path / "big.bin"
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    with open(src, "wb") as f:
        for _ in range(SIZE // MIB):
            f.write(block)
            digest.update(block)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, url, str(src), mode],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    before_kib, after_kib, hexdigest = out.stdout.split()
    growth_mib = (int(after_kib) - int(before_kib)) / 1024
    print(f"\n{SIZE >> 20} MiB streamed ({mode}): peak RSS growth {growth_mib:.1f} MiB")
    assert hexdigest == digest.hexdigest()
    assert growth_mib < 64, f"peak RSS grew by {growth_mib:.1f} MiB while streaming"
