"""End to end, offline: a FastMCP server with a ``poke.mcp.with_callbacks`` tool on loopback,
``poke tunnel`` (the console script of this package) exposing it through the emulator, and
fastmcp's ``Client`` calling it at the emulator's public URL: a 15 s tool call, a streamed
reply, callbacks, the agent coming back after the upstream restarts, and Ctrl+C removing the
connection."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

fastmcp = pytest.importorskip("fastmcp")
uvicorn = pytest.importorskip("uvicorn")

import poke  # noqa: E402
from poke.mcp import PokeCallbackMiddleware, with_callbacks  # noqa: E402

# The streamed tool waits this long for the client to have seen its first progress message; a
# tunnel that buffered the reply would make it give up (no timing is asserted: only the outcome).
STREAM_WAIT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mcp_server():
    server_mcp = fastmcp.FastMCP("poke-tunnel-e2e")
    seen_first = threading.Event()

    @server_mcp.tool()
    @with_callbacks
    async def build_report(topic: str):
        """Builds a report in steps."""
        yield f"Starting {topic}..."
        for step in ("collecting", "writing"):
            await asyncio.sleep(0.01)
            yield f"{step} {topic}"
        yield f"All done: {topic}"

    @server_mcp.tool()
    async def slow(seconds: int) -> str:
        """Answers after `seconds`."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    @server_mcp.tool()
    async def streamed(ctx: fastmcp.Context) -> str:
        """Reports progress, and finishes only once the client has seen the first report."""
        seen_first.clear()
        await ctx.report_progress(1, 3, "first")
        if not await asyncio.to_thread(seen_first.wait, STREAM_WAIT_S):
            return "the first progress report never reached the client"
        await ctx.report_progress(2, 3, "second")
        await ctx.report_progress(3, 3, "third")
        return "streamed"

    app = PokeCallbackMiddleware(server_mcp.http_app())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}/mcp", seen_first
    server.should_exit = True
    thread.join(timeout=10)


def poke_command() -> list:
    """The installed ``poke`` console script (else the same entry point through ``-m``)."""
    script = Path(sys.executable).parent / "poke"
    return [str(script)] if script.exists() else [sys.executable, "-m", "poke._cli"]


class Tunnel:
    """A running ``poke tunnel``, its output read line by line on a thread."""

    def __init__(self, emulator, local_url: str, xdg: Path):
        env = dict(os.environ)
        env.update(POKE_API=emulator.poke_api_url, XDG_CONFIG_HOME=str(xdg), NO_COLOR="1")
        env["BROWSER"] = str(xdg / "no-such-browser")
        self.proc = subprocess.Popen(
            [*poke_command(), "tunnel", local_url, "--name", "E2E tools"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.stdout: list = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, prefix: str) -> str:
        while True:
            try:
                line = self.lines.get(timeout=60)
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} in {self.stdout}") from None
            if line is None:
                raise AssertionError(f"poke exited before {prefix!r}: {self.stdout}")
            self.stdout.append(line)
            if line.strip().startswith(prefix):
                return line.strip()

    def finish(self) -> tuple:
        code = self.proc.wait(timeout=60)
        assert self.proc.stderr is not None
        err = self.proc.stderr.read()
        while True:
            line = self.lines.get(timeout=10)
            if line is None:
                break
            self.stdout.append(line)
        return code, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def control(emulator, path: str, body=None):
    url = f"{emulator.url}/_emulator/{path}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def connections(emulator) -> list:
    return control(emulator, "account")["connections"]


async def eventually(check, what: str):
    for _ in range(1000):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(what)


async def call_everything(public_url: str, emulator, seen_first: threading.Event) -> None:
    """The three tools through the tunnel, with fastmcp's Client."""
    from fastmcp.client.transports import StreamableHttpTransport

    chain = emulator.new_callback_chain()
    transport = StreamableHttpTransport(
        public_url,
        headers={"X-Poke-Callback-Token": chain["token"], "X-Poke-Callback-Url": chain["url"]},
    )
    progress: list = []

    async def on_progress(value, total, message):
        progress.append(message)
        if message == "first":
            seen_first.set()

    async with fastmcp.Client(transport) as client:
        names = sorted(t.name for t in await client.list_tools())
        assert names == ["build_report", "slow", "streamed"]

        result = await client.call_tool("build_report", {"topic": "Q3"})
        assert result.content[0].text == "Starting Q3..."

        result = await client.call_tool("streamed", {}, progress_handler=on_progress)
        assert result.content[0].text == "streamed"
        assert progress == ["first", "second", "third"]

    def posts():
        for c in emulator.callback_chains():
            if c["first_token"] == chain["token"] and len(c["posts"]) >= 3:
                return c["posts"]
        return None

    got = await eventually(posts, "callbacks did not arrive")
    assert [p["content"] for p in got] == ["collecting Q3", "writing Q3", "All done: Q3"]


async def test_poke_tunnel_serves_a_fastmcp_server_through_the_emulator(
    emulator, mcp_server, tmp_path
):
    local_url, seen_first = mcp_server
    xdg = tmp_path / "xdg"
    (xdg / "poke").mkdir(parents=True)
    (xdg / "poke" / "credentials.json").write_text(json.dumps({"token": "tok_e2e"}))

    tunnel = Tunnel(emulator, local_url, xdg)
    try:
        tunnel.wait_line("✓ Tunnel is active!")
        public = tunnel.wait_line("Tunnel URL:").split(": ", 1)[1].strip()
        tunnel.wait_line("Connection activated and tools synced.")
        (conn,) = connections(emulator)
        assert conn["agent"]["connected"] is True

        await call_everything(public, emulator, seen_first)

        # A tool call of 15 s goes through (no cap on a forwarded request).
        from fastmcp.client.transports import StreamableHttpTransport

        async with fastmcp.Client(StreamableHttpTransport(public)) as client:
            result = await client.call_tool("slow", {"seconds": 15})
        assert result.content[0].text == "slept 15"

        # The upstream restarts: the agent reconnects by itself and the tools work again.
        control(emulator, "tunnels/restart", {"down_ms": 300})

        def reconnected():
            (c,) = connections(emulator)
            agent = c["agent"]
            return agent["connected"] and agent["connects"] >= 2

        await eventually(reconnected, "the agent did not reconnect")
        await call_everything(public, emulator, seen_first)

        # Ctrl+C: the connection is removed before poke exits, and it says so.
        tunnel.proc.send_signal(signal.SIGINT)
        code, err = tunnel.finish()
        assert code == 0, (tunnel.stdout, err)
        assert tunnel.stdout[-2:] == ["Removing MCP connection...", "✓ MCP connection removed."]
        (removed,) = connections(emulator)
        assert removed["deleted"] is True
        assert removed["agent"]["connected"] is False
        assert "tok_e2e" not in err
    finally:
        tunnel.kill()


def run_poke(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*poke_command(), *args], env=env, capture_output=True, text=True, check=False
    )


def test_console_script_runs_the_cli_with_its_exit_codes(emulator, tmp_path):
    env = dict(os.environ, POKE_API=emulator.poke_api_url, XDG_CONFIG_HOME=str(tmp_path / "x"))
    ran = run_poke(env, "--version")
    assert (ran.returncode, ran.stdout.strip()) == (0, f"poke {poke.__version__}")
    ran = run_poke(env, "whoami")
    assert (ran.returncode, ran.stderr.strip()) == (1, "Not logged in. Run 'poke login'.")
    ran = run_poke(env, "no-such")
    assert ran.returncode == 2
    assert "unrecognized subcommand 'no-such'" in ran.stderr
