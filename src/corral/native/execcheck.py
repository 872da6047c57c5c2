"""Verification after exec: the program that started is the one that was decided.

The seccomp notification of an ``execve`` carries pointers: the kernel reads the path and
the arguments again after the supervisor answered, so a second thread (or a ``vfork``
parent sharing the memory) can swap them in between: ``uname`` decided, ``mount`` run;
``nc -h`` decided, ``nc -e /bin/sh`` run. Without fanotify (bwrap without root) nothing
binds the decision to the file the kernel opens, and even with it the arguments are
copied after the file was decided.

So every allowed start is checked once it happened, before the new program runs a single
instruction of its own: while the process waits in the kernel for the answer (the filter
is installed with ``SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV``, so only SIGKILL wakes it),
the supervisor queues a ``SIGSTOP`` for that thread, then answers *continue*. The kernel
completes the ``execve`` (a pending stop does not interrupt it) and stops the process on
its way back to user space: before the new program's first instruction. The supervisor
then compares ``/proc/PID/exe`` (device and inode) with the file decided and
``/proc/PID/cmdline`` with the argv decided (a ``#!`` script: the interpreter's argv the
kernel builds from them), and either resumes the process (``SIGCONT``) or kills it
(``SIGKILL``, reported as ``monitor.mismatch``). A start that failed (the process is still
the old program, at the instruction after its ``execve``) is resumed. On a kernel without
the flag the stop is queued just after the answer: a swapped program may then run briefly
before it is killed (observe, then kill).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Expected", "check", "parse_shebang", "queue_stop", "wait_stopped"]

_libc = ctypes.CDLL(None, use_errno=True)
_SYS_TGKILL = 234 if os.uname().machine == "x86_64" else 131
#: how much of a script the kernel reads for its ``#!`` line (BINPRM_BUF_SIZE)
SHEBANG_BYTES = 256


@dataclass
class Expected:
    """What an allowed ``execve`` should have started."""

    argv: list[str]
    #: the path as the kernel names the program (bprm->filename: the path given, or
    #: ``/dev/fd/N[/path]`` for ``execveat`` from a descriptor)
    filename: str
    #: (dev, ino) of the program decided, None when it was not found then
    key: tuple[int, int] | None = None
    #: its first bytes (a ``#!`` line makes it a script)
    head: bytes = b""
    #: (dev, ino) of a script's interpreter, when known
    interp_key: tuple[int, int] | None = None
    #: the instruction after the ``execve`` (where a failed start returns)
    ip: int = 0


def parse_shebang(head: bytes) -> tuple[str, str | None] | None:
    """(interpreter, optional argument) of a ``#!`` line as Linux reads it, else None."""
    if not head.startswith(b"#!"):
        return None
    line = head[2:SHEBANG_BYTES].split(b"\n", 1)[0].strip(b" \t")
    if not line:
        return None
    parts = line.replace(b"\t", b" ").split(b" ", 1)
    interp = parts[0].decode("utf-8", "surrogateescape")
    arg = parts[1].strip(b" \t") if len(parts) > 1 else b""
    return interp, (arg.decode("utf-8", "surrogateescape") if arg else None)


def queue_stop(tgid: int, tid: int) -> bool:
    """Queue SIGSTOP for thread ``tid`` of process ``tgid`` (thread-directed: no other
    thread can take it, and it stays with the thread through the exec)."""
    rc = _libc.syscall(
        ctypes.c_long(_SYS_TGKILL), ctypes.c_int(tgid), ctypes.c_int(tid),
        ctypes.c_int(signal.SIGSTOP),
    )  # fmt: skip
    return rc == 0


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    i = raw.rfind(b")")
    return raw[i + 2 : i + 3].decode() if i >= 0 else None


def _syscall(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split()
    except OSError:
        return []


def wait_stopped(
    tgid: int,
    tid: int,
    exec_nrs: tuple[int, ...],
    give_up: Callable[[], bool],
    bound: float = 5.0,
) -> str:
    """Wait until the thread that called ``execve`` stops: ``"stopped"``, ``"gone"``, or
    ``"lost"`` (it ran on without stopping for ``bound`` seconds after leaving the
    ``execve``, or ``give_up()`` said so). While it is still in the ``execve`` (a
    decision on the opened file may wait for a person) there is no bound."""
    delay = 0.00005
    left_exec: float | None = None
    while True:
        for pid in (tid, tgid):
            st = _state(pid)
            if st is not None:
                break
        else:
            return "gone"
        if st in ("T", "t"):
            return "stopped"
        if st in ("Z", "X"):
            return "gone"
        if give_up():
            return "lost"
        sc = _syscall(pid)
        in_exec = bool(sc) and sc[0].isdigit() and int(sc[0]) in exec_nrs
        now = time.monotonic()
        if in_exec:
            left_exec = None
        elif left_exec is None:
            left_exec = now
        elif now - left_exec > bound:
            return "lost"
        time.sleep(delay)
        delay = min(delay * 2, 0.002)


def _pc(pid: int) -> int | None:
    sc = _syscall(pid)
    if len(sc) >= 3:
        with contextlib.suppress(ValueError):
            return int(sc[-1], 16)
    return None


def _cmdline(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read(8 * 1024 * 1024)
    except OSError:
        return None
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    return [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0")]


def check(pid: int, exp: Expected) -> tuple[bool, str | None]:
    """(the ``execve`` happened, why what runs is not what was decided or None) for the
    stopped process ``pid``."""
    pc = _pc(pid)
    try:
        st = os.stat(f"/proc/{pid}/exe")
        exe_key: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except OSError:
        exe_key = None
    if exp.ip and pc == exp.ip:
        return False, None  # the execve failed: still the old program, where it called it
    cmd = _cmdline(pid)
    if cmd is None:
        return True, "its arguments cannot be read after the start"
    script = parse_shebang(exp.head) if exp.key is not None else None
    if script is None:
        if exp.key is None:
            return True, "a program started that was not there when it was decided"
        if exe_key != exp.key:
            return True, "the program that started is not the file that was decided"
        want = exp.argv if exp.argv else [""]
        if cmd != want:
            return True, f"its arguments changed after the decision: {_short(cmd)}"
        return True, None
    interp, arg = script
    want = [interp, *([arg] if arg is not None else []), exp.filename, *exp.argv[1:]]
    if exp.interp_key is not None and exe_key != exp.interp_key:
        return True, "the interpreter that started is not the script's"
    if cmd != want and cmd[-len(want) + 1 :] != want[1:]:
        return True, f"its arguments changed after the decision: {_short(cmd)}"
    return True, None


def _short(argv: list[str]) -> str:
    text = " ".join(argv)
    return text if len(text) <= 200 else text[:197] + "..."
