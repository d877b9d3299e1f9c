"""Type stubs of the compiled core (``poke._poke``)."""

import datetime
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

from typing_extensions import Self, TypeAlias

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
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: Optional[str] = None,
        tls: bool = False,
    ) -> None: ...
    @property
    def tls_ca_pem(self) -> Optional[str]:
        """The throwaway CA (PEM) when serving HTTPS; trust it through ``SSL_CERT_FILE``."""
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
    @property
    def pokee_api_url(self) -> str:
        """Base URL of the Pokee sessions API (``url``; its paths start with ``/v1``)."""
    def remove_fault(self, id: int) -> bool: ...
    def advance_clock(self, secs: float) -> None:
        """Moves the sessions API's virtual clock forward and expires what is due."""
    def freeze_clock(self, frozen: bool = True) -> None: ...
    def clock_now(self) -> float: ...
    def sessions(self) -> List[Dict[str, Any]]:
        """Live sessions: record + ``model``, ``tools``, ``current_response_id``, ..."""
    def turns(self) -> List[Dict[str, Any]]: ...
    def script_turn(self, session_id: str, script: Dict[str, Any]) -> None:
        """Queues a turn script (see the emulator README) for the session's next turn."""
    def sessions_config(self) -> Dict[str, Any]: ...
    def configure_sessions(self, **patch: Any) -> None:
        """Changes settings of the sessions API, e.g. ``configure_sessions(pace_ms=0)``."""
    def workspace_file(self, path: str) -> Optional[bytes]: ...
    def put_workspace_file(self, path: str, data: bytes) -> None: ...
    def reset(self) -> None: ...
    def shutdown(self) -> None: ...
    def __enter__(self) -> Emulator: ...
    def __exit__(self, *exc: object) -> None: ...

def resolve_api_key(api_key: Optional[str] = None) -> str: ...
def resolve_base_url(base_url: Optional[str] = None) -> str: ...
def load_credentials_token() -> Optional[str]: ...

# --- Pokee Enterprise sessions API

_Seconds: TypeAlias = Union[float, int, datetime.timedelta]
_ByteProgress: TypeAlias = Callable[[int, Optional[int]], Any]
_StrPath: TypeAlias = Union[str, "os.PathLike[str]"]

class SessionRecord:
    """A session as the server reports it; frozen. ``to_dict()`` keeps unknown fields."""

    @property
    def id(self) -> str: ...
    @property
    def created_at(self) -> Optional[float]:
        """Unix seconds."""
    @property
    def last_activity(self) -> Optional[float]:
        """Unix seconds of the last turn start or end."""
    @property
    def busy(self) -> bool:
        """The ``busy`` field as sent."""
    @property
    def is_busy(self) -> bool:
        """True while a turn runs (``busy``, or a ``busy`` status)."""
    @property
    def is_ready(self) -> bool: ...
    @property
    def persistent(self) -> bool: ...
    @property
    def ttl(self) -> Optional[int]: ...
    @property
    def status(self) -> str:
        """Open string: ``ready``, ``busy``, or anything newer."""
    @property
    def metadata(self) -> Dict[str, Any]:
        """A copy of the metadata, with the progress keys the agent writes."""
    @property
    def file_access(self) -> Optional[Dict[str, List[str]]]: ...
    @property
    def model(self) -> Optional[str]: ...
    @property
    def tools(self) -> Optional[List[Dict[str, Any]]]: ...
    def progress(self, key: str, default: Any = None) -> Any:
        """One metadata value (e.g. ``"temasek_status"``), or ``default``."""
    def to_dict(self) -> Dict[str, Any]: ...

class Event:
    """One event of a turn; frozen."""

    @property
    def id(self) -> Optional[str]:
        """The ``id:`` (sequence number as text); None in old-format streams."""
    @property
    def type(self) -> str:
        """``message.created``, ``text.delta``, ..., ``message.completed``, or any newer name."""
    @property
    def data(self) -> Any:
        """The payload: parsed JSON (usually a dict), or the raw text when not JSON."""
    @property
    def raw(self) -> str: ...
    @property
    def content(self) -> Optional[str]:
        """``data["content"]`` when a string (text, thinking, tool-input deltas)."""
    @property
    def error(self) -> Optional[str]:
        """``data["error"]`` when a string (``message.error``)."""
    @property
    def sequence_number(self) -> Optional[int]: ...
    @property
    def is_terminal(self) -> bool:
        """True for ``message.completed``, ``message.error``, ``message.cancelled``."""
    def to_dict(self) -> Dict[str, Any]:
        """``{"id", "type", "data"}``."""

class FileEntry:
    """One entry of a directory listing."""

    @property
    def name(self) -> str:
        """The bare entry name, not a path."""
    @property
    def type(self) -> str:
        """``file``, ``directory``, or anything newer."""
    @property
    def size(self) -> int: ...
    @property
    def modified(self) -> Optional[float]: ...
    @property
    def is_dir(self) -> bool: ...
    @property
    def is_file(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...

class UploadResult:
    @property
    def path(self) -> str:
        """The normalised workspace-relative path written."""
    @property
    def size(self) -> int: ...
    @property
    def modified(self) -> Optional[float]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class CancelResult:
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def status(self) -> str:
        """``cancelling`` or ``already_complete``."""
    @property
    def is_cancelling(self) -> bool: ...
    @property
    def is_already_complete(self) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...

class BulkDeleteResult:
    @property
    def deleted(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

class ToolResultAck:
    @property
    def call_id(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

class ReplayNotice:
    """An idempotent re-send of a turn whose events were evicted: no events follow."""

    @property
    def response_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def note(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Usage:
    @property
    def rate_limit(self) -> Optional[Dict[str, Any]]: ...
    @property
    def credits(self) -> Optional[Dict[str, Any]]: ...
    @property
    def credit_balance(self) -> Optional[float]: ...
    @property
    def windows(self) -> List[Dict[str, Any]]:
        """Every rate window of either shape, each with its ``bucket`` (None: flat shape)."""
    def to_dict(self) -> Dict[str, Any]: ...

class Turn:
    """The events of one turn. Iterate it (blocking, GIL released); it ends after the terminal
    event. Dropped connections are resumed by themselves; each event is seen once, in order.
    ``StreamInterruptedError`` (with ``last_event_id``) when resuming is impossible."""

    def __iter__(self) -> Iterator[Event]: ...
    def __next__(self) -> Event: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None:
        """``close()``."""
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def last_event_id(self) -> Optional[str]:
        """Id of the last event delivered, for ``session.resume(response_id, last_event_id)``."""
    @property
    def is_finished(self) -> bool: ...
    @property
    def session_id(self) -> str: ...
    @property
    def idempotency_key(self) -> Optional[str]: ...
    @property
    def replayed(self) -> Optional[ReplayNotice]: ...
    def close(self) -> None:
        """Stops reading now (from any thread); the turn keeps running on the server."""
    def cancel(self) -> CancelResult:
        """Cancels the turn on the server; the events then end with ``message.cancelled``."""

class AsyncTurn:
    """``Turn`` for asyncio: ``async for event in turn``, ``async with turn``. A read cancelled
    while pending never loses an event: the next read returns it."""

    def __aiter__(self) -> AsyncIterator[Event]: ...
    async def __anext__(self) -> Event: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def last_event_id(self) -> Optional[str]: ...
    @property
    def is_finished(self) -> bool: ...
    @property
    def session_id(self) -> str: ...
    @property
    def idempotency_key(self) -> Optional[str]: ...
    @property
    def replayed(self) -> Optional[ReplayNotice]: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...
    async def cancel(self) -> CancelResult: ...

class Files:
    """``session.files``: the workspace as the session's file scope shows it. Paths are
    workspace-relative; bad ones (``..``, leading ``/``, ``//``, ...) raise
    ``InvalidRequestError`` before anything is sent."""

    def list(self, path: Optional[str] = None) -> List[FileEntry]: ...
    def download(
        self,
        path: str,
        dest: Optional[_StrPath] = None,
        *,
        on_progress: Optional[_ByteProgress] = None,
    ) -> Path:
        """Saves the file to ``dest`` (default: its name in the current directory), streamed,
        through a temporary file renamed at the end: a failure never leaves a partial file
        under ``dest``. ``on_progress(done, total)`` after each chunk; an exception it raises
        aborts the download and propagates."""
    def read(self, path: str, *, start: Optional[int] = None, end: Optional[int] = None) -> bytes:
        """The file's bytes, or bytes ``start..=end`` (inclusive, HTTP ``Range``)."""
    def upload(
        self,
        path: str,
        src: Union[bytes, bytearray, memoryview, _StrPath],
        *,
        on_progress: Optional[_ByteProgress] = None,
    ) -> UploadResult:
        """Uploads bytes, or a local file streamed from disk (``on_progress`` is called for
        file sources)."""
    def delete(self, path: str) -> None: ...

class AsyncFiles:
    async def list(self, path: Optional[str] = None) -> List[FileEntry]: ...
    async def download(
        self,
        path: str,
        dest: Optional[_StrPath] = None,
        *,
        on_progress: Optional[_ByteProgress] = None,
    ) -> Path: ...
    async def read(
        self, path: str, *, start: Optional[int] = None, end: Optional[int] = None
    ) -> bytes: ...
    async def upload(
        self,
        path: str,
        src: Union[bytes, bytearray, memoryview, _StrPath],
        *,
        on_progress: Optional[_ByteProgress] = None,
    ) -> UploadResult: ...
    async def delete(self, path: str) -> None: ...

class Session:
    """One session. ``record`` is the record as last read (create, get, list, refresh, wait)."""

    @property
    def id(self) -> str: ...
    @property
    def record(self) -> SessionRecord: ...
    @property
    def files(self) -> Files: ...
    def refresh(self) -> SessionRecord: ...
    def delete(self) -> None:
        """Destroys the session; workspace files stay."""
    def send(self, message: str, *, idempotency_key: Optional[str] = None) -> Turn:
        """Starts a turn (returns once the server accepted it). 409 → ``ConflictError``."""
    def resume(self, response_id: str, last_event_id: Optional[str] = None) -> Turn:
        """Reopens a turn's events after ``last_event_id`` (from the start when None)."""
    def cancel(self, response_id: str) -> CancelResult: ...
    def submit_tool_result(self, call_id: str, output: Any) -> ToolResultAck:
        """Answers a ``tool_call.requested`` event."""
    def wait(
        self,
        *,
        timeout: Optional[_Seconds] = None,
        poll_interval: Optional[_Seconds] = None,
        max_interval: Optional[_Seconds] = None,
        on_progress: Optional[Callable[[SessionRecord], Any]] = None,
    ) -> SessionRecord:
        """Polls until not busy (1 s, doubling to 10 s, back to 1 s on a change); returns that
        record. ``on_progress`` gets the first record and each changed one; an exception it
        raises stops the wait and propagates. ``timeout`` → ``APITimeoutError``."""

class AsyncSession:
    @property
    def id(self) -> str: ...
    @property
    def record(self) -> SessionRecord: ...
    @property
    def files(self) -> AsyncFiles: ...
    async def refresh(self) -> SessionRecord: ...
    async def delete(self) -> None: ...
    async def send(self, message: str, *, idempotency_key: Optional[str] = None) -> AsyncTurn: ...
    async def resume(self, response_id: str, last_event_id: Optional[str] = None) -> AsyncTurn: ...
    async def cancel(self, response_id: str) -> CancelResult: ...
    async def submit_tool_result(self, call_id: str, output: Any) -> ToolResultAck: ...
    async def wait(
        self,
        *,
        timeout: Optional[_Seconds] = None,
        poll_interval: Optional[_Seconds] = None,
        max_interval: Optional[_Seconds] = None,
        on_progress: Optional[Callable[[SessionRecord], Any]] = None,
    ) -> SessionRecord: ...

class Sessions:
    """``client.sessions``."""

    def create(
        self,
        *,
        persistent: Optional[bool] = None,
        ttl: Optional[_Seconds] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_access: Optional[Dict[str, List[str]]] = None,
        model: Optional[str] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
    ) -> Session:
        """Creates a session; None leaves the server default (only set fields are sent)."""
    def get(self, session_id: str) -> Session: ...
    def list(self) -> List[Session]: ...
    def delete(self, session_id: str) -> None: ...
    def delete_many(
        self,
        *,
        status: Optional[str] = None,
        older_than: Union[_Seconds, str, None] = None,
    ) -> BulkDeleteResult:
        """Destroys sessions matching both filters (none: all). ``status="idle"`` spares busy
        ones; ``older_than`` is seconds, a timedelta, or the server's text (``"1h30m"``)."""

class AsyncSessions:
    async def create(
        self,
        *,
        persistent: Optional[bool] = None,
        ttl: Optional[_Seconds] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_access: Optional[Dict[str, List[str]]] = None,
        model: Optional[str] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
    ) -> AsyncSession: ...
    async def get(self, session_id: str) -> AsyncSession: ...
    async def list(self) -> List[AsyncSession]: ...
    async def delete(self, session_id: str) -> None: ...
    async def delete_many(
        self,
        *,
        status: Optional[str] = None,
        older_than: Union[_Seconds, str, None] = None,
    ) -> BulkDeleteResult: ...

class Pokee:
    """Blocking client of the Pokee Enterprise sessions API. Key: argument, then
    ``POKEE_KEY``; base URL: argument, then ``POKEE_API``. Safe to share between threads."""

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> None: ...
    @property
    def sessions(self) -> Sessions: ...
    @property
    def base_url(self) -> str: ...
    def usage(self) -> Usage: ...
    def health(self) -> Dict[str, Any]: ...

class AsyncPokee:
    """Asyncio client of the Pokee Enterprise sessions API: the methods of ``Pokee`` as
    coroutines, turns as async iterators."""

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> None: ...
    @property
    def sessions(self) -> AsyncSessions: ...
    @property
    def base_url(self) -> str: ...
    async def usage(self) -> Usage: ...
    async def health(self) -> Dict[str, Any]: ...
