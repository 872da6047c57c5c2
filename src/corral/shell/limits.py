"""Size limits for what one shell operation may build in memory.

The shell runs inside the sandbox's memory budget (``Budget.memory_mb``), which
the kernel enforces on the whole worker as a last resort. Built-ins stay well
inside it: anything that streams, streams; anything that must hold a value
whole (a variable, one printf field, one jq/awk string, one line that a
built-in keeps) is refused past :func:`max_string` with a clear error instead
of growing until the kernel kills the worker.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
from typing import Any

from ..budget import MB, Budget

_PAGE = resource.getpagesize()

#: The hard ceiling on one string, whatever the memory budget.
MAX_STRING_CEILING = 256 * MB
#: Fraction of the memory budget one string may take (a value is usually
#: copied once or twice while it is built).
_BUDGET_SHARE = 4
#: Padding/fill up to this size is built in memory; larger fills are streamed.
STREAM_FILL = 1 * MB


def max_string(budget: Budget | None) -> int:
    """Largest single string (bytes or characters) an operation may build."""
    if budget is None:
        return MAX_STRING_CEILING
    return max(MB, min(MAX_STRING_CEILING, int(budget.memory_mb * MB) // _BUDGET_SHARE))


def too_large(what: str, size: int, limit: int) -> str:
    """The message for a value over the cap (bash says ``xrealloc: cannot allocate``)."""
    return (
        f"{what}: cannot allocate {size} bytes "
        f"(corral caps one value at {limit // MB} MB; the memory budget bounds it)"
    )


class CappedBuffer(io.BytesIO):
    """An in-memory stdout (``printf -v``) that refuses to
    grow past ``limit`` bytes."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__()
        self.limit = limit
        self.what = what
        self.overflowed = False

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.limit:
            from .command import CommandError

            self.overflowed = True
            raise CommandError(too_large(self.what, self.tell() + len(data), self.limit))
        return super().write(data)


__all__ = ["MAX_STRING_CEILING", "STREAM_FILL", "CappedBuffer", "max_string", "too_large"]


#: What Linux's ``execve`` takes (``fs/exec.c``): one argument or environment string
#: of at most ``MAX_ARG_STRLEN`` bytes with its NUL, and all of them, with their NULs
#: and a pointer each, within a quarter of the default 8 MiB stack. Past either, bash
#: says ``Argument list too long`` and the status is 126.
MAX_ARG_STRLEN = 32 * 4096
ARG_MAX = 8 * MB // 4
_POINTER = 8


def _exec_size(strings: list[str]) -> tuple[int, int]:
    """(total bytes with NULs and pointers, the longest string's bytes with its NUL)."""
    total = longest = 0
    for s in strings:
        n = len(s)
        if n * 4 >= MAX_ARG_STRLEN or not s.isascii():
            n = len(s.encode("utf-8", "surrogateescape"))
        n += 1
        total += n + _POINTER
        if n > longest:
            longest = n
    return total, longest


def exec_args_too_long(argv: list[str], env: Any) -> bool:
    """Whether the kernel would refuse to start a program with ``argv`` (E2BIG).

    ``env`` (a mapping, or a callable that makes one) is only read when ``argv``
    alone comes near the limit: small command lines, nearly all of them, cost one
    pass over their lengths."""
    if sum(map(len, argv)) + len(argv) * (_POINTER + 1) < ARG_MAX // 8 and all(
        len(a) * 4 < MAX_ARG_STRLEN for a in argv
    ):
        return False
    total, longest = _exec_size(argv)
    if longest > MAX_ARG_STRLEN or total > ARG_MAX:
        return True
    if total <= ARG_MAX // 2:
        return False
    made = env() if callable(env) else env
    env_total, env_longest = _exec_size([f"{k}={v}" for k, v in made.items()])
    return env_longest > MAX_ARG_STRLEN or total + env_total > ARG_MAX


_gauge: int | None = None


def open_memory_gauge() -> None:
    """Keep ``/proc/self/statm`` open, so :func:`address_space` reads it after the shell
    worker's walls (Landlock) hide ``/proc``: the worker calls this before them."""
    global _gauge
    if _gauge is None:
        with contextlib.suppress(OSError):
            _gauge = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)


def address_space() -> int | None:
    """This process's address space in bytes (what RLIMIT_AS bounds), None if unknown."""
    try:
        if _gauge is not None:
            raw = os.pread(_gauge, 64, 0)
        else:
            with open("/proc/self/statm", "rb") as f:
                raw = f.read(64)
        return int(raw.split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None
