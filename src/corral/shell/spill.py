"""Temporary files that built-ins spill large data to (sort's runs, tac's stdin).

They live in ``/workspace/.corral-tmp/``, reached through the workspace
resolver like every other host-side file, so a symlink planted there cannot
send them outside the sandbox. Their bytes are charged to the disk budget
(``Workspace.charge``) as they are written, and :class:`SpillDir` removes every
file it made when it is closed, also after an error or a cancelled call.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import IO

from ..errors import PathEscape
from ..files import GUEST_ROOT, Workspace
from .command import CommandError

SPILL_DIR = GUEST_ROOT + "/.corral-tmp"


class SpillFile:
    """One temp file: write (charged), then :meth:`reader` to read it back."""

    def __init__(self, ws: Workspace, fd: int, path: str) -> None:
        self._ws = ws
        self.path = path
        self._f: IO[bytes] = os.fdopen(fd, "w+b", buffering=1 << 16)
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        try:
            self._ws.charge(len(data))
        except OSError as e:
            raise CommandError(f"cannot write temporary file: {e.strerror or e}") from None
        self.size += len(data)
        return self._f.write(data)

    def reader(self) -> IO[bytes]:
        """The file, flushed and rewound for reading."""
        self._f.flush()
        self._f.seek(0)
        return self._f

    def close(self) -> None:
        self._f.close()


class SpillDir:
    """A set of spill files, all removed on :meth:`close` (use as a context manager)."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._files: list[SpillFile] = []
        self._dir: str | None = None

    def _host_dir(self) -> str:
        if self._dir is None:
            try:
                host = self._ws.resolve(SPILL_DIR)
            except PathEscape as e:
                raise CommandError(f"cannot create temporary file: {e}") from None
            try:
                if not host.is_dir():
                    self._ws.charge(0, new_files=1)
                    host.mkdir(mode=0o700, exist_ok=True)
            except OSError as e:
                raise CommandError(
                    f"cannot create temporary directory {SPILL_DIR}: {e.strerror or e}"
                ) from None
            self._dir = str(host)
        return self._dir

    def new(self) -> SpillFile:
        d = self._host_dir()
        try:
            self._ws.charge(0, new_files=1)
            name = f"spill-{secrets.token_hex(8)}"
            fd = os.open(
                os.path.join(d, name),
                os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                0o600,
            )
        except OSError as e:
            raise CommandError(f"cannot create temporary file: {e.strerror or e}") from None
        sf = SpillFile(self._ws, fd, os.path.join(d, name))
        self._files.append(sf)
        return sf

    def discard(self, sf: SpillFile) -> None:
        """Close and remove one file early (a merged run)."""
        sf.close()
        with contextlib.suppress(OSError):
            os.unlink(sf.path)
        with contextlib.suppress(ValueError):
            self._files.remove(sf)

    def close(self) -> None:
        for sf in list(self._files):
            self.discard(sf)
        if self._dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._dir)  # only when empty: another built-in may be using it

    def __enter__(self) -> SpillDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SPILL_DIR", "SpillDir", "SpillFile"]
