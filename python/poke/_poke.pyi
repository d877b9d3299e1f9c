"""Type stubs of the compiled core (``poke._poke``); the public classes are in ``poke``."""

import asyncio
import datetime
import os
from collections.abc import Generator
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from typing_extensions import Self, TypeAlias, disjoint_base, final

from ._timeout import Timeout

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncByteStream",
    "AsyncResponseStream",
    "AsyncTurn",
    "BulkDeleteResult",
    "ByteStream",
    "Call",
    "CallbackChain",
    "CancelResult",
    "Emulator",
    "Event",
    "FileEntry",
    "InstalledSkill",
    "RawResponse",
    "ReplayNotice",
    "Response",
    "ResponseError",
    "ResponseEvent",
    "ResponseFunctionToolCall",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseStream",
    "ResponseUsage",
    "SessionRecord",
    "Skill",
    "ToolResultAck",
    "ToolRun",
    "Turn",
    "UploadResult",
    "Usage",
    "_AsyncPokeCore",
    "_ByteStreamCore",
    "_PokeCore",
    "_PokeeCore",
    "_RawAsyncPokeCore",
    "_RawPoke",
    "_ResponseStreamCore",
    "_ResponsesCore",
    "_SkillsCore",
    "_TurnCore",
    "__version__",
    "_cli_main",
    "_rebuild",
    "_refresh_logging",
    "callback_policy",
    "extract_callback_context",
    "load_credentials_token",
    "resolve_api_key",
    "resolve_base_url",
    "set_callback_policy",
]
__version__: str
DEFAULT_BASE_URL: str

_TimeoutArg: TypeAlias = Union[float, int, datetime.timedelta, Timeout, None]
_Seconds: TypeAlias = Union[float, int, datetime.timedelta]
_ByteProgress: TypeAlias = Callable[[int, Optional[int]], Any]
_StrPath: TypeAlias = Union[str, "os.PathLike[str]"]

def _refresh_logging() -> None: ...
def _cli_main(argv: List[str]) -> int: ...
def _rebuild(cls: Any, fields: Dict[str, Any]) -> Any: ...

@final
class RawResponse:
    """A successful reply with its HTTP details (``with_raw_response``)."""

    @property
    def status_code(self) -> int: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def headers(self) -> Dict[str, str]: ...
    @property
    def text(self) -> str: ...
    def parse(self) -> Dict[str, Any]: ...

@final
class _RawPoke:
    def send_message(
        self,
        message: Any,
        *,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> RawResponse: ...
    def create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> RawResponse: ...
    def send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> RawResponse: ...

@final
class _RawAsyncPokeCore:
    def _send_message(
        self,
        message: Any,
        *,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[RawResponse]: ...
    def _create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[RawResponse]: ...
    def _send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[RawResponse]: ...

@disjoint_base
class _PokeCore:
    """The calls of ``poke.Poke``."""

    def __new__(
        cls,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Self: ...
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
    def _raw_calls(self) -> _RawPoke: ...
    def _headers(self, token: Optional[str] = None) -> Dict[str, str]: ...
    @property
    def _api_key(self) -> str: ...
    @property
    def _base_url(self) -> str: ...
    @property
    def _closed(self) -> bool: ...
    def close(self) -> None:
        """Closes the client; later calls raise ``PokeError``."""

@disjoint_base
class _AsyncPokeCore:
    """The calls of ``poke.AsyncPoke``, as asyncio futures."""

    def __new__(
        cls,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Self: ...
    def _send_message(
        self,
        message: Any,
        *,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[Dict[str, Any]]: ...
    def _create_webhook(
        self,
        *,
        condition: Any,
        action: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[Dict[str, Any]]: ...
    def _send_webhook(
        self,
        *,
        webhook_url: str,
        webhook_token: Optional[str],
        data: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> asyncio.Future[Dict[str, Any]]: ...
    def _raw_calls(self) -> _RawAsyncPokeCore: ...
    def _headers(self, token: Optional[str] = None) -> Dict[str, str]: ...
    @property
    def _api_key(self) -> str: ...
    @property
    def _base_url(self) -> str: ...
    @property
    def _closed(self) -> bool: ...
    def close(self) -> None:
        """Closes the client; later calls raise ``PokeError``."""

@final
class Call:
    """A prepared call: ``wait()`` runs it blocking, ``await`` runs it on the event loop."""

    def wait(self) -> Any: ...
    def __await__(self) -> Generator[Any, None, Any]: ...

@final
class Emulator:
    """The bundled emulator, running in-process on a loopback port."""

    def __new__(
        cls,
        *,
        host: str = ...,
        port: int = 0,
        api_key: Optional[str] = None,
        tls: bool = False,
    ) -> Self: ...
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
    def script_response(self, script: Dict[str, Any]) -> None:
        """Queues a stateless-response script for the next ``POST /v1/responses``."""
    def responses(self) -> Dict[str, Any]: ...
    def skills(self) -> List[Dict[str, Any]]: ...
    def skill_file(self, name: str, path: str) -> Optional[bytes]: ...
    def sessions_config(self) -> Dict[str, Any]: ...
    def configure_sessions(self, **patch: Any) -> None:
        """Changes settings of the sessions API, e.g. ``configure_sessions(pace_ms=0)``."""
    def workspace_file(self, path: str) -> Optional[bytes]: ...
    def put_workspace_file(self, path: str, data: bytes) -> None: ...
    def reset(self) -> None: ...
    def shutdown(self) -> None: ...
    def __enter__(self) -> Emulator: ...
    def __exit__(self, _t: object, _v: object, _tb: object) -> None: ...

def resolve_api_key(api_key: Optional[str] = None) -> str: ...
def resolve_base_url(base_url: Optional[str] = None) -> str: ...
def load_credentials_token() -> Optional[str]: ...

# --- poke.mcp support

@final
class CallbackChain:
    def __new__(cls, url: str, token: str) -> Self: ...
    def send(self, content: Any, has_more: bool) -> asyncio.Future[Tuple[bool, Optional[str]]]: ...

def set_callback_policy(
    *,
    max_attempts: Optional[int] = None,
    max_total: Optional[float] = None,
    default_backoff: Optional[float] = None,
    max_retry_after: Optional[float] = None,
    post_timeout: Optional[float] = None,
) -> None: ...
def callback_policy() -> Dict[str, Any]: ...
def extract_callback_context(
    pairs: List[Tuple[str, str]],
) -> Optional[Tuple[Optional[str], Optional[str]]]: ...

# --- Pokee Enterprise sessions API

@final
class SessionRecord:
    """A session as the server reports it; frozen. ``to_dict()`` keeps unknown fields."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
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

@final
class Event:
    """One event of a turn; frozen."""

    def __new__(
        cls,
        *,
        type: str,
        data: Any = None,
        id: Optional[str] = None,
        raw: Optional[str] = None,
    ) -> Self: ...
    def __reduce__(self) -> Any: ...
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

@final
class FileEntry:
    """One entry of a directory listing."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
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

@final
class UploadResult:
    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def path(self) -> str:
        """The normalised workspace-relative path written."""
    @property
    def size(self) -> int: ...
    @property
    def modified(self) -> Optional[float]: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class CancelResult:
    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
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

@final
class BulkDeleteResult:
    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def deleted(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ToolResultAck:
    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def call_id(self) -> Optional[str]: ...
    @property
    def status(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ReplayNotice:
    """An idempotent re-send of a turn whose events were evicted: no events follow."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def response_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def note(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Usage:
    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
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

@final
class _TurnCore:
    """A turn as the sessions client returns it."""

class _TurnBase:
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def last_event_id(self) -> Optional[str]:
        """The id of the last event delivered, for a manual ``session.resume(...)``."""
    @property
    def is_finished(self) -> bool: ...
    @property
    def session_id(self) -> str: ...
    @property
    def idempotency_key(self) -> Optional[str]: ...
    @property
    def replayed(self) -> Optional[ReplayNotice]: ...
    def close(self) -> None:
        """Stops reading now; the turn keeps running on the server."""
    def _cancel(self) -> Call: ...

@disjoint_base
class Turn(_TurnBase):
    def __new__(cls, core: _TurnCore) -> Self: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Event: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, _t: object, _v: object, _tb: object) -> None: ...

@disjoint_base
class AsyncTurn(_TurnBase):
    def __new__(cls, core: _TurnCore) -> Self: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> asyncio.Future[Event]: ...

@final
class _ByteStreamCore:
    """A download as ``_PokeeCore.iter_bytes`` returns it."""

class _ByteStreamBase:
    @property
    def content_length(self) -> Optional[int]:
        """The size the server announced, once the response arrived (None before)."""
    @property
    def bytes_read(self) -> int:
        """Bytes handed out so far."""
    def close(self) -> None:
        """Stops the download now and frees its connection; later reads end."""

@disjoint_base
class ByteStream(_ByteStreamBase):
    def __new__(cls, core: _ByteStreamCore) -> Self: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> bytes: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, _t: object, _v: object, _tb: object) -> None: ...

@disjoint_base
class AsyncByteStream(_ByteStreamBase):
    def __new__(cls, core: _ByteStreamCore) -> Self: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> asyncio.Future[bytes]: ...

@final
class _PokeeCore:
    def __new__(
        cls,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    def close(self) -> None: ...
    def usage(self, timeout: _TimeoutArg = None, max_retries: Optional[int] = None) -> Call: ...
    def health(self, timeout: _TimeoutArg = None, max_retries: Optional[int] = None) -> Call: ...
    def create_session(
        self,
        persistent: Optional[bool],
        ttl: Optional[_Seconds],
        metadata: Any,
        file_access: Any,
        model: Optional[str],
        tools: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def get_session(
        self, session_id: str, timeout: _TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Call: ...
    def list_sessions(
        self, timeout: _TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Call: ...
    def delete_session(
        self, session_id: str, timeout: _TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Call: ...
    def delete_sessions(
        self,
        status: Optional[str],
        older_than: Union[_Seconds, str, None],
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def send(
        self,
        session_id: str,
        message: str,
        idempotency_key: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def resume(
        self,
        session_id: str,
        response_id: str,
        last_event_id: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def cancel(
        self,
        session_id: str,
        response_id: str,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def submit_tool_result(
        self,
        session_id: str,
        call_id: str,
        output: Any,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def wait(
        self,
        session_id: str,
        timeout: Optional[_Seconds] = None,
        poll_interval: Optional[_Seconds] = None,
        max_interval: Optional[_Seconds] = None,
        on_progress: Optional[Callable[[SessionRecord], Any]] = None,
    ) -> Call: ...
    def list_files(
        self,
        session_id: str,
        path: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def download(
        self,
        session_id: str,
        path: str,
        dest: Optional[_StrPath] = None,
        on_progress: Optional[_ByteProgress] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def read(
        self,
        session_id: str,
        path: str,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def iter_bytes(
        self,
        session_id: str,
        path: str,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> _ByteStreamCore: ...
    def upload(
        self,
        session_id: str,
        path: str,
        src: Union[bytes, bytearray, memoryview, _StrPath],
        on_progress: Optional[_ByteProgress] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def delete_file(
        self,
        session_id: str,
        path: str,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...

# --- skills

@final
class Skill:
    """One custom skill of ``client.skills.list()``."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def skill_md_size(self) -> int:
        """Size of its ``SKILL.md``, in bytes."""
    @property
    def modified(self) -> Optional[float]:
        """When it was installed, Unix seconds."""
    def to_dict(self) -> Dict[str, Any]: ...

@final
class InstalledSkill:
    """The answer of ``client.skills.install(...)``."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def files(self) -> List[str]:
        """Its regular files, relative to the skill root, sorted."""
    @property
    def total_bytes(self) -> int: ...
    @property
    def skill_md_size(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class _SkillsCore:
    def __new__(cls, core: _PokeeCore) -> Self: ...
    def list(self, timeout: _TimeoutArg = None, max_retries: Optional[int] = None) -> Call: ...
    def install(
        self,
        name: str,
        source: Union[bytes, bytearray, memoryview, _StrPath],
        on_progress: Optional[_ByteProgress] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def delete(
        self, name: str, timeout: _TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Call: ...

# --- stateless responses

@final
class ResponseUsage:
    """Token counts of a response."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def total_tokens(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ResponseError:
    """Why a response failed."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def code(self) -> Optional[str]: ...
    @property
    def message(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ResponseOutputMessage:
    """An assistant message item."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def type(self) -> str:
        """``message``."""
    @property
    def id(self) -> Optional[str]: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def content(self) -> List[Dict[str, Any]]:
        """The parts as dicts (``{"type": "output_text", "text": ...}``)."""
    @property
    def text(self) -> str:
        """The text of its ``output_text`` parts."""
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ResponseFunctionToolCall:
    """A call the model asks for; answer it with a ``function_call_output``."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def type(self) -> str:
        """``function_call``."""
    @property
    def id(self) -> Optional[str]: ...
    @property
    def call_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str:
        """The arguments object as JSON text."""
    @property
    def status(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ResponseOutputItem:
    """An output item of another type (``reasoning``, ...)."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def type(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

_OutputItem: TypeAlias = Union[ResponseOutputMessage, ResponseFunctionToolCall, ResponseOutputItem]

@final
class Response:
    """A stateless response: ``output``, ``output_text``, ``usage``, ``status``."""

    def __new__(cls, **fields: Any) -> Self: ...
    def __reduce__(self) -> Any: ...
    @property
    def id(self) -> str: ...
    @property
    def object(self) -> str: ...
    @property
    def created_at(self) -> Optional[float]: ...
    @property
    def model(self) -> Optional[str]: ...
    @property
    def status(self) -> str:
        """``completed``, ``failed``, ``cancelled``, or anything newer."""
    @property
    def output(self) -> List[_OutputItem]: ...
    @property
    def output_text(self) -> str:
        """The text of every message item, joined."""
    @property
    def function_calls(self) -> List[ResponseFunctionToolCall]: ...
    @property
    def usage(self) -> Optional[ResponseUsage]: ...
    @property
    def error(self) -> Optional[ResponseError]: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ResponseEvent:
    """One event of a streamed response (OpenAI's attribute names); frozen."""

    @property
    def type(self) -> str:
        """``response.created``, ``response.output_text.delta``, ..., ``response.completed``."""
    @property
    def id(self) -> Optional[str]: ...
    @property
    def sequence_number(self) -> Optional[int]: ...
    @property
    def item_id(self) -> Optional[str]: ...
    @property
    def output_index(self) -> Optional[int]: ...
    @property
    def content_index(self) -> Optional[int]: ...
    @property
    def delta(self) -> Optional[str]: ...
    @property
    def text(self) -> Optional[str]: ...
    @property
    def arguments(self) -> Optional[str]: ...
    @property
    def item(self) -> Optional[_OutputItem]: ...
    @property
    def response(self) -> Optional[Response]: ...
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def error(self) -> Optional[ResponseError]: ...
    @property
    def is_terminal(self) -> bool: ...
    @property
    def data(self) -> Any: ...
    @property
    def raw(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...

@final
class ToolRun:
    """What ``client.responses.run(...)`` produced."""

    @property
    def response(self) -> Response:
        """The last response: the one that asked for no function call."""
    @property
    def output_text(self) -> str: ...
    @property
    def history(self) -> List[Dict[str, Any]]:
        """The conversation as input items."""
    @property
    def rounds(self) -> int:
        """Requests made."""

@final
class _ResponseStreamCore:
    """A streamed response as the responses client returns it."""

class _ResponseStreamBase:
    @property
    def response_id(self) -> Optional[str]: ...
    @property
    def last_event_id(self) -> Optional[str]: ...
    @property
    def is_finished(self) -> bool: ...
    @property
    def idempotency_key(self) -> Optional[str]: ...
    @property
    def replayed(self) -> Optional[ReplayNotice]: ...
    def close(self) -> None:
        """Stops reading now; the response goes on on the server."""
    def _cancel(self) -> Call: ...

@disjoint_base
class ResponseStream(_ResponseStreamBase):
    def __new__(cls, core: _ResponseStreamCore) -> Self: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> ResponseEvent: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, _t: object, _v: object, _tb: object) -> None: ...

@disjoint_base
class AsyncResponseStream(_ResponseStreamBase):
    def __new__(cls, core: _ResponseStreamCore) -> Self: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> asyncio.Future[ResponseEvent]: ...

@final
class _ResponsesCore:
    def __new__(cls, core: _PokeeCore) -> Self: ...
    def create(
        self,
        request: Dict[str, Any],
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def stream(
        self,
        request: Dict[str, Any],
        idempotency_key: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def resume(
        self,
        response_id: str,
        last_event_id: Optional[str] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
    def cancel(
        self, response_id: str, timeout: _TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Call: ...
    def run(
        self,
        request: Dict[str, Any],
        dispatch: Callable[[str, str, str], Any],
        max_rounds: Optional[int] = None,
        timeout: _TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Call: ...
