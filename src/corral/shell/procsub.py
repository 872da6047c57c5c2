"""Process substitution: ``<(cmd)`` and ``>(cmd)``.

As in bash, the inner command runs concurrently, joined to the outer command by
a real ``os.pipe()``, and the word becomes ``/dev/fd/N`` (N the descriptor of
the outer command's end). Nothing is written to disk, so a long or endless
producer streams (``while read l; do …; done < <(cmd)``).

The name is not a path in the workspace: the shell keeps a table of the names
it handed out (``Shell.fd_names``, copied into subshells like inherited
descriptors) and the places that open files for the shell and its built-ins
(``CommandContext.open_read``/``open_fd``/``open_write``, the redirections
``<``/``>``, ``source``) look a ``/dev/fd/N`` name up there first. The inner
command is an ordinary subshell: every simple command in it goes through the
gate (``hooks.on_exec``) as usual.

A substitution lives as long as the command whose words created it: when that
command ends, the shell closes its end of the pipe (a producer still writing
gets ``EPIPE``, status 141, like bash's) and waits for the inner command,
within the call's deadline.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from .command import Cancelled, start_thread
from .lexer import ShellSyntaxError
from .parser import parse

if TYPE_CHECKING:
    from .interp import Shell

#: At most this many substitutions alive at once in one shell (each holds a
#: thread and a pipe); more is refused with a clear error.
MAX_PROCSUBS = 64
#: ... and at most this many not yet finished (each keeps its pipe's outer end open
#: until its command ends): bounds the descriptors, and the walk above
MAX_PENDING_PROCSUBS = 256


class ProcSubError(Exception):
    """A substitution could not be started (too many, or no room for a thread)."""


@dataclass
class ProcSub:
    name: str
    end: IO[bytes]  # the outer command's end of the pipe
    thread: threading.Thread
    errors: list[BaseException] = field(default_factory=list)


def start(sh: Shell, script: str, direction: str) -> str:
    """Start ``script`` for ``<(script)`` (direction ``<``) or ``>(script)``
    (``>``); return the ``/dev/fd/N`` name the outer command sees."""
    if len(sh.procsubs) >= MAX_PENDING_PROCSUBS:
        raise ProcSubError(
            f"process substitution: too many for one command (corral allows "
            f"{MAX_PENDING_PROCSUBS})"
        )
    live = [p for p in sh.procsubs if p.thread.is_alive()]
    if len(live) >= MAX_PROCSUBS:
        raise ProcSubError(
            f"process substitution: too many at once (corral allows {MAX_PROCSUBS})"
        )
    try:
        tree = parse(script)
    except ShellSyntaxError as e:
        raise ProcSubError(f"process substitution: {e}") from None
    r, w = os.pipe()
    sub = sh.fork()
    sub.subshell_level = sh.subshell_level + 1
    inner: IO[bytes]
    if direction == "<":
        end: IO[bytes] = os.fdopen(r, "rb")
        inner = os.fdopen(w, "wb", buffering=0)
        sub.io = {0: io.BytesIO(), 1: inner, 2: sh.io.get(2) or io.BytesIO()}
    else:
        end = os.fdopen(w, "wb", buffering=0)
        inner = os.fdopen(r, "rb")
        sub.io = {0: inner, 1: sh.io.get(1) or io.BytesIO(), 2: sh.io.get(2) or io.BytesIO()}
    sub.procsubs = []
    name = f"/dev/fd/{end.fileno()}"
    errors: list[BaseException] = []

    def run() -> None:
        from .interp import BreakLoop, ContinueLoop, ExitShell, ReturnFn

        try:
            status = sub._run_tree(tree)
            sub._run_exit_trap(status)
        except (ExitShell, BreakLoop, ContinueLoop, ReturnFn):
            pass
        except BrokenPipeError:
            pass  # the outer command stopped reading: bash's producer gets SIGPIPE
        except BaseException as e:  # Cancelled, OutputLimit, MemoryError, a bug
            errors.append(e)
        finally:
            finish_all(sub, 0)
            with contextlib.suppress(OSError):
                inner.close()

    t = threading.Thread(target=run, daemon=True, name="corral-procsub")
    try:
        start_thread(t)
    except RuntimeError:
        for f in (end, inner):
            with contextlib.suppress(OSError):
                f.close()
        raise ProcSubError(
            "process substitution: fork: Resource temporarily unavailable (memory budget)"
        ) from None
    ps = ProcSub(name, end, t, errors)
    sh.procsubs.append(ps)
    sh.fd_names[name] = end
    return name


def finish(sh: Shell, ps: ProcSub) -> None:
    """Close the outer end of one substitution and wait for its command."""
    if sh.fd_names.get(ps.name) is ps.end:
        del sh.fd_names[ps.name]
    with contextlib.suppress(OSError):
        ps.end.close()
    while ps.thread.is_alive():
        ps.thread.join(timeout=0.1)
        if time.monotonic() > sh.deadline or sh.cancel_event.is_set():
            sh.cancel_event.set()
            ps.thread.join(timeout=0.5)
            break
    for e in ps.errors:
        if not isinstance(e, Exception) or isinstance(e, MemoryError):
            raise e
        sh.error(f"process substitution failed: {e}")
    if ps.thread.is_alive():
        raise Cancelled()


def finish_all(sh: Shell, mark: int) -> None:
    """Finish every substitution started since ``len(sh.procsubs) == mark``."""
    pending = sh.procsubs[mark:]
    del sh.procsubs[mark:]
    first: BaseException | None = None
    for ps in pending:
        try:
            finish(sh, ps)
        except BaseException as e:  # finish the others, then raise the first
            first = first or e
    if first is not None:
        raise first


def open_name(names: dict[str, IO[bytes]], path: str) -> int | None:
    """A new descriptor (a dup) for a ``/dev/fd/N`` name handed out by a
    substitution, or None when ``path`` is not one of them."""
    if not path.startswith("/dev/fd/"):
        return None
    f = names.get(path)
    if f is None or f.closed:
        return None
    return os.dup(f.fileno())
