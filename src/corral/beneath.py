"""Kernel-checked access to the paths below one directory (the sandbox root).

A path that was checked as a string and opened later can be redirected in
between: a guest swaps a directory for a symlink to ``/etc`` and the host's
``open`` follows it. Here every open is made *relative to a descriptor* of the
root, and the kernel refuses to leave it:

* fast path: ``openat2(2)`` with ``RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
  RESOLVE_NO_SYMLINKS`` on the lexically normalised path. A path without
  symlinks (the common case) opens in one system call; a symlink anywhere on
  it, including one swapped in at that very moment, fails with ``ELOOP``
  instead of being followed, and the path is walked instead;
* the walk: one component at a time through directory descriptors
  (``openat`` with ``O_PATH | O_NOFOLLOW``), reading each symlink through its
  own descriptor and following it by the guest's rules (relative targets from
  the link's directory, absolute ones only under ``/workspace``, ``..`` never
  above the root). Nothing is re-walked by the kernel from a string, so a swap
  at any moment can only change *which* file inside the root is reached. The
  walk is also the whole mechanism where ``openat2`` is missing (kernels
  before 5.6, seccomp filters that refuse it, non-Linux).

Every other operation (stat, mkdir, unlink, rename, symlink, chmod, utime,
listing) runs through a parent directory descriptor obtained the same way,
with the ``dir_fd=`` forms of the ``os`` functions, on a last component that
is never followed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import posixpath
import stat as statmod
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

from .deeptree import remove_tree
from .errors import PathEscape

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08

#: openat2 has the same number on every Linux architecture (the unified table).
_SYS_OPENAT2 = 437
_MAX_SYMLINKS = 40
_RETRIES = 8  # walks again when a last component turns into a symlink under us

_O_PATH = getattr(os, "O_PATH", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = _O_PATH | os.O_DIRECTORY | _O_CLOEXEC
_FAST_RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS

OUTSIDE = "Permission denied (outside /workspace)"


class _OpenHow(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    ]


class _Openat2:
    """The ``openat2`` system call through ctypes, or ``None`` once it is known
    to be missing. Tests set ``enabled = False`` to force the walk."""

    def __init__(self) -> None:
        self.enabled = sys.platform.startswith("linux")
        self._syscall = None
        if self.enabled:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fn = libc.syscall
                fn.restype = ctypes.c_long
                fn.argtypes = [
                    ctypes.c_long,
                    ctypes.c_long,
                    ctypes.c_char_p,
                    ctypes.c_void_p,
                    ctypes.c_size_t,
                ]
                self._syscall = fn
            except (OSError, AttributeError):
                self.enabled = False

    def __call__(self, dirfd: int, path: bytes, flags: int, mode: int, resolve: int) -> int | None:
        """A new descriptor, ``None`` if openat2 is not available here, or OSError."""
        if not self.enabled or self._syscall is None:
            return None
        how = _OpenHow(flags | _O_CLOEXEC, mode if flags & os.O_CREAT else 0, resolve)
        fd = self._syscall(_SYS_OPENAT2, dirfd, path, ctypes.addressof(how), ctypes.sizeof(how))
        if fd >= 0:
            return int(fd)
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EPERM, errno.E2BIG) or (
            err == errno.EINVAL and not path
        ):
            # no such call here (old kernel, seccomp's EPERM/ENOSYS): walk from now on
            self.enabled = False
            return None
        raise OSError(err, os.strerror(err))


openat2 = _Openat2()


class _Escape(PathEscape):
    """PathEscape with errno/strerror set, still printed as its message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def escape(what: str, message: str = "", err: int = errno.EACCES) -> PathEscape:
    """A PathEscape whose ``strerror`` reads like a shell's (callers that print
    ``e.strerror`` say ``Permission denied (outside /workspace)``)."""
    e = _Escape(message or f"{what}: {OUTSIDE}")
    e.errno = err
    e.strerror = OUTSIDE if err == errno.EACCES else os.strerror(err)
    return e


class Beneath:
    """A directory descriptor and the operations that never leave it.

    Paths are sequences of components relative to the root (``..`` allowed,
    it never climbs above the root); symlinks met on the way are followed by
    the guest's rules, ``guest_root`` naming the root in absolute targets.
    """

    def __init__(self, root: Path, guest_root: str = "/workspace") -> None:
        self.root = root
        self.guest_root = guest_root
        self._lock = threading.Lock()
        self._fd = -1
        self._pid = -1
        self._finalizer: weakref.finalize | None = None

    # -- the root descriptor ------------------------------------------------

    def fileno(self) -> int:
        """The root's ``O_PATH`` descriptor (opened once per process)."""
        fd = self._fd
        if fd >= 0 and self._pid == os.getpid():
            return fd
        with self._lock:
            if self._fd < 0 or self._pid != os.getpid():
                new = os.open(self.root, _DIR_FLAGS)
                if self._finalizer is not None:
                    self._finalizer.detach()
                    if self._pid == os.getpid():
                        with contextlib.suppress(OSError):
                            os.close(self._fd)
                self._fd, self._pid = new, os.getpid()
                self._finalizer = weakref.finalize(self, _close_quietly, new)
            return self._fd

    def close(self) -> None:
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
                self._finalizer = None
            self._fd = -1

    # -- resolution ----------------------------------------------------------

    def _target_parts(self, target: str, shown: str) -> tuple[bool, list[str]]:
        """(absolute, components) of a symlink's target in guest terms."""
        if target.startswith("/"):
            norm = posixpath.normpath(target)
            if norm.startswith("//"):
                norm = "/" + norm.lstrip("/")
            g = self.guest_root
            if norm != g and not norm.startswith(g + "/"):
                raise escape(shown, f"{shown!r} is a symlink to {target!r}, outside {g}")
            return True, [p for p in norm[len(g) :].split("/") if p]
        return False, [p for p in target.split("/") if p]

    def walk(self, parts: Sequence[str], follow_last: bool, shown: str = "") -> tuple[int, str]:
        """(parent directory descriptor, last name) for ``parts``, every symlink
        on the way followed through descriptors (the last one only when
        ``follow_last``). The caller closes the descriptor. The name is ``.``
        when the path is a directory reached as a whole (the root, ``a/..``).
        A missing last component is fine (the caller may create it)."""
        shown = shown or "/".join(parts) or "."
        stack = [os.open(".", _DIR_FLAGS, dir_fd=self.fileno())]
        todo = list(reversed([p for p in parts if p not in ("", ".")]))
        hops = 0
        try:
            while todo:
                name = todo.pop()
                if name in ("", "."):
                    continue
                if name == "..":
                    if len(stack) == 1:
                        raise escape(shown)
                    os.close(stack.pop())
                    continue
                last = not todo
                if last and not follow_last:
                    return stack.pop(), name
                try:
                    fd = os.open(name, _O_PATH | os.O_NOFOLLOW | _O_CLOEXEC, dir_fd=stack[-1])
                except FileNotFoundError:
                    if last:
                        return stack.pop(), name
                    raise
                try:
                    st = os.fstat(fd)
                    if statmod.S_ISLNK(st.st_mode):
                        hops += 1
                        if hops > _MAX_SYMLINKS:
                            raise escape(
                                shown,
                                f"{shown!r}: too many levels of symbolic links",
                                errno.ELOOP,
                            )
                        target = os.readlink("", dir_fd=fd)
                        absolute, tparts = self._target_parts(target, shown)
                        if absolute:
                            while len(stack) > 1:
                                os.close(stack.pop())
                        todo.extend(reversed(tparts))
                        continue
                    if last:
                        return stack.pop(), name
                    if not statmod.S_ISDIR(st.st_mode):
                        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
                    stack.append(fd)
                    fd = -1
                finally:
                    if fd >= 0:
                        os.close(fd)
            return stack.pop(), "."
        finally:
            for d in stack:
                os.close(d)

    # -- opening -------------------------------------------------------------

    def open(
        self,
        parts: Sequence[str],
        flags: int,
        mode: int = 0o666,
        *,
        follow_last: bool = True,
        shown: str = "",
    ) -> int:
        """A descriptor for ``parts`` opened with ``flags`` beneath the root.
        Without ``follow_last`` a final symlink is not followed (``ELOOP``, or
        the link itself with ``O_PATH``)."""
        if not follow_last:
            flags |= os.O_NOFOLLOW
        if not any(p in ("..", "") for p in parts):
            rel = "/".join(parts).encode("utf-8", "surrogateescape") or b"."
            try:
                fd = openat2(self.fileno(), rel, flags, mode, _FAST_RESOLVE)
            except OSError as e:
                if e.errno == errno.EXDEV:
                    raise escape(shown or rel.decode("utf-8", "surrogateescape")) from None
                if e.errno not in (errno.ELOOP, errno.EAGAIN):
                    raise
                fd = None  # a symlink on the way (or one swapped in): walk
            if fd is not None:
                return fd
        for _ in range(_RETRIES):
            dfd, name = self.walk(parts, follow_last, shown)
            try:
                return os.open(name, flags | os.O_NOFOLLOW | _O_CLOEXEC, mode, dir_fd=dfd)
            except OSError as e:
                # the last component became a symlink after the walk looked at it
                if e.errno != errno.ELOOP or not follow_last:
                    raise
            finally:
                os.close(dfd)
        raise OSError(errno.ELOOP, f"{shown}: Too many levels of symbolic links")

    @contextlib.contextmanager
    def at(
        self, parts: Sequence[str], *, follow_last: bool = False, shown: str = ""
    ) -> Iterator[tuple[int, str]]:
        """``(dir_fd, name)`` of the last component, for the ``dir_fd=`` forms of
        the ``os`` functions. The descriptor is closed on exit."""
        dfd = -1
        if not follow_last and parts and not any(p in ("..", "", ".") for p in parts):
            rel = "/".join(parts[:-1]).encode("utf-8", "surrogateescape") or b"."
            try:
                fast = openat2(self.fileno(), rel, _DIR_FLAGS, 0, _FAST_RESOLVE)
                if fast is not None:
                    dfd, name = fast, parts[-1]
            except OSError as e:
                if e.errno == errno.EXDEV:
                    raise escape(shown or "/".join(parts)) from None
                if e.errno not in (errno.ELOOP, errno.EAGAIN):
                    raise
        if dfd < 0:
            dfd, name = self.walk(parts, follow_last, shown)
        try:
            yield dfd, name
        finally:
            os.close(dfd)

    # -- operations ----------------------------------------------------------

    def stat(self, parts: Sequence[str], *, follow: bool = True) -> os.stat_result:
        fd = self.open(parts, _O_PATH, follow_last=follow)
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)

    def scandir_fd(self, parts: Sequence[str], *, follow: bool = True) -> int:
        """A readable directory descriptor for ``os.scandir``/``os.listdir``."""
        return self.open(parts, os.O_RDONLY | os.O_DIRECTORY, follow_last=follow)

    def listdir(self, parts: Sequence[str]) -> list[str]:
        fd = self.scandir_fd(parts)
        try:
            return os.listdir(fd)
        finally:
            os.close(fd)

    def mkdir(self, parts: Sequence[str], mode: int = 0o777) -> None:
        with self.at(parts) as (d, name):
            os.mkdir(name, mode, dir_fd=d)

    def makedirs(self, parts: Sequence[str], mode: int = 0o777) -> None:
        """``mkdir -p``: each missing directory made through its parent's descriptor."""
        for i in range(1, len(parts) + 1):
            try:
                self.mkdir(parts[:i], mode)
            except FileExistsError:
                st = self.stat(parts[:i])
                if not statmod.S_ISDIR(st.st_mode):
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None

    def unlink(self, parts: Sequence[str]) -> None:
        with self.at(parts) as (d, name):
            os.unlink(name, dir_fd=d)

    def rmdir(self, parts: Sequence[str]) -> None:
        with self.at(parts) as (d, name):
            os.rmdir(name, dir_fd=d)

    def rmtree(self, parts: Sequence[str]) -> None:
        """Remove a directory tree (shutil's descriptor-based walk, from the
        parent's descriptor: never follows a symlink)."""
        with self.at(parts) as (d, name):
            remove_tree(name, dir_fd=d)

    def readlink(self, parts: Sequence[str]) -> str:
        with self.at(parts) as (d, name):
            return os.readlink(name, dir_fd=d)

    def symlink(self, target: str, parts: Sequence[str]) -> None:
        with self.at(parts) as (d, name):
            os.symlink(target, name, dir_fd=d)

    def link(self, src: Sequence[str], dst: Sequence[str]) -> None:
        with self.at(src) as (sd, sname), self.at(dst) as (dd, dname):
            os.link(sname, dname, src_dir_fd=sd, dst_dir_fd=dd, follow_symlinks=False)

    def rename(self, src: Sequence[str], dst: Sequence[str]) -> None:
        with self.at(src) as (sd, sname), self.at(dst) as (dd, dname):
            os.rename(sname, dname, src_dir_fd=sd, dst_dir_fd=dd)

    def set_meta(
        self,
        parts: Sequence[str],
        mode: int | None = None,
        times_ns: tuple[int, int] | None = None,
        *,
        follow: bool = False,
    ) -> None:
        """chmod and/or set the times of the file itself: never of what a
        symlink swapped in names. A symlink (without ``follow``) is left alone,
        as Linux cannot chmod one."""
        fd = self.open(parts, _O_PATH, follow_last=follow)
        try:
            if statmod.S_ISLNK(os.fstat(fd).st_mode):
                return
            # fchmod/futimens refuse O_PATH descriptors; the descriptor's /proc
            # entry is a magic link to exactly this inode, not a path re-walked
            proc = f"/proc/self/fd/{fd}"
            try:
                if mode is not None:
                    os.chmod(proc, mode)
                if times_ns is not None:
                    os.utime(proc, ns=times_ns)
                return
            except FileNotFoundError:
                pass  # no /proc here
        finally:
            os.close(fd)
        rfd = self.open(parts, os.O_RDONLY | os.O_NONBLOCK, follow_last=follow)
        try:
            if mode is not None:
                os.fchmod(rfd, mode)
            if times_ns is not None:
                os.utime(rfd, ns=times_ns)
        finally:
            os.close(rfd)

    def chmod(self, parts: Sequence[str], mode: int, *, follow: bool = True) -> None:
        self.set_meta(parts, mode, None, follow=follow)

    def utime(
        self,
        parts: Sequence[str],
        times_ns: tuple[int, int] | None = None,
        *,
        follow: bool = True,
    ) -> None:
        """Set times (now when ``times_ns`` is None) on the file, or on a final
        symlink itself without ``follow``; never on what a swapped-in link names."""
        with self.at(parts, follow_last=follow) as (d, name):
            if times_ns is None:
                os.utime(name, dir_fd=d, follow_symlinks=False)
            else:
                os.utime(name, ns=times_ns, dir_fd=d, follow_symlinks=False)


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
