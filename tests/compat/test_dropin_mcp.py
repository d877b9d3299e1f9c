"""Drop-in compatibility of poke.mcp: documented names only, run on official 0.2.1 and ours."""

from __future__ import annotations

import asyncio
import time

from poke.mcp import (
    CallbackContext,
    PokeCallbackMiddleware,
    extract_callback_context,
    reset_callback_context,
    set_callback_context,
    with_callbacks,
)
from test_dropin import control


def chain_posts(first_token):
    for _ in range(300):
        chains = [
            c for c in control("GET", "/_emulator/callbacks") if c["first_token"] == first_token
        ]
        if chains and chains[0]["posts"] and chains[0]["posts"][-1]["has_more"] is False:
            return chains[0]["posts"]
        time.sleep(0.01)
    return chains[0]["posts"] if chains else []


def make_tool(n, log):
    @with_callbacks
    async def tool(name: str):
        """A tool."""
        try:
            for i in range(1, n + 1):
                log.append(i)
                yield f"{name}{i}"
        finally:
            log.append("closed")

    return tool


def run(tool, ctx, *args):
    async def main():
        token = set_callback_context(ctx)
        try:
            first = await tool(*args)
        finally:
            reset_callback_context(token)
        await asyncio.sleep(0.3)  # the official package keeps no handle on its task
        return first

    return asyncio.run(main())


def test_callback_context_and_extract():
    assert CallbackContext("t", "u") == CallbackContext(callback_token="t", callback_url="u")
    assert extract_callback_context({}) is None
    assert extract_callback_context({"X-Poke-Callback-Token": "t"}) == CallbackContext("t", None)
    assert extract_callback_context(
        {"x-poke-callback-token": "t", "X-Poke-Callback-Url": "u"}
    ) == CallbackContext("t", "u")


def test_with_callbacks_chains_tokens_in_order():
    chain = control("POST", "/_emulator/callbacks", {})
    log = []
    first = run(make_tool(4, log), CallbackContext(chain["token"], chain["url"]), "s")
    assert first == "s1"
    posts = chain_posts(chain["token"])
    assert [p["content"] for p in posts] == ["s2", "s3", "s4"]
    assert [p["has_more"] for p in posts] == [True, True, False]
    assert posts[0]["token"] == chain["token"] and len({p["token"] for p in posts}) == 3


def test_without_context_only_first_value():
    log = []
    assert asyncio.run(make_tool(3, log)("x")) == "x1"
    assert log == [1, "closed"]


def test_wraps():
    tool = make_tool(1, [])
    assert tool.__name__ == "tool" and tool.__doc__ == "A tool."


def test_middleware_sets_context_for_http():
    seen = []

    async def app(scope, receive, send):
        seen.append(extract_ctx())

    def extract_ctx():
        from poke import mcp

        return mcp._callback_context.get()

    scope = {
        "type": "http",
        "headers": [(b"x-poke-callback-token", b"t"), (b"x-poke-callback-url", b"u")],
    }
    asyncio.run(PokeCallbackMiddleware(app)(scope, None, None))
    asyncio.run(PokeCallbackMiddleware(app)({"type": "lifespan"}, None, None))
    assert seen == [CallbackContext("t", "u"), None]
