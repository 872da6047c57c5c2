"""Creating a shell session with every command registered."""

from __future__ import annotations

from ..files import Workspace
from . import bridges, builtins, nested, specials  # noqa: F401  (register commands)
from .interp import Hooks, Shell


def new_shell(ws: Workspace, hooks: Hooks | None = None) -> Shell:
    return Shell(ws, hooks)
