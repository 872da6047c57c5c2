"""The events a command produces in a live sandbox, for ``corral monitor eval``.

A corpus command runs through the real corral shell (the parser and interpreter the
sandbox's shell worker uses) in a throw-away workspace, with hooks that report what
the sandbox's ``_TierHooks`` report live: one ``ExecAction`` per simple command
(``argv`` as expanded, ``line`` = the command's source text) and one ``FileAction`` per
file notice. Nothing leaves the workspace (the shell's resolver and the kernel-checked
opener), guests, tools and fetches are refused, and each run gets a short deadline. A
script the shell cannot parse produces no events: it is not detected.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from ..budget import Budget
from ..deeptree import remove_tree
from ..events import CodeAction, Event, ExecAction, FileAction
from ..wasm.guest_events import FILE_OP_MAP

#: time one corpus command may run
REPLAY_WALL_S = 1.0
#: events kept from one command (loops)
REPLAY_EVENTS_MAX = 2000


class _Recorder:
    """Shell hooks that record what the live sandbox would report, and run nothing
    outside the shell itself."""

    def __init__(self) -> None:
        self.actions: list[tuple[Any, dict[str, Any] | None, dict[str, Any]]] = []
        self._files: set[tuple[str, str, bool]] = set()

    def _add(self, action: Any, outcome: dict[str, Any] | None, data: dict[str, Any]) -> None:
        if len(self.actions) < REPLAY_EVENTS_MAX:
            self.actions.append((action, outcome, data))

    def on_exec(self, argv: list[str], cwd: str, line: str) -> tuple[bool, str]:
        self._add(ExecAction(argv=argv, cwd=cwd, line=line or " ".join(argv)), None, {})
        return True, ""

    def on_file(self, op: str, path: str, refused: bool) -> None:
        key = (op, path, refused)
        mapped = FILE_OP_MAP.get(op)
        if key in self._files or mapped is None:
            return
        self._files.add(key)
        data: dict[str, Any] = {"source": "shell", "reported": True}
        if op != mapped:
            data["op"] = op
        outcome = {"refused": True, "reason": "outside /workspace"} if refused else None
        self._add(FileAction(op=mapped, path=path), outcome, data)  # type: ignore[arg-type]

    def run_guest(
        self,
        language: str,
        code: str,
        stdin: str,
        argv: list[str],
        fresh: bool,
        env: Any = None,
    ) -> tuple[int, str, str]:
        return 1, "", "corral: no guests in an evaluation\n"

    def call_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        return {"error": "no tools in an evaluation"}

    def tool_names(self) -> list[str]:
        return []

    def fetch(self, argv: list[str], ctx: Any) -> int:
        ctx.stderr.write(f"{argv[0]}: no network in an evaluation\n".encode())
        return 7


def parses(command: str) -> bool:
    """Whether the corral shell can parse ``command``."""
    from ..shell.parser import ShellSyntaxError, parse

    try:
        parse(command)
    except ShellSyntaxError:
        return False
    except (RecursionError, ValueError):
        return False
    return True


def live_events(command: str, session: str, t0: float) -> list[Event]:
    """The events a live sandbox reports for ``command`` (empty when it does not parse):
    the script's ``code`` action, then what the shell reports as it runs it."""
    if not parses(command):
        return []
    from ..files import Workspace
    from ..shell.session import new_shell

    rec = _Recorder()
    root = Path(tempfile.mkdtemp(prefix="corral-eval-"))
    try:
        ws = Workspace(root, Budget(wall_s=REPLAY_WALL_S, disk_mb=16, disk_files=2000))
        shell = new_shell(ws, rec)  # type: ignore[arg-type]
        shell.run(command, deadline=time.monotonic() + REPLAY_WALL_S, output_chars=65536)
    except Exception:  # a shell bug must not end the evaluation: what was seen counts
        pass
    finally:
        remove_tree(root, ignore_errors=True)
    events = [
        Event(session=session, seq=1, time=t0, type="action.requested",
              action=CodeAction(language="shell", code=command))
    ]  # fmt: skip
    for i, (action, outcome, data) in enumerate(rec.actions):
        events.append(
            Event(session=session, seq=i + 2, time=t0 + 0.05 * (i + 1),
                  type="action.requested", action=action, outcome=outcome, data=data)
        )  # fmt: skip
    return events
