"""The interface every built-in command implements.

A built-in is a function ``def cmd(ctx: CommandContext) -> int`` registered with
``@command("name", "other-name")``. It reads ``ctx.stdin`` and writes
``ctx.stdout`` / ``ctx.stderr`` (binary file objects; pipeline stages run on
their own threads joined by real OS pipes, so a reader that stops early makes
the writer's next write raise ``BrokenPipeError``, which the shell turns into
exit status 141 as bash does). Files are reached only through ``ctx.resolve``
(one resolver, never leaves ``/workspace``), ``ctx.open_read`` and
``ctx.open_write`` (which also enforces the disk budget).

Errors: raise ``CommandError("message", status)`` — the shell prints
``NAME: message`` on stderr; raise ``UsageError("message")`` for bad options
(status 2, like GNU tools). Long-running loops call ``ctx.check()`` now and
then, which raises ``Cancelled`` once the call's wall budget is over.
"""

from __future__ import annotations

import errno
import os
import stat as statmod
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import PathEscape
from ..files import Workspace
from . import devices

CommandFunc = Callable[["CommandContext"], int]

#: name -> function; filled by the ``@command`` decorator on import of
#: ``corral.shell.builtins``.
REGISTRY: dict[str, CommandFunc] = {}


def command(*names: str) -> Callable[[CommandFunc], CommandFunc]:
    """Register a built-in under one or more names. Its docstring's first
    paragraph is its ``--help`` text (``Usage: ...`` on the first line)."""

    def deco(fn: CommandFunc) -> CommandFunc:
        for n in names:
            if n in REGISTRY and REGISTRY[n] is not fn:
                raise RuntimeError(f"built-in {n!r} registered twice")
            REGISTRY[n] = fn
        return fn

    return deco


#: ``threading.stack_size`` is process-wide: a thread that needs a big stack sets it,
#: starts, and puts it back under this lock, and every other start takes it too, so no
#: unrelated thread (a pipeline stage, a job) is started with that big stack by chance.
_THREAD_START = threading.Lock()


def start_thread(thread: threading.Thread, stack_size: int | None = None) -> None:
    """Start ``thread`` (with ``stack_size`` bytes of stack when given). Raises
    ``RuntimeError`` when the process has no room for it (its memory budget)."""
    with _THREAD_START:
        if stack_size is None:
            thread.start()
            return
        old = threading.stack_size()
        try:
            threading.stack_size(stack_size)
            thread.start()
        finally:
            threading.stack_size(old)


class CommandError(Exception):
    """A built-in failed; ``NAME: message`` goes to stderr."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class UsageError(CommandError):
    """Bad options or operands: status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


class Cancelled(BaseException):
    """The call's wall budget ran out (or the user pressed Ctrl-C)."""


OUTSIDE = "Permission denied (outside /workspace)"


#: the file-creation mask a shell starts with (and the worker process has)
DEFAULT_UMASK = 0o022


def open_for_write(
    ws: Workspace, path: str, cwd: str, append: bool, umask: int = DEFAULT_UMASK
) -> int:
    """The descriptor behind ``> path`` / ``>> path``: created ``0666 & ~umask`` if
    missing (charged to the file-count budget), truncated or appended, opened
    beneath the root. Raises CommandError with a shell-style message."""
    flags = os.O_WRONLY | (os.O_APPEND if append else os.O_TRUNC)
    try:
        try:
            fd = ws.open(path, flags, 0o644, cwd)
        except FileNotFoundError:
            ws.charge(0, new_files=1)  # the file-count budget
            fd = ws.open(path, flags | os.O_CREAT, 0o644, cwd)
            if umask != DEFAULT_UMASK:  # the shell's `umask`, not the process's
                os.fchmod(fd, 0o666 & ~umask)
    except PathEscape:
        raise CommandError(f"{path}: {OUTSIDE}") from None
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise  # the disk budget: the shell reports it as a write error
        raise CommandError(f"{path}: {e.strerror or e}") from None
    return fd


#: built-ins whose path operands are changed, by what they do to them
_CHANGERS = {
    "rm": "delete", "rmdir": "delete", "unlink": "delete", "shred": "delete",
    "chmod": "chmod", "mkdir": "mkdir", "touch": "write", "truncate": "write",
    "tee": "write", "sed": "write", "ln": "symlink",
}  # fmt: skip
#: built-ins that copy their path operands to the last one
_COPIERS = frozenset({"cp", "mv", "install", "rsync"})


def refused_op(argv: list[str], path: str) -> str:
    """What ``argv`` meant to do with ``path`` when the resolver refused it (outside
    the workspace): its file event's op."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if name in _COPIERS:
        last = next((a for a in reversed(argv[1:]) if not a.startswith("-")), None)
        if path == last:
            return "write"
        return "delete" if name == "mv" else "read"
    if name == "sed" and not any(a.startswith("-i") or a == "--in-place" for a in argv):
        return "read"
    if name == "ln":
        last = next((a for a in reversed(argv[1:]) if not a.startswith("-")), None)
        return "symlink" if path == last else "read"
    return _CHANGERS.get(name, "read")


class QuotaWriter:
    """A binary file wrapper that refuses writes past the disk budget."""

    def __init__(self, raw: IO[bytes], ws: Workspace, path: str) -> None:
        self._raw = raw
        self._ws = ws
        self._path = path
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._ws.charge(len(data))  # one ledger for every writer of the workspace
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._raw.close()

    def fileno(self) -> int:
        return self._raw.fileno()

    def writable(self) -> bool:
        return True

    def __enter__(self) -> QuotaWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class QuotaReadWriter(QuotaWriter):
    """``<>``: a file read and written through one descriptor, writes on the ledger."""

    def read(self, n: int = -1) -> bytes:
        return self._raw.read(n)

    def read1(self, n: int = -1) -> bytes:
        return self._raw.read(n)

    def readline(self, limit: int = -1) -> bytes:
        return self._raw.readline(limit)

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)


class _NoCharge:
    """Stands for the workspace where a write uses no disk (a pipe)."""

    def charge(self, nbytes: int, new_files: int = 0) -> None:
        return None


_NO_CHARGE = _NoCharge()


@dataclass
class CommandContext:
    """What a built-in gets. ``argv[0]`` is the name it was called by."""

    argv: list[str]
    stdin: IO[bytes]
    stdout: IO[bytes]
    stderr: IO[bytes]
    env: Mapping[str, str]
    cwd: str
    ws: Workspace
    deadline: float = float("inf")
    #: Runs another command (argv, stdin bytes) -> (status, stdout, stderr), in the
    #: guest directory ``cwd=`` when given (find -execdir); used by xargs and find -exec.
    #: Set by the shell.
    run_command: Callable[..., tuple[int, bytes, bytes]] | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    #: ``/dev/fd/N`` names of process substitutions (``<(cmd)``) -> the pipe end.
    fd_names: Mapping[str, IO[bytes]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the shell's file-creation mask (``umask``): what files and directories made get
    umask: int = DEFAULT_UMASK

    @property
    def name(self) -> str:
        return self.argv[0]

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    def check(self) -> None:
        """Raise ``Cancelled`` when the call's time is up or it was interrupted."""
        if self.cancel_event.is_set() or time.monotonic() > self.deadline:
            raise Cancelled()

    # -- paths --------------------------------------------------------------

    def guest_path(self, path: str) -> str:
        """Absolute, normalised guest path (``/workspace/...``) of ``path``."""
        return self.ws.guest_path(path, self.cwd)

    def resolve(self, path: str, *, follow_last: bool = True) -> Path:
        """Host path of ``path`` (relative to ``ctx.cwd``). Raises CommandError
        (``path: Permission denied (outside /workspace)``) on any escape."""
        try:
            return self.ws.resolve(path, self.cwd, follow_last=follow_last)
        except PathEscape:
            if self.ws.file_hook is not None:
                self.ws.note(refused_op(self.argv, path), path, self.cwd, refused=True)
            raise CommandError(f"{path}: Permission denied (outside /workspace)") from None

    def open_fd(self, path: str, flags: int, mode: int = 0o666) -> int:
        """A descriptor for ``path`` opened beneath the sandbox root by the kernel
        (a symlink swapped in meanwhile cannot lead outside). Errors read like
        coreutils': ``path: No such file or directory`` and so on."""
        named = self._named_fd(path)
        if named is not None:
            return named
        try:
            return self.ws.open(path, flags, mode, self.cwd)
        except PathEscape:
            raise CommandError(f"{path}: {OUTSIDE}") from None
        except OSError as e:
            raise CommandError(f"{path}: {e.strerror or e}") from None

    def _named_fd(self, path: str) -> int | None:
        """A dup of the pipe behind a process substitution's ``/dev/fd/N``."""
        if not path.startswith("/dev/fd/"):
            return None
        f = self.fd_names.get(path)
        if f is None or f.closed:
            return None
        return os.dup(f.fileno())

    def open_read(self, path: str) -> IO[bytes]:
        """Open for reading; ``-`` is stdin. Errors read like coreutils':
        ``path: No such file or directory`` / ``path: Is a directory``."""
        if path == "-":
            return self.stdin
        if path.startswith("/dev/"):
            dev = devices.open_input(path, self.stdin, self.ws.budget)
            if dev is not None:
                return dev
        fd = self.open_fd(path, os.O_RDONLY)
        if statmod.S_ISDIR(os.fstat(fd).st_mode):
            os.close(fd)
            raise CommandError(f"{path}: Is a directory")
        return os.fdopen(fd, "rb")

    def open_write(self, path: str, append: bool = False) -> QuotaWriter:
        """Open for writing (truncate, or append), inside the disk budget."""
        if path.startswith("/dev/"):
            dev = devices.open_output(path, self.stdout, self.stderr)
            if dev is not None:  # no disk is used
                return QuotaWriter(dev, _NO_CHARGE, path)  # type: ignore[arg-type]
        named = self._named_fd(path)
        if named is not None:  # a pipe to >(cmd): no disk is used
            return QuotaWriter(os.fdopen(named, "wb", buffering=0), _NO_CHARGE, path)  # type: ignore[arg-type]
        fd = open_for_write(self.ws, path, self.cwd, append, self.umask)
        return QuotaWriter(os.fdopen(fd, "wb"), self.ws, self.guest_path(path))

    def display(self, host: Path) -> str:
        """The guest path for a host path under the sandbox root."""
        rel = host.relative_to(self.ws.root)
        return "/workspace" + ("" if str(rel) == "." else "/" + str(rel))

    # -- output helpers -----------------------------------------------------

    def out(self, text: str | bytes) -> None:
        self.stdout.write(
            text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        )

    def err(self, message: str) -> None:
        """Write ``NAME: message`` to stderr."""
        self.stderr.write(f"{self.name}: {message}\n".encode("utf-8", "surrogateescape"))


def decode(data: bytes) -> str:
    """Bytes to text the way the built-ins agree on (UTF-8, lossless)."""
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")
