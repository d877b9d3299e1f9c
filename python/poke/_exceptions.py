"""Exception classes of ``poke``.

The four classes of the official ``poke`` 0.2.1 keep their constructor, ``args``, ``.status``
and messages; the others sit under :class:`PokeError`, so ``except PokeError`` still catches
everything.
"""

from __future__ import annotations

import errno as _errno
import json
from typing import Any, Dict, Optional


class PokeError(Exception):
    """Base class of every error raised by ``poke``; ``.status`` is the HTTP status or None."""

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        *,
        request_id: Optional[str] = None,
        body: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
        retry_after: Optional[float] = None,
        code: Optional[str] = None,
    ) -> None:
        # Not super(): the MRO of the dual classes below reaches JSONDecodeError/OSError.
        Exception.__init__(self, message)
        self.status = status
        if request_id is not None:
            self.request_id = request_id
        if body is not None:
            self.body = body
        if headers:
            self.headers = headers
        if retry_after is not None:
            self.retry_after = retry_after
        if code is not None:
            self.code = code

    # Class-level defaults keep the instance __dict__ as small as 0.2.1's ({"status": ...}).
    request_id: Optional[str] = None
    body: Optional[str] = None
    headers: Dict[str, str] = {}  # noqa: RUF012 (read-only default; instances get their own)
    retry_after: Optional[float] = None
    code: Optional[str] = None

    @property
    def status_code(self) -> Optional[int]:
        """Alias of ``status``."""
        return self.status

    @property
    def message(self) -> str:
        """The message, as ``str(exc)``."""
        return str(self.args[0]) if self.args else ""


class AuthenticationError(PokeError):
    """401: the API key (or webhook token) is invalid or expired."""


class ForbiddenError(PokeError):
    """403: the key lacks the permission, or a path is outside the session's scope."""


class RateLimitError(PokeError):
    """429: rate limited; ``retry_after`` holds the server's hint in seconds, if any."""


class BadRequestError(PokeError):
    """400: the server rejected the request as malformed."""


class PaymentRequiredError(PokeError):
    """402: insufficient credits."""


class NotFoundError(PokeError):
    """404: no such resource."""


class ConflictError(PokeError):
    """409: conflict, e.g. a session busy with another turn."""


class PayloadTooLargeError(PokeError):
    """413: the upload is larger than the server accepts."""


class RangeNotSatisfiableError(PokeError):
    """416: a bad ``Range``."""


class UnprocessableEntityError(PokeError):
    """422: e.g. an idempotency key reused with a different body."""


class InternalServerError(PokeError):
    """Any status of 500 or above."""


class APIConnectionError(PokeError, ConnectionError):
    """The request did not get an answer (refused, DNS, TLS, reset); ``status`` is None.

    Also a builtin ``ConnectionError``, which is what 0.2.1 leaked when the server closed the
    connection without a reply.
    """


class APITimeoutError(APIConnectionError, TimeoutError):
    """A timeout expired; also a builtin ``TimeoutError``."""


class StreamInterruptedError(APIConnectionError):
    """A turn stream could not be resumed; ``last_event_id`` allows a manual resume."""

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        *,
        last_event_id: Optional[str] = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, status, **kw)
        self.last_event_id = last_event_id


class InvalidRequestError(PokeError, ValueError):
    """An argument could never be sent (control characters in a token, a bad URL, NaN)."""


class ResponseDecodeError(PokeError, json.JSONDecodeError):
    """A 2xx reply that is not JSON; also a ``json.JSONDecodeError`` as 0.2.1 raised."""

    def __init__(self, message: str, status: Optional[int] = None, **kw: Any) -> None:
        json.JSONDecodeError.__init__(self, message, "", 0)
        PokeError.__init__(self, message, status, **kw)

    def __reduce__(self) -> Any:
        # JSONDecodeError pickles as (msg, doc, pos); this class is made from its message.
        return (type(self), (str(self.args[0]), self.status), self.__dict__)


class ResponseTooLargeError(PokeError):
    """A reply larger than the configured cap."""


class ToolRoundsExceededError(PokeError):
    """``responses.run`` made its last allowed request and the model still asked for a tool."""


class WaitTimeoutError(APITimeoutError):
    """``Session.wait(timeout=...)`` ran out of time (also a builtin ``TimeoutError``, and an
    ``APITimeoutError`` so that handlers of call timeouts catch it too)."""


class PokeFileError(PokeError, OSError):
    """A local file could not be read or written; ``errno`` and ``filename`` as ``OSError``'s.

    Raised as the subclass matching the error (``FileNotFoundError``, ``PermissionError``,
    ``IsADirectoryError``, ...), so ``except FileNotFoundError`` works as for ``open()``.
    """

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        *,
        errno: Optional[int] = None,
        filename: Optional[str] = None,
        **kw: Any,
    ) -> None:
        PokeError.__init__(self, message, status, **kw)
        self.errno = errno
        self.strerror = message
        self.filename = filename

    def __reduce__(self) -> Any:
        state = {k: v for k, v in self.__dict__.items() if k not in ("status",)}
        return (_rebuild_file_error, (type(self), str(self), self.status, state))

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _rebuild_file_error(cls: type, message: str, status: Optional[int], state: dict) -> Any:
    e = cls(message, status, errno=state.get("errno"), filename=state.get("filename"))
    e.__dict__.update(state)
    return e


class PokeFileNotFoundError(PokeFileError, FileNotFoundError):
    """A ``PokeFileError`` that is also a ``FileNotFoundError``."""


class PokeFilePermissionError(PokeFileError, PermissionError):
    """A ``PokeFileError`` that is also a ``PermissionError``."""


class PokeFileIsADirectoryError(PokeFileError, IsADirectoryError):
    """A ``PokeFileError`` that is also an ``IsADirectoryError``."""


class PokeFileNotADirectoryError(PokeFileError, NotADirectoryError):
    """A ``PokeFileError`` that is also a ``NotADirectoryError``."""


class PokeFileExistsError(PokeFileError, FileExistsError):
    """A ``PokeFileError`` that is also a ``FileExistsError``."""


_BY_ERRNO = {
    _errno.ENOENT: PokeFileNotFoundError,
    _errno.EACCES: PokeFilePermissionError,
    _errno.EPERM: PokeFilePermissionError,
    _errno.EROFS: PokeFilePermissionError,
    _errno.EISDIR: PokeFileIsADirectoryError,
    _errno.ENOTDIR: PokeFileNotADirectoryError,
    _errno.EEXIST: PokeFileExistsError,
}

#: errno for the kinds of failure the core reports without an OS code.
_KIND_ERRNO = {
    "NotFound": _errno.ENOENT,
    "PermissionDenied": _errno.EACCES,
    "IsADirectory": _errno.EISDIR,
    "NotADirectory": _errno.ENOTDIR,
    "AlreadyExists": _errno.EEXIST,
    "ReadOnlyFilesystem": _errno.EROFS,
}


def _file_error(message: str, errno: Optional[int], kind: str, filename: str) -> PokeFileError:
    """The ``PokeFileError`` subclass for an OS error number (or the core's kind of error)."""
    if errno is None:
        errno = _KIND_ERRNO.get(kind)
    cls = _BY_ERRNO.get(errno, PokeFileError) if errno is not None else PokeFileError
    return cls(message, None, errno=errno, filename=filename)


# The classes are public under ``poke``: that is the module they report (for tracebacks,
# ``repr`` of the class, and pickling, which finds them there).
for _cls in [
    v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, PokeError)
]:
    _cls.__module__ = "poke"
del _cls
