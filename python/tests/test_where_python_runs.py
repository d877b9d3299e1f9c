"""The package where Python code really runs: asyncio entry points, timeouts on every call,
logging, mocking and pickling, context managers, messages, JSON exactness, file APIs, help."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import os
import pickle
import stat
import subprocess
import sys
import threading
import warnings
from unittest import mock

import poke
import pytest
from conftest import KEY, api_requests

PATH = "/api/v1/inbound/api-message"

ASYNC_METHODS = [
    (poke.AsyncPoke, ["send_message", "create_webhook", "send_webhook", "aclose"]),
    (poke.AsyncPokee, ["usage", "health", "aclose"]),
    (poke.AsyncSessions, ["create", "get", "list", "delete", "delete_many"]),
    (
        poke.AsyncSession,
        ["refresh", "delete", "send", "resume", "cancel", "submit_tool_result", "wait"],
    ),
    (poke.AsyncFiles, ["list", "download", "read", "upload", "delete"]),
    (poke.AsyncTurn, ["cancel", "aclose"]),
]


# --- 1. asyncio


@pytest.mark.parametrize(("cls", "names"), ASYNC_METHODS)
def test_every_async_method_is_a_coroutine_function(cls, names):
    for name in names:
        assert inspect.iscoroutinefunction(getattr(cls, name)), f"{cls.__name__}.{name}"


def test_asyncio_run_create_task_gather_wait_for_and_task_group(emulator):
    url = emulator.poke_api_url

    async def main():
        async with poke.AsyncPoke(api_key=KEY, base_url=url) as c:
            assert (await c.send_message("run"))["success"]
            task = asyncio.create_task(c.send_message("task"))
            assert (await task)["success"]
            both = await asyncio.gather(c.send_message("g1"), c.send_message("g2"))
            assert all(r["success"] for r in both)
            assert (await asyncio.wait_for(c.send_message("wait_for"), 10))["success"]
            if sys.version_info >= (3, 11):
                async with asyncio.TaskGroup() as tg:
                    t = tg.create_task(c.send_message("tg"))
                assert t.result()["success"]

    asyncio.run(main())
    sent = sorted(m["message"] for m in emulator.messages())
    expected = ["g1", "g2", "run", "task", "wait_for"]
    if sys.version_info >= (3, 11):
        expected.append("tg")
    assert sent == sorted(expected)


def test_nothing_starts_until_awaited(emulator):
    async def main():
        c = poke.AsyncPoke(api_key=KEY, base_url=emulator.poke_api_url)
        pending = c.send_message("never awaited")
        await asyncio.sleep(0.2)
        pending.close()
        await c.aclose()

    asyncio.run(main())
    assert api_requests(emulator) == []


def test_uvloop_and_anyio(emulator):
    uvloop = pytest.importorskip("uvloop")
    anyio = pytest.importorskip("anyio")
    url = emulator.poke_api_url

    async def send(text):
        async with poke.AsyncPoke(api_key=KEY, base_url=url) as c:
            return await c.send_message(text)

    assert uvloop.run(send("uvloop"))["success"]
    assert anyio.run(send, "anyio", backend="asyncio")["success"]
    assert sorted(m["message"] for m in emulator.messages()) == ["anyio", "uvloop"]


def test_a_cancelled_call_is_cancelled_and_the_client_goes_on(emulator):
    emulator.add_fault(path=PATH, stall_ms=5000, times=1)

    async def main():
        async with poke.AsyncPoke(api_key=KEY, base_url=emulator.poke_api_url) as c:
            task = asyncio.create_task(c.send_message("stalled"))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await c.send_message("after")

    assert asyncio.run(main())["success"]


def test_sessions_under_asyncio_run(emulator):
    url = emulator.pokee_api_url

    async def main():
        async with poke.AsyncPokee(api_key=KEY, base_url=url) as c:
            s = await c.sessions.create()
            async with await s.send("events=5 pace_ms=0") as turn:
                got = [e.type async for e in turn]
            return got

    got = asyncio.run(main())
    assert got[0] == "message.created" and got[-1] == "message.completed"


# --- 3. timeouts


@pytest.mark.parametrize(
    "timeout",
    [0.3, poke.Timeout(0.3), poke.Timeout(None, read=0.3), datetime.timedelta(seconds=0.3)],
)
def test_timeout_accepts_float_timeout_and_timedelta_per_call_and_per_client(emulator, timeout):
    emulator.add_fault(path=PATH, stall_ms=3000, times=2)
    per_call = poke.Poke(api_key=KEY, base_url=emulator.poke_api_url, max_retries=0)
    with pytest.raises(poke.APITimeoutError):
        per_call.send_message("x", timeout=timeout)
    per_client = poke.Poke(
        api_key=KEY, base_url=emulator.poke_api_url, timeout=timeout, max_retries=0
    )
    with pytest.raises(poke.APITimeoutError):
        per_client.send_message("x")


def test_timeout_phases_and_their_checks():
    t = poke.Timeout(10, connect=1, read=2, write=3, pool=4)
    assert (t.total, t.connect, t.read, t.write, t.pool) == (10, 1, 2, 3, 4)
    assert poke.Timeout(2).connect == 2 and poke.Timeout(60).connect == 5
    assert t == poke.Timeout(10, connect=1, read=2, write=3, pool=4)
    assert pickle.loads(pickle.dumps(t)) == t
    assert "read=2" in repr(t)
    for bad in [{"read": -1}, {"write": float("nan")}, {"pool": float("inf")}]:
        with pytest.raises(ValueError) as info:
            poke.Timeout(1, **bad)
        assert f"timeout.{next(iter(bad))}" in str(info.value)


def test_every_pokee_method_takes_a_per_call_timeout(pokee, emulator):
    emulator.add_fault(path="/v1/usage", stall_ms=3000)
    with pytest.raises(poke.APITimeoutError):
        pokee.usage(timeout=0.3, max_retries=0)
    s = pokee.sessions.create(timeout=5, max_retries=1)
    emulator.add_fault(path=f"/v1/sessions/{s.id}", stall_ms=3000, times=1)
    with pytest.raises(poke.APITimeoutError):
        s.refresh(timeout=datetime.timedelta(seconds=0.3), max_retries=0)
    assert s.files.list(timeout=poke.Timeout(5), max_retries=0) == []


def test_wait_timeout_is_a_timeout_error_with_the_message_of_a_wait(pokee):
    s = pokee.sessions.create()
    turn = s.send("needs a tool=get_weather")
    next(e for e in turn if e.type == "tool_call.requested")
    with pytest.raises(poke.WaitTimeoutError) as info:
        s.wait(timeout=0.2, poll_interval=0.05)
    assert isinstance(info.value, TimeoutError)
    assert str(info.value) == "Timed out after 0.2s waiting for the session to become idle"


# --- 4. logging


LOGGING_SCRIPT = """
import logging, sys
order = sys.argv[1]
if order == "config-first":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    import poke
else:
    import poke
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
c = poke.Poke(api_key="pk_canary_log_123", base_url=sys.argv[2])
c.send_message("hello")
c.send_message("again")
"""


@pytest.mark.parametrize("order", ["config-first", "import-first"])
def test_standard_logging_config_shows_one_line_per_request(emulator, order):
    env = {k: v for k, v in os.environ.items() if k != "POKE_LOG"}
    out = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT, order, emulator.poke_api_url],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stderr.splitlines() if ":poke:" in line and "request" in line]
    assert len(lines) == 2, out.stderr
    for line in lines:
        assert "method=POST" in line and "status=200" in line and "attempt=0" in line
        assert "elapsed_ms=" in line and "inbound/api-message" in line
    assert "pk_canary" not in out.stderr


def test_poke_log_in_any_case_is_a_shortcut(emulator):
    env = {**os.environ, "POKE_LOG": "DEBUG"}
    code = "import poke, sys; poke.Poke(api_key='k', base_url=sys.argv[1]).send_message('x')"
    out = subprocess.run(
        [sys.executable, "-c", code, emulator.poke_api_url],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "request" in out.stderr and "poke" in out.stderr, out.stderr


INTERRUPTING_HANDLER_SCRIPT = """
import _thread, logging, sys
seen = []
class Interrupting(logging.Handler):
    def emit(self, record):
        seen.append(record.getMessage())
        if len(seen) == 1:
            _thread.interrupt_main()
logging.getLogger("poke").addHandler(Interrupting())
logging.getLogger("poke").setLevel(logging.DEBUG)
import poke
c = poke.Poke(api_key="k", base_url=sys.argv[1])
try:
    c.send_message("first")
    print("swallowed")
except KeyboardInterrupt:
    print("interrupted")
c.send_message("second")
print(sum("request" in m for m in seen))
"""


def test_ctrl_c_inside_a_logging_handler_reaches_the_caller(emulator):
    # Python runs a signal's handler at the next bytecode, which may be inside `logging` as
    # the bridge hands it records: that KeyboardInterrupt is the user's and must propagate
    # (and the bridge keeps logging afterwards).
    out = subprocess.run(
        [sys.executable, "-c", INTERRUPTING_HANDLER_SCRIPT, emulator.poke_api_url],
        check=False,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "POKE_LOG"},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["interrupted", "2"], out.stdout + out.stderr


# --- 5. testing code that uses us


def test_clients_can_be_mocked(emulator):
    c = poke.Poke(api_key=KEY, base_url=emulator.poke_api_url)
    with mock.patch.object(c, "send_message", return_value={"success": True}) as fake:
        assert c.send_message("x") == {"success": True}
    fake.assert_called_once_with("x")
    ac = poke.AsyncPoke(api_key=KEY, base_url=emulator.poke_api_url)
    with mock.patch.object(ac, "send_message", new=mock.AsyncMock(return_value={"ok": 1})):
        assert asyncio.run(ac.send_message("x")) == {"ok": 1}
    p = poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url)
    with mock.patch.object(p, "usage", return_value="fake"):
        assert p.usage() == "fake"
    assert api_requests(emulator) == []
    for client in (c, ac, p):
        client.close()


def test_exceptions_report_module_poke_and_pickle():
    classes = [
        v for v in vars(poke).values() if isinstance(v, type) and issubclass(v, poke.PokeError)
    ]
    assert len(classes) > 20
    for cls in classes:
        assert cls.__module__ == "poke", cls
        e = cls("boom", 500)
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is cls and str(again) == "boom" and again.status == 500


def test_records_are_constructible_comparable_picklable_and_readable():
    r = poke.SessionRecord(id="sess_1", status="ready", busy=False, metadata={"k": [1, 2]})
    assert r.id == "sess_1" and r.metadata == {"k": [1, 2]} and r.is_ready
    assert r == poke.SessionRecord(**r.to_dict())
    assert pickle.loads(pickle.dumps(r)) == r
    assert repr(r).startswith("SessionRecord(") and "sess_1" in repr(r)
    f = poke.FileEntry(name="a.txt", type="file", size=3)
    assert pickle.loads(pickle.dumps(f)) == f and f.is_file
    e = poke.Event(type="text.delta", data={"content": "hi"}, id="3")
    assert e.content == "hi" and e.sequence_number == 3
    assert pickle.loads(pickle.dumps(e)) == e
    assert e == poke.Event(type="text.delta", raw='{"content": "hi"}', id="3")
    assert "text.delta" in repr(e)
    with pytest.raises(TypeError):
        poke.SessionRecord(status=1)


def test_clients_refuse_pickling_with_a_clear_error(emulator):
    for client in (
        poke.Poke(api_key=KEY, base_url=emulator.poke_api_url),
        poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url),
    ):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(client)
        client.close()


def test_testing_module_documents_faking_a_turn():
    import poke.testing

    doc = poke.testing.__doc__ or ""
    assert "script_turn" in doc and "Event(" in doc


# --- 6. resources


def test_all_clients_are_context_managers_and_close(emulator):
    with poke.Poke(api_key=KEY, base_url=emulator.poke_api_url) as c:
        c.send_message("in")
    with pytest.raises(poke.PokeError):
        c.send_message("after close")
    with poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url) as p:
        p.sessions.create()
    with pytest.raises(poke.PokeError):
        p.usage()

    async def main():
        async with poke.AsyncPokee(api_key=KEY, base_url=emulator.pokee_api_url) as ap:
            await ap.sessions.create()
        with pytest.raises(poke.PokeError):
            await ap.usage()

    asyncio.run(main())


def test_a_client_left_open_warns(emulator):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        poke.Poke(api_key=KEY, base_url=emulator.poke_api_url)
        poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url)
        import gc

        gc.collect()
    kinds = [w.category for w in seen]
    assert kinds.count(ResourceWarning) >= 2, [str(w.message) for w in seen]


def test_a_client_alive_at_exit_closes_quietly(emulator):
    # A client still referenced when the interpreter exits (a global, a traceback) is closed
    # without "Exception ignored in __del__" noise on stderr.
    script = (
        "import sys, poke\n"
        "a = poke.Poke(api_key='k', base_url=sys.argv[1])\n"
        "b = poke.Pokee(api_key='k', base_url=sys.argv[2])\n"
        "a.send_message('hi')\n"
        "try:\n"
        "    poke.Poke(api_key='k', base_url='http://127.0.0.1:1').send_message('x')\n"
        "except poke.PokeError as e:\n"
        "    kept = e\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "always", "-c", script, emulator.poke_api_url, emulator.pokee_api_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Exception ignored" not in out.stderr, out.stderr
    assert "Traceback" not in out.stderr, out.stderr


def test_a_session_keeps_its_client_open(emulator):
    # `Pokee().sessions.create()`: the client object is gone, its session still works.
    s = poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url).sessions.create()
    import gc

    gc.collect()
    assert s.refresh().id == s.id


# --- 7. errors and messages


def test_bad_settings_raise_value_error_naming_the_argument(emulator):
    url = emulator.poke_api_url
    for kwargs, name in [
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": -1}, "timeout"),
    ]:
        with pytest.raises(ValueError, match=name):
            poke.Poke(api_key=KEY, base_url=url, **kwargs)
    p = poke.Pokee(api_key=KEY, base_url=emulator.pokee_api_url)
    with pytest.raises(ValueError, match="ttl"):
        p.sessions.create(ttl=1.5)
    with pytest.raises(ValueError, match="max_retries"):
        p.usage(max_retries=-2)


def test_no_rust_names_or_debug_forms_in_messages(pokee, emulator):
    s = pokee.sessions.create()
    emulator.add_fault(path="/v1/sessions/*/messages", drop_after_events=3)
    emulator.add_fault(path="/v1/sessions/*/responses/*/events", id_too_old=True)
    texts = []
    with pytest.raises(poke.StreamInterruptedError) as info:
        for _ in s.send("events=50 pace_ms=0"):
            pass
    texts.append(str(info.value))
    emulator.clear_faults()
    emulator.add_fault(path="/v1/usage", status=200, body="not json", times=1)
    with pytest.raises(poke.ResponseDecodeError) as decode:
        pokee.usage()
    texts.append(str(decode.value))
    for text in texts:
        assert "Some(" not in text and "::" not in text, text
    assert texts[1].startswith("Pokee API returned an invalid response body"), texts[1]


def test_a_json_reply_without_response_id_is_a_decode_error(pokee, emulator):
    s = pokee.sessions.create()
    emulator.add_fault(
        path=f"/v1/sessions/{s.id}/messages",
        status=200,
        body='{"status": "ok"}',
        headers={"content-type": "application/json"},
        times=1,
    )
    with pytest.raises(poke.ResponseDecodeError, match="response_id"):
        s.send("hi")


def test_ctrl_c_while_iterating_never_skips_an_event(pokee):
    # The turn stops at a client tool call and produces nothing until the result is posted, so
    # one interrupt surely lands while next() is blocked, whatever the machine's load; others
    # land at random points of the paced stream. An interrupt that lands after next() returned
    # leaves the event in `event`, so the test itself never drops one.
    s = pokee.sessions.create()
    turn = s.send("events=12 pace_ms=30 tool=get_weather")
    got, interrupted, call_id, answered = [], 0, None, False
    import _thread

    # A lost event or a swallowed interrupt would leave the turn waiting for the tool result
    # forever: closing the turn then ends the loop and the assertions say what went wrong.
    watchdog = threading.Timer(30, turn.close)
    watchdog.start()
    while True:
        timer = threading.Timer(0.02, _thread.interrupt_main)
        event = pending = object()
        try:
            timer.start()
            event = next(turn, None)
            timer.cancel()
            timer.join()
        except KeyboardInterrupt:
            timer.join()
            interrupted += 1
            if event is pending:
                if call_id is not None and not answered:
                    answered = True
                    s.submit_tool_result(call_id, "sunny")
                continue
        if event is None:
            break
        got.append((event.id, event.type))
        if event.type == "tool_call.requested":
            call_id = event.data["call_id"]
    watchdog.cancel()
    assert [i for i, _ in got] == [str(i) for i in range(len(got))]
    assert answered and interrupted > 0 and got[-1][1] == "message.completed"


# --- 8. Event.data is json.loads of the payload


def test_event_data_is_exactly_json_loads():
    payloads = [
        "123456789012345678901234567890",
        "[-0, -0.0, 1e400, -1e400]",
        "NaN",
        "[Infinity, -Infinity]",
        "[" * 200 + "]" * 200,
        '{"big": 18446744073709551617, "neg": -9223372036854775809}',
        "1e20",
    ]
    for raw in payloads:
        ev = poke.Event(type="x", raw=raw)
        want = json.loads(raw)
        got = ev.data
        assert repr(got) == repr(want), raw
        assert type(got) is type(want), raw


# --- 9. downloads behave like Python's file APIs


@pytest.fixture
def workspace(pokee, emulator):
    emulator.put_workspace_file("output/report.txt", b"report")
    return pokee.sessions.create()


def test_download_into_a_directory_or_a_trailing_slash(workspace, tmp_path):
    got = workspace.files.download("output/report.txt", tmp_path)
    assert got == tmp_path / "report.txt" and got.read_bytes() == b"report"
    sub = tmp_path / "sub"
    sub.mkdir()
    got = workspace.files.download("output/report.txt", f"{sub}{os.sep}")
    assert got == sub / "report.txt"


def test_download_errors_name_the_users_path_and_are_os_errors(workspace, tmp_path):
    dest = tmp_path / "missing" / "out.txt"
    with pytest.raises(FileNotFoundError) as info:
        workspace.files.download("output/report.txt", dest)
    e = info.value
    assert isinstance(e, poke.PokeFileError) and e.errno is not None
    assert str(dest) in str(e) and ".part" not in str(e)


READ_ONLY_SCRIPT = """
import poke, sys
s = poke.Pokee(api_key=sys.argv[1], base_url=sys.argv[2]).sessions.get(sys.argv[3])
try:
    s.files.download("output/report.txt", sys.argv[4])
    print("replaced")
except PermissionError as e:
    print("refused", type(e).__name__)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def _others_can_enter(path: str) -> bool:
    """Whether a user other than the owner can reach `path` (every folder up to it enterable)."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def test_read_only_destination_is_refused(workspace, emulator):
    import shutil
    import tempfile

    # Root may write anything: the check runs as an ordinary user (nobody) when we are root.
    folder = tempfile.mkdtemp()
    try:
        os.chmod(folder, 0o777)
        dest = os.path.join(folder, "ro.txt")
        with open(dest, "wb") as f:
            f.write(b"keep")
        os.chmod(dest, 0o444)
        python, extra = sys.executable, {}
        if os.geteuid() == 0:
            # The venv's interpreter may sit under /root; the system's runs the same package.
            python = "/usr/bin/python3"
            if not os.access(python, os.X_OK):
                pytest.skip("running as root without a system python3 to drop privileges with")
            package_root = os.path.dirname(os.path.dirname(poke.__file__))
            if not _others_can_enter(package_root):
                pytest.skip(f"{package_root} is in a private folder: nobody cannot import poke")
            extra = {"user": "nobody", "env": {"PYTHONPATH": package_root}}
        args = [python, "-c", READ_ONLY_SCRIPT, KEY, emulator.pokee_api_url, workspace.id, dest]
        out = subprocess.run(args, check=False, capture_output=True, text=True, timeout=60, **extra)
        assert out.stdout.strip() == "refused PokeFilePermissionError", out.stderr
        with open(dest, "rb") as f:
            assert f.read() == b"keep"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_an_existing_files_mode_is_kept(workspace, tmp_path):
    dest = tmp_path / "private.txt"
    dest.write_bytes(b"old")
    dest.chmod(0o600)
    workspace.files.download("output/report.txt", dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600 and dest.read_bytes() == b"report"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlink_destination_is_written_through(workspace, tmp_path):
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    workspace.files.download("output/report.txt", link)
    assert link.is_symlink() and target.read_bytes() == b"report"


def test_downloading_a_directory_is_an_is_a_directory_error(workspace, tmp_path):
    with pytest.raises(IsADirectoryError):
        workspace.files.download("output", tmp_path / "x")
    assert not (tmp_path / "x").exists()


# --- 10. request ids and raw responses on success


def test_raw_responses(emulator):
    c = poke.Poke(api_key=KEY, base_url=emulator.poke_api_url)
    raw = c.with_raw_response.send_message("hi")
    assert raw.status_code == 200 and raw.request_id
    assert raw.headers["x-request-id"] == raw.request_id
    assert raw.parse()["success"] is True

    async def main():
        async with poke.AsyncPoke(api_key=KEY, base_url=emulator.poke_api_url) as ac:
            return await ac.with_raw_response.create_webhook(condition="c", action="a")

    raw = asyncio.run(main())
    assert raw.status_code == 200 and "webhookUrl" in raw.parse()
    c.close()


# --- 11. help and types


def test_public_methods_have_docstrings():
    for cls in (poke.Poke, poke.AsyncPoke, poke.Pokee, poke.AsyncPokee, poke.Session, poke.Files):
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or not callable(member):
                continue
            assert inspect.getdoc(member), f"{cls.__name__}.{name}"


def test_public_classes_that_cannot_be_subclassed_are_final():
    from typing import get_type_hints  # noqa: F401

    for cls in (poke.Poke, poke.AsyncPoke, poke.Pokee, poke.Session, poke.Turn):
        assert getattr(cls, "__final__", False), cls


# --- 12. the emulator's command line


def test_emulator_cli_errors_are_one_line():
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    for args in (["--port", str(port)], ["--port", "70000"], ["--bogus"]):
        out = subprocess.run(
            [sys.executable, "-m", "poke.emulator", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode != 0
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "Traceback" not in out.stderr and "os error" not in out.stderr
    busy.close()
