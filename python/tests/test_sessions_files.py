"""Pokee: workspace files through a session (list, download, read, upload, delete)."""

from __future__ import annotations

import hashlib
import http.server
import os
import pathlib
import threading

import poke
import pytest
from conftest import KEY, serve_http, session_requests

BAD_PATHS = ["", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a\\b", "a\x00b", "x/"]


def part_files(directory: pathlib.Path) -> list:
    return [p.name for p in directory.iterdir() if p.name.endswith(".part")]


def test_list_download_and_read_the_generated_deck(session, tmp_path, monkeypatch):
    list(session.send("Make me a slide deck about Q3"))
    root = session.files.list()
    assert [(e.name, e.type, e.is_dir) for e in root] == [("output", "directory", True)]
    entries = session.files.list("output")
    assert [e.name for e in entries] == ["deck.pptx"]
    deck = entries[0]
    assert isinstance(deck, poke.FileEntry)
    assert deck.is_file and deck.type == "file" and deck.size == 4096
    assert isinstance(deck.modified, float)
    assert deck.to_dict() == {
        "name": "deck.pptx",
        "type": "file",
        "size": 4096,
        "modified": deck.modified,
    }

    progress = []
    dest = session.files.download(
        "output/deck.pptx", tmp_path / "deck.pptx", on_progress=lambda d, t: progress.append((d, t))
    )
    assert dest == tmp_path / "deck.pptx" and isinstance(dest, pathlib.Path)
    data = dest.read_bytes()
    assert len(data) == 4096 and data.startswith(b"PK\x03\x04")
    assert progress[0] == (0, 4096) and progress[-1] == (4096, 4096)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)

    monkeypatch.chdir(tmp_path / ".")
    (tmp_path / "deck.pptx").unlink()
    assert session.files.download("output/deck.pptx") == pathlib.Path("deck.pptx")
    assert (tmp_path / "deck.pptx").read_bytes() == data
    assert session.files.download("output/deck.pptx", str(tmp_path / "b.pptx")).exists()

    assert session.files.read("output/deck.pptx") == data
    assert session.files.read("output/deck.pptx", start=4, end=9) == data[4:10]
    assert session.files.read("output/deck.pptx", start=4090) == data[4090:]


def test_upload_bytes_and_files_round_trip(session, emulator, tmp_path):
    payload = os.urandom(3 * 1024 * 1024 + 7)
    src = tmp_path / "notes.bin"
    src.write_bytes(payload)
    progress = []
    result = session.files.upload(
        "inputs/notes.bin", src, on_progress=lambda d, t: progress.append((d, t))
    )
    assert isinstance(result, poke.UploadResult)
    assert result.path == "inputs/notes.bin" and result.size == len(payload)
    assert progress[-1] == (len(payload), len(payload)) and len(progress) > 1
    digest = hashlib.sha256(payload).hexdigest()
    assert hashlib.sha256(emulator.workspace_file("inputs/notes.bin")).hexdigest() == digest
    assert hashlib.sha256(session.files.read("inputs/notes.bin")).hexdigest() == digest

    assert session.files.upload("inputs/a.txt", b"hello").size == 5
    assert session.files.upload("inputs/b.txt", bytearray(b"abc")).size == 3
    assert session.files.upload("inputs/c.txt", memoryview(b"xyz")).size == 3
    assert session.files.upload("inputs/d.bin", str(src)).size == len(payload)
    assert session.files.read("inputs/b.txt") == b"abc"
    assert session.files.read("inputs/c.txt") == b"xyz"
    assert [e.name for e in session.files.list("inputs")] == [
        "a.txt",
        "b.txt",
        "c.txt",
        "d.bin",
        "notes.bin",
    ]

    assert session.files.delete("inputs/a.txt") is None
    with pytest.raises(poke.NotFoundError):
        session.files.read("inputs/a.txt")
    with pytest.raises(poke.NotFoundError):
        session.files.delete("inputs/a.txt")


def test_blocking_downloads_from_several_threads_each_get_the_whole_file(session, tmp_path):
    # Each blocking download runs on a lane of its own while others are in flight; a lane is
    # reused by the next download, and every file arrives whole, with its progress reports.
    payload = os.urandom(5 * 1024 * 1024 + 3)
    session.files.upload("inputs/big.bin", payload)
    digest = hashlib.sha256(payload).hexdigest()
    results, errors = {}, []

    def fetch(i):
        try:
            for round_ in range(2):
                seen = []
                dest = session.files.download(
                    "inputs/big.bin",
                    tmp_path / f"copy-{i}-{round_}.bin",
                    on_progress=lambda d, t, seen=seen: seen.append((d, t)),
                )
                results[(i, round_)] = (hashlib.sha256(dest.read_bytes()).hexdigest(), seen)
        except Exception as e:  # reported below, with its thread
            errors.append((i, e))

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 8
    total = len(payload)
    for got, seen in results.values():
        assert got == digest
        assert seen[0] == (0, total) and seen[-1] == (total, total)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert part_files(tmp_path) == []


def test_upload_argument_and_local_file_errors(session, tmp_path, emulator):
    with pytest.raises(TypeError):
        session.files.upload("x.txt", 12)
    with pytest.raises(poke.PokeFileError) as info:
        session.files.upload("x.txt", tmp_path / "missing.bin")
    assert isinstance(info.value, OSError)
    assert session_requests(emulator, "/files/x.txt") == []


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_bad_paths_fail_before_sending(session, emulator, tmp_path, bad):
    emulator.clear_requests()
    calls = [
        lambda: session.files.download(bad, tmp_path / "out"),
        lambda: session.files.read(bad),
        lambda: session.files.upload(bad, b"x"),
        lambda: session.files.delete(bad),
    ]
    if bad:  # an empty listing path means the root
        calls.append(lambda: session.files.list(bad.rstrip("/") + "//"))
    for call in calls:
        with pytest.raises(poke.InvalidRequestError):
            call()
    assert emulator.requests() == []
    assert list(tmp_path.iterdir()) == []


def test_file_errors_per_status(pokee, emulator):
    emulator.put_workspace_file("projects/acme/in.txt", b"inside")
    emulator.put_workspace_file("other/secret.txt", b"outside")
    scoped = pokee.sessions.create(
        file_access={"read": ["projects/acme"], "write": ["projects/acme/out"]}
    )
    assert scoped.files.read("projects/acme/in.txt") == b"inside"
    with pytest.raises(poke.ForbiddenError) as info:
        scoped.files.read("other/secret.txt")
    assert info.value.status == 403
    with pytest.raises(poke.ForbiddenError):
        scoped.files.upload("projects/acme/in.txt", b"no write scope here")
    with pytest.raises(poke.NotFoundError):
        scoped.files.list("projects/acme/none")
    with pytest.raises(poke.BadRequestError):
        scoped.files.list("projects/acme/in.txt")
    with pytest.raises(poke.RangeNotSatisfiableError) as info:
        scoped.files.read("projects/acme/in.txt", start=100)
    assert info.value.status == 416
    with pytest.raises(poke.InvalidRequestError):
        scoped.files.read("projects/acme/in.txt", start=5, end=2)

    emulator.configure_sessions(upload_limit_bytes=10)
    with pytest.raises(poke.PayloadTooLargeError) as info:
        scoped.files.upload("projects/acme/out/big.bin", b"x" * 11)
    assert info.value.status == 413


def test_a_failing_progress_callback_aborts_and_leaves_no_file(session, emulator, tmp_path):
    emulator.put_workspace_file("output/big.bin", os.urandom(2 * 1024 * 1024))
    dest = tmp_path / "big.bin"
    dest.write_bytes(b"previous version")
    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt("user pressed stop")

    with pytest.raises(KeyboardInterrupt, match="user pressed stop"):
        session.files.download("output/big.bin", dest, on_progress=stop_after_two)
    assert len(calls) == 2
    assert dest.read_bytes() == b"previous version"
    assert part_files(tmp_path) == []


class _CutBody(http.server.BaseHTTPRequestHandler):
    """A session record for `GET /v1/sessions/sess_cut`; any file announces 100000 bytes,
    sends 5000, then closes the connection."""

    def do_GET(self):
        if self.path == "/v1/sessions/sess_cut":
            body = b'{"id": "sess_cut", "status": "ready"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"x" * 5000)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def cut_server():
    with serve_http(_CutBody) as url:
        yield url


def test_a_body_cut_mid_transfer_leaves_no_file_under_the_final_name(cut_server, tmp_path):
    client = poke.Pokee(api_key=KEY, base_url=cut_server, max_retries=0)
    files = client.sessions.get("sess_cut").files
    dest = tmp_path / "deck.pptx"
    seen = []
    with pytest.raises(poke.APIConnectionError):
        files.download("output/deck.pptx", dest, on_progress=lambda d, t: seen.append((d, t)))
    assert not dest.exists()
    assert part_files(tmp_path) == []
    assert seen[0] == (0, 100000) and seen[-1][0] <= 5000
    dest.write_bytes(b"previous version")
    with pytest.raises(poke.APIConnectionError):
        files.download("output/deck.pptx", dest)
    assert dest.read_bytes() == b"previous version"
    assert part_files(tmp_path) == []
    with pytest.raises(poke.APIConnectionError):
        files.read("output/deck.pptx")
