"""``Poke`` and ``AsyncPoke``: the Poke developer API, blocking or as coroutines."""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING, Any, Dict, Optional, Union, final

from . import _poke
from ._timeout import Timeout

if TYPE_CHECKING:
    import datetime

    from typing_extensions import Self

__all__ = ["AsyncPoke", "Poke", "RawResponse"]

TimeoutArg = Union[float, int, Timeout, "datetime.timedelta", None]
RawResponse = _poke.RawResponse


def _unclosed(client: Any) -> None:
    """Closes a client the program dropped without closing; warns unless Python is exiting."""
    # A half-built client has no core; a closed one has nothing to release.
    if getattr(client, "_core", client) is None or getattr(client, "_closed", True):
        return
    try:
        if not sys.is_finalizing():
            warnings.warn(
                f"unclosed {type(client).__name__} client: call close() or use it as a context"
                " manager",
                ResourceWarning,
                stacklevel=3,
            )
    finally:
        try:
            client.close()
        except Exception:  # a destructor must not raise (at exit, modules may be gone)
            pass


def _no_pickle(client: Any) -> Any:
    raise TypeError(
        f"{type(client).__name__} clients cannot be pickled: they hold connections;"
        " create one in each process"
    )


@final
class Poke(_poke._PokeCore):
    """Blocking client of the Poke API; a drop-in for the official ``poke.Poke``.

    ``Poke(*, api_key=None, base_url=None, timeout=None, max_retries=None)``: the key comes
    from the argument, ``POKE_API_KEY`` or the ``poke login`` credentials file, the base URL
    from the argument, ``POKE_API`` or ``https://poke.com/api/v1``. Safe to share between
    threads; the GIL is released during I/O.
    """

    @property
    def with_raw_response(self) -> Any:
        """The same calls returning a ``RawResponse`` (``status_code``, ``headers``,
        ``request_id``, ``parse()``)."""
        return self._raw_calls()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        _unclosed(self)

    def __repr__(self) -> str:
        return f"Poke(base_url={self._base_url!r})"

    __reduce__ = _no_pickle


class _AsyncRawCalls:
    """``AsyncPoke.with_raw_response``: the calls returning a ``RawResponse``."""

    __slots__ = ("_calls",)

    def __init__(self, calls: Any) -> None:
        self._calls = calls

    async def send_message(self, message: Any, **options: Any) -> RawResponse:
        return await self._calls._send_message(message, **options)

    async def create_webhook(self, *, condition: Any, action: Any, **options: Any) -> RawResponse:
        return await self._calls._create_webhook(condition=condition, action=action, **options)

    async def send_webhook(
        self, *, webhook_url: str, webhook_token: Optional[str], data: Any, **options: Any
    ) -> RawResponse:
        return await self._calls._send_webhook(
            webhook_url=webhook_url, webhook_token=webhook_token, data=data, **options
        )


@final
class AsyncPoke(_poke._AsyncPokeCore):
    """Asyncio client of the Poke API: the methods of ``Poke`` as coroutines.

    Nothing is sent until a call is awaited; cancelling the awaiting task cancels the request.
    """

    async def send_message(
        self,
        message: Any,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Sends ``{"message": message}`` to your Poke agent."""
        return await self._send_message(
            message, timeout=timeout, max_retries=max_retries, idempotency_key=idempotency_key
        )

    async def create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Creates a webhook trigger; returns ``triggerId``, ``webhookUrl``, ``webhookToken``."""
        return await self._create_webhook(
            condition=condition,
            action=action,
            timeout=timeout,
            max_retries=max_retries,
            idempotency_key=idempotency_key,
        )

    async def send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Fires a webhook with ``data`` as the JSON body."""
        return await self._send_webhook(
            webhook_url=webhook_url,
            webhook_token=webhook_token,
            data=data,
            timeout=timeout,
            max_retries=max_retries,
            idempotency_key=idempotency_key,
        )

    @property
    def with_raw_response(self) -> _AsyncRawCalls:
        """The same calls returning a ``RawResponse``."""
        return _AsyncRawCalls(self._raw_calls())

    async def aclose(self) -> None:
        """Closes the client; later calls raise ``PokeError``."""
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        _unclosed(self)

    def __repr__(self) -> str:
        return f"AsyncPoke(base_url={self._base_url!r})"

    __reduce__ = _no_pickle
