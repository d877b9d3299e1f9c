"""``Pokee`` and ``AsyncPokee``: the Pokee Enterprise sessions API, blocking or as coroutines.

Every call is made by the compiled core (``poke._poke._PokeeCore``), which returns a prepared
call: the blocking classes ``.wait()`` on it, the asyncio ones await it.
"""

from __future__ import annotations

import os
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Protocol,
    Union,
    final,
    overload,
)

from . import _poke
from ._client import _unclosed
from ._live import AsyncClosing, no_pickle
from ._poke import (
    BulkDeleteResult,
    CancelResult,
    FileEntry,
    SessionRecord,
    ToolResultAck,
    UploadResult,
    Usage,
)
from ._responses import AsyncResponses, Responses
from ._skills import AsyncSkills, Skills
from ._timeout import Timeout

if TYPE_CHECKING:
    import datetime
    import pathlib

    from typing_extensions import Self

__all__ = [
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
]

TimeoutArg = Union[float, int, Timeout, "datetime.timedelta", None]
Seconds = Union[float, int, "datetime.timedelta"]
PathArg = Union[str, "os.PathLike[str]"]
Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]
ByteProgress = Callable[[int, Optional[int]], Any]


class Writable(Protocol):
    """A binary file object ``Files.download`` can write into: anything with ``write(bytes)``
    (``io.BytesIO``, an open file, ``tempfile.SpooledTemporaryFile``; for ``AsyncFiles``, a
    ``write`` that returns an awaitable is awaited)."""

    def write(self, data: bytes, /) -> Any: ...


# --- turns


@final
class Turn(_poke.Turn):
    """Events of one turn: iterate it (``for event in turn``), best inside ``with turn:``.

    Ends after ``message.completed`` / ``message.error`` / ``message.cancelled``; a dropped
    connection is resumed from ``Last-Event-ID`` and each event arrives once, in order.
    """

    def cancel(self) -> CancelResult:
        """Asks the server to cancel the turn; the events then end with ``message.cancelled``."""
        return self._cancel().wait()

    __reduce__ = no_pickle


@final
class AsyncTurn(AsyncClosing, _poke.AsyncTurn):
    """Events of one turn for asyncio: ``async for event in turn``, best inside
    ``async with turn:``. A read cancelled while it waits loses no event."""

    async def cancel(self) -> CancelResult:
        """Asks the server to cancel the turn; the events then end with ``message.cancelled``."""
        return await self._cancel()

    __reduce__ = no_pickle


# --- byte streams


@final
class ByteStream(_poke.ByteStream):
    """A file's bytes as they arrive: ``for chunk in stream`` (``bytes`` objects whose
    concatenation is the file, or the byte range), best inside ``with stream:``.

    The core reads at most a few blocks ahead (about 1 MiB), so a big file never sits in
    memory; a dropped connection is resumed from the next byte. ``close()`` (or leaving the
    ``with`` block) stops the download and frees its connection.
    """

    __reduce__ = no_pickle


@final
class AsyncByteStream(AsyncClosing, _poke.AsyncByteStream):
    """A file's bytes for asyncio: ``async for chunk in stream``, best inside
    ``async with stream:``. A read cancelled while it waits loses no byte; one read may wait
    at a time."""

    __reduce__ = no_pickle


def _writer(dest: object) -> Optional[Callable[[Any], Any]]:
    """``dest.write`` if ``dest`` is a file object rather than a path (or None)."""
    if dest is None or isinstance(dest, (str, bytes, os.PathLike)):
        return None
    write = getattr(dest, "write", None)
    return write if callable(write) else None


def _rest(chunk: bytes, n: object) -> Optional[memoryview]:
    """What a ``write`` that returned ``n`` left of ``chunk`` (a raw file may write less)."""
    if not isinstance(n, int) or n >= len(chunk):
        return None
    if n <= 0:
        raise OSError(f"write() accepted {n} of {len(chunk)} bytes")
    return memoryview(chunk)[n:]


def _write_all(
    chunks: Iterable[bytes],
    write: Callable[[Any], Any],
    stream: ByteStream,
    on_progress: Optional[ByteProgress],
) -> int:
    written = 0
    for chunk in chunks:
        rest = _rest(chunk, write(chunk))
        while rest is not None:
            rest = _rest(rest, write(rest))  # type: ignore[arg-type]
        written += len(chunk)
        if on_progress is not None:
            on_progress(written, stream.content_length)
    return written


# --- files


class _FilesBase:
    def __init__(self, client: Any, session_id: str) -> None:
        # The client, not its core: while a session or its files are in use, the client
        # stays alive (and open).
        self._client = client
        self.session_id = session_id

    @property
    def _core(self) -> Any:
        return self._client._core

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r})"

    __reduce__ = no_pickle


@final
class Files(_FilesBase):
    """``session.files``: the workspace files, as seen through the session's scope.

    In ``download``, ``read`` and ``iter_bytes``, ``timeout``'s ``total`` bounds the request
    until the file starts to arrive; the bytes after that are bounded by silence (``read``,
    30 s by default), so a big file is never cut off for taking long. A dropped transfer is
    resumed from the next byte.
    """

    def list(
        self,
        path: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> List[FileEntry]:
        """One directory of the workspace (the root when ``path`` is None)."""
        return self._core.list_files(self.session_id, path, timeout, max_retries).wait()

    @overload
    def download(
        self,
        path: str,
        dest: Optional[PathArg] = None,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> pathlib.Path: ...
    @overload
    def download(
        self,
        path: str,
        dest: Writable,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> int: ...
    def download(
        self,
        path: str,
        dest: Union[PathArg, Writable, None] = None,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Union[pathlib.Path, int]:
        """Saves a file to ``dest`` (a file, or a directory to put it in; default: its name in
        the current directory) and returns that path. A failure never leaves a partial file.

        ``dest`` may also be a writable binary file object (``io.BytesIO``, an open file, a
        ``tempfile.SpooledTemporaryFile``...): the bytes are written into it in order as they
        arrive (see ``iter_bytes``) and the number written is returned; a failure (or a
        ``write`` that raises) stops the download, leaving what was written so far.
        ``on_progress(done, total)`` is called after each chunk."""
        write = _writer(dest)
        if write is not None:
            with self.iter_bytes(path, timeout=timeout, max_retries=max_retries) as stream:
                return _write_all(stream, write, stream, on_progress)
        call = self._core.download(self.session_id, path, dest, on_progress, timeout, max_retries)
        return call.wait()  # type: ignore[no-any-return]

    def iter_bytes(
        self,
        path: str,
        *,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ByteStream:
        """A file's bytes (or bytes ``start..=end`` of it) as an iterator of ``bytes`` chunks,
        read ahead in bounded memory and resumed after a dropped connection; use it in a
        ``with`` block so leaving it stops the download. Nothing is sent until the first
        read, which raises what ``read`` would (e.g. ``NotFoundError``)."""
        core = self._core.iter_bytes(self.session_id, path, start, end, timeout, max_retries)
        return ByteStream(core)

    def read(
        self,
        path: str,
        *,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> bytes:
        """A file's bytes, or bytes ``start..=end`` of it (HTTP ``Range`` semantics)."""
        return self._core.read(self.session_id, path, start, end, timeout, max_retries).wait()

    def upload(
        self,
        path: str,
        src: Source,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> UploadResult:
        """Uploads bytes or a local file (streamed) to ``path``, replacing any file there."""
        call = self._core.upload(self.session_id, path, src, on_progress, timeout, max_retries)
        return call.wait()

    def delete(
        self, path: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Deletes a file."""
        return self._core.delete_file(self.session_id, path, timeout, max_retries).wait()


@final
class AsyncFiles(_FilesBase):
    """``session.files`` of ``AsyncPokee``: the methods of ``Files`` as coroutines."""

    async def list(
        self,
        path: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> List[FileEntry]:
        """One directory of the workspace (the root when ``path`` is None)."""
        return await self._core.list_files(self.session_id, path, timeout, max_retries)

    @overload
    async def download(
        self,
        path: str,
        dest: Optional[PathArg] = None,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> pathlib.Path: ...
    @overload
    async def download(
        self,
        path: str,
        dest: Writable,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> int: ...
    async def download(
        self,
        path: str,
        dest: Union[PathArg, Writable, None] = None,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Union[pathlib.Path, int]:
        """Saves a file to ``dest`` and returns that path (see ``Files.download``); the file is
        written by a thread of its own, off the event loop.

        ``dest`` may also be a writable binary file object: the bytes are written into it in
        order on the event loop's thread (a ``write`` returning an awaitable is awaited) and
        the number written is returned."""
        write = _writer(dest)
        if write is None:
            return await self._core.download(  # type: ignore[no-any-return]
                self.session_id, path, dest, on_progress, timeout, max_retries
            )
        written = 0
        async with self.iter_bytes(path, timeout=timeout, max_retries=max_retries) as stream:
            async for chunk in stream:
                rest: Any = chunk
                while rest is not None:
                    n = write(rest)
                    if hasattr(n, "__await__"):
                        n = await n
                    rest = _rest(rest, n)
                written += len(chunk)
                if on_progress is not None:
                    on_progress(written, stream.content_length)
        return written

    def iter_bytes(
        self,
        path: str,
        *,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncByteStream:
        """A file's bytes (or bytes ``start..=end`` of it) as an async iterator of ``bytes``
        chunks (``async for chunk in files.iter_bytes(path)``), best inside ``async with``;
        see ``Files.iter_bytes``."""
        core = self._core.iter_bytes(self.session_id, path, start, end, timeout, max_retries)
        return AsyncByteStream(core)

    async def read(
        self,
        path: str,
        *,
        start: Optional[int] = None,
        end: Optional[int] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> bytes:
        """A file's bytes, or bytes ``start..=end`` of it."""
        return await self._core.read(self.session_id, path, start, end, timeout, max_retries)

    async def upload(
        self,
        path: str,
        src: Source,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> UploadResult:
        """Uploads bytes or a local file (streamed) to ``path``."""
        return await self._core.upload(
            self.session_id, path, src, on_progress, timeout, max_retries
        )

    async def delete(
        self, path: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Deletes a file."""
        return await self._core.delete_file(self.session_id, path, timeout, max_retries)


# --- sessions


class _SessionBase:
    def __init__(self, client: Any, record: SessionRecord) -> None:
        self._client = client
        self._record = record

    @property
    def _core(self) -> Any:
        return self._client._core

    @property
    def id(self) -> str:
        """The session id."""
        return self._record.id

    @property
    def record(self) -> SessionRecord:
        """The session record as last read (by create, get, list, refresh or wait)."""
        return self._record

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.id))

    __reduce__ = no_pickle


@final
class Session(_SessionBase):
    """One session: send messages, wait, manage its files."""

    @property
    def files(self) -> Files:
        """The session's workspace files."""
        return Files(self._client, self.id)

    def refresh(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> SessionRecord:
        """Reads the record again; also updates ``record``."""
        self._record = self._core.get_session(self.id, timeout, max_retries).wait()
        return self._record

    def delete(self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None) -> None:
        """Destroys the session; its workspace files stay."""
        return self._core.delete_session(self.id, timeout, max_retries).wait()

    def send(
        self,
        message: str,
        *,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Turn:
        """Starts a turn and returns its events; dropped connections resume by themselves."""
        core = self._core.send(self.id, message, idempotency_key, timeout, max_retries).wait()
        return Turn(core)

    def resume(
        self,
        response_id: str,
        last_event_id: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Turn:
        """Reopens a turn's events after ``last_event_id`` (from the start when None)."""
        call = self._core.resume(self.id, response_id, last_event_id, timeout, max_retries)
        return Turn(call.wait())

    def cancel(
        self, response_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> CancelResult:
        """Asks the server to cancel the turn ``response_id``."""
        return self._core.cancel(self.id, response_id, timeout, max_retries).wait()

    def submit_tool_result(
        self,
        call_id: str,
        output: Any,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ToolResultAck:
        """Answers a ``tool_call.requested`` event."""
        return self._core.submit_tool_result(self.id, call_id, output, timeout, max_retries).wait()

    def wait(
        self,
        *,
        timeout: Optional[Seconds] = None,
        poll_interval: Optional[Seconds] = None,
        max_interval: Optional[Seconds] = None,
        on_progress: Optional[Callable[[SessionRecord], Any]] = None,
    ) -> SessionRecord:
        """Polls until the session is not busy and returns that record; ``on_progress`` gets
        the first record and every one that changed. ``timeout`` bounds the whole wait
        (``WaitTimeoutError``, also a ``TimeoutError``)."""
        call = self._core.wait(self.id, timeout, poll_interval, max_interval, on_progress)
        self._record = call.wait()
        return self._record


@final
class AsyncSession(_SessionBase):
    """One session of ``AsyncPokee``: the methods of ``Session`` as coroutines."""

    @property
    def files(self) -> AsyncFiles:
        """The session's workspace files."""
        return AsyncFiles(self._client, self.id)

    async def refresh(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> SessionRecord:
        """Reads the record again; also updates ``record``."""
        self._record = await self._core.get_session(self.id, timeout, max_retries)
        return self._record

    async def delete(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Destroys the session; its workspace files stay."""
        return await self._core.delete_session(self.id, timeout, max_retries)

    async def send(
        self,
        message: str,
        *,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncTurn:
        """Starts a turn and returns its events; dropped connections resume by themselves."""
        core = await self._core.send(self.id, message, idempotency_key, timeout, max_retries)
        return AsyncTurn(core)

    async def resume(
        self,
        response_id: str,
        last_event_id: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncTurn:
        """Reopens a turn's events after ``last_event_id`` (from the start when None)."""
        core = await self._core.resume(self.id, response_id, last_event_id, timeout, max_retries)
        return AsyncTurn(core)

    async def cancel(
        self, response_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> CancelResult:
        """Asks the server to cancel the turn ``response_id``."""
        return await self._core.cancel(self.id, response_id, timeout, max_retries)

    async def submit_tool_result(
        self,
        call_id: str,
        output: Any,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ToolResultAck:
        """Answers a ``tool_call.requested`` event."""
        return await self._core.submit_tool_result(self.id, call_id, output, timeout, max_retries)

    async def wait(
        self,
        *,
        timeout: Optional[Seconds] = None,
        poll_interval: Optional[Seconds] = None,
        max_interval: Optional[Seconds] = None,
        on_progress: Optional[Callable[[SessionRecord], Any]] = None,
    ) -> SessionRecord:
        """Polls until the session is not busy (see ``Session.wait``); ``on_progress`` runs on
        the event loop's thread."""
        call = self._core.wait(self.id, timeout, poll_interval, max_interval, on_progress)
        self._record = await call
        return self._record


@final
class Sessions:
    """``client.sessions``: create, get, list and delete sessions."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def _core(self) -> Any:
        return self._client._core

    def create(
        self,
        *,
        persistent: Optional[bool] = None,
        ttl: Optional[Seconds] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_access: Optional[Dict[str, List[str]]] = None,
        model: Optional[str] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Session:
        """Creates a session; every argument is optional (server defaults otherwise)."""
        call = self._core.create_session(
            persistent, ttl, metadata, file_access, model, tools, timeout, max_retries
        )
        return Session(self._client, call.wait())

    def get(
        self, session_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Session:
        """The session with this id (404 → ``NotFoundError``)."""
        return Session(
            self._client, self._core.get_session(session_id, timeout, max_retries).wait()
        )

    def list(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> List[Session]:
        """Every live session of the tenant."""
        records = self._core.list_sessions(timeout, max_retries).wait()
        return [Session(self._client, r) for r in records]

    def delete(
        self, session_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Destroys a session; its workspace files stay."""
        return self._core.delete_session(session_id, timeout, max_retries).wait()

    def delete_many(
        self,
        *,
        status: Optional[str] = None,
        older_than: Union[Seconds, str, None] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> BulkDeleteResult:
        """Destroys every session matching both filters (none: every session)."""
        return self._core.delete_sessions(status, older_than, timeout, max_retries).wait()

    def __repr__(self) -> str:
        return f"Sessions(base_url={self._core.base_url!r})"

    __reduce__ = no_pickle


@final
class AsyncSessions:
    """``client.sessions`` of ``AsyncPokee``: the methods of ``Sessions`` as coroutines."""

    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def _core(self) -> Any:
        return self._client._core

    async def create(
        self,
        *,
        persistent: Optional[bool] = None,
        ttl: Optional[Seconds] = None,
        metadata: Optional[Dict[str, Any]] = None,
        file_access: Optional[Dict[str, List[str]]] = None,
        model: Optional[str] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncSession:
        """Creates a session; every argument is optional (server defaults otherwise)."""
        call = self._core.create_session(
            persistent, ttl, metadata, file_access, model, tools, timeout, max_retries
        )
        return AsyncSession(self._client, await call)

    async def get(
        self, session_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> AsyncSession:
        """The session with this id (404 → ``NotFoundError``)."""
        return AsyncSession(
            self._client, await self._core.get_session(session_id, timeout, max_retries)
        )

    async def list(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> List[AsyncSession]:
        """Every live session of the tenant."""
        records = await self._core.list_sessions(timeout, max_retries)
        return [AsyncSession(self._client, r) for r in records]

    async def delete(
        self, session_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Destroys a session; its workspace files stay."""
        return await self._core.delete_session(session_id, timeout, max_retries)

    async def delete_many(
        self,
        *,
        status: Optional[str] = None,
        older_than: Union[Seconds, str, None] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> BulkDeleteResult:
        """Destroys every session matching both filters (none: every session)."""
        return await self._core.delete_sessions(status, older_than, timeout, max_retries)

    def __repr__(self) -> str:
        return f"AsyncSessions(base_url={self._core.base_url!r})"

    __reduce__ = no_pickle


# --- clients


class _ClientBase:
    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> None:
        self._closed = False
        self._core = _poke._PokeeCore(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @property
    def base_url(self) -> str:
        """The resolved base URL, without trailing slash."""
        return self._core.base_url

    def close(self) -> None:
        """Closes the client: later calls raise ``PokeError``."""
        self._closed = True
        self._core.close()

    def __del__(self) -> None:
        _unclosed(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    __reduce__ = no_pickle


@final
class Pokee(_ClientBase):
    """Blocking client of the Pokee Enterprise sessions API.

    ``Pokee(*, api_key=None, base_url=None, timeout=None, max_retries=None)``: the key from
    the argument or ``POKEE_KEY``, the base URL from the argument or ``POKEE_API``.
    """

    @property
    def sessions(self) -> Sessions:
        """Sessions: ``create``, ``get``, ``list``, ``delete``, ``delete_many``."""
        return Sessions(self)

    @property
    def skills(self) -> Skills:
        """Custom skills: ``list``, ``install``, ``delete``."""
        return Skills(self)

    @property
    def responses(self) -> Responses:
        """Stateless responses: ``create``, ``stream``, ``resume``, ``cancel``, ``run``."""
        return Responses(self)

    def usage(self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None) -> Usage:
        """Rate-limit usage and credit balance."""
        return self._core.usage(timeout, max_retries).wait()

    def health(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Dict[str, Any]:
        """``GET /health`` (no auth): the server's answer as a dict."""
        return self._core.health(timeout, max_retries).wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@final
class AsyncPokee(AsyncClosing, _ClientBase):
    """Asyncio client of the Pokee Enterprise sessions API: the methods of ``Pokee`` as
    coroutines; nothing is sent until a call is awaited."""

    @property
    def sessions(self) -> AsyncSessions:
        """Sessions: ``create``, ``get``, ``list``, ``delete``, ``delete_many``."""
        return AsyncSessions(self)

    @property
    def skills(self) -> AsyncSkills:
        """Custom skills: ``list``, ``install``, ``delete``."""
        return AsyncSkills(self)

    @property
    def responses(self) -> AsyncResponses:
        """Stateless responses: ``create``, ``stream``, ``resume``, ``cancel``, ``run``."""
        return AsyncResponses(self)

    async def usage(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Usage:
        """Rate-limit usage and credit balance."""
        return await self._core.usage(timeout, max_retries)

    async def health(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> Dict[str, Any]:
        """``GET /health`` (no auth): the server's answer as a dict."""
        return await self._core.health(timeout, max_retries)
