"""Type stubs of the compiled core (``poke._poke``)."""

from typing import Any, Dict, List, Optional, Union

from typing_extensions import TypeAlias

__version__: str
DEFAULT_BASE_URL: str

class Timeout:
    """Time bounds in seconds: ``Timeout(total=60.0, *, connect=5.0, read=None)``."""

    total: Optional[float]
    connect: float
    read: Optional[float]
    def __init__(
        self, total: Optional[float] = 60.0, *, connect: float = 5.0, read: Optional[float] = None
    ) -> None: ...

_TimeoutArg: TypeAlias = Union[float, int, Timeout, None]

class Poke:
    """Blocking client of the Poke API; a drop-in for the official ``poke.Poke``."""

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> None: ...
    def send_message(
        self,
        message: Any,
        *,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Sends ``{"message": message}`` to your Poke agent."""
    def create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Creates a webhook trigger; returns ``triggerId``, ``webhookUrl``, ``webhookToken``."""
    def send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Fires a webhook with ``data`` as the JSON body."""
    def _headers(self, token: Optional[str] = None) -> Dict[str, str]: ...
    @property
    def _api_key(self) -> str: ...
    @property
    def _base_url(self) -> str: ...

class AsyncPoke:
    """Asyncio client of the Poke API: the methods of ``Poke`` as coroutines."""

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> None: ...
    async def send_message(
        self,
        message: Any,
        *,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    async def create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    async def send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def _headers(self, token: Optional[str] = None) -> Dict[str, str]: ...
    @property
    def _api_key(self) -> str: ...
    @property
    def _base_url(self) -> str: ...

class Emulator:
    """The bundled emulator, running in-process on a loopback port."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, api_key: Optional[str] = None
    ) -> None: ...
    @property
    def url(self) -> str: ...
    @property
    def poke_api_url(self) -> str: ...
    def requests(self) -> List[Dict[str, Any]]: ...
    def clear_requests(self) -> None: ...
    def add_fault(self, **fault: Any) -> int: ...
    def clear_faults(self) -> None: ...
    def messages(self) -> List[Any]: ...
    def webhook_fires(self) -> List[Dict[str, Any]]: ...
    def new_callback_chain(self, max_callbacks: Optional[int] = None) -> Dict[str, str]: ...
    def callback_chains(self) -> List[Dict[str, Any]]: ...
    def shutdown(self) -> None: ...
    def __enter__(self) -> Emulator: ...
    def __exit__(self, *exc: object) -> None: ...

def resolve_api_key(api_key: Optional[str] = None) -> str: ...
def resolve_base_url(base_url: Optional[str] = None) -> str: ...
def load_credentials_token() -> Optional[str]: ...
