"""Program identity at exec: what a native sandbox really runs, whatever it is called.

A name is not a program: ``cp /usr/bin/mount ./ls && ./ls`` runs ``mount``. The native
monitors decide on the *file* the kernel executes:

* a system binary (a file of the read-only system directories, found by device and inode,
  so also through a symlink or a hard link) is decided as itself (``origin="system"``);
* a file whose sha256 is that of a system binary that a deny/ask rule names (hashed once
  per binary, cached by inode and times) is decided as that binary (``origin="copy"``), so a
  copy under any name or path is still ``mount``; only files of the same size are hashed;
* a file with no name (a ``memfd``, a deleted file) is ``origin="memory"``;
* any other file (the workspace, ``/tmp``) is ``origin="user"``, decided by its name and
  ``commands.programs.user``.

:class:`ProgramTable` holds the system binaries and the named hashes; :func:`identify_fd`
names an open file (fanotify's event file on bwrap, the exact file the kernel executes),
:func:`identify_host_path` a path on the host (gVisor's workspace and system binaries).
:func:`tell_denied` writes ``corral: denied: PROGRAM: REASON (rule, principle)`` on the
refused process's own stderr (``pidfd_getfd``).
"""

from __future__ import annotations

import contextlib
import ctypes
import fnmatch
import glob
import hashlib
import logging
import os
import select
import stat as statmod
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("corral.native.execid")

__all__ = [
    "SYSTEM_DIRS",
    "Identity",
    "ProgramTable",
    "deny_message",
    "identify_fd",
    "tell_denied",
]

#: where system programs live (bound read-only into the sandboxes from the host)
SYSTEM_DIRS = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
    "/usr/libexec",
    "/usr/games",
)
#: the dynamic loaders the kernel opens for ELF programs (PT_INTERP)
LOADER_GLOBS = (
    "/lib*/ld-linux*.so*",
    "/lib*/ld-*.so*",
    "/usr/lib*/ld-linux*.so*",
    "/usr/lib*/*/ld-linux*.so*",
    "/usr/lib*/ld-musl*.so*",
    "/lib/ld-musl*.so*",
)
#: larger files are not hashed (no system binary a rule names is this large)
MAX_HASH_BYTES = 512 * 1024 * 1024

_CACHE_LOCK = threading.Lock()
#: (dev, ino, size, mtime_ns, ctime_ns) -> sha256: a file is hashed once while unchanged
_HASHES: dict[tuple[int, int, int, int, int], str] = {}
_HASHES_LIMIT = 4096
#: (dirs, their (dev, ino, mtime_ns)) -> {(dev, ino): [paths]}
_INODES: dict[Any, dict[tuple[int, int], list[str]]] = {}
#: the loaders found and the directories they were looked for in (stamped)
_LOADERS: list[tuple[tuple[Any, ...], frozenset[tuple[int, int]]]] = []
#: (names, globs, the inode map it was made from) -> {(dev, ino): named path}
_NAMED: dict[Any, tuple[dict[tuple[int, int], list[str]], dict[tuple[int, int], str]]] = {}
_NAMED_LIMIT = 64


@dataclass(frozen=True)
class Identity:
    """What a started program really is (see the module docstring)."""

    program: str  # the path to decide as: a system binary's, or the file as run
    origin: str  # system | copy | memory | user
    path: str  # the file as the kernel opened it
    sha256: str | None = None
    loader: bool = False  # a dynamic loader (PT_INTERP), opened by the kernel
    named: bool = False  # a program the policy's deny/ask rules name
    key: tuple[int, int] | None = None  # (dev, ino)


def _key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def sha256_fd(fd: int, st: os.stat_result | None = None) -> str | None:
    """sha256 of an open regular file (cached while its inode and times are unchanged);
    ``None`` for anything else or a file larger than :data:`MAX_HASH_BYTES`."""
    st = st or os.fstat(fd)
    if not statmod.S_ISREG(st.st_mode) or st.st_size > MAX_HASH_BYTES:
        return None
    key = _key(st)
    with _CACHE_LOCK:
        hit = _HASHES.get(key)
    if hit is not None:
        return hit
    h = hashlib.sha256()
    off = 0
    while True:
        chunk = os.pread(fd, 1 << 20, off)
        if not chunk:
            break
        h.update(chunk)
        off += len(chunk)
    digest = h.hexdigest()
    with _CACHE_LOCK:
        if len(_HASHES) >= _HASHES_LIMIT:
            _HASHES.clear()
        _HASHES[key] = digest
    return digest


def _sha256_path(path: str) -> tuple[str | None, os.stat_result | None]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)
        return sha256_fd(fd, st), st
    except OSError:
        return None, None
    finally:
        os.close(fd)


def _system_inodes(dirs: tuple[str, ...]) -> dict[tuple[int, int], list[str]]:
    """(dev, ino) of every file in the system directories -> its paths (first: the
    canonical one). Cached until a directory changes."""
    stamp = []
    for d in dirs:
        try:
            st = os.stat(d)
            stamp.append((d, st.st_dev, st.st_ino, st.st_mtime_ns))
        except OSError:
            stamp.append((d, 0, 0, 0))
    key = tuple(stamp)
    with _CACHE_LOCK:
        hit = _INODES.get(key)
    if hit is not None:
        return hit
    out: dict[tuple[int, int], list[str]] = {}
    seen_dirs: set[tuple[int, int]] = set()
    for d in dirs:
        try:
            dst = os.stat(d)
        except OSError:
            continue
        if (dst.st_dev, dst.st_ino) in seen_dirs:  # /bin -> /usr/bin
            continue
        seen_dirs.add((dst.st_dev, dst.st_ino))
        real = os.path.realpath(d)
        try:
            entries = list(os.scandir(real))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=True)
            except OSError:
                continue
            if statmod.S_ISREG(st.st_mode):
                out.setdefault((st.st_dev, st.st_ino), []).append(e.path)
    with _CACHE_LOCK:
        _INODES.clear()
        _INODES[key] = out
    return out


def _loaders() -> frozenset[tuple[int, int]]:
    """(dev, ino) of the dynamic loaders (:data:`LOADER_GLOBS`), looked for again only
    when a directory they are found in (or one that could hold a new one) changed."""

    def stamp(dirs: Iterable[str]) -> tuple[Any, ...]:
        out = []
        for d in sorted(set(dirs)):
            try:
                st = os.stat(d)
                out.append((d, st.st_dev, st.st_ino, st.st_mtime_ns))
            except OSError:
                out.append((d, 0, 0, 0))
        return tuple(out)

    top = ["/", "/usr", *glob.glob("/lib*"), *glob.glob("/usr/lib*")]
    with _CACHE_LOCK:
        hit = _LOADERS[0] if _LOADERS else None
    if hit is not None and hit[0] == stamp([*top, *(d for d, *_ in hit[0])]):
        return hit[1]
    found: set[tuple[int, int]] = set()
    where: list[str] = []
    for pattern in LOADER_GLOBS:
        for p in glob.glob(pattern):
            with contextlib.suppress(OSError):
                st = os.stat(p)
                found.add((st.st_dev, st.st_ino))
                where.append(os.path.dirname(p))
    result = frozenset(found)
    with _CACHE_LOCK:
        _LOADERS[:] = [(stamp([*top, *where]), result)]
    return result


class ProgramTable:
    """The system binaries of a sandbox and the sha256 of those the policy names.

    Built when a sandbox starts (:meth:`for_policy`); the system directories are the
    host's, bound read-only into the sandbox, so they are read here directly.
    """

    def __init__(
        self,
        names: Iterable[str] = (),
        globs: Iterable[str] = (),
        dirs: tuple[str, ...] = SYSTEM_DIRS,
    ) -> None:
        self.dirs = dirs
        self.inodes = _system_inodes(dirs)
        self.names = frozenset(names)
        self.globs = tuple(globs)
        self.by_hash: dict[str, str] = {}
        self.sizes: set[int] = set()
        self.loaders: set[tuple[int, int]] = set(_loaders())
        key = (self.names, self.globs, dirs)
        with _CACHE_LOCK:
            hit = _NAMED.get(key)
        if hit is not None and hit[0] is self.inodes:  # (made from this very map)
            named = hit[1]
        else:
            named = {}
            for paths in self.inodes.values():
                for p in paths:
                    base = os.path.basename(p)
                    if base in self.names or any(fnmatch.fnmatchcase(base, g)
                                                 for g in self.globs):  # fmt: skip
                        named.setdefault(self._ino_of(paths), p)
            with _CACHE_LOCK:
                if len(_NAMED) >= _NAMED_LIMIT:
                    _NAMED.clear()
                _NAMED[key] = (self.inodes, named)
        for p in named.values():
            digest, st = _sha256_path(p)
            if digest is not None and st is not None:
                self.by_hash.setdefault(digest, p)
                self.sizes.add(st.st_size)

    def _ino_of(self, paths: list[str]) -> tuple[int, int]:
        st = os.stat(paths[0])
        return st.st_dev, st.st_ino

    @classmethod
    def for_policy(cls, gate: Any) -> ProgramTable:
        """The table for a gate: the programs its policy's deny/ask rules name."""
        policy = policy_of(gate)
        names, globs = policy.named_programs() if policy is not None else (frozenset(), ())
        return cls(names, globs)

    def is_named(self, path: str) -> bool:
        base = os.path.basename(path)
        return base in self.names or any(fnmatch.fnmatchcase(base, g) for g in self.globs)

    def decided_as(self, ident: Identity, asked: str, argv0: str | None = None) -> str:
        """The program to decide a start as: the real one, except that a system alias the
        distribution made (``/usr/bin/sh`` -> ``dash``, ``/bin/echo``) keeps the name it
        was run by when the real program is not one the policy names. ``asked`` is the
        path the process gave; it is an alias only if it is a system directory entry (the
        same on the host and in the sandbox) that is this very file.

        A system file with several names the policy names (systemd's ``systemctl`` is also
        ``halt``, ``reboot``, ``shutdown``; busybox's links) is a multi-call program: it
        acts as the name in its ``argv[0]`` (``argv0``), so that name decides when it is
        one of the file's own named names (``systemctl status x`` is not ``halt``, and a
        busybox run as ``nc`` through its ``ls`` link is ``nc``)."""
        if argv0 and ident.origin == "system" and ident.key is not None and not ident.loader:
            base = os.path.basename(argv0)
            if base and self.is_named(base):
                for p in self.inodes.get(ident.key, ()):
                    if os.path.basename(p) == base:
                        return p
        if ident.origin != "system" or ident.named or ident.key is None or ident.loader:
            return ident.program
        if not asked.startswith("/") or asked == ident.program:
            return ident.program
        if os.path.dirname(os.path.normpath(asked)) not in self.dirs:
            return ident.program
        try:
            st = os.stat(os.path.normpath(asked))
        except OSError:
            return ident.program
        return asked if (st.st_dev, st.st_ino) == ident.key else ident.program

    def system_name(self, st: os.stat_result, shown: str = "") -> str | None:
        """The path of a system binary with this inode (hard links: a name a rule names
        first, then the path as run, then the first found)."""
        paths = self.inodes.get((st.st_dev, st.st_ino))
        if not paths:
            return None
        for p in paths:
            base = os.path.basename(p)
            if base in self.names or any(fnmatch.fnmatchcase(base, g) for g in self.globs):
                return p
        if shown in paths:
            return shown
        real = {os.path.realpath(os.path.dirname(shown)) + "/" + os.path.basename(shown)}
        for p in paths:
            if p in real:
                return p
        return paths[0]

    def identify(self, fd: int, shown: str) -> Identity:
        """The identity of the open file ``fd`` (``shown``: its path, for messages)."""
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        if key in self.loaders:
            return Identity(program=shown, origin="system", path=shown, loader=True)
        name = self.system_name(st, shown)
        if name is not None:
            return Identity(
                program=name, origin="system", path=shown, named=self.is_named(name), key=key
            )
        digest = None
        if st.st_size in self.sizes:
            digest = sha256_fd(fd, st)
            copy_of = self.by_hash.get(digest or "")
            if copy_of is not None:
                return Identity(
                    program=copy_of, origin="copy", path=shown, sha256=digest, named=True, key=key
                )
        if st.st_nlink == 0 or shown.startswith("/memfd:"):
            return Identity(program=shown, origin="memory", path=shown, sha256=digest)
        return Identity(program=shown, origin="user", path=shown, sha256=digest)


def policy_of(gate: Any) -> Any:
    """The :class:`~corral.policy.Policy` behind a gate (the gate itself, or the
    ``policy``/``gate`` it wraps), or ``None``."""
    for _ in range(4):
        if gate is None:
            return None
        if callable(getattr(gate, "named_programs", None)):
            return gate
        gate = getattr(gate, "policy", None) or getattr(gate, "gate", None)
    return None


def memory_allowed(gate: Any) -> bool:
    """Whether the gate's policy lets programs run from memory (no policy: yes)."""
    policy = policy_of(gate)
    if policy is None:
        return gate is None
    return getattr(policy, "programs_memory", "deny") == "allow"


def identify_fd(table: ProgramTable, fd: int) -> Identity:
    """:meth:`ProgramTable.identify` with the path the kernel reports for ``fd``."""
    try:
        shown = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        shown = "?"
    if shown.endswith(" (deleted)"):
        shown = shown[: -len(" (deleted)")]
    return table.identify(fd, shown)


def identify_host_path(table: ProgramTable, host_path: str, shown: str) -> Identity | None:
    """The identity of a file on the host (``None``: it cannot be opened as a file)."""
    try:
        fd = os.open(host_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if not statmod.S_ISREG(os.fstat(fd).st_mode):
            return None
        return table.identify(fd, shown)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- messages


def deny_message(program: str, decision: Any) -> bytes:
    """``corral: denied: PROGRAM: REASON (rule, principle)``, one line."""
    reason = " ".join(str(getattr(decision, "reason", "") or "denied").split())
    if len(reason) > 300:
        reason = reason[:297] + "..."
    tags = [t for t in (getattr(decision, "rule", None), getattr(decision, "principle", None)) if t]
    tail = f" ({', '.join(tags)})" if tags else ""
    prog = " ".join(program.split())[:200] or "?"
    return f"corral: denied: {prog}: {reason}{tail}\n".encode("utf-8", "replace")


_libc = ctypes.CDLL(None, use_errno=True)
_SYS_PIDFD_OPEN = 434
_SYS_PIDFD_GETFD = 438
_WRITERS = threading.BoundedSemaphore(8)


def tell_denied(pid: int, message: bytes) -> bool:
    """Write ``message`` on the stderr (fd 2) of process ``pid``, which waits in the kernel
    for the answer. Never blocks the caller: a stderr that is full (a pipe nobody reads)
    is written from a short-lived thread, at most 8 at a time, or not at all."""
    fd = _stderr_of(pid)
    if fd is None:
        return False
    try:
        st = os.fstat(fd)
        if statmod.S_ISREG(st.st_mode):
            os.write(fd, message)
            os.close(fd)
            return True
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        if poller.poll(0):
            os.write(fd, message[: select.PIPE_BUF])  # atomic, and there is room
            os.close(fd)
            return True
    except OSError:
        with contextlib.suppress(OSError):
            os.close(fd)
        return False
    if not _WRITERS.acquire(blocking=False):
        os.close(fd)
        return False

    def late() -> None:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            if poller.poll(2000):
                os.write(fd, message[: select.PIPE_BUF])
        except OSError:
            pass
        finally:
            os.close(fd)
            _WRITERS.release()

    threading.Thread(target=late, name="corral-tell", daemon=True).start()
    return True


def _stderr_of(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/status") as f:
        for line in f:  # a thread's id: pidfd_open wants its process
            if line.startswith("Tgid:"):
                pid = int(line.split()[1])
                break
    pidfd = _libc.syscall(_SYS_PIDFD_OPEN, ctypes.c_int(pid), ctypes.c_uint(0))
    if pidfd < 0:
        return None
    try:
        fd = _libc.syscall(_SYS_PIDFD_GETFD, ctypes.c_int(pidfd), ctypes.c_int(2), ctypes.c_uint(0))
    finally:
        os.close(pidfd)
    if fd < 0:
        return None
    # pidfd_getfd sets close-on-exec on the new fd already
    return int(fd)
