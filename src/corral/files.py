"""The sandbox directory and the ways to reach what is inside it.

Guests see the directory as ``/workspace``. Host-side accesses (the ``files``
API here, the shell's redirections and file built-ins) go through
:meth:`Workspace.open` and the other kernel-checked operations of
:class:`~corral.beneath.Beneath`: paths are opened relative to a descriptor of
the directory with ``openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`` or a walk
through directory descriptors, so that a symlink swapped in between a check
and an open cannot lead outside. ``..``, absolute host paths and symlinks whose
target lies outside raise :class:`PathEscape`.

:meth:`Workspace.resolve` (a string) remains for display and for callers that
only name a path; it must not be used to open one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import secrets
import stat as statmod
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .beneath import Beneath
from .budget import MB, Budget
from .deeptree import remove_tree
from .errors import DiskQuotaExceeded, FileTooLarge, PathEscape

GUEST_ROOT = "/workspace"
_MAX_SYMLINKS = 40
_DIR_NOFOLLOW = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


#: ``(op, guest path, refused)``; ops: read write append create delete chmod rename
#: symlink link mkdir
FileHook = Callable[[str, str, bool], None]
FileGate = Callable[[str, str], "str | None"]


def open_op(flags: int) -> str:
    """The file operation an ``open(2)`` with ``flags`` is."""
    if flags & (os.O_WRONLY | os.O_RDWR) == 0:
        return "read"
    if flags & os.O_APPEND:
        return "append"
    if flags & os.O_CREAT and flags & os.O_EXCL:
        return "create"
    return "write"


def display_path(path: str, cwd: str = GUEST_ROOT) -> str:
    """``path`` as the guest named it, absolute and lexically normalised (also when it
    lies outside the workspace): what file events report."""
    if not path.startswith("/"):
        path = posixpath.join(cwd, path)
    norm = posixpath.normpath(path)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    return norm


@dataclass(frozen=True)
class FileInfo:
    path: str  # guest path
    size: int
    is_dir: bool
    is_symlink: bool
    mtime: float
    mode: int


def tree_usage(top: int, stop_after: int | None = None) -> tuple[int, int]:
    """(bytes, entries) under the directory open as ``top`` (the descriptor is
    consumed), symlinks not followed; stops counting past ``stop_after`` entries. The
    walk goes through directory descriptors opened ``O_NOFOLLOW``: a directory swapped
    for a symlink while it runs is counted as the link, never walked through."""
    total = 0
    count = 0

    def scan(fd: int) -> list[str]:
        nonlocal total, count
        subdirs = []
        with os.scandir(fd) as it:
            for e in it:
                count += 1
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if statmod.S_ISDIR(st.st_mode):
                    subdirs.append(e.name)
                else:
                    total += st.st_blocks * 512 if st.st_blocks else st.st_size
        return subdirs

    stack: list[tuple[int, list[str]]] = []
    with contextlib.suppress(OSError):
        stack.append((top, scan(top)))
    if not stack:
        os.close(top)
    try:
        while stack:
            if stop_after is not None and count > stop_after:
                break
            fd, todo = stack[-1]
            if not todo:
                os.close(fd)
                stack.pop()
                continue
            name = todo.pop()
            try:
                sub = os.open(name, _DIR_NOFOLLOW, dir_fd=fd)
            except OSError:
                continue
            try:
                stack.append((sub, scan(sub)))
            except OSError:
                os.close(sub)
    finally:
        for fd, _ in stack:
            os.close(fd)
    return total, count


class Workspace:
    """A sandbox's directory on the host, with path resolution and disk accounting."""

    def __init__(self, root: Path, budget: Budget) -> None:
        self.root = root.resolve()
        self.budget = budget
        self._ledger_lock = threading.Lock()
        self._scanned_at = 0.0
        self._scanned_bytes = 0
        self._scanned_files = 0
        self._pending = 0  # bytes written through charge() since the last scan
        self._pending_files = 0
        self.tree = Beneath(self.root, GUEST_ROOT)
        #: ``fn(op, guest_path, refused)`` told of every file operation the shell's
        #: built-ins and redirections attempt (the shell worker reports them to the host)
        self.file_hook: FileHook | None = None
        #: ``fn(op, guest_path) -> reason | None`` asked before the shell's built-ins and
        #: redirections open, change or remove a file in the workspace: a reason refuses
        #: the operation (the policy's file rules, decided by the host)
        self.file_gate: FileGate | None = None
        self._thread = threading.local()

    def note(self, op: str, path: str, cwd: str = GUEST_ROOT, refused: bool = False) -> None:
        """Tell :attr:`file_hook` (if any) that ``op`` was attempted on ``path``. A path
        outside the workspace is reported as given (normalised), refused."""
        hook = self.file_hook
        if hook is None:
            return
        try:
            shown = display_path(path, cwd)
        except (TypeError, ValueError):
            return
        with contextlib.suppress(Exception):  # reporting never breaks the operation
            hook(op, shown, refused)

    @contextlib.contextmanager
    def ungated(self) -> Iterator[None]:
        """Within: this thread's operations on files inside a ``.git`` directory are not
        put to :attr:`file_gate` (git's own files, such as ``.git/config`` as ``git clone``
        writes and cleans up: git was decided as a command, as a real one would be). The
        work tree's files (``git add`` reading ``gold.patch``) are still asked about."""
        before = getattr(self._thread, "ungated", False)
        self._thread.ungated = True
        try:
            yield
        finally:
            self._thread.ungated = before

    def check(self, op: str, parts: list[str]) -> None:
        """Ask :attr:`file_gate` (if any) about ``op`` on the workspace path of
        ``parts``; raise ``PermissionError`` naming its reason when it refuses."""
        gate = self.file_gate
        if gate is None or (getattr(self._thread, "ungated", False) and ".git" in parts):
            return
        guest = GUEST_ROOT + "".join("/" + p for p in parts)
        reason = gate(op, guest)
        if reason:
            raise PermissionError(errno.EACCES, f"Permission denied (corral: {reason})")

    def names_of(self, guest: str) -> list[str]:
        """Guest path ``guest`` and, when a symlink inside leads elsewhere, the guest path
        of the file it reaches (what a policy's file rules must both allow)."""
        try:
            host = str(self.resolve(guest))
        except (PathEscape, OSError):
            return [guest]
        root = str(self.root)
        real = GUEST_ROOT + host[len(root) :] if host.startswith(root) else guest
        return [guest] if real == guest else [guest, real]

    def parts(self, path: str, cwd: str = GUEST_ROOT) -> list[str]:
        """Components of ``path`` relative to the root (lexically normalised, as
        bash does: ``a/../b`` is ``b``). Symlinks are left to the opener."""
        guest = self.guest_path(path, cwd)
        return [p for p in guest[len(GUEST_ROOT) :].split("/") if p]

    def open(
        self,
        path: str,
        flags: int,
        mode: int = 0o666,
        cwd: str = GUEST_ROOT,
        *,
        follow_last: bool = True,
    ) -> int:
        """A descriptor for guest ``path``, opened beneath the root by the kernel
        (see :mod:`corral.beneath`). Raises :class:`PathEscape` or ``OSError``."""
        if self.file_hook is None and self.file_gate is None:
            return self.tree.open(
                self.parts(path, cwd), flags, mode, follow_last=follow_last, shown=path
            )
        op = open_op(flags)
        try:
            ps = self.parts(path, cwd)
            if self.file_gate is not None:
                self.check(op, ps)
                # and the file a symlink inside leads to (``ln -s gold.patch g; cat g``)
                host = self.resolve(path, cwd, follow_last=follow_last)
                real = [p for p in str(host)[len(str(self.root)) :].split("/") if p]
                if real != ps:
                    self.check(op, real)
            fd = self.tree.open(ps, flags, mode, follow_last=follow_last, shown=path)
        except PathEscape:
            self.note(op, path, cwd, refused=True)
            raise
        self.note(op, path, cwd)
        return fd

    def stat(self, path: str, cwd: str = GUEST_ROOT, *, follow: bool = True) -> os.stat_result:
        return self.tree.stat(self.parts(path, cwd), follow=follow)

    def lexists(self, path: str, cwd: str = GUEST_ROOT) -> bool:
        try:
            self.tree.stat(self.parts(path, cwd), follow=False)
            return True
        except OSError:
            return False

    def listdir(self, path: str, cwd: str = GUEST_ROOT) -> list[str]:
        return self.tree.listdir(self.parts(path, cwd))

    def guest_path(self, path: str, cwd: str = GUEST_ROOT) -> str:
        """Normalise ``path`` (relative to ``cwd``) to an absolute guest path."""
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        if "\x00" in path:
            raise PathEscape(f"path {path!r} contains a NUL byte")
        if not path.startswith("/"):
            path = posixpath.join(cwd, path)
        norm = posixpath.normpath(path)
        if norm.startswith("//"):
            norm = "/" + norm.lstrip("/")
        if norm != GUEST_ROOT and not norm.startswith(GUEST_ROOT + "/"):
            raise PathEscape(f"{path!r} is outside {GUEST_ROOT}")
        return norm

    def resolve(self, path: str, cwd: str = GUEST_ROOT, *, follow_last: bool = True) -> Path:
        """The host path for guest ``path``, following symlinks inside the
        sandbox only. Raises :class:`PathEscape` for anything that leaves it."""
        guest = self.guest_path(path, cwd)
        parts = [p for p in guest[len(GUEST_ROOT) :].split("/") if p]
        # host paths of the components resolved so far, as strings: pathlib's joinpath
        # re-parsed the whole prefix at every component (quadratic: a 300-deep
        # ``mkdir -p`` took seconds, a 2000-deep one ran out of wall time)
        resolved: list[str] = []
        # past the first component that is not there (or that the host cannot name:
        # ENAMETOOLONG past PATH_MAX), no later one can be a symlink: the rest is taken
        # by name only, one string per component, joined once (holding every prefix of
        # a 100,000-component path took gigabytes)
        missing: list[str] | None = None
        base = str(self.root)
        hops = 0
        i = 0
        while i < len(parts):
            part = parts[i]
            i += 1
            if part == "..":
                if missing is not None:
                    missing.pop()
                    if not missing:  # back on what is there: symlinks count again
                        missing = None
                elif not resolved:
                    raise PathEscape(f"{path!r} is outside {GUEST_ROOT}")
                else:
                    resolved.pop()
                continue
            if part == ".":
                continue
            if missing is not None:
                missing.append(part)
                continue
            host = (resolved[-1] if resolved else base) + "/" + part
            is_last = i == len(parts)
            target = None
            if follow_last or not is_last:
                try:
                    link = statmod.S_ISLNK(os.lstat(host).st_mode)
                except (FileNotFoundError, NotADirectoryError):
                    missing = [part]
                    continue
                except OSError as e:
                    if e.errno == errno.ENAMETOOLONG:
                        missing = [part]
                        continue
                    link = False
                if link:
                    with contextlib.suppress(OSError):  # changed meanwhile: a plain name
                        target = os.readlink(host)
            if target is not None:
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise PathEscape(f"{path!r}: too many levels of symbolic links")
                if target.startswith("/"):
                    # An absolute target is read in guest terms: /workspace/... is ours.
                    tguest = posixpath.normpath(target)
                    if tguest != GUEST_ROOT and not tguest.startswith(GUEST_ROOT + "/"):
                        raise PathEscape(
                            f"{path!r} is a symlink to {target!r}, outside {GUEST_ROOT}"
                        )
                    resolved = []
                    tparts = [p for p in tguest[len(GUEST_ROOT) :].split("/") if p]
                else:
                    tparts = [p for p in target.split("/") if p]
                parts = tparts + parts[i:]
                i = 0
                continue
            resolved.append(host)
        top = resolved[-1] if resolved else base
        if missing:
            return Path(top + "/" + "/".join(missing))
        return Path(top) if resolved else self.root

    # -- disk accounting -----------------------------------------------------

    def disk_usage(self) -> tuple[int, int]:
        """(bytes, entries) used by the directory, symlinks not followed (see
        :func:`tree_usage`)."""
        try:
            top = self.tree.scandir_fd([])
        except OSError:
            return 0, 0
        return tree_usage(top)

    def charge(self, nbytes: int, new_files: int = 0) -> None:
        """Account for ``nbytes`` (and ``new_files``) about to be written by a
        host-side writer; raise ``OSError(ENOSPC)`` if that would pass the disk
        budget. All the writers of a workspace share one ledger, rescanned every
        half second."""
        limit = int(self.budget.disk_mb * MB)
        with self._ledger_lock:
            now = time.monotonic()
            over = (
                self._scanned_bytes + self._pending + nbytes > limit
                or self._scanned_files + self._pending_files + new_files > self.budget.disk_files
            )
            # rescan when stale, and before refusing (files may have been removed since)
            if over or now - self._scanned_at > 0.5:
                self._scanned_bytes, self._scanned_files = self.disk_usage()
                self._scanned_at = now
                self._pending = 0
                self._pending_files = 0
            if self._scanned_bytes + self._pending + nbytes > limit:
                raise OSError(
                    28, f"No space left on device (disk budget of {self.budget.disk_mb:g} MB)"
                )
            files = self._scanned_files + self._pending_files + new_files
            if new_files and files > self.budget.disk_files:
                raise OSError(
                    28, f"No space left on device (disk budget of {self.budget.disk_files} files)"
                )
            self._pending += nbytes
            self._pending_files += new_files

    def quota_problem(self, extra_bytes: int = 0, extra_files: int = 0) -> str | None:
        used, files = self.disk_usage()
        limit = int(self.budget.disk_mb * MB)
        if used + extra_bytes > limit:
            return (
                f"disk budget of {self.budget.disk_mb:g} MB exceeded "
                f"({(used + extra_bytes) / MB:.1f} MB used)"
            )
        if files + extra_files > self.budget.disk_files:
            return (
                f"disk budget of {self.budget.disk_files} files exceeded "
                f"({files + extra_files} files)"
            )
        return None


#: what ``sb.files.read``/``read_bytes`` read at most unless given ``max_bytes``
MAX_READ_BYTES: Final = 256 * MB


def _read_upto(f: Any, limit: int) -> bytes:
    """At most ``limit`` bytes of ``f``, read a mebibyte at a time (a file that grows
    while it is read, or a huge ``limit``, never allocates more than it holds)."""
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = f.read(min(left, MB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Files:
    """File access for the host side of a sandbox: ``sb.files``.

    Paths are guest paths: absolute under ``/workspace`` or relative to it.
    Every operation is reported as a ``file`` action before it runs.
    """

    def __init__(self, ws: Workspace, report: Callable[[str, str, int | None], None]) -> None:
        self._ws = ws
        self._report = report
        self._lock = threading.Lock()

    def read(self, path: str, encoding: str = "utf-8", max_bytes: int | None = None) -> str:
        """The file's text (see :meth:`read_bytes` for ``max_bytes``)."""
        return self.read_bytes(path, max_bytes).decode(encoding)

    def read_bytes(self, path: str, max_bytes: int | None = None) -> bytes:
        """The file's bytes: only its first ``max_bytes`` when given; without it, a file
        larger than :data:`MAX_READ_BYTES` (256 MiB) raises :class:`~corral.errors.FileTooLarge`
        naming its size, read nothing (the sandbox's programs choose the file: a sparse
        file of a terabyte costs them nothing and took the host's memory)."""
        guest = self._ws.guest_path(path)
        for named in self._ws.names_of(guest):  # and where a symlink inside leads
            self._report("read", named, None)
        # O_NONBLOCK: a FIFO an agent left under the name (a native tier's ``mkfifo``)
        # opens at once instead of waiting for a writer, and is refused below
        fd = self._ws.open(guest, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if statmod.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, f"{guest} is a directory")
            if not statmod.S_ISREG(mode):  # a FIFO, socket or device: no end to wait for
                raise OSError(
                    errno.EINVAL,
                    f"{guest} is not a regular file (a FIFO, socket or device); corral "
                    "reads only regular files",
                )
            os.set_blocking(fd, True)
            if max_bytes is None:
                size = os.fstat(fd).st_size
                if size > MAX_READ_BYTES:
                    raise FileTooLarge(
                        errno.EFBIG,
                        f"{guest} is {size} bytes, more than the {MAX_READ_BYTES} bytes a read "
                        "takes unless told: pass max_bytes= (a larger bound, or how much of "
                        "its start to read)",
                    )
                limit = MAX_READ_BYTES
            else:
                limit = max(int(max_bytes), 0)
            return _read_upto(f, limit)

    def write(self, path: str, data: str | bytes, encoding: str = "utf-8") -> int:
        raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
        guest = self._ws.guest_path(path)
        self._report("write", guest, len(raw))
        tree = self._ws.tree
        parts = self._ws.parts(guest)
        if not parts:
            raise IsADirectoryError(errno.EISDIR, f"{guest} is a directory")
        with self._lock:
            try:
                st: os.stat_result | None = tree.stat(parts)
            except FileNotFoundError:
                st = None
            if st is not None and statmod.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, f"{guest} is a directory")
            existing = st.st_size if st is not None and statmod.S_ISREG(st.st_mode) else 0
            problem = self._ws.quota_problem(
                max(len(raw) - existing, 0), 0 if st is not None else 1
            )
            if problem:
                raise DiskQuotaExceeded(f"cannot write {guest}: {problem}")
            tree.makedirs(parts[:-1])
            # a final symlink inside is followed: the file it names is replaced
            with tree.at(parts, follow_last=True, shown=guest) as (d, name):
                tmp = f".{name}.{secrets.token_hex(6)}.corral-tmp"
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                fd = os.open(tmp, flags, 0o644, dir_fd=d)
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(raw)
                    os.rename(tmp, name, src_dir_fd=d, dst_dir_fd=d)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp, dir_fd=d)
                    raise
        return len(raw)

    def upload(self, path: str, data: bytes) -> int:
        """Write raw bytes (same as ``write`` with bytes)."""
        return self.write(path, data)

    def download(self, path: str) -> bytes:
        """Read raw bytes (same as ``read_bytes``)."""
        return self.read_bytes(path)

    def exists(self, path: str) -> bool:
        guest = self._ws.guest_path(path)
        try:
            self._ws.stat(guest)
            return True
        except OSError:  # PathEscape included
            return False

    def list(self, path: str = GUEST_ROOT, recursive: bool = False) -> list[FileInfo]:
        guest = self._ws.guest_path(path)
        self._report("list", guest, None)
        try:
            top = self._ws.tree.scandir_fd(self._ws.parts(guest))
        except NotADirectoryError:
            raise NotADirectoryError(errno.ENOTDIR, f"{guest} is not a directory") from None
        out: list[FileInfo] = []
        stack = [(top, guest)]
        try:
            while stack:
                dfd, gdir = stack.pop()
                try:
                    with os.scandir(dfd) as it:
                        entries = sorted(it, key=lambda e: e.name)
                    for e in entries:
                        try:
                            st = e.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue  # removed meanwhile
                        gpath = posixpath.join(gdir, e.name)
                        is_dir = statmod.S_ISDIR(st.st_mode)
                        out.append(
                            FileInfo(
                                gpath,
                                st.st_size,
                                is_dir,
                                statmod.S_ISLNK(st.st_mode),
                                st.st_mtime,
                                statmod.S_IMODE(st.st_mode),
                            )
                        )
                        if recursive and is_dir:
                            try:
                                sub = os.open(e.name, _DIR_NOFOLLOW, dir_fd=dfd)
                            except OSError:
                                continue  # swapped for a symlink or removed: not walked
                            stack.append((sub, gpath))
                finally:
                    os.close(dfd)
        finally:
            for dfd, _ in stack:
                os.close(dfd)
        return sorted(out, key=lambda f: f.path)

    def mkdir(self, path: str) -> None:
        guest = self._ws.guest_path(path)
        self._report("mkdir", guest, None)
        self._ws.tree.makedirs(self._ws.parts(guest))

    def delete(self, path: str, recursive: bool = False) -> None:
        guest = self._ws.guest_path(path)
        if guest == GUEST_ROOT:
            raise PathEscape("refusing to delete the sandbox root")
        self._report("delete", guest, None)
        with self._ws.tree.at(self._ws.parts(guest), shown=guest) as (d, name):
            st = os.stat(name, dir_fd=d, follow_symlinks=False)
            if not statmod.S_ISDIR(st.st_mode):
                os.unlink(name, dir_fd=d)
            elif recursive:
                remove_tree(name, dir_fd=d)
            else:
                os.rmdir(name, dir_fd=d)
