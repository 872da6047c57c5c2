"""The sandbox directory and the one path resolver that guards it.

Guests see the directory as ``/workspace``. Every host-side access (the
``files`` API here, and later the shell's built-in commands) resolves paths
through :func:`Workspace.resolve`, which refuses any path that would leave the
directory: ``..``, absolute host paths, and symlinks (a guest can make them)
whose target lies outside.
"""

from __future__ import annotations

import os
import posixpath
import secrets
import stat as statmod
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .budget import MB, Budget
from .errors import DiskQuotaExceeded, PathEscape

GUEST_ROOT = "/workspace"
_MAX_SYMLINKS = 40


@dataclass(frozen=True)
class FileInfo:
    path: str  # guest path
    size: int
    is_dir: bool
    is_symlink: bool
    mtime: float
    mode: int


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
        resolved: list[str] = []
        hops = 0
        i = 0
        while i < len(parts):
            part = parts[i]
            i += 1
            if part == "..":
                if not resolved:
                    raise PathEscape(f"{path!r} is outside {GUEST_ROOT}")
                resolved.pop()
                continue
            if part == ".":
                continue
            host = self.root.joinpath(*resolved, part)
            is_last = i == len(parts)
            if (follow_last or not is_last) and host.is_symlink():
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise PathEscape(f"{path!r}: too many levels of symbolic links")
                target = os.readlink(host)
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
            resolved.append(part)
        return self.root.joinpath(*resolved)

    # -- disk accounting -----------------------------------------------------

    def disk_usage(self) -> tuple[int, int]:
        """(bytes, entries) used by the directory, symlinks not followed."""
        total = 0
        count = 0
        stack = [str(self.root)]
        while stack:
            d = stack.pop()
            try:
                with os.scandir(d) as it:
                    for e in it:
                        count += 1
                        try:
                            st = e.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        if statmod.S_ISDIR(st.st_mode):
                            stack.append(e.path)
                        else:
                            total += st.st_blocks * 512 if st.st_blocks else st.st_size
                            total = max(total, 0)
            except OSError:
                continue
        return total, count

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


class Files:
    """File access for the host side of a sandbox: ``sb.files``.

    Paths are guest paths: absolute under ``/workspace`` or relative to it.
    Every operation is reported as a ``file`` action before it runs.
    """

    def __init__(self, ws: Workspace, report: Callable[[str, str, int | None], None]) -> None:
        self._ws = ws
        self._report = report
        self._lock = threading.Lock()

    def read(self, path: str, encoding: str = "utf-8") -> str:
        return self.read_bytes(path).decode(encoding)

    def read_bytes(self, path: str) -> bytes:
        guest = self._ws.guest_path(path)
        self._report("read", guest, None)
        host = self._ws.resolve(guest)
        if host.is_dir():
            raise IsADirectoryError(f"{guest} is a directory")
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            return f.read()

    def write(self, path: str, data: str | bytes, encoding: str = "utf-8") -> int:
        raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
        guest = self._ws.guest_path(path)
        self._report("write", guest, len(raw))
        with self._lock:
            host = self._ws.resolve(guest)
            existing = host.stat().st_size if host.is_file() else 0
            problem = self._ws.quota_problem(max(len(raw) - existing, 0), 0 if host.exists() else 1)
            if problem:
                raise DiskQuotaExceeded(f"cannot write {guest}: {problem}")
            host.parent.mkdir(parents=True, exist_ok=True)
            self._ws.resolve(guest)  # the parents we made may not be symlinks
            tmp = host.with_name(f".{host.name}.{secrets.token_hex(6)}.corral-tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(raw)
                os.replace(tmp, host)
            except BaseException:
                tmp.unlink(missing_ok=True)
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
            return self._ws.resolve(guest).exists()
        except PathEscape:
            return False

    def list(self, path: str = GUEST_ROOT, recursive: bool = False) -> list[FileInfo]:
        guest = self._ws.guest_path(path)
        self._report("list", guest, None)
        host = self._ws.resolve(guest)
        if not host.is_dir():
            raise NotADirectoryError(f"{guest} is not a directory")
        out: list[FileInfo] = []
        stack = [(host, guest)]
        while stack:
            hdir, gdir = stack.pop()
            for e in sorted(os.scandir(hdir), key=lambda e: e.name):
                st = e.stat(follow_symlinks=False)
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
                    stack.append((Path(e.path), gpath))
        return sorted(out, key=lambda f: f.path)

    def mkdir(self, path: str) -> None:
        guest = self._ws.guest_path(path)
        self._report("mkdir", guest, None)
        self._ws.resolve(guest).mkdir(parents=True, exist_ok=True)

    def delete(self, path: str, recursive: bool = False) -> None:
        guest = self._ws.guest_path(path)
        if guest == GUEST_ROOT:
            raise PathEscape("refusing to delete the sandbox root")
        self._report("delete", guest, None)
        host = self._ws.resolve(guest, follow_last=False)
        if host.is_symlink() or not host.is_dir():
            host.unlink()
        elif recursive:
            import shutil

            shutil.rmtree(host)
        else:
            host.rmdir()
