"""Adapters: the sandbox as tools for agent frameworks.

``toolset`` holds the six tools (shell, Python, JavaScript, read/write/list files) and
runs them on a :class:`~corral.Sandbox`; ``openai`` gives OpenAI function-calling schemas
and a handler for tool calls (``sb.openai_tools()``, ``sb.handle(tool_call)``);
``langchain`` gives LangChain ``StructuredTool``s (needs the ``langchain`` extra). The MCP
server (``corral.mcp``) serves the same tools.
"""

from __future__ import annotations

from .toolset import TOOLS, ToolOutcome, call

__all__ = ["TOOLS", "ToolOutcome", "call"]
