"""Host functions that guest code may call, through the capability checks.

Register a plain or ``async`` Python function; guest Python calls it as a
function (``get_weather(city="SF")`` or ``tools.weather.get(city="SF")``), guest
JavaScript with ``await`` and one object argument
(``await tools.weather.get({city: "SF"})``). Arguments and results travel as
JSON.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ToolError

if TYPE_CHECKING:
    import asyncio

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*([./][A-Za-z_][A-Za-z0-9_\-]*)*$")


@dataclass(frozen=True)
class Tool:
    name: str
    func: Callable[..., Any]
    description: str
    is_async: bool
    signature: inspect.Signature | None

    def bind(self, args: dict[str, Any]) -> None:
        """Raise TypeError with a readable message when ``args`` do not fit."""
        if self.signature is None:
            return
        try:
            self.signature.bind(**args)
        except TypeError as e:
            raise TypeError(f"bad arguments for tool {self.name!r}: {e}") from None


class ToolRegistry:
    """The tools of one sandbox."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        self._lock = threading.Lock()

    def register(
        self,
        func: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Any:
        """Register ``func``; usable as ``register(f)``, ``@register`` or
        ``@register(name="stripe/charges/create")``."""
        if func is None:
            return lambda f: self.register(f, name=name, description=description)
        if not callable(func):
            raise ToolError(f"a tool must be callable, got {type(func).__name__}")
        tname = name or getattr(func, "__name__", None)
        if not tname or not _NAME_RE.match(tname):
            raise ToolError(
                f"invalid tool name {tname!r}: use letters, digits, _ and -, "
                "with segments separated by / or ."
            )
        try:
            sig: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            sig = None
        tool = Tool(
            name=tname,
            func=func,
            description=description or inspect.getdoc(func) or "",
            is_async=inspect.iscoroutinefunction(func)
            or inspect.iscoroutinefunction(type(func).__call__),
            signature=sig,
        )
        with self._lock:
            if tname in self._tools:
                raise ToolError(f"a tool named {tname!r} is already registered")
            self._tools[tname] = tool
        return func

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)


def run_tool(tool: Tool, args: dict[str, Any], loop: asyncio.AbstractEventLoop | None) -> Any:
    """Call a tool (sync or async) from a worker thread and return its value."""
    tool.bind(args)
    if not tool.is_async:
        value = tool.func(**args)
        if inspect.isawaitable(value):
            value = _await(value, loop)
        return value
    return _await(tool.func(**args), loop)


def _await(awaitable: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
    import asyncio  # loaded by the first async tool, not with the sandbox

    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            return asyncio.run_coroutine_threadsafe(_wrap(awaitable), loop).result()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_wrap(awaitable))
    # Called from inside a running loop's thread: use a private loop elsewhere.
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["v"] = asyncio.run(_wrap(awaitable))
        except BaseException as e:
            box["e"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box["v"]


async def _wrap(awaitable: Any) -> Any:
    return await awaitable


def to_json_value(value: Any, tool: str) -> Any:
    """Check that a tool's result can travel to the guest as JSON."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as e:
        raise ToolError(f"tool {tool!r} returned a value that is not JSON: {e}") from None
    return value
