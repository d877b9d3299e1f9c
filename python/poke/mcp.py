"""Helpers for MCP servers that stream progress back to Poke (a drop-in for ``poke.mcp`` 0.2.1).

Poke sends ``X-Poke-Callback-Token`` and ``X-Poke-Callback-Url`` with a tool call. Wrap the
ASGI app in :class:`PokeCallbackMiddleware` and decorate async-generator tools with
:func:`with_callbacks`: the first ``yield`` is the tool result, later ones are POSTed to Poke in
the background as ``{"content", "hasMore"}``, chained by ``nextToken``.

Posting, token chaining, the 429 rule and the stop rules live in the Rust core. Unlike 0.2.1,
429 retries are bounded (see :func:`callback_policy`), every post has a timeout, background
tasks are kept referenced until done, and redirects are not followed.
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 10):  # pragma: no cover
    raise ImportError(
        "poke.mcp requires Python 3.10 or later. The base poke package still supports Python 3.9+."
    )

import asyncio
import contextvars
import functools
import logging
from dataclasses import dataclass
from typing import Any, AsyncGenerator, Callable, Dict, Mapping, Optional, Set, TypeVar

from . import _poke

T = TypeVar("T")

logger = logging.getLogger("poke.mcp")

__all__ = [
    "CallbackContext",
    "PokeCallbackMiddleware",
    "callback_policy",
    "extract_callback_context",
    "reset_callback_context",
    "set_callback_context",
    "set_callback_policy",
    "with_callbacks",
]


@dataclass
class CallbackContext:
    """The callback token and URL of the current tool call."""

    callback_token: Optional[str]
    callback_url: Optional[str]


_callback_context: contextvars.ContextVar[Optional[CallbackContext]] = contextvars.ContextVar(
    "_callback_context", default=None
)

# Strong references: an unreferenced asyncio task may be garbage-collected mid-flight.
_background_tasks: Set[asyncio.Task] = set()


def set_callback_context(ctx: Optional[CallbackContext]) -> contextvars.Token:
    """Sets the callback context for the current task; returns a token for the reset."""
    return _callback_context.set(ctx)


def reset_callback_context(token: contextvars.Token) -> None:
    """Restores the context that was current before ``set_callback_context``."""
    _callback_context.reset(token)


def extract_callback_context(headers: Mapping[str, str]) -> Optional[CallbackContext]:
    """Reads the two callback headers (any case); ``None`` when both are absent."""
    found = _poke.extract_callback_context([(str(k), v) for k, v in headers.items()])
    return None if found is None else CallbackContext(*found)


callback_policy = _poke.callback_policy
set_callback_policy = _poke.set_callback_policy


def _log_task_exception(task: asyncio.Task) -> None:
    _background_tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        logger.warning("Background callback loop failed: %s", exc)


async def _deliver(gen: AsyncGenerator[Any, None], url: str, token: str) -> None:
    chain = _poke.CallbackChain(url, token)
    try:
        buffered = await gen.__anext__()
    except StopAsyncIteration:
        return
    while True:
        # One value ahead: only then is it known whether `buffered` is the last one.
        try:
            nxt = await gen.__anext__()
        except StopAsyncIteration:
            _, failure = await chain.send(buffered, False)
            if failure:
                logger.warning("Final callback failed: %s", failure)
            return
        go_on, failure = await chain.send(buffered, True)
        if not go_on:
            if failure:
                logger.warning("Callback failed, stopping: %s", failure)
            await gen.aclose()
            return
        buffered = nxt


def with_callbacks(handler: Callable[..., AsyncGenerator[Any, None]]) -> Callable[..., Any]:
    """Turns an async-generator tool into one that returns its first value and streams the rest."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = _callback_context.get()
        token = ctx.callback_token if ctx else None
        url = ctx.callback_url if ctx else None
        gen = handler(*args, **kwargs)
        first = await gen.__anext__()
        if token and url:
            task = asyncio.create_task(_deliver(gen, url, token))
            _background_tasks.add(task)
            task.add_done_callback(_log_task_exception)
        else:
            await gen.aclose()
        return first

    return wrapper


class PokeCallbackMiddleware:
    """ASGI middleware: sets the callback context from the request headers for HTTP requests."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        token = headers.get(b"x-poke-callback-token")
        url = headers.get(b"x-poke-callback-url")
        ctx = CallbackContext(
            callback_token=token.decode() if token else None,
            callback_url=url.decode() if url else None,
        )
        reset = _callback_context.set(ctx)
        try:
            await self.app(scope, receive, send)
        finally:
            _callback_context.reset(reset)
