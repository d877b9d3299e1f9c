"""``client.responses``: stateless OpenAI-Responses-shaped calls (create, stream, resume,
cancel) and the function-tool loop (``run``), blocking or as coroutines.

Every call is made by the compiled core (``poke._poke._ResponsesCore``); the loop itself is the
core's too. What is Python here: reading a function's signature into a JSON schema (``Tool``),
and calling the functions the model asks for.
"""

from __future__ import annotations

import enum
import inspect
import json
import typing
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
    final,
    overload,
)

from . import _poke
from ._exceptions import PokeError
from ._live import AsyncClosing, no_pickle
from ._poke import CancelResult, Response, ToolRun

if TYPE_CHECKING:
    from ._sessions import TimeoutArg

__all__ = [
    "AsyncResponseStream",
    "AsyncResponses",
    "ResponseStream",
    "Responses",
    "Tool",
]

InputArg = Union[str, Sequence[Any]]
ReasoningArg = Union[str, Mapping[str, Any], None]

_JSON_TYPES: Dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    dict: "object",
}


def _schema_of(annotation: Any) -> Dict[str, Any]:
    """A JSON schema for a parameter annotation (the common cases; anything else: no
    constraint)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union:
        kinds = [a for a in args if a is not type(None)]
        return _schema_of(kinds[0]) if len(kinds) == 1 else {}
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, Sequence) or annotation in (list, tuple):
        items = _schema_of(args[0]) if args else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin in (dict, Mapping) or annotation is dict:
        return {"type": "object"}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"enum": [m.value for m in annotation]}
    kind = _JSON_TYPES.get(annotation)
    return {"type": kind} if kind else {}


def _parameters_of(func: Callable[..., Any]) -> Dict[str, Any]:
    """The arguments object of ``func`` as a JSON schema: its named parameters, those
    without a default required."""
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = {}
    properties: Dict[str, Any] = {}
    required: List[str] = []
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        properties[name] = _schema_of(hints.get(name, param.annotation))
        if param.default is param.empty:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


@final
class Tool:
    """A function the model may call, with its declaration: ``Tool(fn)`` reads the name,
    description (docstring) and JSON schema (signature and annotations) from ``fn``; any of
    them can be given instead. ``fn`` may be a coroutine function for ``AsyncPokee``."""

    def __init__(
        self,
        func: Optional[Callable[..., Any]] = None,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        parameters: Optional[Mapping[str, Any]] = None,
        strict: Optional[bool] = None,
    ) -> None:
        if func is not None and not callable(func):
            raise TypeError("Tool(func): func must be callable")
        self.func = func
        self.name: str = name or getattr(func, "__name__", "") or ""
        if not self.name:
            raise TypeError("Tool needs a name (or a function to take it from)")
        doc = inspect.getdoc(func) if func is not None else None
        self.description: Optional[str] = description if description is not None else doc
        if parameters is not None:
            self.parameters: Dict[str, Any] = dict(parameters)
        elif func is not None:
            self.parameters = _parameters_of(func)
        else:
            self.parameters = {"type": "object", "properties": {}}
        self.strict = strict

    @classmethod
    def of(cls, value: Any) -> Tool:
        """A ``Tool`` from a ``Tool``, a callable, or a declaration dict (OpenAI's flat or
        nested function form; it has no function to run)."""
        if isinstance(value, Tool):
            return value
        if isinstance(value, Mapping):
            spec = value.get("function", value)
            if not isinstance(spec, Mapping) or not spec.get("name"):
                raise TypeError("a tool declaration needs a name")
            return cls(
                name=str(spec["name"]),
                description=spec.get("description"),
                parameters=spec.get("parameters") or {"type": "object", "properties": {}},
                strict=spec.get("strict"),
            )
        if callable(value):
            return cls(value)
        raise TypeError(f"a tool is a callable, a poke.Tool or a dict, not {type(value).__name__}")

    def definition(self) -> Dict[str, Any]:
        """The declaration sent to the server (OpenAI's flat function form)."""
        out: Dict[str, Any] = {"type": "function", "name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["parameters"] = self.parameters
        if self.strict is not None:
            out["strict"] = self.strict
        return out

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"


def _item(value: Any) -> Any:
    """An input item as plain data: records and OpenAI objects through their dict form."""
    if isinstance(value, Mapping):
        return dict(value)
    for method in ("to_dict", "model_dump"):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert()
    return value


def _request(
    input: InputArg,
    model: Optional[str],
    instructions: Optional[str],
    tools: Optional[Sequence[Any]],
    reasoning: ReasoningArg,
    extra_body: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    body: Dict[str, Any] = dict(extra_body or {})
    body["input"] = input if isinstance(input, str) else [_item(i) for i in input]
    if model is not None:
        body["model"] = model
    if instructions is not None:
        body["instructions"] = instructions
    if tools:
        body["tools"] = [Tool.of(t).definition() for t in tools]
    if isinstance(reasoning, str):
        body["reasoning"] = {"effort": reasoning}
    elif reasoning is not None:
        body["reasoning"] = dict(reasoning)
    return body


def _output(value: Any) -> str:
    """A function's return value as the output text sent back (``str`` as it is, anything
    else as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def _dispatcher(tools: Sequence[Any], allow_async: bool) -> Callable[[str, str, str], Any]:
    """The function the core's loop calls for each function call: finds the tool, calls it
    with the JSON arguments as keyword arguments, and returns its output text (or, for a
    coroutine function on ``AsyncPokee``, a coroutine of it)."""
    table: Dict[str, Tool] = {}
    for t in tools:
        tool = Tool.of(t)
        if tool.func is None:
            raise TypeError(
                f"tool {tool.name!r} has no function to run: give run() callables or poke.Tool(fn)"
            )
        if inspect.iscoroutinefunction(tool.func) and not allow_async:
            raise TypeError(f"tool {tool.name!r} is a coroutine function: run it with AsyncPokee")
        table[tool.name] = tool

    def dispatch(name: str, arguments: str, call_id: str) -> Any:
        tool = table.get(name)
        if tool is None or tool.func is None:
            raise PokeError(f"the model called {name!r}, which is not one of the tools")
        args = json.loads(arguments) if arguments.strip() else {}
        if not isinstance(args, dict):
            raise PokeError(f"the arguments of {name!r} are not a JSON object: {arguments}")
        result = tool.func(**args)
        if inspect.isawaitable(result):
            return _finish(result)
        return _output(result)

    return dispatch


async def _finish(awaitable: Awaitable[Any]) -> str:
    return _output(await awaitable)


# --- streams


@final
class ResponseStream(_poke.ResponseStream):
    """Events of a streamed response: iterate it (``for event in stream``), best inside
    ``with stream:``. Ends after ``response.completed`` / ``.failed`` / ``.cancelled``; a
    dropped connection is resumed from ``Last-Event-ID`` and each event arrives once."""

    def cancel(self) -> CancelResult:
        """Asks the server to cancel the response; the events then end with
        ``response.cancelled``."""
        return self._cancel().wait()

    def get_final_response(self) -> Response:
        """Reads the remaining events and returns the response of the terminal one."""
        last: Optional[Response] = None
        for event in self:
            if event.is_terminal:
                last = event.response
        if last is None:
            raise PokeError("the stream ended without a terminal response event")
        return last

    __reduce__ = no_pickle


@final
class AsyncResponseStream(AsyncClosing, _poke.AsyncResponseStream):
    """Events of a streamed response for asyncio: ``async for event in stream``, best inside
    ``async with stream:``. A read cancelled while it waits loses no event."""

    async def cancel(self) -> CancelResult:
        """Asks the server to cancel the response."""
        return await self._cancel()

    async def get_final_response(self) -> Response:
        """Reads the remaining events and returns the response of the terminal one."""
        last: Optional[Response] = None
        async for event in self:
            if event.is_terminal:
                last = event.response
        if last is None:
            raise PokeError("the stream ended without a terminal response event")
        return last

    __reduce__ = no_pickle


# --- clients


class _ResponsesBase:
    def __init__(self, client: Any) -> None:
        self._client = client

    @property
    def _core(self) -> Any:
        return _poke._ResponsesCore(self._client._core)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r})"

    __reduce__ = no_pickle


@final
class Responses(_ResponsesBase):
    """``client.responses``: one stateless inference call with tools, in OpenAI's Responses
    shape (``POST /v1/responses``)."""

    @overload
    def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = ...,
        instructions: Optional[str] = ...,
        tools: Optional[Sequence[Any]] = ...,
        reasoning: ReasoningArg = ...,
        stream: Literal[False] = ...,
        extra_body: Optional[Mapping[str, Any]] = ...,
        idempotency_key: Optional[str] = ...,
        timeout: TimeoutArg = ...,
        max_retries: Optional[int] = ...,
    ) -> Response: ...
    @overload
    def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = ...,
        instructions: Optional[str] = ...,
        tools: Optional[Sequence[Any]] = ...,
        reasoning: ReasoningArg = ...,
        stream: Literal[True],
        extra_body: Optional[Mapping[str, Any]] = ...,
        idempotency_key: Optional[str] = ...,
        timeout: TimeoutArg = ...,
        max_retries: Optional[int] = ...,
    ) -> ResponseStream: ...
    def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        tools: Optional[Sequence[Any]] = None,
        reasoning: ReasoningArg = None,
        stream: bool = False,
        extra_body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Union[Response, ResponseStream]:
        """One call: ``input`` is text or items (dicts, or items of an earlier response);
        ``tools`` are callables, ``poke.Tool``s or declaration dicts; ``reasoning`` an effort
        (``"low"``) or ``{"effort": ...}``. Returns the ``Response`` (``output``,
        ``output_text``, ``usage``), or with ``stream=True`` a ``ResponseStream``."""
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        if stream:
            core = self._core.stream(request, idempotency_key, timeout, max_retries).wait()
            return ResponseStream(core)
        return self._core.create(request, timeout, max_retries).wait()

    def stream(
        self,
        *,
        input: InputArg,
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        tools: Optional[Sequence[Any]] = None,
        reasoning: ReasoningArg = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ResponseStream:
        """The call streamed: typed ``ResponseEvent``s, resumed after a drop. The
        ``Idempotency-Key`` (a fresh one unless given) is reused on every retry."""
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        return ResponseStream(
            self._core.stream(request, idempotency_key, timeout, max_retries).wait()
        )

    def resume(
        self,
        response_id: str,
        last_event_id: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ResponseStream:
        """Reopens a streamed response's events after ``last_event_id`` (from the start when
        None); only its creator may (``NotFoundError`` otherwise)."""
        call = self._core.resume(response_id, last_event_id, timeout, max_retries)
        return ResponseStream(call.wait())

    def cancel(
        self, response_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> CancelResult:
        """Cancels a streamed response: ``cancelling`` or ``already_complete``."""
        return self._core.cancel(response_id, timeout, max_retries).wait()

    def run(
        self,
        *,
        input: InputArg,
        tools: Sequence[Any],
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        reasoning: ReasoningArg = None,
        max_rounds: Optional[int] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ToolRun:
        """Runs the function-tool loop: sends ``input``, calls each function the model asks
        for (``tools``: callables or ``poke.Tool``s) with its JSON arguments, sends the
        outputs with the whole history, and stops at a reply with no call, after at most
        ``max_rounds`` requests (default 10; ``ToolRoundsExceededError`` beyond). An
        exception in a function stops the loop and is raised as it is."""
        dispatch = _dispatcher(tools, allow_async=False)
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        return self._core.run(request, dispatch, max_rounds, timeout, max_retries).wait()


@final
class AsyncResponses(_ResponsesBase):
    """``client.responses`` of ``AsyncPokee``: the methods of ``Responses`` as coroutines."""

    @overload
    async def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = ...,
        instructions: Optional[str] = ...,
        tools: Optional[Sequence[Any]] = ...,
        reasoning: ReasoningArg = ...,
        stream: Literal[False] = ...,
        extra_body: Optional[Mapping[str, Any]] = ...,
        idempotency_key: Optional[str] = ...,
        timeout: TimeoutArg = ...,
        max_retries: Optional[int] = ...,
    ) -> Response: ...
    @overload
    async def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = ...,
        instructions: Optional[str] = ...,
        tools: Optional[Sequence[Any]] = ...,
        reasoning: ReasoningArg = ...,
        stream: Literal[True],
        extra_body: Optional[Mapping[str, Any]] = ...,
        idempotency_key: Optional[str] = ...,
        timeout: TimeoutArg = ...,
        max_retries: Optional[int] = ...,
    ) -> AsyncResponseStream: ...
    async def create(
        self,
        *,
        input: InputArg,
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        tools: Optional[Sequence[Any]] = None,
        reasoning: ReasoningArg = None,
        stream: bool = False,
        extra_body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> Union[Response, AsyncResponseStream]:
        """One call (see ``Responses.create``)."""
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        if stream:
            core = await self._core.stream(request, idempotency_key, timeout, max_retries)
            return AsyncResponseStream(core)
        return await self._core.create(request, timeout, max_retries)

    async def stream(
        self,
        *,
        input: InputArg,
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        tools: Optional[Sequence[Any]] = None,
        reasoning: ReasoningArg = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncResponseStream:
        """The call streamed (see ``Responses.stream``)."""
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        core = await self._core.stream(request, idempotency_key, timeout, max_retries)
        return AsyncResponseStream(core)

    async def resume(
        self,
        response_id: str,
        last_event_id: Optional[str] = None,
        *,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> AsyncResponseStream:
        """Reopens a streamed response's events after ``last_event_id``."""
        core = await self._core.resume(response_id, last_event_id, timeout, max_retries)
        return AsyncResponseStream(core)

    async def cancel(
        self, response_id: str, *, timeout: TimeoutArg = None, max_retries: Optional[int] = None
    ) -> CancelResult:
        """Cancels a streamed response."""
        return await self._core.cancel(response_id, timeout, max_retries)

    async def run(
        self,
        *,
        input: InputArg,
        tools: Sequence[Any],
        model: Optional[str] = None,
        instructions: Optional[str] = None,
        reasoning: ReasoningArg = None,
        max_rounds: Optional[int] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        timeout: TimeoutArg = None,
        max_retries: Optional[int] = None,
    ) -> ToolRun:
        """The function-tool loop (see ``Responses.run``); functions may be coroutine
        functions, and every function runs on the event loop's thread."""
        dispatch = _dispatcher(tools, allow_async=True)
        request = _request(input, model, instructions, tools, reasoning, extra_body)
        return await self._core.run(request, dispatch, max_rounds, timeout, max_retries)
