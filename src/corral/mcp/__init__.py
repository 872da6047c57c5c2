"""corral as an MCP server (the official ``mcp`` SDK): ``corral mcp`` over stdio, or
:func:`http_app` (streamable HTTP) for the HTTP server to mount.

This package is ``corral.mcp``; the SDK is the top-level ``mcp``, imported with absolute
imports only. Names are loaded on first use (the SDK takes about a second to import,
which ``corral --help`` should not pay).
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "ApprovalForm": "approvals",
    "ElicitingApprover": "approvals",
    "SandboxSessions": "sessions",
    "SessionUnavailable": "sessions",
    "make_factory": "sessions",
    "build_server": "server",
    "http_app": "server",
    "serve_stdio": "server",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'corral.mcp' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
