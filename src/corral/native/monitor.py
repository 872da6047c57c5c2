"""Process-level monitoring of a native sandbox: every ``execve`` decided before it runs.

How it works
------------

Just before ``bwrap`` starts (in the forked child, before ``exec``), corral installs a
tiny seccomp filter (:func:`corral.syscall_filters.notify_filter_bpf`) with
``SECCOMP_FILTER_FLAG_NEW_LISTENER`` and sends the listener file descriptor back to the
host over a Unix socket pair. Seccomp filters are inherited by every descendant and can
never be removed, so every ``execve``/``execveat`` (and ``connect``) made by any process
of the sandbox, whether started from a script, ``eval`` or a base64-decoded payload,
stops in the kernel until the :class:`Supervisor` answers. The supervisor reads the
program path and argv from ``/proc/PID/mem``, builds a
:class:`~corral.events.SpawnAction`, asks the gate, emits the events and answers
*continue* or ``EPERM``. A process cannot escape the filter: it is installed before the
sandbox exists, ``seccomp()`` can only add filters, and the deny filter refuses
``ptrace`` (which could otherwise skip a syscall). If the supervisor goes away, the kernel
fails every later ``execve`` with ``ENOSYS`` (fail closed).

Every way a decision can fail denies the program start and reports it as an
``action.denied`` event (rule ``monitor.*``): the process's memory cannot be opened (a
process that made itself non-dumpable, when corral does not run as root), its path or
arguments cannot be read in full (an unmapped pointer, more than the kernel would accept),
the gate fails, or the sandbox is being stopped while the gate decided (a monitor's
*kill* response). If the supervisor itself fails, it closes its listener so that every
waiting and later program start fails at once.

Limits (the kernel's, documented in ``seccomp_unotify(2)``)
-----------------------------------------------------------

* **TOCTOU**: the argv is read from the process's memory while the process waits in the
  kernel; another thread of the same process, or a process sharing its memory
  (``CLONE_VM``, ``MAP_SHARED``), may rewrite those bytes after the supervisor read them
  and before the kernel does. A *deny* is always enforced; an *allow* is a decision on the
  argv as read. Single-threaded programs (shells, ``xargs``, ``make``: nearly every
  spawner) cannot race it; a program that wants to lie must be allowed to run first.
* A decision that waits (an ``ask`` to a person) blocks that ``execve`` and the
  supervisor queue until it is answered; other processes keep running.
* ``connect`` events report the address asked for; in a bubblewrap sandbox only the
  loopback exists, so anything but the egress proxy fails anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import ipaddress
import logging
import os
import re
import select
import signal
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import syscall_filters as filters
from ..events import Decision, NetAction, SpawnAction
from ..procinfo import sched_s
from . import execcheck, execid
from ._common import Emitter, decide_safely, proc_stats, process_tree
from .execwatch import ExecWatch, forbid_memfd_exec
from .recent import RecentLog

log = logging.getLogger("corral.native.monitor")

__all__ = ["ResourceSampler", "Supervisor", "Unreadable"]

_NOTIF_SIZE = 80
_RESP_SIZE = 24
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
AT_EMPTY_PATH = 0x1000

#: glibc asks nscd on every user lookup: not worth an event
_QUIET_UNIX = frozenset({"unix:/var/run/nscd/socket", "unix:/run/nscd/socket"})
#: what the kernel accepts for argv (``bprm_stack_limits``: strings and pointers within 3/4
#: of the 8 MiB stack limit; ``MAX_ARG_STRLEN`` per string): beyond it ``execve`` fails with
#: E2BIG anyway, so an argv larger than this is denied unread, never decided on in part
MAX_ARG_BYTES = 6 * 1024 * 1024
MAX_ARGS = MAX_ARG_BYTES // 9 + 1
MAX_ARG_STRLEN = 32 * 4096
PATH_MAX = 4096
_PAGE = 4096


class Unreadable(Exception):
    """The program's path or arguments could not be read in full (the start is denied)."""


_STOPPING = Decision(verdict="deny", rule="monitor.stopped", reason="the sandbox is being stopped")


class Supervisor:
    """Answers the seccomp notifications of one sandbox run.

    ``gate.decide(action, session)`` decides each :class:`SpawnAction`; without a gate
    every program runs (and is still reported). ``ignore_first`` lets the launcher's own
    ``execve`` (``bwrap``) through unreported, and :meth:`expect_launch` corral's own
    steps after it. A start that cannot be read in full or decided is denied and reported
    (``monitor.unchecked``), as is one allowed while the sandbox was being stopped
    (``monitor.stopped``).
    """

    def __init__(
        self,
        *,
        gate: Any,
        session: str,
        emitter: Emitter,
        connect: bool = True,
        proxy_port: int | None = None,
        ignore_first: bool = True,
        on_spawn: Callable[[SpawnAction, Decision], None] | None = None,
        table: execid.ProgramTable | None = None,
        watch_exec: bool = False,
        watch: ExecWatch | None = None,
    ) -> None:
        self.gate = gate
        self.table = table
        #: stop each allowed start before its first instruction and check what started
        #: (execcheck); off with a terminal, where job control would see the stop
        self.check_after_exec = True
        #: root: the real decision is made on the opened file (fanotify), see attach();
        #: ``watch`` is a backend's own (kept across runs), else one is made for this run
        self.watch: ExecWatch | None = watch if table is not None else None
        self._own_watch = False
        if watch_exec and table is not None and self.watch is None:
            try:
                self.watch = ExecWatch()
                self._own_watch = True
            except OSError as e:
                log.warning("no fanotify exec permission events (%s): deciding at execve", e)
        self.memory_allowed = execid.memory_allowed(gate)
        self._pending: dict[int, tuple[SpawnAction, dict[str, Any], int]] = {}
        self._pending_lock = threading.Lock()
        #: thread id -> what fanotify saw it open: (key, head, interpreter key)
        self._opened: dict[int, tuple[Any, bytes, Any]] = {}
        self._ip = 0
        #: the filter was installed with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
        self.wait_killable = False
        self._count_lock = threading.Lock()
        self.session = session
        self.emitter = emitter
        self.connect = connect
        self.proxy_port = proxy_port
        self._skip = 1 if ignore_first else 0
        self.on_spawn = on_spawn
        self.prog = filters.PreparedFilter(filters.notify_filter_bpf(connect=connect))
        self._parent, self._child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener: int | None = None
        self._listener_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.error: str | None = None
        #: set by the backend when it kills the sandbox (a dying launcher may show no signal)
        self.stopping = False
        #: the program starts decided (the last ``recent.KEEP``; ``len()`` counts all)
        self.spawns: RecentLog[tuple[SpawnAction, Decision]] = RecentLog()
        self.connects: RecentLog[NetAction] = RecentLog()
        self.denied = 0
        self._launch: list[list[str]] = []
        self._launcher_pid: int | None = None
        _, self._nr_execve, self._nr_execveat, self._nr_connect, _ = filters.arch_numbers()

    def expect_launch(self, chain: list[list[str]]) -> None:
        """corral's own launch steps inside the sandbox (a wrapper that sets a limit, the
        proxy relay), outermost first. Each runs unasked and unreported only while it is
        exactly the next program started (path and argv); the first other start ends
        the chain. The sandboxed code only runs after the last step, so it cannot use it."""
        self._launch = [list(a) for a in chain]

    # ---- in the forked child (before exec)

    def child_setup(self) -> None:
        """Install the filter and send its listener back. Runs after ``fork()``."""
        fd = self.prog.install_listener()
        if fd < 0:
            raise OSError(-fd, "seccomp listener: " + os.strerror(-fd))
        socket.send_fds(self._child, [b"K" if self.prog.wait_killable else b"L"], [fd])
        os.close(fd)

    # ---- on the host

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="corral-supervisor", daemon=True)
        self._thread.start()

    def spawned(self) -> None:
        """Call once the launcher is started: the parent's copy of the child end closes."""
        with contextlib.suppress(OSError):
            self._child.close()

    def attach(self, child_pid: int) -> None:
        """The sandbox exists and waits (its first process ``child_pid``): watch the
        programs its mounts start and forbid executable memfds. Raises :class:`OSError`
        when that cannot be done (the run must not start then)."""
        self._sandbox_pidns = os.stat(f"/proc/{child_pid}/ns/pid").st_ino
        if self.watch is not None:
            self.watch.attach(child_pid, self._on_open_exec, self._fail_closed)
        if not self.memory_allowed and self.table is not None:
            why = forbid_memfd_exec(child_pid)
            if why is not None:
                if self.watch is not None:
                    raise OSError(f"cannot forbid executable memfds in the sandbox: {why}")
                log.warning("executable memfds not forbidden: %s", why)

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def stop(self) -> None:
        if self.watch is not None:
            if self._own_watch:
                self.watch.stop()
            else:
                self.watch.detach()
        self._stop.set()
        with contextlib.suppress(OSError):
            self._child.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._parent.close()
        self._close_listener()

    def _close_listener(self) -> None:
        with self._listener_lock:
            fd, self._listener = self._listener, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        try:
            self._parent.settimeout(30)
            try:
                # close-on-exec at once: a copy in another program would keep the sandbox's
                # calls waiting after this supervisor is gone, or could answer them
                msg, fds, _, _ = socket.recv_fds(
                    self._parent, 16, 1, socket.MSG_CMSG_CLOEXEC
                )
                self.wait_killable = msg == b"K"
            except (OSError, TimeoutError) as e:
                self.error = f"no seccomp listener received: {e}"
                return
            if not fds:
                self.error = "no seccomp listener received"
                return
            with self._listener_lock:
                self._listener = fds[0]
            for extra in fds[1:]:
                os.close(extra)
            self._ready.set()
            self._loop(fds[0])
        except Exception as e:  # never let a bug leave processes hanging silently
            log.exception("supervisor failed")
            self._fail_closed(f"supervisor failed: {e!r}")

    def _fail_closed(self, why: str) -> None:
        """The supervisor cannot go on: closing the listener makes the kernel fail every
        waiting and later watched call (ENOSYS) instead of leaving it waiting."""
        self.error = why
        self._stop.set()
        self._deny_event(
            SpawnAction(argv=["<unknown>"]),
            Decision(
                verdict="deny",
                rule="monitor.error",
                reason=f"the process monitor stopped ({why}): every later program start fails",
            ),
            {},
        )
        self._close_listener()

    def _loop(self, fd: int) -> None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        buf = bytearray(_NOTIF_SIZE)
        while not self._stop.is_set():
            events = poller.poll(200)
            if not events:
                continue
            _, mask = events[0]
            if mask & select.POLLIN:
                buf[:] = bytes(_NOTIF_SIZE)
                try:
                    fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
                except OSError as e:
                    if e.errno in (errno.EINTR, errno.ENOENT):
                        continue
                    self._fail_closed(f"cannot receive notifications: {e}")
                    return
                self._handle(fd, bytes(buf))
            elif mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                return  # no task uses the filter any more

    def _respond(self, fd: int, nid: int, allow: bool) -> None:
        if allow:
            resp = struct.pack("=QqiI", nid, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE)
        else:
            resp = struct.pack("=QqiI", nid, 0, -errno.EPERM, 0)
        with contextlib.suppress(OSError):  # ENOENT: the task died meanwhile
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp), True)

    def _valid(self, fd: int, nid: int) -> bool:
        try:
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, bytearray(struct.pack("=Q", nid)), True)
            return True
        except OSError:
            return False

    def _handle(self, fd: int, raw: bytes) -> None:
        nid, pid, _flags, nr, _arch, ip, *args = struct.unpack("=QIIiIQ6Q", raw)
        self._ip = ip
        is_exec = nr in (self._nr_execve, self._nr_execveat)
        if self._skip and is_exec:
            self._skip -= 1
            self._launcher_pid = pid
            self._respond(fd, nid, True)
            return
        try:
            mem = os.open(f"/proc/{pid}/mem", os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            # gone (the notification is stale) or not readable by this process: a process
            # that made itself non-dumpable when corral does not run as root
            if is_exec and self._valid(fd, nid):
                self._deny_unchecked(fd, nid, pid, f"its memory cannot be read: {e.strerror}")
            elif not is_exec:
                self._respond(fd, nid, True)  # connect is observed only
            return
        try:
            if not self._valid(fd, nid):  # the pid was reused: the notification is stale
                return
            if nr == self._nr_connect:
                self._on_connect(fd, nid, pid, mem, args)
            else:
                self._on_exec(fd, nid, pid, mem, nr, args)
        except Exception as e:
            log.exception("decision on notification failed; denying")
            if is_exec:
                self._deny_unchecked(fd, nid, pid, f"the decision failed: {e!r}")
            else:
                self._respond(fd, nid, True)
        finally:
            os.close(mem)

    # ---- execve

    def _on_exec(self, fd: int, nid: int, pid: int, mem: int, nr: int, args: list[int]) -> None:
        if nr == self._nr_execveat:
            dirfd, path_ptr, argv_ptr, flags = args[0], args[1], args[2], args[4]
        else:
            dirfd, path_ptr, argv_ptr, flags = -100, args[0], args[1], 0
        try:
            path = _read_str(mem, path_ptr, PATH_MAX) if path_ptr else ""
            argv = _read_argv(mem, argv_ptr)
        except Unreadable as e:
            if self._valid(fd, nid):
                self._deny_unchecked(fd, nid, pid, str(e))
            return
        at_empty = nr == self._nr_execveat and bool(flags & AT_EMPTY_PATH) and not path
        if at_empty:
            with contextlib.suppress(OSError):
                path = os.readlink(f"/proc/{pid}/fd/{dirfd & 0xFFFFFFFF}")
        if not self._valid(fd, nid):
            return
        if self._launch:
            step = self._launch.pop(0)
            if argv == step and path == step[0]:
                if self.watch is not None:
                    # the file it opens is corral's own step too (not a start to decide)
                    with self._pending_lock:
                        self._pending[pid] = (SpawnAction(argv=argv), {"launch": True}, 0)
                self._respond(fd, nid, True)  # corral's own launcher: decided with the command
                return
            self._launch = []
        ns_pid, ns_ppid, host_ppid = _ns_pids(pid)
        action = SpawnAction(
            argv=argv or [path], pid=ns_pid, ppid=ns_ppid, exe=path or (argv[0] if argv else "")
        )
        data = {"host_pid": pid, "host_ppid": host_ppid, "syscall": "execve"}
        expected: execcheck.Expected | None = None
        if self.table is not None:
            ident, head, key = self._identify_at_notify(pid, dirfd, path, at_empty)
            filename = _bprm_filename(path, dirfd, at_empty, nr == self._nr_execveat)
            expected = execcheck.Expected(
                argv=argv, filename=filename, key=key, head=head,
                ip=self._ip,
            )  # fmt: skip
            if ident is not None and execcheck.parse_shebang(head) is not None:
                expected.interp_key = self._interp_key(pid, head)
            if ident is not None and (self.watch is None or ident.origin == "memory"):
                action = _with_identity(action, ident, self.table)
            elif self.watch is not None:
                # the decision is made on the file the kernel opens (_on_open_exec): the
                # path and argv read here may be rewritten by another thread meanwhile;
                # what started is checked after the start (the file from that event)
                expected.key = None
                with self._pending_lock:
                    if len(self._pending) > 4096:
                        self._pending.clear()
                    self._pending[pid] = (action, data, 0)
                    self._opened.pop(pid, None)
                self._continue_checked(fd, nid, pid, action, data, expected, opened=True)
                return
        decision = self._settle(action, data)
        if not decision.allowed:
            execid.tell_denied(pid, execid.deny_message(_shown(action), decision))
            self._respond(fd, nid, False)
        elif expected is None:
            self._respond(fd, nid, True)
        else:
            self._continue_checked(fd, nid, pid, action, data, expected)

    # ---- after the start

    def _continue_checked(
        self,
        fd: int,
        nid: int,
        pid: int,
        action: SpawnAction,
        data: dict[str, Any],
        expected: execcheck.Expected,
        opened: bool = False,
    ) -> None:
        """Let an allowed ``execve`` go on, stopped before the new program's first
        instruction, and check that what started is what was decided (see
        :mod:`corral.native.execcheck`): resumed if so, killed if not. ``opened``: the
        program is the file the fanotify watch saw opened (root)."""
        if not self.check_after_exec:
            self._respond(fd, nid, True)
            return
        tgid = _tgid(pid)
        early = self.wait_killable and tgid is not None and execcheck.queue_stop(tgid, pid)
        self._respond(fd, nid, True)
        if tgid is None:
            return
        if not early and not execcheck.queue_stop(tgid, pid):
            if _tgid(tgid) is None:
                return  # gone
            execcheck.queue_stop(tgid, tgid)  # the exec made the thread the leader
        how = execcheck.wait_stopped(
            tgid, pid, (self._nr_execve, self._nr_execveat), self._sandbox_ending
        )
        if how == "gone":
            return
        if how == "lost" and self._sandbox_ending():
            with contextlib.suppress(OSError):
                os.kill(tgid, signal.SIGKILL)  # the sandbox is being killed anyway
            return
        why: str | None
        if how == "lost":
            why = "the started program could not be checked"
        else:
            if opened:
                with self._pending_lock:
                    seen = self._opened.pop(pid, None)
                if seen is not None:
                    expected.key, expected.head, expected.interp_key = seen
            started, why = execcheck.check(tgid, expected)
            if opened and started and expected.key is None and why is None:
                why = "the started program was not seen opened"
        if why is None:
            with contextlib.suppress(OSError):
                os.kill(tgid, signal.SIGCONT)
            return
        with contextlib.suppress(OSError):
            os.kill(tgid, signal.SIGKILL)
        decision = Decision(
            verdict="deny",
            rule="monitor.mismatch",
            reason=f"what started is not what was decided, so it was killed: {why}",
        )
        self.spawns.append((action, decision))
        self._deny_event(action, decision, {**data, "mismatch": why})

    def _interp_key(self, pid: int, head: bytes) -> tuple[int, int] | None:
        """(dev, ino) of a script's interpreter as process ``pid`` resolves it."""
        parsed = execcheck.parse_shebang(head)
        if parsed is None or not parsed[0].startswith("/"):
            return None
        try:
            ifd = _open_in_root(pid, AT_FDCWD, parsed[0])
        except OSError:
            return None
        try:
            st = os.fstat(ifd)
            return st.st_dev, st.st_ino
        finally:
            os.close(ifd)

    def _settle(self, action: SpawnAction, data: dict[str, Any]) -> Decision:
        """Decide a program start and report it (before it runs)."""
        decision = self._decide(action)
        if decision.allowed and self._sandbox_ending():
            decision = _STOPPING
        self.spawns.append((action, decision))
        if decision.allowed:
            # subscribers see the start before it happens; a monitor may stop the sandbox
            self.emitter.emit("action.requested", action=action, decision=decision, data=data)
            if self._sandbox_ending():
                decision = _STOPPING
                self.spawns[-1] = (action, decision)
                self._deny_event(action, decision, data)
        else:
            self._deny_event(action, decision, data)
        if self.on_spawn is not None:
            with contextlib.suppress(Exception):
                self.on_spawn(action, decision)
        return decision

    def _identify_at_notify(
        self, pid: int, dirfd: int, path: str, at_empty: bool
    ) -> tuple[execid.Identity | None, bytes, tuple[int, int] | None]:
        """The program an ``execve`` names, resolved in the process's own root, cwd and
        descriptors (``None``: not found), its first bytes and (dev, ino). With the fanotify
        watch, only executions from a descriptor are looked at here (memfds are not seen
        by it)."""
        assert self.table is not None
        none: tuple[None, bytes, None] = (None, b"", None)
        m = _FD_PATH.match(path)
        try:
            if at_empty:
                fd = os.open(f"/proc/{pid}/fd/{dirfd & 0xFFFFFFFF}", os.O_PATH | os.O_CLOEXEC)
            elif m is not None:
                fd = os.open(f"/proc/{pid}/fd/{m.group(1)}", os.O_PATH | os.O_CLOEXEC)
            elif self.watch is not None or not path:
                return none
            else:
                fd = _open_in_root(pid, dirfd, path)
        except OSError:
            return none
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return none
            rfd = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return none
        finally:
            os.close(fd)
        try:
            try:
                head = os.pread(rfd, execcheck.SHEBANG_BYTES, 0)
            except OSError:
                head = b""
            return execid.identify_fd(self.table, rfd), head, _fd_key(rfd)
        finally:
            os.close(rfd)

    def _on_open_exec(self, tid: int, fd: int) -> bool:
        """fanotify: the kernel opened ``fd`` to execute it in thread ``tid`` and waits.
        The first open of an ``execve`` is the program; later ones are its interpreter
        (the ELF loader, allowed; a script's ``#!`` program, decided too)."""
        assert self.table is not None
        ident = execid.identify_fd(self.table, fd)
        with self._pending_lock:
            entry = self._pending.get(tid)
            if entry is not None:
                if entry[1].get("launch"):
                    return True  # corral's own launch step (and its loader)
                self._pending[tid] = (entry[0], entry[1], entry[2] + 1)
        if entry is None:
            ns_pid, ns_ppid, host_ppid = _ns_pids(tid)
            base = SpawnAction(argv=[ident.path], pid=ns_pid, ppid=ns_ppid, exe=ident.path)
            data: dict[str, Any] = {"host_pid": tid, "host_ppid": host_ppid, "syscall": "execve"}
            n = 0
        else:
            base, data, n = entry
        data = {**data, "checked": "opened file"}
        if n == 0 or not ident.loader:
            self._record_opened(tid, fd, ident, first=n == 0)
        if n >= 1:
            if ident.loader:
                return True
            action = _with_identity(
                base.model_copy(update={"argv": [ident.program, *base.argv]}), ident
            )
            decision = self._decide(action)
            if not decision.allowed:
                self.spawns.append((action, decision))
                self._deny_event(action, decision, {**data, "interpreter": True})
                execid.tell_denied(tid, execid.deny_message(_shown(action), decision))
            return decision.allowed
        action = _with_identity(base, ident, self.table)
        decision = self._settle(action, data)
        if not decision.allowed:
            execid.tell_denied(tid, execid.deny_message(_shown(action), decision))
        return decision.allowed

    def _record_opened(self, tid: int, fd: int, ident: execid.Identity, first: bool) -> None:
        """What the kernel opened for thread ``tid``'s start: (program key, its first
        bytes, a script's interpreter key), for the check after the start."""
        with self._pending_lock:
            if first:
                try:
                    head = os.pread(fd, execcheck.SHEBANG_BYTES, 0)
                except OSError:
                    head = b""
                if len(self._opened) > 4096:
                    self._opened.clear()
                self._opened[tid] = (_fd_key(fd), head, None)
            elif tid in self._opened and self._opened[tid][2] is None:
                key, head, _ = self._opened[tid]
                self._opened[tid] = (key, head, _fd_key(fd))

    def _deny_event(self, action: SpawnAction, decision: Decision, data: dict) -> None:
        with self._count_lock:
            self.denied += 1
        self.emitter.emit("action.denied", action=action, decision=decision, data=data)

    def _deny_unchecked(self, fd: int, nid: int, pid: int, why: str) -> None:
        """Fail closed: a program start that could not be decided is denied, and reported."""
        ns_pid, ns_ppid, host_ppid = _ns_pids(pid)
        action = SpawnAction(argv=["<unreadable>"], pid=ns_pid, ppid=ns_ppid)
        decision = Decision(
            verdict="deny",
            rule="monitor.unchecked",
            reason=f"program start not checked, so denied: {why}",
        )
        data = {"host_pid": pid, "host_ppid": host_ppid, "syscall": "execve", "error": why}
        with contextlib.suppress(OSError, ValueError):
            with open(f"/proc/{pid}/cmdline", "rb") as f:  # who asked (world-readable)
                caller = f.read(4096).split(b"\0")
            data["caller"] = [a.decode("utf-8", "surrogateescape") for a in caller if a][:16]
        self.spawns.append((action, decision))
        self._respond(fd, nid, False)
        self._deny_event(action, decision, data)

    def _sandbox_ending(self) -> bool:
        """Is the sandbox being stopped (its launcher killed or gone)? A gate or a
        subscriber (a monitor's *kill*) may have stopped it while this start waited:
        letting it run now would race the kill."""
        if self.stopping:
            return True
        pid = self._launcher_pid
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                text = f.read()
        except OSError:
            return True
        for line in text.splitlines():
            key, _, value = line.partition(b":")
            if key == b"State" and value.split()[:1] in ([b"Z"], [b"X"]):
                return True
            if key in (b"SigPnd", b"ShdPnd"):
                with contextlib.suppress(ValueError):
                    if int(value.strip(), 16) & (1 << (signal.SIGKILL - 1)):
                        return True
        return False

    def _decide(self, action: Any) -> Decision:
        return decide_safely(self.gate, action, self.session)

    # ---- connect

    def _on_connect(self, fd: int, nid: int, pid: int, mem: int, args: list[int]) -> None:
        addr_ptr, length = args[1], min(args[2], 128)
        try:
            raw = os.pread(mem, length, addr_ptr) if length >= 2 else b""
        except OSError:
            raw = b""
        self._respond(fd, nid, True)  # observed only: the network namespace decides
        host, port, proto = _parse_sockaddr(raw)
        if host is None or host in _QUIET_UNIX:
            return
        action = NetAction(host=host, port=port, protocol=proto)
        self.connects.append(action)
        ns_pid, _, _ = _ns_pids(pid)
        via = (
            "proxy"
            if self.proxy_port is not None and port == self.proxy_port and host == "127.0.0.1"
            else "direct"
        )
        self.emitter.emit(
            "action.requested",
            action=action,
            data={"syscall": "connect", "pid": ns_pid, "host_pid": pid, "via": via},
        )


_FD_PATH = re.compile(r"/(?:proc/(?:self|thread-self|\d+)(?:/task/\d+)?|dev)/fd/(\d+)")
_libc = ctypes.CDLL(None, use_errno=True)
_SYS_OPENAT2 = 437
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_IN_ROOT = 0x10
AT_FDCWD = 0xFFFFFF9C


def _tgid(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError), open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"Tgid:"):
                return int(line.split()[1])
    return None


def _fd_key(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _bprm_filename(path: str, dirfd: int, at_empty: bool, is_at: bool) -> str:
    """The program's name as the kernel gives it to a script's interpreter."""
    fdno = dirfd & 0xFFFFFFFF
    if at_empty:
        return f"/dev/fd/{fdno}"
    if not is_at or fdno == AT_FDCWD or path.startswith("/"):
        return path
    return f"/dev/fd/{fdno}/{path}"


def _with_identity(
    action: SpawnAction, ident: execid.Identity, table: execid.ProgramTable | None = None
) -> SpawnAction:
    exe = ident.program
    if table is not None and action.exe:
        exe = table.decided_as(ident, action.exe, action.argv[0] if action.argv else None)
    return action.model_copy(
        update={
            "exe": exe,
            "path": ident.path if ident.path != ident.program else None,
            "origin": ident.origin,
            "sha256": ident.sha256,
        }
    )


def _shown(action: SpawnAction) -> str:
    """The program a message names: the real one, and the name it was run as."""
    asked = action.argv[0] if action.argv else ""
    real = action.exe or asked
    if asked and os.path.basename(asked) != os.path.basename(real):
        return f"{real} (run as {asked})"
    return real


def _open_in_root(pid: int, dirfd: int, path: str) -> int:
    """``O_PATH`` descriptor of ``path`` as process ``pid`` resolves it: from its cwd (or
    ``dirfd``), symlinks inside its own root (``openat2`` ``RESOLVE_IN_ROOT``)."""
    if not path.startswith("/"):
        where = f"/proc/{pid}/cwd" if (dirfd & 0xFFFFFFFF) == AT_FDCWD else (
            f"/proc/{pid}/fd/{dirfd & 0xFFFFFFFF}"
        )
        path = os.readlink(where).rstrip("/") + "/" + path
    root = os.open(f"/proc/{pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        flags = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
        how = struct.pack("=QQQ", os.O_PATH | os.O_CLOEXEC, 0, flags)
        buf = ctypes.create_string_buffer(how, len(how))
        fd = _libc.syscall(
            _SYS_OPENAT2, ctypes.c_int(root), ctypes.c_char_p(os.fsencode(path)), buf,
            ctypes.c_size_t(len(how)),
        )
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e), path)
        return int(fd)
    finally:
        os.close(root)


def _pread(mem: int, n: int, addr: int) -> bytes:
    try:
        data = os.pread(mem, n, addr)
    except (OSError, OverflowError) as e:
        raise Unreadable(f"its arguments cannot be read at {addr:#x}: {e}") from e
    if not data:
        raise Unreadable(f"its arguments cannot be read at {addr:#x}")
    return data


def _read_bytes(mem: int, addr: int, limit: int) -> bytes:
    """The NUL-terminated string at ``addr`` (at most ``limit`` bytes with the NUL)."""
    if not addr:
        raise Unreadable("a null string pointer")
    out = bytearray()
    while len(out) < limit:
        chunk = _pread(mem, min(_PAGE - (addr % _PAGE), limit - len(out)), addr)
        i = chunk.find(b"\0")
        if i >= 0:
            return bytes(out + chunk[:i])
        out += chunk
        addr += len(chunk)
    raise Unreadable(f"a string longer than {limit} bytes (more than the kernel accepts)")


def _read_str(mem: int, addr: int, limit: int) -> str:
    return _read_bytes(mem, addr, limit).decode("utf-8", "surrogateescape")


def _read_argv(mem: int, ptr: int) -> list[str]:
    """The whole argv, or :class:`Unreadable`: never a part to decide on."""
    if not ptr:
        return []  # Linux runs a NULL argv as an empty one
    argv: list[str] = []
    left = MAX_ARG_BYTES
    while True:
        want = max(_PAGE - ptr % _PAGE, 8)
        raw = _pread(mem, want - want % 8, ptr)
        n = len(raw) // 8
        if n == 0:
            raise Unreadable(f"its argument list cannot be read at {ptr:#x}")
        for (p,) in struct.iter_unpack("=Q", raw[: 8 * n]):
            if not p:
                return argv
            if len(argv) >= MAX_ARGS:
                raise Unreadable(f"more than {MAX_ARGS} arguments (more than the kernel accepts)")
            b = _read_bytes(mem, p, min(MAX_ARG_STRLEN, max(left, 1)))
            left -= len(b) + 1 + 8
            if left < 0:
                raise Unreadable(
                    f"arguments larger than {MAX_ARG_BYTES} bytes (more than the kernel accepts)"
                )
            argv.append(b.decode("utf-8", "surrogateescape"))
        ptr += 8 * n


def _ns_pids(pid: int) -> tuple[int | None, int | None, int | None]:
    """(pid inside the sandbox, parent pid inside the sandbox, host parent pid)."""
    ns_pid = ppid = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("PPid:"):
                    ppid = int(line.split()[1])
                elif line.startswith("NSpid:"):
                    ns_pid = int(line.split()[-1])
    except (OSError, ValueError):
        return None, None, None
    ns_ppid = None
    if ppid:
        with contextlib.suppress(OSError, ValueError), open(f"/proc/{ppid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    ns_ppid = int(line.split()[-1])
    return ns_pid, ns_ppid, ppid


def _parse_sockaddr(raw: bytes) -> tuple[str | None, int | None, str | None]:
    if len(raw) < 2:
        return None, None, None
    (family,) = struct.unpack("=H", raw[:2])
    if family == socket.AF_INET and len(raw) >= 8:
        port = struct.unpack("!H", raw[2:4])[0]
        return str(ipaddress.IPv4Address(raw[4:8])), port, "inet"
    if family == socket.AF_INET6 and len(raw) >= 24:
        port = struct.unpack("!H", raw[2:4])[0]
        return str(ipaddress.IPv6Address(raw[8:24])), port, "inet6"
    if family == socket.AF_UNIX:
        path = raw[2:].split(b"\0", 1)[0] if raw[2:3] != b"\0" else b"@" + raw[3:].rstrip(b"\0")
        return "unix:" + path.decode("utf-8", "replace"), None, "unix"
    return None, None, None


class ResourceSampler:
    """Emits ``{cpu_pct, busy_pct, rss_mb, procs, out_chars, interval_s}`` about once a
    second while a run lasts (``busy_pct``: CPU + time waiting to run over wall time, see
    :mod:`corral.procinfo`; ``out_chars``: output in the interval, when ``output`` gives
    the total so far; ``in_call``: whether a call runs, for a warm session's sampler, which
    samples between calls too). With ``gpu`` (a :class:`~corral.native.nvml.GpuSampler`: the policy
    granted the GPU and NVML works) the GPU fields too, and a process holding GPU memory
    past ``gpu_memory_mb`` (all of them, together) is killed (``budget.exceeded``)."""

    def __init__(
        self,
        emitter: Emitter,
        root_pid: int,
        *,
        cgroup: Any = None,
        interval: float = 1.0,
        output: Callable[[], int] | None = None,
        gpu: Any = None,
        gpu_memory_mb: float | None = None,
        in_call: Callable[[], bool] | None = None,
    ) -> None:
        self.emitter = emitter
        self.root_pid = root_pid
        self.gpu = gpu
        self.gpu_memory_mb = gpu_memory_mb
        self.in_call = in_call
        self.cgroup = cgroup
        self.interval = interval
        self.output = output
        self._pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corral-sampler", daemon=True)
        self.samples: list[dict[str, Any]] = []
        self.peak_rss = 0

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.started:
            self._thread.join(timeout=2)

    def sample(self) -> tuple[float, int, int | None]:
        """(cumulative CPU seconds, RSS bytes, processes or None if unknown) right now."""
        cg = self.cgroup
        if cg is not None:
            pids = self._pids = cg.procs()
            cpu = cg.cpu_s()
            rss = cg.memory_current()
            if cpu is None:
                cpu = proc_stats(pids)[0]
            return cpu, rss, len(pids)
        pids = self._pids = process_tree(self.root_pid)
        cpu, rss, _ = proc_stats(pids)
        return cpu, rss, len(pids)

    def _gpu_sample(self, data: dict[str, Any]) -> None:
        """The GPU fields of ``data``; over ``gpu_memory_mb``, the sandbox's processes that
        hold GPU memory are killed (pidfds: no recycled pid is hit)."""
        try:
            data.update(self.gpu.sample(self._pids))
        except Exception:
            log.debug("GPU sample failed", exc_info=True)
            return
        limit = self.gpu_memory_mb
        if limit is None or data["gpu_mem_mb"] <= limit:
            return
        holders = [int(p) for p, used in data["gpu_mem_by_pid"].items() if used > 0]
        killed: list[int] = []
        for pid in holders:
            with contextlib.suppress(OSError):
                fd = os.pidfd_open(pid)
                try:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                    killed.append(pid)
                finally:
                    os.close(fd)
        self.emitter.emit("budget.exceeded", data={
            "budget": "gpu_memory_mb", "limit": limit, "used": data["gpu_mem_mb"],
            "killed": killed,
            "message": f"GPU memory {data['gpu_mem_mb']} MB over the budget of {limit} MB: "
                       f"killed the processes holding it ({', '.join(map(str, killed))})",
        })  # fmt: skip

    def _waited(self) -> float | None:
        got = sched_s(self._pids)
        return None if got is None else got[1]

    def _out(self) -> int | None:
        if self.output is None:
            return None
        try:
            return int(self.output())
        except Exception:
            return None

    def _run(self) -> None:
        last_cpu, _, _ = self.sample()
        last_wait, last_out = self._waited(), self._out()
        last_t = time.monotonic()
        while not self._stop.wait(self.interval):
            cpu, rss, procs = self.sample()
            waited, out = self._waited(), self._out()
            now = time.monotonic()
            dt = max(now - last_t, 1e-6)
            used = max(cpu - last_cpu, 0.0)
            self.peak_rss = max(self.peak_rss, rss)
            data: dict[str, Any] = {
                "cpu_pct": round(used / dt * 100, 1),
                "rss_mb": round(rss / 2**20, 2),
                "interval_s": round(dt, 3),
            }
            if procs is not None:
                data["procs"] = procs
            if waited is not None and last_wait is not None:
                # threads that ended in the interval took their wait with them
                busy = used + max(waited - last_wait, 0.0)
                data["busy_pct"] = round(busy / dt * 100, 1)
            if out is not None and last_out is not None:
                data["out_chars"] = max(out - last_out, 0)
            last_cpu, last_wait, last_out, last_t = cpu, waited, out, now
            if self.in_call is not None:  # a warm session: is one of its calls running?
                data["in_call"] = bool(self.in_call())
            if self.gpu is not None:
                self._gpu_sample(data)
            self.samples.append(data)
            self.emitter.sample(data)
