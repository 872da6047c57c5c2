"""File events of a gVisor sandbox, read from the Sentry's trace.

gVisor's file accesses happen inside its own kernel (the Sentry): the host sees the
gofer's, not the programs', so fanotify (the bwrap tier's :mod:`.filewatch`) has nothing
to mark. The Sentry's trace does: with the file system calls in ``--strace-syscalls``
each call's exit is a line naming the path (and, for the ``…at`` calls with
``AT_FDCWD``, the caller's working directory). Reported as the other tiers report
theirs: ``action.requested`` with a :class:`~corral.events.FileAction`, ``data.source``
``gvisor``, ``observed``.

What is reported: successful opens outside the system directories and corral's curated
``/etc`` (a read, a ``list``
for ``O_DIRECTORY``, a write when opened to write, create, truncate or append);
creations, deletions, renames (a ``write`` of the new name with ``renamed_from``, as
:mod:`.filewatch`), ``chmod``, ``mkdir``, links; and attempts that *failed* to change a
file (a write, delete, chmod refused by the sandbox: the intent is the event,
``data.failed`` the error). Failed reads (programs probe for files all the time) and
``/proc``, ``/sys``, ``/dev`` are not reported. Each (operation, path) once per call and
the same bounds as :mod:`.filewatch` (:data:`~.filewatch.EVENTS_MAX` distinct, then only
telling paths up to :data:`~.filewatch.EVENTS_HARD_MAX`).

Paths: absolute ones as written; relative ones joined to the directory the trace shows
(``AT_FDCWD /cwd`` or a descriptor's path), else to the last working directory seen for
that process, else reported as they are with ``data.unverified``. The trace prints paths
unquoted, so a name holding ``, 0x…`` can blur where one argument ends: the last
plausible split is taken (a name cannot move a real write of ``~/.bashrc`` elsewhere,
only make the reported name longer). These are observations of what programs asked
for, not a wall.
"""

from __future__ import annotations

import posixpath
import re
import threading
from collections.abc import Callable
from typing import Any

from .. import saferegex
from ..events import FileAction
from .filewatch import EVENTS_HARD_MAX, EVENTS_MAX, _telling

__all__ = ["FILE_SYSCALLS", "GvisorFileEvents", "parse_file_line"]

#: the calls traced for file events (names runsc knows on x86-64 and arm64)
FILE_SYSCALLS = ("openat", "unlinkat", "renameat", "renameat2", "fchmodat", "mkdirat",
                 "linkat", "symlinkat", "truncate", "fchmod")  # fmt: skip
#: the same without a directory descriptor (x86-64 only)
FILE_SYSCALLS_X86 = ("open", "creat", "unlink", "rmdir", "rename", "chmod", "mkdir", "link",
                     "symlink")  # fmt: skip

_NAMES = "|".join(sorted(FILE_SYSCALLS + FILE_SYSCALLS_X86, key=len, reverse=True))
#: ``[ PID: TID]``, or ``[ PID( NSPID): TID( NSTID)]`` in a sub-container (a pooled
#: session): the ids in the task's own pid namespace
_ID = r"\s*(?:\d+\(\s*)?(\d+)\)?"
_HEAD = re.compile(
    rf"[IWEDF]\d{{4}} [\d:.]+\s+\d+ strace\.go:\d+\] \[{_ID}:{_ID}\] .{{0,16}}? "
    rf"([EX]) ({_NAMES})\(",
    re.S,
)
#: the end of an exit line: ``) = RESULT (0xRESULT)[ errno=N (text)] (duration)``
_TAIL = saferegex.compile(
    r"\) = (-?\d+) \(0x[0-9a-f]+\)(?: errno=(\d+) \(([^()]*)\))? \([^()]*\)\Z"
)

# The arguments of each call as the Sentry prints them: a string is ``0xADDR text``, a
# directory descriptor ``AT_FDCWD /cwd`` / ``0xFD /its/path`` (or a bare number), a mode
# ``0o644``, open flags ``O_A|O_B``. Strings are unquoted: the greedy groups (RE2, linear
# time) take the last plausible cut between two of them.
_S = r"0x[0-9a-f]+ (.*)"
_D = r"(?:AT_FDCWD|0x[0-9a-f]+)(?: (.*))?"
_M = r"0o[0-7]+"
_X = r"0x[0-9a-f]+"
_F = r"((?:O_[A-Z0-9_]+|0x[0-9a-f]+)(?:\|(?:O_[A-Z0-9_]+|0x[0-9a-f]+))*)"
_TWO = ("dir", "old", "newdir", "path")
_FORMS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # call: (arguments, their names, operation)
    "openat": (f"{_D}, {_S}, {_F}, {_M}", ("dir", "path", "flags"), "open"),
    "open": (f"{_S}, {_F}, {_M}", ("path", "flags"), "open"),
    "creat": (f"{_S}, {_M}", ("path",), "write"),
    "unlinkat": (f"{_D}, {_S}, {_X}", ("dir", "path"), "delete"),
    "unlink": (_S, ("path",), "delete"),
    "rmdir": (_S, ("path",), "delete"),
    "fchmodat": (f"{_D}, {_S}, {_M}", ("dir", "path"), "chmod"),
    "chmod": (f"{_S}, {_M}", ("path",), "chmod"),
    "fchmod": (f"{_D}, {_M}", ("path",), "chmod"),
    "mkdirat": (f"{_D}, {_S}, {_M}", ("dir", "path"), "mkdir"),
    "mkdir": (f"{_S}, {_M}", ("path",), "mkdir"),
    "truncate": (f"{_S}, {_X}", ("path",), "write"),
    "renameat": (f"{_D}, {_S}, {_D}, {_S}", _TWO, "rename"),
    "renameat2": (f"{_D}, {_S}, {_D}, {_S}, {_X}", _TWO, "rename"),
    "rename": (f"{_S}, {_S}", ("old", "path"), "rename"),
    "linkat": (f"{_D}, {_S}, {_D}, {_S}, {_X}", _TWO, "link"),
    "link": (f"{_S}, {_S}", ("old", "path"), "link"),
    "symlinkat": (f"{_S}, {_D}, {_S}", ("target", "dir", "path"), "symlink"),
    "symlink": (f"{_S}, {_S}", ("target", "path"), "symlink"),
}
_COMPILED = {k: (saferegex.compile(rx, re.S), names, op) for k, (rx, names, op) in _FORMS.items()}
_WRITE_FLAGS = frozenset({"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"})
#: where every program reads (libraries, locales, corral's curated /etc, which holds no
#: secrets) or corral's own files: reads not reported, as the bwrap tier does not mark them
_SYSTEM = ("/usr/", "/lib/", "/lib64/", "/lib32/", "/bin/", "/sbin/", "/etc/", "/run/corral/")
_PSEUDO = ("/proc/", "/sys/", "/dev/")

#: a parsed line: (pid, op, path, directory or None, failed error or None, extra data)
Parsed = tuple[int, str, str, str | None, str | None, dict[str, Any]]


def _join(base: str | None, path: str) -> str:
    return posixpath.join(base, path) if base and base.startswith("/") and path and \
        not path.startswith("/") else path  # fmt: skip


def parse_file_line(line: str) -> Parsed | None:
    """One exit line of a traced file call, or None (another line, a failed read)."""
    line = line.rstrip("\r\n")
    head = _HEAD.match(line)
    if head is None or head.group(3) != "X":
        return None
    tail = _TAIL.search(line, max(head.end(), len(line) - 200))
    if tail is None:
        return None
    pid, call = int(head.group(1)), head.group(4)
    form, names, op = _COMPILED[call]
    m = form.fullmatch(line, head.end(), tail.start())
    if m is None:
        return None
    arg = dict(zip(names, m.groups(), strict=True))
    failed = tail.group(3) if tail.group(2) else None
    extra: dict[str, Any] = {}
    path = arg.get("path") or ""
    directory = arg.get("dir")
    if op == "open":
        flags = set((arg["flags"] or "").split("|"))
        op = "list" if "O_DIRECTORY" in flags else "write" if flags & _WRITE_FLAGS else "read"
        if failed is not None and op != "write":
            return None  # a failed read or listing: programs probe for files all the time
    elif op in ("rename", "link"):
        old = _join(directory, arg["old"] or "")
        extra["renamed_from" if op == "rename" else "linked_from"] = old
        directory = arg.get("newdir") or directory
        op = "write"
    elif op == "symlink":
        extra["symlink_to"] = arg["target"] or ""
        op = "write"
    if not path:
        return None
    return pid, op, path, directory, failed, extra


class GvisorFileEvents:
    """Turns a sandbox's traced file calls into file events, once per (op, path) a call."""

    def __init__(self, emit: Callable[..., None]) -> None:
        self.emit = emit
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str, bool]] = set()
        self._cwd: dict[int, str] = {}
        self.reported = 0
        self.dropped = 0

    def new_call(self) -> None:
        with self._lock:
            self._seen.clear()

    def on_line(self, line: str) -> bool:
        """Handle ``line`` if it is a traced file call's exit (True), else False."""
        got = parse_file_line(line)
        if got is None:  # (a file call's entry line, or its failed read: handled too)
            return _HEAD.match(line) is not None
        pid, op, path, directory, failed, extra = got
        with self._lock:
            if directory and directory.startswith("/"):
                if len(self._cwd) > 4096:
                    self._cwd.clear()
                self._cwd[pid] = directory
            unverified = False
            base = directory if directory and directory.startswith("/") else self._cwd.get(pid)
            if not path.startswith("/"):
                if base is None:
                    unverified = True
                else:
                    path = posixpath.join(base, path)
            for k in ("renamed_from", "linked_from"):
                if k in extra and base is not None:
                    extra[k] = posixpath.normpath(_join(base, extra[k]))
            path = posixpath.normpath(path) if path.startswith("/") else path
            if path.startswith(_PSEUDO) or path in ("/proc", "/sys", "/dev"):
                return True
            if op in ("read", "list") and path.startswith(_SYSTEM):
                return True
            key = (op, path, failed is None)
            if key in self._seen:
                return True
            n = len(self._seen)
            if n >= EVENTS_MAX and (n >= EVENTS_HARD_MAX or not _telling(path)):
                self.dropped += 1
                return True
            self._seen.add(key)
            self.reported += 1
        data: dict[str, Any] = {"source": "gvisor", "observed": True, "pid": pid, **extra}
        if "renamed_from" in extra:
            data["op"] = "rename"
        elif "linked_from" in extra or "symlink_to" in extra:
            data["op"] = "link"
        if failed is not None:
            data["failed"] = failed
        if unverified:
            data["unverified"] = True
        self.emit("action.requested", action=FileAction(op=op, path=path), data=data)  # type: ignore[arg-type]
        return True
