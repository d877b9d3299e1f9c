"""poke.mcp: every rule of spec §5, against the emulator's callback endpoint."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging

import poke.mcp as mcp
import pytest
from poke.mcp import (
    CallbackContext,
    PokeCallbackMiddleware,
    extract_callback_context,
    reset_callback_context,
    set_callback_context,
    with_callbacks,
)

CALLBACK_PATH = "/api/v1/mcp/callback"


@pytest.fixture(autouse=True)
def fast_policy():
    mcp.set_callback_policy(default_backoff=0.01, post_timeout=2.0)
    yield
    mcp.set_callback_policy()


async def drain():
    """Waits until every background callback task is done (bounded)."""
    for _ in range(500):
        if not mcp._background_tasks:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("background callbacks did not finish")


def chain_ctx(emulator, max_callbacks=None):
    chain = emulator.new_callback_chain(max_callbacks)
    return chain, CallbackContext(chain["token"], chain["url"])


def posts(emulator, chain):
    (record,) = [c for c in emulator.callback_chains() if c["first_token"] == chain["token"]]
    return record["posts"]


async def run_tool(tool, ctx, *args):
    token = set_callback_context(ctx)
    try:
        return await tool(*args)
    finally:
        reset_callback_context(token)


def make_tool(n, log=None):
    @with_callbacks
    async def tool(prefix: str = "v") -> str:
        """Docstring of the tool."""
        try:
            for i in range(1, n + 1):
                if log is not None:
                    log.append(i)
                yield f"{prefix}{i}"
        finally:
            if log is not None:
                log.append("closed")

    return tool


# CallbackContext and the context variable


def test_callback_context_dataclass():
    a = CallbackContext("t", "u")
    assert a == CallbackContext(callback_token="t", callback_url="u")
    assert (
        repr(CallbackContext("a", None)) == "CallbackContext(callback_token='a', callback_url=None)"
    )
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        CallbackContext("only one")  # type: ignore[call-arg]


def test_set_and_reset_nest():
    assert mcp._callback_context.get() is None
    t1 = set_callback_context(CallbackContext("a", "u"))
    t2 = set_callback_context(CallbackContext("b", "u"))
    assert mcp._callback_context.get().callback_token == "b"
    reset_callback_context(t2)
    assert mcp._callback_context.get().callback_token == "a"
    reset_callback_context(t1)
    assert mcp._callback_context.get() is None
    with pytest.raises(RuntimeError):
        reset_callback_context(t1)


def test_reset_with_token_from_other_context_fails():
    token = contextvars.copy_context().run(set_callback_context, CallbackContext("x", "y"))
    with pytest.raises(ValueError):
        reset_callback_context(token)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Other": "x"}, None),
        ({"X-Poke-Callback-Token": "t", "X-POKE-CALLBACK-URL": "u"}, CallbackContext("t", "u")),
        ({"x-poke-callback-token": "t"}, CallbackContext("t", None)),
        ({"x-poke-callback-url": "u"}, CallbackContext(None, "u")),
        ({"x-poke-callback-token": "", "x-poke-callback-url": ""}, CallbackContext("", "")),
    ],
)
def test_extract_callback_context(headers, expected):
    assert extract_callback_context(headers) == expected


# with_callbacks


def test_wraps_keeps_name_doc_signature():
    tool = make_tool(1)
    assert tool.__name__ == "tool"
    assert tool.__doc__ == "Docstring of the tool."
    assert list(inspect.signature(tool).parameters) == ["prefix"]
    assert inspect.isasyncgenfunction(tool.__wrapped__)


async def test_zero_yields_raise_stop_async_iteration(emulator):
    _, ctx = chain_ctx(emulator)
    with pytest.raises(StopAsyncIteration):
        await run_tool(make_tool(0), ctx)


async def test_one_yield_sends_nothing(emulator):
    chain, ctx = chain_ctx(emulator)
    assert await run_tool(make_tool(1), ctx) == "v1"
    await drain()
    assert posts(emulator, chain) == []


async def test_two_yields_send_one_final_callback_with_first_token(emulator):
    chain, ctx = chain_ctx(emulator)
    assert await run_tool(make_tool(2), ctx) == "v1"
    await drain()
    (p,) = posts(emulator, chain)
    assert p["content"] == "v2" and p["has_more"] is False and p["token"] == chain["token"]
    assert p["raw_body"] == '{"content": "v2", "hasMore": false}'


async def test_chain_order_tokens_and_last_has_more_false(emulator):
    chain, ctx = chain_ctx(emulator)
    assert await run_tool(make_tool(5), ctx) == "v1"
    await drain()
    got = posts(emulator, chain)
    assert [p["content"] for p in got] == ["v2", "v3", "v4", "v5"]
    assert [p["has_more"] for p in got] == [True, True, True, False]
    tokens = [p["token"] for p in got]
    assert tokens[0] == chain["token"] and len(set(tokens)) == 4


async def test_first_value_returned_unchanged(emulator):
    @with_callbacks
    async def tool():
        yield {"structured": [1, 2]}

    _, ctx = chain_ctx(emulator)
    assert await run_tool(tool, ctx) == {"structured": [1, 2]}


async def test_without_context_generator_closed_after_first(emulator):
    log = []
    assert await make_tool(5, log)() == "v1"
    assert log == [1, "closed"]
    assert not mcp._background_tasks


@pytest.mark.parametrize(
    "ctx", [CallbackContext("t", None), CallbackContext(None, "u"), CallbackContext("", "u")]
)
async def test_partial_context_sends_nothing(emulator, ctx):
    log = []
    assert await run_tool(make_tool(3, log), ctx) == "v1"
    assert log == [1, "closed"]
    assert emulator.requests() == []


async def test_chain_end_stops_and_closes_generator(emulator):
    chain, ctx = chain_ctx(emulator, max_callbacks=2)
    log = []
    await run_tool(make_tool(6, log), ctx)
    await drain()
    got = posts(emulator, chain)
    assert [p["content"] for p in got] == ["v2", "v3"]
    assert all(p["has_more"] for p in got)
    assert log[-1] == "closed" and 6 not in log


async def test_429_with_retry_after_ms_resends_same_content_and_token(emulator):
    chain, ctx = chain_ctx(emulator)
    emulator.add_fault(path=CALLBACK_PATH, status=429, body='{"retryAfterMs": 20}', times=2)
    await run_tool(make_tool(3), ctx)
    await drain()
    got = posts(emulator, chain)
    assert [p["content"] for p in got] == ["v2", "v3"]
    attempts = [r for r in emulator.requests() if r["path"] == CALLBACK_PATH]
    assert len(attempts) == 4
    assert attempts[0]["body"] == attempts[1]["body"] == attempts[2]["body"]
    assert len({dict(r["headers"])["authorization"] for r in attempts[:3]}) == 1


async def test_429_retries_are_bounded_and_logged_without_token(emulator, caplog):
    mcp.set_callback_policy(max_attempts=3, default_backoff=0.01)
    chain, ctx = chain_ctx(emulator)
    emulator.add_fault(path=CALLBACK_PATH, status=429, times=50)
    with caplog.at_level(logging.WARNING, logger="poke.mcp"):
        await run_tool(make_tool(3), ctx)
        await drain()
    attempts = [r for r in emulator.requests() if r["path"] == CALLBACK_PATH]
    assert len(attempts) == 3
    assert posts(emulator, chain) == []
    text = caplog.text
    assert "rate limited 3 times" in text
    assert chain["token"] not in text


async def test_server_error_stops_chain(emulator, caplog):
    _, ctx = chain_ctx(emulator)
    emulator.add_fault(path=CALLBACK_PATH, status=500)
    log = []
    with caplog.at_level(logging.WARNING, logger="poke.mcp"):
        await run_tool(make_tool(4, log), ctx)
        await drain()
    assert len([r for r in emulator.requests() if r["path"] == CALLBACK_PATH]) == 1
    assert "HTTP 500" in caplog.text
    assert log[-1] == "closed"


async def test_stalled_callback_url_times_out(emulator, caplog):
    mcp.set_callback_policy(post_timeout=0.3)
    _, ctx = chain_ctx(emulator)
    emulator.add_fault(path=CALLBACK_PATH, stall_ms=10000)
    with caplog.at_level(logging.WARNING, logger="poke.mcp"):
        await run_tool(make_tool(3), ctx)
        await drain()
    assert "no reply within" in caplog.text


async def test_generator_error_logged(emulator, caplog):
    @with_callbacks
    async def tool():
        yield "first"
        raise RuntimeError("tool broke")

    _, ctx = chain_ctx(emulator)
    with caplog.at_level(logging.WARNING, logger="poke.mcp"):
        assert await run_tool(tool, ctx) == "first"
        await drain()
    assert "Background callback loop failed: tool broke" in caplog.text


async def test_task_is_referenced_until_done(emulator):
    gate = asyncio.Event()

    @with_callbacks
    async def tool():
        yield "first"
        await gate.wait()
        yield "second"

    _, ctx = chain_ctx(emulator)
    await run_tool(tool, ctx)
    assert len(mcp._background_tasks) == 1
    gate.set()
    await drain()
    assert not mcp._background_tasks


async def test_concurrent_tasks_post_only_to_their_own_chain(emulator):
    a, ctx_a = chain_ctx(emulator)
    b, ctx_b = chain_ctx(emulator)
    await asyncio.gather(run_tool(make_tool(4), ctx_a, "a"), run_tool(make_tool(4), ctx_b, "b"))
    await drain()
    assert [p["content"] for p in posts(emulator, a)] == ["a2", "a3", "a4"]
    assert [p["content"] for p in posts(emulator, b)] == ["b2", "b3", "b4"]


# PokeCallbackMiddleware as a bare ASGI app


async def call_middleware(scope):
    seen = []

    async def app(scope, receive, send):
        seen.append(mcp._callback_context.get())

    await PokeCallbackMiddleware(app)(scope, None, None)
    return seen


async def test_middleware_http_sets_context_then_resets():
    scope = {
        "type": "http",
        "headers": [(b"x-poke-callback-token", b"tok"), (b"x-poke-callback-url", b"http://cb")],
    }
    assert await call_middleware(scope) == [CallbackContext("tok", "http://cb")]
    assert mcp._callback_context.get() is None


async def test_middleware_http_without_headers_sets_empty_context():
    assert await call_middleware({"type": "http", "headers": []}) == [CallbackContext(None, None)]
    empty = {"type": "http", "headers": [(b"x-poke-callback-token", b"")]}
    assert await call_middleware(empty) == [CallbackContext(None, None)]


async def test_middleware_lifespan_passes_through_untouched():
    assert await call_middleware({"type": "lifespan"}) == [None]


def test_middleware_keeps_app():
    app = object()
    assert PokeCallbackMiddleware(app).app is app
