"""``Timeout``: the time bounds of a call, one per phase and one for the whole call."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Union

from ._exceptions import InvalidRequestError

__all__ = ["Timeout"]

if TYPE_CHECKING:
    import datetime

Seconds = Union[float, int, "datetime.timedelta"]


def _seconds(name: str, value: Optional[Seconds]) -> Optional[float]:
    if value is None:
        return None
    if hasattr(value, "total_seconds"):  # datetime.timedelta
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or a datetime.timedelta")
    secs = float(value)
    if not math.isfinite(secs) or secs < 0:
        raise InvalidRequestError(
            f"invalid argument: {name} must be a finite, non-negative number of seconds"
            f" (got {value!r})"
        )
    return secs


class Timeout:
    """Time bounds in seconds (numbers or ``datetime.timedelta``), each checked on its own.

    - ``total``: the whole call, retries and the waits between them included (default 60);
    - ``connect``: establishing a connection, TLS included (default 5, at most ``total``);
    - ``read``: the longest wait for response bytes (headers, then each chunk);
    - ``write``: the longest wait for the server to take more of an upload;
    - ``pool``: the longest wait for a free connection (see ``max_connections``).

    ``None`` leaves a bound off. A bound that fires raises ``APITimeoutError`` naming it.
    """

    __slots__ = ("connect", "pool", "read", "total", "write")

    total: Optional[float]
    connect: float
    read: Optional[float]
    write: Optional[float]
    pool: Optional[float]

    def __init__(
        self,
        total: Optional[Seconds] = 60.0,
        *,
        connect: Optional[Seconds] = None,
        read: Optional[Seconds] = None,
        write: Optional[Seconds] = None,
        pool: Optional[Seconds] = None,
    ) -> None:
        t = _seconds("timeout.total", total)
        c = _seconds("timeout.connect", connect)
        object.__setattr__(self, "total", t)
        object.__setattr__(
            self, "connect", c if c is not None else min(5.0, t if t is not None else 5.0)
        )
        object.__setattr__(self, "read", _seconds("timeout.read", read))
        object.__setattr__(self, "write", _seconds("timeout.write", write))
        object.__setattr__(self, "pool", _seconds("timeout.pool", pool))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Timeout is immutable")

    def _key(self) -> tuple:
        return (self.total, self.connect, self.read, self.write, self.pool)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Timeout(total={self.total!r}, connect={self.connect!r}, read={self.read!r},"
            f" write={self.write!r}, pool={self.pool!r})"
        )

    def __reduce__(self) -> tuple:
        return (
            _rebuild,
            (self.total, self.connect, self.read, self.write, self.pool),
        )


def _rebuild(total, connect, read, write, pool) -> Timeout:
    return Timeout(total, connect=connect, read=read, write=write, pool=pool)
