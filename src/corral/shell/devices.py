"""The device files scripts name although they are not under /workspace:
``/dev/null``, ``/dev/zero``, ``/dev/urandom`` (and ``/dev/random``), ``/dev/stdin``,
``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/0..2``, as operands of the built-ins
(``cat /dev/null``, ``head -c 16 /dev/zero``, ``tee /dev/stderr``, ``dd if=/dev/zero``).

The worker's Landlock rules open only ``/dev/null`` on the host; the endless ones are
made here. An endless stream never gives its whole content or a line without end: a
read of everything, or a line past :func:`limits.max_string`, is the command's error
(``NAME: /dev/zero: cannot allocate …``; GNU's tools would exhaust memory), so a
built-in that reads whole cannot grow without bound.
"""

from __future__ import annotations

import io
import os
from typing import IO

from .limits import max_string, too_large

_CHUNK = 65536

#: read side: the names of the caller's own stdin
STDIN_NAMES = ("/dev/stdin", "/dev/fd/0")
STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1")
STDERR_NAMES = ("/dev/stderr", "/dev/fd/2")
ENDLESS = ("/dev/zero", "/dev/urandom", "/dev/random")
#: every name :func:`open_input` knows
INPUTS = ("/dev/null", *STDIN_NAMES, *ENDLESS)


def _refuse(message: str) -> Exception:
    from .command import CommandError  # command.py imports this module

    return CommandError(message)


class EndlessReader(io.RawIOBase):
    """``/dev/zero`` or ``/dev/urandom``: any number of bytes, in bounded pieces."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__()
        self.name = name
        self.limit = limit
        self._zero = name == "/dev/zero"

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buf), _CHUNK)
        buf[:n] = bytes(n) if self._zero else os.urandom(n)
        return n

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            raise _refuse(too_large(self.name, self.limit + 1, self.limit))
        if size > self.limit:
            raise _refuse(too_large(self.name, size, self.limit))
        return bytes(size) if self._zero else os.urandom(size)

    def read1(self, size: int = -1) -> bytes:
        return self.read(_CHUNK if size is None or size < 0 else min(size, _CHUNK))

    def readall(self) -> bytes:
        return self.read(-1)

    def readline(self, size: int | None = -1) -> bytes:
        if size is not None and 0 <= size <= self.limit:
            if self._zero:
                return bytes(size)
            out = bytearray()
            while len(out) < size:
                piece = os.urandom(min(_CHUNK, size - len(out)))
                cut = piece.find(b"\n")
                if cut >= 0:
                    return bytes(out + piece[: cut + 1])
                out += piece
            return bytes(out)
        if self._zero:
            raise _refuse(too_large(f"{self.name}: a line", self.limit + 1, self.limit))
        out = bytearray()
        while len(out) <= self.limit:
            piece = os.urandom(_CHUNK)
            cut = piece.find(b"\n")
            if cut >= 0:
                return bytes(out + piece[: cut + 1])
            out += piece
        raise _refuse(too_large(f"{self.name}: a line", len(out), self.limit))


def open_input(path: str, stdin: IO[bytes], budget: object = None) -> IO[bytes] | None:
    """A reader for a device ``path`` (stdin itself for ``/dev/stdin``), or None when
    ``path`` names no device."""
    if path == "/dev/null":
        return io.BytesIO()
    if path in STDIN_NAMES:
        return stdin
    if path in ENDLESS:
        return EndlessReader(path, max_string(budget))  # type: ignore[arg-type]
    return None


class _Shared(io.RawIOBase):
    """The caller's stdout or stderr under another name: writes go through, closing
    leaves it open."""

    def __init__(self, target: IO[bytes]) -> None:
        super().__init__()
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.target.write(data)
        return len(data)

    def flush(self) -> None:
        if not self.target.closed:
            self.target.flush()

    def close(self) -> None:
        self.flush()
        super().close()


def open_output(path: str, stdout: IO[bytes], stderr: IO[bytes]) -> IO[bytes] | None:
    """A writer for a device ``path``, or None when ``path`` names no device."""
    if path == "/dev/null":
        return open(os.devnull, "wb")
    if path in STDOUT_NAMES:
        return _Shared(stdout)  # type: ignore[return-value]
    if path in STDERR_NAMES:
        return _Shared(stderr)  # type: ignore[return-value]
    return None
