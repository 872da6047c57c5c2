"""LangChain: the sandbox's tools as ``langchain_core`` ``StructuredTool``s.

    from corral.adapters.langchain import sandbox_tools
    tools = sandbox_tools(sb)            # bind to a chat model, or invoke directly
    tools[0].invoke({"command": "ls"})

Needs ``langchain-core`` (``pip install 'corral[langchain]'``). Each tool returns text
for the model; a refused command or a bad path is text saying so, not an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .toolset import TOOLS, ToolSpec, call

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["sandbox_tools"]


def _args_model(spec: ToolSpec) -> Any:
    from pydantic import Field, create_model

    fields: dict[str, Any] = {}
    for p in spec.params:
        typ: Any = str if p.type == "string" else bool
        if p.required:
            fields[p.name] = (typ, Field(description=p.description))
        else:
            fields[p.name] = (typ | None, Field(default=None, description=p.description))
    return create_model(f"{spec.name}_args", **fields)


def sandbox_tools(sb: Sandbox) -> list[Any]:
    """The six tools bound to ``sb``, as ``StructuredTool``s."""
    try:
        from langchain_core.tools import StructuredTool
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "corral.adapters.langchain needs langchain-core: pip install 'corral[langchain]'"
        ) from e

    def make(spec: ToolSpec) -> Any:
        def run(**kwargs: Any) -> str:
            args = {k: v for k, v in kwargs.items() if v is not None}
            return call(sb, spec.name, args).text

        return StructuredTool.from_function(
            func=run,
            name=spec.name,
            description=spec.description,
            args_schema=_args_model(spec),
        )

    return [make(spec) for spec in TOOLS.values()]
