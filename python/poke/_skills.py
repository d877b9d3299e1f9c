"""``client.skills``: the tenant's custom skills (list, install, delete), blocking or as
coroutines. Every call is made by the compiled core (``poke._poke._SkillsCore``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Union, final

from . import _poke
from ._live import no_pickle
from ._poke import InstalledSkill, Skill

if TYPE_CHECKING:
    import os

    from ._sessions import TimeoutArg

__all__ = ["AsyncSkills", "Skills"]

SkillSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
ByteProgress = Callable[[int, Optional[int]], Any]


class _SkillsBase:
    def __init__(self, client: Any) -> None:
        # The client, not its core: while its skills are in use, the client stays open.
        self._client = client

    @property
    def _core(self) -> Any:
        return _poke._SkillsCore(self._client._core)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r})"

    __reduce__ = no_pickle


@final
class Skills(_SkillsBase):
    """``client.skills``: custom skills installed for the tenant (visible to sessions
    created after the install)."""

    def list(self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None) -> List[Skill]:
        """The installed custom skills (not the built-in ones)."""
        return self._core.list(timeout, max_retries).wait()

    def install(
        self,
        name: str,
        source: SkillSource,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> InstalledSkill:
        """Installs or replaces skill ``name`` from a directory holding ``SKILL.md`` (zipped
        on the fly, in a fixed order), a ``.zip`` file, or zip bytes. The name and a
        directory are checked before anything is sent; ``on_progress(sent, total)`` follows
        the upload. A bad bundle raises ``BadRequestError``, an oversized one
        ``PayloadTooLargeError``, and the installed skill stays as it was."""
        call = self._core.install(name, source, on_progress, timeout, max_retries)
        return call.wait()

    def delete(
        self, name: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Uninstalls skill ``name`` (``NotFoundError`` when there is none)."""
        return self._core.delete(name, timeout, max_retries).wait()


@final
class AsyncSkills(_SkillsBase):
    """``client.skills`` of ``AsyncPokee``: the methods of ``Skills`` as coroutines."""

    async def list(
        self, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> List[Skill]:
        """The installed custom skills (not the built-in ones)."""
        return await self._core.list(timeout, max_retries)

    async def install(
        self,
        name: str,
        source: SkillSource,
        *,
        on_progress: Optional[ByteProgress] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> InstalledSkill:
        """Installs or replaces skill ``name`` (see ``Skills.install``); ``on_progress``
        runs on the event loop's thread."""
        return await self._core.install(name, source, on_progress, timeout, max_retries)

    async def delete(
        self, name: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> None:
        """Uninstalls skill ``name``."""
        return await self._core.delete(name, timeout, max_retries)
