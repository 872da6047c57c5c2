"""Events for what code in the WebAssembly tier *does*: the shell worker's file notices
and the guests' intents (Python and JavaScript: opens and other file operations,
process starts, connections).

Both come from code the host does not trust (a worker, a guest), so they are claims:
each is checked here (known op, bounded strings), becomes an event on the bus for the
monitor and the audit log, and is never an allow of anything.
"""

from __future__ import annotations

import contextlib
import posixpath
from typing import Any

from ..events import ExecAction, FileAction, NetAction, SessionEvents

#: the worker's/guest's file op -> the op the policy and the monitor rules know
FILE_OP_MAP = {
    "read": "read",
    "write": "write",
    "append": "write",
    "create": "write",
    "rename": "write",
    "symlink": "write",
    "link": "write",
    "delete": "delete",
    "chmod": "chmod",
    "mkdir": "mkdir",
}
PATH_MAX = 4096
ARGV_MAX = 256
ARG_MAX = 4096
HOST_MAX = 255
#: intents taken from one guest run; the rest are dropped
INTENTS_MAX = 1000
#: file operations a guest may report (``open`` intents)
GUEST_FILE_OPS = frozenset({"read", "write", "append", "create", "delete", "rename", "mkdir"})


def file_event(
    events: SessionEvents, op: str, path: str, refused: bool, *, source: str
) -> None:
    """Emit ``action.requested`` with a ``FileAction`` for a reported file operation
    (``op`` from :data:`FILE_OP_MAP`); a refused one carries ``outcome.refused``."""
    mapped = FILE_OP_MAP.get(op)
    if mapped is None:
        return
    data: dict[str, Any] = {"source": source, "reported": True}
    if op != mapped:
        data["op"] = op
    outcome = {"refused": True, "reason": "outside /workspace"} if refused else None
    events.emit(
        "action.requested",
        action=FileAction(op=mapped, path=path),  # type: ignore[arg-type]
        outcome=outcome,
        data=data,
    )


def _str(v: Any, limit: int) -> str | None:
    if isinstance(v, str) and 0 < len(v) <= limit and "\x00" not in v:
        return v
    return None


class GuestIntents:
    """Turns a guest's ``intent`` frames into events, at most :data:`INTENTS_MAX` per
    run; malformed ones are dropped (counted in :attr:`dropped`)."""

    def __init__(self, events: SessionEvents, language: str) -> None:
        self.events = events
        self.language = language
        self.count = 0
        self.dropped = 0
        self._seen: set[tuple[Any, ...]] = set()

    def __call__(self, msg: dict[str, Any]) -> None:
        self.count += 1
        if self.count > INTENTS_MAX:
            self.dropped += 1
            return
        try:
            ok = self._take(msg)
        except Exception:  # a claim never breaks the host
            ok = False
        if not ok:
            self.dropped += 1

    def _take(self, msg: dict[str, Any]) -> bool:
        kind = msg.get("kind")
        data = {"source": f"{self.language}-guest", "reported": True, "attempt": True}
        if kind == "spawn":
            argv = msg.get("argv")
            if not isinstance(argv, list) or not 0 < len(argv) <= ARGV_MAX:
                return False
            args = [_str(a, ARG_MAX) if a != "" else "" for a in argv]
            if any(a is None for a in args) or not args[0]:
                return False
            via = _str(msg.get("via"), 64)
            if via:
                data["via"] = via
            line = _str(msg.get("line"), ARG_MAX * 4)
            key = ("spawn", tuple(args), line)
            if key in self._seen:
                return True
            self._seen.add(key)
            action = ExecAction(argv=args, line=line or " ".join(args))  # type: ignore[arg-type]
            refused = {"refused": True, "reason": "no processes in the guest"}
            self.events.emit("action.requested", action=action, data=data, outcome=refused)
            return True
        if kind == "connect":
            host = _str(msg.get("host"), HOST_MAX)
            port = msg.get("port")
            if host is None:
                return False
            if port is not None and (
                not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535
            ):
                return False
            key = ("connect", host, port, msg.get("url"))
            if key in self._seen:
                return True
            self._seen.add(key)
            via = _str(msg.get("via"), 64)
            if via:
                data["via"] = via
            url = _str(msg.get("url"), ARG_MAX)
            net = NetAction(host=host, port=port, protocol="tcp", url=url)
            refused = {"refused": True, "reason": "no sockets in the guest"}
            self.events.emit("action.requested", action=net, data=data, outcome=refused)
            return True
        if kind == "open":
            path = _str(msg.get("path"), PATH_MAX)
            op = msg.get("file_op")
            if path is None or op not in GUEST_FILE_OPS:
                return False
            if not path.startswith("/"):
                path = posixpath.join("/workspace", path)
            path = posixpath.normpath(path)
            key = ("open", op, path)
            if key in self._seen:
                return True
            self._seen.add(key)
            inside = path == "/workspace" or path.startswith("/workspace/")
            with contextlib.suppress(Exception):
                file_event(self.events, op, path, not inside and bool(msg.get("failed")),
                           source=f"{self.language}-guest")  # fmt: skip
            return True
        return False
