"""Process-level monitoring of a native sandbox: every ``execve`` decided before it runs.

How it works
------------

Just before ``bwrap`` starts (in the forked child, before ``exec``), corral installs a
tiny seccomp filter (:func:`corral.native.filters.notify_filter_bpf`) with
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
import errno
import fcntl
import ipaddress
import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from ..events import Decision, NetAction, SpawnAction
from . import filters
from ._common import Emitter, proc_stats, process_tree

log = logging.getLogger("corral.native.monitor")

__all__ = ["ResourceSampler", "Supervisor"]

_NOTIF_SIZE = 80
_RESP_SIZE = 24
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
AT_EMPTY_PATH = 0x1000

#: glibc asks nscd on every user lookup: not worth an event
_QUIET_UNIX = frozenset({"unix:/var/run/nscd/socket", "unix:/run/nscd/socket"})
MAX_ARGS = 4096
MAX_ARG_BYTES = 256 * 1024
_PAGE = 4096


class Supervisor:
    """Answers the seccomp notifications of one sandbox run.

    ``gate.decide(action, session)`` decides each :class:`SpawnAction`; without a gate
    every program runs (and is still reported). ``ignore_first`` lets the launcher's own
    ``execve`` (``bwrap``) through unreported.
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
    ) -> None:
        self.gate = gate
        self.session = session
        self.emitter = emitter
        self.connect = connect
        self.proxy_port = proxy_port
        self._skip = 1 if ignore_first else 0
        self.on_spawn = on_spawn
        self.prog = filters.PreparedFilter(filters.notify_filter_bpf(connect=connect))
        self._parent, self._child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.error: str | None = None
        self.spawns: list[tuple[SpawnAction, Decision]] = []
        self.connects: list[NetAction] = []
        self.denied = 0
        _, self._nr_execve, self._nr_execveat, self._nr_connect, _ = filters.arch_numbers()

    # ---- in the forked child (before exec)

    def child_setup(self) -> None:
        """Install the filter and send its listener back. Runs after ``fork()``."""
        fd = self.prog.install_listener()
        if fd < 0:
            raise OSError(-fd, "seccomp listener: " + os.strerror(-fd))
        socket.send_fds(self._child, [b"L"], [fd])
        os.close(fd)

    # ---- on the host

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="corral-supervisor", daemon=True)
        self._thread.start()

    def spawned(self) -> None:
        """Call once the launcher is started: the parent's copy of the child end closes."""
        with contextlib.suppress(OSError):
            self._child.close()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._child.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._parent.close()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                os.close(self._listener)
            self._listener = None

    def _run(self) -> None:
        try:
            self._parent.settimeout(30)
            try:
                _, fds, _, _ = socket.recv_fds(self._parent, 16, 1)
            except (OSError, TimeoutError) as e:
                self.error = f"no seccomp listener received: {e}"
                return
            if not fds:
                self.error = "no seccomp listener received"
                return
            self._listener = fds[0]
            self._ready.set()
            self._loop(fds[0])
        except Exception as e:  # never let a bug leave processes hanging silently
            self.error = f"supervisor failed: {e!r}"
            log.exception("supervisor failed")

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
                    raise
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
        nid, pid, _flags, nr, _arch, _ip, *args = struct.unpack("=QIIiIQ6Q", raw)
        if self._skip and nr in (self._nr_execve, self._nr_execveat):
            self._skip -= 1
            self._respond(fd, nid, True)
            return
        try:
            mem = os.open(f"/proc/{pid}/mem", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._respond(fd, nid, False)
            return
        try:
            if not self._valid(fd, nid):  # the pid was reused: the notification is stale
                return
            if nr == self._nr_connect:
                self._on_connect(fd, nid, pid, mem, args)
            else:
                self._on_exec(fd, nid, pid, mem, nr, args)
        except Exception:
            log.exception("decision on notification failed; denying")
            self._respond(fd, nid, nr == self._nr_connect)
        finally:
            os.close(mem)

    # ---- execve

    def _on_exec(self, fd: int, nid: int, pid: int, mem: int, nr: int, args: list[int]) -> None:
        if nr == self._nr_execveat:
            dirfd, path_ptr, argv_ptr, flags = args[0], args[1], args[2], args[4]
        else:
            dirfd, path_ptr, argv_ptr, flags = -100, args[0], args[1], 0
        path, _ = _read_str(mem, path_ptr, 4096)
        if nr == self._nr_execveat and (flags & AT_EMPTY_PATH) and not path:
            with contextlib.suppress(OSError):
                path = os.readlink(f"/proc/{pid}/fd/{dirfd & 0xFFFFFFFF}")
        argv, truncated = _read_argv(mem, argv_ptr)
        if not self._valid(fd, nid):
            return
        ns_pid, ns_ppid, host_ppid = _ns_pids(pid)
        action = SpawnAction(
            argv=argv or [path], pid=ns_pid, ppid=ns_ppid, exe=path or (argv[0] if argv else "")
        )
        decision = self._decide(action)
        data = {"host_pid": pid, "host_ppid": host_ppid, "syscall": "execve"}
        if truncated:
            data["argv_truncated"] = True
        self.spawns.append((action, decision))
        if decision.allowed:
            self.emitter.emit("action.requested", action=action, decision=decision, data=data)
        else:
            self.denied += 1
            self.emitter.emit("action.denied", action=action, decision=decision, data=data)
        if self.on_spawn is not None:
            with contextlib.suppress(Exception):
                self.on_spawn(action, decision)
        self._respond(fd, nid, decision.allowed)

    def _decide(self, action: Any) -> Decision:
        if self.gate is None:
            return Decision(verdict="allow", reason="no policy installed")
        try:
            d = self.gate.decide(action, self.session)
        except Exception as e:
            return Decision(verdict="deny", rule="monitor.error", reason=f"gate failed: {e!r}")
        if not isinstance(d, Decision):
            return Decision(verdict="deny", rule="monitor.error", reason=f"gate returned {d!r}")
        return d

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


def _read_str(mem: int, addr: int, limit: int) -> tuple[str, bool]:
    if not addr:
        return "", False
    out = bytearray()
    while len(out) < limit:
        n = min(_PAGE - (addr % _PAGE), 512, limit - len(out))
        try:
            chunk = os.pread(mem, n, addr)
        except OSError:
            break
        if not chunk:
            break
        i = chunk.find(b"\0")
        if i >= 0:
            out += chunk[:i]
            return out.decode("utf-8", "surrogateescape"), False
        out += chunk
        addr += len(chunk)
    return out.decode("utf-8", "surrogateescape"), True


def _read_argv(mem: int, ptr: int) -> tuple[list[str], bool]:
    if not ptr:
        return [], False
    argv: list[str] = []
    budget = MAX_ARG_BYTES
    truncated = False
    for i in range(MAX_ARGS):
        try:
            raw = os.pread(mem, 8, ptr + 8 * i)
        except OSError:
            break
        if len(raw) < 8:
            break
        (p,) = struct.unpack("=Q", raw)
        if not p:
            return argv, truncated
        s, cut = _read_str(mem, p, max(budget, 1))
        budget -= len(s) + 1
        argv.append(s)
        if cut or budget <= 0:
            return argv, True
    return argv, True


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
    """Emits ``{cpu_pct, rss_mb, procs}`` about once a second while a run lasts."""

    def __init__(
        self,
        emitter: Emitter,
        root_pid: int,
        *,
        cgroup: Any = None,
        interval: float = 1.0,
    ) -> None:
        self.emitter = emitter
        self.root_pid = root_pid
        self.cgroup = cgroup
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="corral-sampler", daemon=True)
        self.samples: list[dict[str, Any]] = []
        self.peak_rss = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def sample(self) -> tuple[float, int, int]:
        """(cumulative CPU seconds, RSS bytes, processes) right now."""
        cg = self.cgroup
        if cg is not None:
            pids = cg.procs()
            cpu = cg.cpu_s()
            rss = cg.memory_current()
            if cpu is None:
                cpu = proc_stats(pids)[0]
            return cpu, rss, len(pids)
        pids = process_tree(self.root_pid)
        cpu, rss, _ = proc_stats(pids)
        return cpu, rss, len(pids)

    def _run(self) -> None:
        last_cpu, _, _ = self.sample()
        last_t = time.monotonic()
        while not self._stop.wait(self.interval):
            cpu, rss, procs = self.sample()
            now = time.monotonic()
            pct = max(cpu - last_cpu, 0.0) / max(now - last_t, 1e-6) * 100
            last_cpu, last_t = cpu, now
            self.peak_rss = max(self.peak_rss, rss)
            data = {"cpu_pct": round(pct, 1), "rss_mb": round(rss / 2**20, 2), "procs": procs}
            self.samples.append(data)
            self.emitter.sample(data)
