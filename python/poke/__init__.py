"""poke: a drop-in, Rust-powered replacement for the official ``poke`` Python SDK.

``Poke`` and ``AsyncPoke`` talk to the Poke developer API; the calls, arguments, return
values, exceptions and messages are those of ``poke`` 0.2.1. ``Pokee`` and ``AsyncPokee``
talk to the Pokee Enterprise sessions API (long-running agent turns, resumable streams,
workspace files).
"""

from __future__ import annotations

import logging as _logging
import os as _os
from typing import TYPE_CHECKING, Optional

from . import _poke
from ._client import AsyncPoke, Poke, RawResponse
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PaymentRequiredError,
    PokeError,
    PokeFileError,
    PokeFileExistsError,
    PokeFileIsADirectoryError,
    PokeFileNotADirectoryError,
    PokeFileNotFoundError,
    PokeFilePermissionError,
    RangeNotSatisfiableError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    StreamInterruptedError,
    ToolRoundsExceededError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from ._poke import (
    BulkDeleteResult,
    CancelResult,
    Event,
    FileEntry,
    InstalledSkill,
    ReplayNotice,
    Response,
    ResponseError,
    ResponseEvent,
    ResponseFunctionToolCall,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseUsage,
    SessionRecord,
    Skill,
    ToolResultAck,
    ToolRun,
    UploadResult,
    Usage,
)
from ._timeout import Timeout

__version__: str = _poke.__version__

# The sessions classes load on first use: `import poke` stays as light as the official package.
_SESSIONS = (
    "AsyncByteStream",
    "AsyncFiles",
    "AsyncPokee",
    "AsyncSession",
    "AsyncSessions",
    "AsyncTurn",
    "ByteStream",
    "Files",
    "Pokee",
    "Session",
    "Sessions",
    "Turn",
)
_SKILLS = ("AsyncSkills", "Skills")
_RESPONSES = ("AsyncResponseStream", "AsyncResponses", "ResponseStream", "Responses", "Tool")


def __getattr__(name: str) -> object:
    if name in _SESSIONS:
        from . import _sessions as module
    elif name in _SKILLS:
        from . import _skills as module  # type: ignore[no-redef]
    elif name in _RESPONSES:
        from . import _responses as module  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module 'poke' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from ._responses import AsyncResponses, AsyncResponseStream, Responses, ResponseStream, Tool
    from ._sessions import (
        AsyncByteStream,
        AsyncFiles,
        AsyncPokee,
        AsyncSession,
        AsyncSessions,
        AsyncTurn,
        ByteStream,
        Files,
        Pokee,
        Session,
        Sessions,
        Turn,
    )
    from ._skills import AsyncSkills, Skills


def _setup_logging() -> None:
    # POKE_LOG=info|debug turns on the core's logs (also read by the extension at import).
    level = _os.environ.get("POKE_LOG", "").strip().lower()
    if level not in ("info", "debug"):
        return
    logger = _logging.getLogger("poke")
    logger.setLevel(_logging.DEBUG if level == "debug" else _logging.INFO)
    if not logger.handlers:
        handler = _logging.StreamHandler()
        handler.setFormatter(
            _logging.Formatter("[%(asctime)s - %(name)s - %(levelname)s] %(message)s")
        )
        logger.addHandler(handler)
    _poke._refresh_logging()


_setup_logging()
DEFAULT_BASE_URL: str = _poke.DEFAULT_BASE_URL


def _load_credentials_file() -> dict:
    """The ``poke login`` credentials as a dict (``{"token": ...}``), or ``{}``."""
    token = _poke.load_credentials_token()
    return {"token": token} if token else {}


def _resolve_api_key(api_key: Optional[str]) -> str:
    """The API key from the argument, ``POKE_API_KEY`` or the credentials file."""
    return _poke.resolve_api_key(api_key)


def _resolve_base_url(base_url: Optional[str]) -> str:
    """The base URL from the argument, ``POKE_API`` or the default, trailing ``/`` removed."""
    return _poke.resolve_base_url(base_url)


__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncByteStream",
    "AsyncFiles",
    "AsyncPoke",
    "AsyncPokee",
    "AsyncResponseStream",
    "AsyncResponses",
    "AsyncSession",
    "AsyncSessions",
    "AsyncSkills",
    "AsyncTurn",
    "AuthenticationError",
    "BadRequestError",
    "BulkDeleteResult",
    "ByteStream",
    "CancelResult",
    "ConflictError",
    "Event",
    "FileEntry",
    "Files",
    "ForbiddenError",
    "InstalledSkill",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "Poke",
    "PokeError",
    "PokeFileError",
    "PokeFileExistsError",
    "PokeFileIsADirectoryError",
    "PokeFileNotADirectoryError",
    "PokeFileNotFoundError",
    "PokeFilePermissionError",
    "Pokee",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "RawResponse",
    "ReplayNotice",
    "Response",
    "ResponseDecodeError",
    "ResponseError",
    "ResponseEvent",
    "ResponseFunctionToolCall",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseStream",
    "ResponseTooLargeError",
    "ResponseUsage",
    "Responses",
    "Session",
    "SessionRecord",
    "Sessions",
    "Skill",
    "Skills",
    "StreamInterruptedError",
    "Timeout",
    "Tool",
    "ToolResultAck",
    "ToolRoundsExceededError",
    "ToolRun",
    "Turn",
    "UnprocessableEntityError",
    "UploadResult",
    "Usage",
    "WaitTimeoutError",
    "__version__",
]
