"""What the objects that hold a live client share: they refuse to be pickled, and the asyncio
ones close with ``aclose()`` or ``async with`` as well as ``close()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from typing_extensions import Self


class _Closable(Protocol):
    def close(self) -> None: ...


def no_pickle(obj: Any) -> Any:
    """``__reduce__`` of an object that holds a live client."""
    raise TypeError(
        f"{type(obj).__name__} objects cannot be pickled: they hold a live client;"
        " create a client in each process"
    )


class AsyncClosing:
    """``aclose()``, ``async with`` for an asyncio object whose ``close()`` acts at once."""

    __slots__ = ()

    async def aclose(self: _Closable) -> None:
        """The same as ``close()``, awaitable."""
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self: _Closable, *exc: object) -> None:
        self.close()
