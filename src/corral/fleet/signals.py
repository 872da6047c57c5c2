"""Keep this process's fatal-signal handlers across ``ray.init``.

Ray's core worker installs abseil's failure signal handler (SIGSEGV, SIGILL, SIGBUS, SIGFPE,
SIGTRAP, SIGABRT, SIGTERM) in the driver when ``ray.init`` runs, in front of whatever was
there. wasmtime turns a guest's trap (a stack overflow, ``unreachable``) into one of those
signals and handles it itself; with Ray's handler first, a WebAssembly guest's ordinary
trap in the trainer's own process killed the whole process ("*** SIGILL received ***").
:func:`keep_fatal_handlers` saves the handlers before and puts them back after, at the C
level (``sigaction``), so a sandbox in the driver keeps working after the fleet starts.
The slots' own processes are not concerned: Ray is up there before any engine is made, and
wasmtime chains to what it finds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
from collections.abc import Iterator
from contextlib import contextmanager

#: the signals abseil's failure handler takes
FATAL = (
    signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE, signal.SIGTRAP,
    signal.SIGABRT, signal.SIGTERM,
)  # fmt: skip
#: larger than any libc's struct sigaction (glibc x86-64: 152 bytes); kept opaque
_SIGACTION_SIZE = 512


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name or "libc.so.6", use_errno=True)
    except OSError:
        return None


class SavedHandlers:
    """The :data:`FATAL` handlers as they were when this was made; :meth:`restore` puts
    them back (as often as needed: ``ray.shutdown`` resets them to the default too, which
    would drop wasmtime's and let a guest's trap kill the process)."""

    def __init__(self) -> None:
        self._libc = _libc()
        self._saved: list[tuple[int, ctypes.Array[ctypes.c_char]]] = []
        if self._libc is not None:
            for sig in FATAL:
                buf = ctypes.create_string_buffer(_SIGACTION_SIZE)
                if self._libc.sigaction(int(sig), None, buf) == 0:
                    self._saved.append((int(sig), buf))

    def restore(self) -> None:
        if self._libc is not None:
            for sig, buf in self._saved:
                self._libc.sigaction(sig, buf, None)


@contextmanager
def keep_fatal_handlers() -> Iterator[SavedHandlers]:
    """Within the block anything may install handlers for :data:`FATAL`; after it, the
    handlers from before are in place again (the yielded object restores them later too,
    e.g. after ``ray.shutdown``)."""
    saved = SavedHandlers()
    try:
        yield saved
    finally:
        saved.restore()
