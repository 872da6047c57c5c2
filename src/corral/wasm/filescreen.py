"""Which file operations of the corral shell the host must decide before they happen.

The shell's built-ins and redirections open, write, move and remove files themselves,
inside the workspace: nothing else sees those operations, so the policy's file rules
(``filesystem.deny``, ``ask``, ``ask_write``: a reference solution, an agent's own
instructions) are applied here, by asking the host before the operation. Asking about
every ``cat`` would cost a round trip each, so the host sends a table
(:meth:`corral.policy.Policy.file_screen`) of the paths its rules name, and the worker
asks only about those. The table only says *whether to ask*: the host decides (and
records the decision); a path the table lets through is one the policy allows.
"""

from __future__ import annotations

import re
from typing import Any

from .. import saferegex

#: the shell's file ops that read (every other op writes: the policy's own split)
READ_OPS = frozenset({"read"})


class FileScreen:
    """The compiled table of :meth:`Policy.file_screen`."""

    def __init__(self, table: dict[str, Any]) -> None:
        self._ask: dict[str, Any] = {}
        self._allow: dict[str, Any] = {}
        for kind in ("read", "write"):
            entry = table.get(kind) or {}
            for name, into in (("ask", self._ask), ("allow", self._allow)):
                text = entry.get(name)
                into[kind] = saferegex.compile(text, re.DOTALL) if isinstance(text, str) else None
        self._default_allows = bool(table.get("default_allows"))

    def needs_host(self, op: str, path: str) -> bool:
        """Whether operation ``op`` on guest ``path`` (absolute, normalised) must be
        decided by the host before it happens."""
        kind = "read" if op in READ_OPS else "write"
        ask = self._ask[kind]
        if ask is not None and ask.fullmatch(path) is not None:
            return True
        if self._default_allows:
            return False
        allow = self._allow[kind]
        return allow is None or allow.fullmatch(path) is None


def load(table: Any) -> FileScreen | None:
    """The screen for a table sent by the host (None: no file rules to apply)."""
    if not isinstance(table, dict):
        return None
    return FileScreen(table)
