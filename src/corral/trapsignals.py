"""Keep wasmtime's trap handlers in this process.

wasmtime turns a WebAssembly guest's trap (a stack overflow, ``unreachable``, an
out-of-bounds access) into a signal (SIGSEGV, SIGILL, SIGBUS, SIGFPE) and handles it
itself: the guest's call ends with an error, the process goes on. It installs its
handlers when the first engine is made, chaining to what it finds. Anything that later
puts another handler in front, or resets them to the default, turns a guest's ordinary
trap into the death of the whole host process. Ray's core worker does both (abseil's
failure handler at ``ray.init``, the default at ``ray.shutdown``: "*** SIGILL received
***"); other native libraries may too.

Two guards, at the C level (``sigaction``; Python's ``signal`` module only sees its own):

- :func:`note_wasmtime_handlers` (called once an engine exists) saves wasmtime's trap
  handlers, and :func:`ensure_trap_handlers` (called before every guest run, ~5 µs)
  puts them back if anything changed them since, with a warning naming what happened.
- :func:`keep_fatal_handlers` around a call known to install its own (``ray.init``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

log = logging.getLogger("corral.trapsignals")

#: the signals abseil's failure handler takes (what keep_fatal_handlers restores)
FATAL = (
    signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE, signal.SIGTRAP,
    signal.SIGABRT, signal.SIGTERM,
)  # fmt: skip
#: the signals wasmtime turns a guest's trap into
TRAPS = (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGFPE)
#: larger than any libc's struct sigaction (glibc x86-64: 152 bytes); kept opaque
_SIGACTION_SIZE = 512
#: the handler is the struct's first member (glibc, musl): a pointer
_HANDLER_SIZE = ctypes.sizeof(ctypes.c_void_p)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


class SavedHandlers:
    """The handlers of ``signals`` as they were when this was made; :meth:`restore` puts
    them back (as often as needed: ``ray.shutdown`` resets them to the default too, which
    would drop wasmtime's and let a guest's trap kill the process)."""

    def __init__(self, signals: Sequence[int] = FATAL) -> None:
        self._saved: list[tuple[int, ctypes.Array[ctypes.c_char]]] = []
        if _LIBC is not None:
            for sig in signals:
                buf = ctypes.create_string_buffer(_SIGACTION_SIZE)
                if _LIBC.sigaction(int(sig), None, buf) == 0:
                    self._saved.append((int(sig), buf))

    def changed(self) -> list[int]:
        """The signals whose handler is no longer the saved one."""
        out = []
        if _LIBC is not None:
            now = ctypes.create_string_buffer(_SIGACTION_SIZE)
            for sig, buf in self._saved:
                if _LIBC.sigaction(sig, None, now) == 0 and (
                    now.raw[:_HANDLER_SIZE] != buf.raw[:_HANDLER_SIZE]
                ):
                    out.append(sig)
        return out

    def restore(self) -> None:
        if _LIBC is not None:
            for sig, buf in self._saved:
                _LIBC.sigaction(sig, buf, None)


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


_wasmtime: SavedHandlers | None = None
_lock = threading.Lock()


def note_wasmtime_handlers() -> None:
    """Save the trap handlers as they are now: call once a wasmtime engine exists (its
    handlers are in place then). Only the first call counts."""
    global _wasmtime
    with _lock:
        if _wasmtime is None:
            _wasmtime = SavedHandlers(TRAPS)


def ensure_trap_handlers() -> None:
    """Before a guest runs: wasmtime's trap handlers are the ones in place, put back with
    a warning if something replaced them since :func:`note_wasmtime_handlers`."""
    saved = _wasmtime
    if saved is None:
        return
    gone = saved.changed()
    if gone:
        names = ", ".join(signal.Signals(s).name for s in gone)
        log.warning(
            "the handlers wasmtime needs for %s were replaced in this process (by a "
            "library?); put back, or a guest's trap would kill the process", names
        )
        saved.restore()
