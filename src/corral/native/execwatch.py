"""fanotify ``FAN_OPEN_EXEC_PERM`` on a bubblewrap sandbox's mounts (root only).

The seccomp notification of an ``execve`` carries pointers: the kernel reads the path
again after the supervisor answered, so a second thread can swap it (``uname`` decided,
``mount`` run). fanotify's permission event comes later, when the kernel has *opened* the
file it will execute, and hands that very file over as a descriptor: the decision is made
on it (device, inode, sha256), and the kernel waits for the answer before it runs. So no
path, name, symlink, hard link or copy can stand for another program.

Marks are per mount (``FAN_MARK_MOUNT``) on every mount of the sandbox's own mount
namespace, reached through ``/proc/PID/root`` before the sandboxed command starts: only
the sandbox's program starts are seen, the host's are not. A program cannot add a mount
(no capabilities, no new user namespace). ``memfd`` files live on a kernel-internal mount
that cannot be marked: :func:`forbid_memfd_exec` sets ``vm.memfd_noexec = 2`` in the
sandbox's own pid namespace instead, so the kernel refuses to run them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import select
import struct
import subprocess
import threading
from collections.abc import Callable

log = logging.getLogger("corral.native.execwatch")

__all__ = ["ExecWatch", "forbid_memfd_exec"]

FAN_CLOEXEC = 0x1
FAN_NONBLOCK = 0x2
FAN_CLASS_CONTENT = 0x4
FAN_REPORT_TID = 0x100
FAN_MARK_ADD = 0x1
FAN_MARK_MOUNT = 0x10
FAN_OPEN_EXEC_PERM = 0x40000
FAN_ALLOW = 0x1
FAN_DENY = 0x2
FAN_Q_OVERFLOW = 0x4000
FAN_NOFD = -1
_META = struct.Struct("=IBBHQii")
#: mounts nothing can be executed from, and which fanotify refuses to mark
_UNMARKABLE = frozenset({"proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2", "nsfs"})
_OCTAL = re.compile(r"\\([0-7]{3})")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.fanotify_init.argtypes = (ctypes.c_uint, ctypes.c_uint)
_libc.fanotify_mark.argtypes = (
    ctypes.c_int,
    ctypes.c_uint,
    ctypes.c_uint64,
    ctypes.c_int,
    ctypes.c_char_p,
)

#: (thread id, event file descriptor) -> allow?
Decide = Callable[[int, int], bool]


class ExecWatch:
    """Answers the exec permission events of bubblewrap sandboxes, one run at a time.

    One fanotify group and one thread serve every run of a backend (made once: a group's
    creation and teardown, and a thread per run, cost more than a run of ``true``).
    :meth:`attach` marks a run's mounts and says who decides (``decide``) and whom to tell
    if the watch fails (``on_failure``); :meth:`detach` ends the run. The marks go with the
    sandbox's mounts when it ends. Outside a run every event of a process that is not the
    host's is denied."""

    def __init__(
        self, decide: Decide | None = None, on_failure: Callable[[str], None] | None = None
    ) -> None:
        fd = _libc.fanotify_init(
            FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
            os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC,
        )
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, f"fanotify_init: {os.strerror(e)}")
        self.fd = fd
        self._lock = threading.Lock()
        self.decide: Decide | None = decide
        self.on_failure: Callable[[str], None] | None = on_failure
        self.pidns: int | None = None
        self.marked: list[str] = []
        #: why the watch stopped working (it must not be used again), or None
        self.failed: str | None = None
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="corral-execwatch", daemon=True)
        self.events = 0

    def attach(
        self,
        child_pid: int,
        decide: Decide | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        """Mark every mount of the sandbox whose first process is ``child_pid`` (its
        launcher still waiting) and decide its program starts with ``decide``; raises
        :class:`OSError` if one that could hold a program cannot be marked."""
        if self.failed is not None:
            raise OSError(f"the exec watch failed earlier: {self.failed}")
        pidns = os.stat(f"/proc/{child_pid}/ns/pid").st_ino
        with open(f"/proc/{child_pid}/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
        with self._lock:
            if decide is not None:
                self.decide = decide
            if on_failure is not None:
                self.on_failure = on_failure
            self.pidns = pidns
        self.marked = []
        for line in lines:
            fields = line.split(" ")
            try:
                sep = fields.index("-")
            except ValueError:
                continue
            mountpoint = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
            fstype = fields[sep + 1]
            options = fields[5].split(",")
            path = f"/proc/{child_pid}/root{mountpoint}"
            rc = _libc.fanotify_mark(
                self.fd, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, -100, os.fsencode(path)
            )
            if rc == 0:
                self.marked.append(mountpoint)
                continue
            err = ctypes.get_errno()
            if fstype in _UNMARKABLE or "noexec" in options:
                continue
            raise OSError(err, f"cannot watch program starts on {mountpoint} ({fstype})")
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    def detach(self) -> None:
        """The run ended: its decider is no longer asked (a late event is denied)."""
        with self._lock:
            self.pidns = None
            self.decide = None
            self.on_failure = None

    def stop(self) -> None:
        self.detach()
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for fd in (self.fd, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)  # pending events (none after the sandbox ended) are allowed

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        try:
            while True:
                ready = dict(poller.poll())
                if self._stop_r in ready:
                    return
                try:
                    data = os.read(self.fd, 64 * _META.size)
                except OSError as e:
                    if e.errno in (errno.EAGAIN, errno.EINTR):
                        continue
                    raise
                off = 0
                while off + _META.size <= len(data):
                    length, _ver, _, _mlen, mask, fd, tid = _META.unpack_from(data, off)
                    off += max(length, _META.size)
                    if fd == FAN_NOFD:
                        if mask & FAN_Q_OVERFLOW:
                            raise RuntimeError("fanotify queue overflow")
                        continue
                    self._answer(fd, tid)
        except Exception as e:
            log.exception("exec watch failed")
            self.failed = repr(e)
            with self._lock:
                tell = self.on_failure
            if tell is not None:
                tell(f"exec watch failed: {e!r}")

    def _answer(self, fd: int, tid: int) -> None:
        allow = False
        try:
            self.events += 1
            with self._lock:
                pidns, decide = self.pidns, self.decide
            try:
                ns = os.stat(f"/proc/{tid}/ns/pid").st_ino
            except OSError:
                ns = None  # gone: denied
            if ns is not None and pidns is not None and ns != pidns:
                allow = True  # not the sandbox's: a host process
            elif ns is not None and ns == pidns and decide is not None:
                allow = bool(decide(tid, fd))
        except Exception:
            log.exception("exec decision failed; denying")
            allow = False
        finally:
            with contextlib.suppress(OSError):
                os.write(self.fd, struct.pack("=iI", fd, FAN_ALLOW if allow else FAN_DENY))
            with contextlib.suppress(OSError):
                os.close(fd)


def forbid_memfd_exec(child_pid: int) -> str | None:
    """``vm.memfd_noexec = 2`` in the pid namespace of ``child_pid`` (and those below it):
    no ``memfd`` there can be executed. The sysctl applies to the writer's pid namespace,
    so it is written by a process entering it (``nsenter``). ``None`` on success, else why."""
    try:
        r = subprocess.run(
            [
                "nsenter",
                f"--pid=/proc/{child_pid}/ns/pid",
                "--",
                "/bin/sh",
                "-c",
                "echo 2 > /proc/sys/vm/memfd_noexec",
            ],
            capture_output=True,
            timeout=10,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    if r.returncode != 0:
        return r.stderr.decode("utf-8", "replace").strip() or f"exit {r.returncode}"
    return None
