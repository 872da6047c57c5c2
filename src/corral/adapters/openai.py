"""OpenAI function calling: the sandbox's tools as schemas, tool calls run on the sandbox.

    tools = sb.openai_tools()          # pass as tools= to chat.completions.create
    for tc in message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": tc.id, "content": sb.handle(tc)})

:func:`handle` accepts the SDK's tool-call object (``tc.function.name``,
``tc.function.arguments``), the same as a dict, or a Responses-API ``function_call`` item
(``name``/``arguments`` at the top). It always returns text for the model: bad JSON, an
unknown tool or a refused command give a message saying so, never an exception.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .toolset import TOOLS, ToolOutcome, call, json_schema

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["handle", "handle_outcome", "openai_tools", "parse_tool_call"]

#: the longest arguments string accepted (a write_file's content included)
MAX_ARGUMENTS_CHARS = 16 * 1024 * 1024


def openai_tools() -> list[dict[str, Any]]:
    """The six tools as OpenAI ``tools=`` entries (``type: function``, strict schemas
    are not used: ``list_files`` has optional arguments)."""
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": json_schema(spec),
            },
        }
        for spec in TOOLS.values()
    ]


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def parse_tool_call(tool_call: Any) -> tuple[str, Any, str | None]:
    """``(name, arguments, problem)`` of a tool call in any of the accepted shapes."""
    fn = _field(tool_call, "function")
    holder = fn if fn is not None else tool_call
    name = _field(holder, "name")
    raw = _field(holder, "arguments")
    if not isinstance(name, str) or not name:
        return "", None, "the tool call has no function name"
    if raw is None or raw == "":
        return name, {}, None
    if isinstance(raw, dict):
        return name, raw, None
    if not isinstance(raw, str):
        return name, None, f"the arguments must be a JSON string, not {type(raw).__name__}"
    if len(raw) > MAX_ARGUMENTS_CHARS:
        return name, None, f"the arguments are too long ({len(raw)} characters)"
    try:
        args = json.loads(raw)
    except (ValueError, RecursionError) as e:
        return name, None, f"the arguments are not valid JSON: {e}"
    return name, args, None


def handle_outcome(sb: Sandbox, tool_call: Any) -> ToolOutcome:
    """Run a tool call on ``sb``; the full :class:`ToolOutcome`."""
    name, args, problem = parse_tool_call(tool_call)
    if problem is not None:
        return ToolOutcome(name, False, f"bad arguments: {problem}", {}, "bad_arguments")
    return call(sb, name, args)


def handle(sb: Sandbox, tool_call: Any) -> str:
    """Run a tool call on ``sb`` and return the text to send back as the tool message."""
    return handle_outcome(sb, tool_call).text
