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


@contextmanager
def keep_fatal_handlers() -> Iterator[None]:
    """Within the block anything may install handlers for :data:`FATAL`; after it, the
    handlers from before are in place again."""
    libc = _libc()
    saved: list[tuple[int, ctypes.Array[ctypes.c_char]]] = []
    if libc is not None:
        for sig in FATAL:
            buf = ctypes.create_string_buffer(_SIGACTION_SIZE)
            if libc.sigaction(int(sig), None, buf) == 0:
                saved.append((int(sig), buf))
    try:
        yield
    finally:
        if libc is not None:
            for sig, buf in saved:
                libc.sigaction(sig, buf, None)
