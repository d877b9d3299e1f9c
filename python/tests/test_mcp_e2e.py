"""End to end: a real FastMCP server with a @with_callbacks tool behind PokeCallbackMiddleware,
served by uvicorn on loopback, called by fastmcp.Client with the callback headers; the callbacks
land in the emulator."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

fastmcp = pytest.importorskip("fastmcp")
uvicorn = pytest.importorskip("uvicorn")

from poke.mcp import PokeCallbackMiddleware, with_callbacks  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mcp_server():
    server_mcp = fastmcp.FastMCP("poke-e2e")

    @server_mcp.tool()
    @with_callbacks
    async def build_report(topic: str):
        """Builds a report in steps."""
        yield f"Starting {topic}..."
        for step in ("collecting", "writing"):
            await asyncio.sleep(0.01)
            yield f"{step} {topic}"
        yield f"All done: {topic}"

    app = PokeCallbackMiddleware(server_mcp.http_app())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


async def wait_for_posts(emulator, first_token, n):
    for _ in range(500):
        chains = [c for c in emulator.callback_chains() if c["first_token"] == first_token]
        if chains and len(chains[0]["posts"]) >= n:
            return chains[0]["posts"]
        await asyncio.sleep(0.01)
    raise AssertionError("callbacks did not arrive")


async def test_fastmcp_tool_streams_callbacks_to_emulator(emulator, mcp_server):
    from fastmcp.client.transports import StreamableHttpTransport

    chain = emulator.new_callback_chain()
    transport = StreamableHttpTransport(
        mcp_server,
        headers={"X-Poke-Callback-Token": chain["token"], "X-Poke-Callback-Url": chain["url"]},
    )
    async with fastmcp.Client(transport) as client:
        tools = await client.list_tools()
        (tool,) = [t for t in tools if t.name == "build_report"]
        assert tool.description == "Builds a report in steps."
        result = await client.call_tool("build_report", {"topic": "Q3"})
    assert result.content[0].text == "Starting Q3..."
    posts = await wait_for_posts(emulator, chain["token"], 3)
    print("\ncallbacks received:")
    for p in posts:
        print(f"  content={p['content']!r} hasMore={p['has_more']} token={p['token'][:10]}...")
    assert [p["content"] for p in posts] == ["collecting Q3", "writing Q3", "All done: Q3"]
    assert [p["has_more"] for p in posts] == [True, True, False]
    assert posts[0]["token"] == chain["token"]
    assert len({p["token"] for p in posts}) == 3


async def test_fastmcp_tool_without_headers_returns_first_only(emulator, mcp_server):
    from fastmcp.client.transports import StreamableHttpTransport

    async with fastmcp.Client(StreamableHttpTransport(mcp_server)) as client:
        result = await client.call_tool("build_report", {"topic": "Q4"})
    assert result.content[0].text == "Starting Q4..."
    await asyncio.sleep(0.1)
    assert emulator.callback_chains() == []
