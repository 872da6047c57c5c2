"""File events of a bubblewrap sandbox: what its programs read, list and write, seen by
the kernel (fanotify, root only) and reported as the WebAssembly tier's shell reports its
own (``action.requested`` with a :class:`~corral.events.FileAction`), so the monitor's
file rules (shell start-up files, ``authorized_keys``, credential files, git hooks...)
see what programs *do*, not only the text of the commands.

How it works
------------

One notification group (``FAN_CLASS_NOTIF``: nothing waits for corral) per backend,
marked per mount (``FAN_MARK_MOUNT``) on the sandbox's own mounts where its files live:
the workspace, ``/tmp``, ``/dev/shm``, its root, and read-only binds a policy added
(which may hold credentials). System mounts (``/usr``, ``/etc``'s curated files, corral's
own ``/run/corral``) and pseudo filesystems are not marked: every program start reads
them. The marks are made through ``/proc/PID/root`` before the sandboxed command starts,
on the sandbox's mounts only (the host's accesses to the same files through its own
mounts are not seen), and go with the mounts when the sandbox ends.

Events: ``FAN_MODIFY`` and ``FAN_CLOSE_WRITE`` are a ``write``, ``FAN_ACCESS`` and
``FAN_CLOSE_NOWRITE`` a ``read`` (a ``list`` on a directory). The kernel hands each event
over with a descriptor of the file: its mount says which sandbox mount it is on, its
path inside that mount (``/proc/self/fd``) gives the path as the sandbox sees it, checked
against the descriptor (same device and inode, resolved beneath the mount without
following any symlink) before it is reported; a path that no longer names that file
(renamed, deleted meanwhile) is reported with ``data.unverified``.

Bounds: the kernel merges repeated events on one file while they wait in its queue (at
most 16384 wait; past that it drops them and says so, counted in :attr:`FileWatch.lost`);
corral reports each (operation, path) once per call, and at most :data:`EVENTS_MAX`
distinct ones per call, then only hidden files and files outside the scratch mounts up to
:data:`EVENTS_HARD_MAX` (so many files made first do not hide a ``~/.bashrc`` written
after them); the rest are counted in :attr:`FileWatch.dropped`. A flood of writes to one
file is one event.

Renames: creates, deletes, renames and chmods are directory events, which the kernel does
not report on mount marks. A file written in a call (not on a tmpfs: a deleted file held
open would still take its space there) keeps its event's descriptor (up to
:data:`HELD_MAX`) until the call's end, when a file that has another name by then
(written, then moved into place: ``mv x ~/.bashrc``) is reported as a write under it
(``data: {op: rename, renamed_from}``). A move between mounts is a copy: a write of the
new file, seen anyway.

Limits: a new file shows up as its first write; ``rm``, ``chmod`` and the rename of a
file not written in that call are not seen; a program holding a file open and reading it
through ``mmap`` only is seen when it closes the file. Without root there is no fanotify:
``corral doctor`` says so, and only the commands' text is there for the file rules.
gVisor's file accesses happen inside its kernel (the Sentry): the host sees the gofer's,
not the sandbox's; that tier reads them from the Sentry's trace (:mod:`.gvisor_files`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import select
import stat as statmod
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..beneath import RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, openat2
from ..events import FileAction

log = logging.getLogger("corral.native.filewatch")

__all__ = ["EVENTS_HARD_MAX", "EVENTS_MAX", "FileWatch", "probe"]

FAN_CLOEXEC = 0x1
FAN_NONBLOCK = 0x2
FAN_CLASS_NOTIF = 0x0
FAN_MARK_ADD = 0x1
FAN_MARK_MOUNT = 0x10
FAN_ACCESS = 0x1
FAN_MODIFY = 0x2
FAN_CLOSE_WRITE = 0x8
FAN_CLOSE_NOWRITE = 0x10
FAN_Q_OVERFLOW = 0x4000
FAN_ONDIR = 0x40000000
FAN_NOFD = -1
_WRITE = FAN_MODIFY | FAN_CLOSE_WRITE
_READ = FAN_ACCESS | FAN_CLOSE_NOWRITE
_MASK = _WRITE | _READ | FAN_ONDIR
_META = struct.Struct("=IBBHQii")
_BATCH = 256
#: reads of one flush: the kernel's queue (16384 events) and some
_FLUSH_READS = 2 * 16384 // _BATCH
#: distinct (operation, path) reports per call; past it only telling paths (below)
EVENTS_MAX = 2000
#: ... and telling paths up to this many: hidden files and directories (``~/.bashrc``,
#: ``.ssh/``, ``.aws/``, ``.git/hooks``), and files outside the scratch mounts (the
#: sandbox's root: ``/etc``, ``/var``...; read-only binds), so that a flood of ordinary
#: files first does not hide them; the rest are counted, not reported
EVENTS_HARD_MAX = 10_000
#: descriptors of files written in a call kept to its end (renames); the rest let go
HELD_MAX = 256
#: where ordinary files are made (a flood there is ordinary work)
_SCRATCH = ("/workspace", "/tmp", "/dev/shm")
#: filesystems nothing of interest is read or written on
_PSEUDO = frozenset({
    "proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2", "nsfs", "devtmpfs",
    "securityfs", "debugfs", "tracefs", "bpf", "binfmt_misc", "fusectl", "configfs",
})  # fmt: skip
#: mounts every program start reads (libraries, the curated /etc) or corral's own files
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/run/corral")
_MEMORY_FS = frozenset({"tmpfs", "ramfs"})
_OCTAL = re.compile(r"\\([0-7]{3})")
_DELETED = " (deleted)"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fanotify_init.argtypes = (ctypes.c_uint, ctypes.c_uint)
_libc.fanotify_mark.argtypes = (
    ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p,
)  # fmt: skip


def probe() -> tuple[bool, str]:
    """Whether this process can watch a sandbox's files (a fanotify group), and why not."""
    fd = _libc.fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, os.O_RDONLY | os.O_CLOEXEC)
    if fd < 0:
        e = ctypes.get_errno()
        why = "needs root (CAP_SYS_ADMIN)" if e == errno.EPERM else os.strerror(e)
        return False, f"fanotify unavailable: {why}"
    os.close(fd)
    return True, "fanotify"


@dataclass
class _Mount:
    mountpoint: str  # as the sandbox sees it
    root: int  # O_PATH descriptor of the mount's root (the path check resolves beneath it)
    pidns: int  # the sandbox's pid namespace
    owner: int  # the sandbox's first process (its key)
    #: keep written files' descriptors to the call's end (renames): not on a size-limited
    #: tmpfs, where a deleted file held open would still take its space; a move from there
    #: to another mount is a copy, a write seen anyway
    holds: bool = True


def _want(mountpoint: str, fstype: str) -> bool:
    if fstype in _PSEUDO:
        return False
    if mountpoint == "/dev/shm":
        return True
    if mountpoint == "/dev" or mountpoint.startswith("/dev/") or mountpoint.startswith("/proc"):
        return False
    return not any(mountpoint == s or mountpoint.startswith(s + "/") for s in _SYSTEM)


class FileWatch:
    """The file events of a backend's sandboxes (one fanotify group and one thread).

    :meth:`attach` marks a sandbox's mounts before its command starts; :meth:`new_call`
    starts a call (what was reported is forgotten); :meth:`flush` reports what is queued
    now (at the end of a call, so its events are out before its result); :meth:`detach`
    forgets a sandbox; :meth:`stop` ends it all. ``emit(type, **fields)`` reports."""

    def __init__(self, emit: Callable[..., None], *, source: str = "bwrap") -> None:
        fd = _libc.fanotify_init(
            FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
            os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC,
        )
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, f"fanotify_init: {os.strerror(e)}")
        self.fd = fd
        self.emit = emit
        self.source = source
        self._lock = threading.Lock()
        self._mounts: dict[int, _Mount] = {}
        self._seen: set[tuple[str, int, str]] = set()
        self._pidns_of: dict[int, int | None] = {}
        #: (device, inode) of a file written in this call -> (its event's descriptor,
        #: mount id, name then): a rename into place is seen at the call's end
        self._held: dict[tuple[int, int], tuple[int, int, str]] = {}
        self.reported = 0
        self.dropped = 0
        self.lost = 0
        self.events = 0
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="corral-filewatch", daemon=True)
        self._closed = False
        self._waiting = 0
        self._count_lock = threading.Lock()

    # ---- a sandbox

    def attach(self, child_pid: int, *, start_reader: bool = True) -> list[str]:
        """Mark the mounts of the sandbox whose first process is ``child_pid`` (its
        mounts complete, its command not started); the mountpoints marked. A mount that
        cannot be marked is skipped (logged): these events are observations, not walls."""
        pidns = os.stat(f"/proc/{child_pid}/ns/pid").st_ino
        with open(f"/proc/{child_pid}/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
        marked: list[str] = []
        for line in lines:
            fields = line.split(" ")
            try:
                sep = fields.index("-")
                mnt_id = int(fields[0])
            except ValueError:
                continue
            mountpoint = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
            if not _want(mountpoint, fields[sep + 1]):
                continue
            path = f"/proc/{child_pid}/root{mountpoint}"
            try:
                root = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError as e:  # a bind of a single file, or gone
                log.debug("not watching %s: %s", mountpoint, e)
                continue
            rc = _libc.fanotify_mark(
                self.fd, FAN_MARK_ADD | FAN_MARK_MOUNT, _MASK, -100, os.fsencode(path)
            )
            if rc != 0:
                err = ctypes.get_errno()
                os.close(root)
                log.warning("cannot watch file events on %s: %s", mountpoint, os.strerror(err))
                continue
            with self._lock:
                old = self._mounts.pop(mnt_id, None)
                self._mounts[mnt_id] = _Mount(
                    mountpoint, root, pidns, child_pid, holds=fields[sep + 1] not in _MEMORY_FS
                )
            if old is not None:
                os.close(old.root)
            marked.append(mountpoint)
        if marked and start_reader:
            self.start_reader()
        return marked

    def start_reader(self) -> None:
        """Start the thread that reports events as they come (once; events wait in the
        kernel's queue until then, and :meth:`flush` reads them from the caller)."""
        with self._lock:
            if self._thread.ident is None and not self._closed:
                self._thread.start()

    def detach(self, child_pid: int) -> None:
        """The sandbox of ``child_pid`` ended (or ends): report what it left queued,
        then forget its mounts."""
        self.flush()
        with self._lock:
            gone = [k for k, m in self._mounts.items() if m.owner == child_pid]
            for k in gone:
                os.close(self._mounts.pop(k).root)

    def new_call(self) -> None:
        """A call starts: what was queued belongs to the last one; reports start afresh."""
        self.flush()
        with self._lock:
            self._seen.clear()
            self._pidns_of.clear()

    def flush(self) -> None:
        """Report the events queued now (from the caller's thread): at most a full
        kernel queue's worth, so a sandbox that keeps writing cannot hold it up."""
        with self._count_lock:
            self._waiting += 1  # the thread lets it in between two batches
        try:
            with self._lock:
                if not self._closed:
                    self._drain(_FLUSH_READS)
                    self._check_renames()
        finally:
            with self._count_lock:
                self._waiting -= 1

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self._lock:
            self._closed = True
            for m in self._mounts.values():
                with contextlib.suppress(OSError):
                    os.close(m.root)
            self._mounts.clear()
            held, self._held = self._held, {}
            for fd in [h[0] for h in held.values()] + [self.fd, self._stop_r, self._stop_w]:
                with contextlib.suppress(OSError):
                    os.close(fd)

    # ---- the events

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        while True:
            ready = dict(poller.poll())
            if self._stop_r in ready:
                return
            while self._waiting:  # a flush, a new call or a detach first (locks are not fair)
                time.sleep(0.0005)
            try:
                with self._lock:  # one batch at a time: a flush or detach gets its turn
                    if self._closed:
                        return
                    self._drain(1)
            except Exception:  # an observer: log and go on
                log.exception("file watch: an event was not handled")

    def _drain(self, reads: int) -> None:
        for _ in range(reads):
            try:
                data = os.read(self.fd, _BATCH * _META.size)
            except OSError as e:
                if e.errno == errno.EINTR:
                    continue
                if e.errno != errno.EAGAIN:
                    log.warning("file watch: cannot read events: %s", e)
                return
            if not data:
                return
            off = 0
            while off + _META.size <= len(data):
                length, _ver, _, _mlen, mask, efd, pid = _META.unpack_from(data, off)
                off += max(length, _META.size)
                if efd == FAN_NOFD:
                    if mask & FAN_Q_OVERFLOW:
                        self.lost += 1
                    continue
                kept = False
                try:
                    self.events += 1
                    kept = self._event(mask, efd, pid)
                except Exception:
                    log.exception("file watch: an event was not handled")
                finally:
                    if not kept:
                        with contextlib.suppress(OSError):
                            os.close(efd)

    def _event(self, mask: int, efd: int, pid: int) -> bool:
        """Report one event; True when its descriptor is kept (a file written in this
        call, to see at its end whether it was renamed)."""
        mnt_id = _mnt_id(efd)
        m = self._mounts.get(mnt_id) if mnt_id is not None else None
        if m is None:
            return False  # not a marked mount of a sandbox still watched
        ns = self._pidns(pid)
        if ns is not None and ns != m.pidns:
            return False  # a host process on the sandbox's mount (/proc/PID/root/...)
        # (a process gone by now was the sandbox's: only its processes use these mounts,
        # and a short-lived one, ``cat``, has often ended before its event is read)
        try:
            rel = os.readlink(f"/proc/self/fd/{efd}")
            st = os.fstat(efd)
        except OSError:
            return False
        kept = False
        if (
            mask & _WRITE
            and m.holds
            and statmod.S_ISREG(st.st_mode)
            and len(self._held) < HELD_MAX
        ):
            ident = (st.st_dev, st.st_ino)
            if ident not in self._held:
                self._held[ident] = (efd, mnt_id, rel)
                kept = True
        if mask & _WRITE:
            op = "write"
        elif statmod.S_ISDIR(st.st_mode):  # (the kernel does not say FAN_ONDIR here)
            op = "list"
        else:
            op = "read"
        self._report(op, m, mnt_id, rel, st, None)
        return kept

    def _report(
        self, op: str, m: _Mount, mnt_id: int, rel: str, st: os.stat_result, was: str | None
    ) -> None:
        key = (op, mnt_id, rel)
        if key in self._seen:
            return  # reported in this call (before any more work: a flood costs little)
        deleted = st.st_nlink == 0 and rel.endswith(_DELETED)
        if deleted:
            rel = rel[: -len(_DELETED)]
        path, verified = _sandbox_path(m, rel, st)
        n = len(self._seen)
        if n >= EVENTS_MAX and (n >= EVENTS_HARD_MAX or not _telling(path)):
            self.dropped += 1
            return
        self._seen.add(key)
        data: dict[str, Any] = {"source": self.source, "observed": True}
        if was is not None:
            data.update(op="rename", renamed_from=was)
        if deleted:
            data["deleted"] = True
        elif not verified:
            data["unverified"] = True
        self.reported += 1
        self.emit("action.requested", action=FileAction(op=op, path=path), data=data)

    def _check_renames(self) -> None:
        """The files written in this call that now have another name (written, then
        moved into place: ``mv x ~/.bashrc``) are reported under it; their descriptors
        are let go."""
        held, self._held = self._held, {}
        for efd, mnt_id, rel in held.values():
            try:
                m = self._mounts.get(mnt_id)
                if m is None:
                    continue
                now = os.readlink(f"/proc/self/fd/{efd}")
                st = os.fstat(efd)
                if now == rel or st.st_nlink == 0:
                    continue
                # (the form of the name can change with it: once the sandbox is gone, its
                # mounts are detached and named from their own root)
                was, _ = _sandbox_path(m, rel, None)
                if _sandbox_path(m, now, st)[0] != was:
                    self._report("write", m, mnt_id, now, st, was)
            except Exception:
                log.debug("file watch: rename check failed", exc_info=True)
            finally:
                with contextlib.suppress(OSError):
                    os.close(efd)

    def _pidns(self, pid: int) -> int | None:
        got = self._pidns_of.get(pid, -1)
        if got != -1:
            return got
        try:
            ns: int | None = os.stat(f"/proc/{pid}/ns/pid").st_ino
        except OSError:
            ns = None
        if len(self._pidns_of) > 4096:
            self._pidns_of.clear()
        self._pidns_of[pid] = ns
        return ns


def _telling(path: str) -> bool:
    """A hidden file or directory on the path, or a file outside the scratch mounts."""
    if "/." in path:
        return True
    return not any(path == s or path.startswith(s + "/") for s in _SCRATCH)


def _mnt_id(fd: int) -> int | None:
    try:
        with open(f"/proc/self/fdinfo/{fd}", "rb") as f:
            for line in f:
                if line.startswith(b"mnt_id:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _sandbox_path(m: _Mount, rel: str, st: os.stat_result | None) -> tuple[str, bool]:
    """The file's path as the sandbox sees it, and whether it still names that file
    (``st``). ``rel`` is its path as this process reads it (``/proc/self/fd``) of a mount
    of another namespace: from the sandbox's root, or from the mount's own root (both
    seen, depending on how the sandbox's mounts were made): the one that names the file
    beneath the mount wins."""
    base = m.mountpoint.rstrip("/")
    tries = [rel]
    if base and (rel == base or rel.startswith(base + "/")):
        tries.append(rel[len(base) :] or "/")
    if st is None:  # a former name: no file to check it against; the likelier form
        return _join(base, tries[-1]), False
    for inner in tries:
        if _same(m.root, inner, st):
            return _join(base, inner), True
    return _join(base, tries[-1]), False


def _join(base: str, inner: str) -> str:
    return (base + inner) if inner != "/" else (base or "/")


def _same(root: int, inner: str, st: os.stat_result) -> bool:
    name = inner.lstrip("/")
    try:
        if not name:
            got = os.fstat(root)
        else:
            fd = openat2(
                root, os.fsencode(name), os.O_PATH | os.O_NOFOLLOW,
                0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
            )  # fmt: skip
            if fd is None:  # no openat2 here: not checked
                return False
            try:
                got = os.fstat(fd)
            finally:
                os.close(fd)
    except OSError:
        return False
    return (got.st_dev, got.st_ino) == (st.st_dev, st.st_ino)
