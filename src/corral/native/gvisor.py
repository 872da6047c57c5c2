"""The ``gvisor`` tier: real Linux programs on gVisor's user-space kernel (``runsc``).

``runsc do`` shows the whole host filesystem to the sandbox, so corral builds an OCI
bundle per run instead and starts it with ``runsc run``: an empty read-only root with
``/usr`` (and the ``/bin``, ``/lib``... links) and the same curated ``/etc`` as the bwrap
tier bound read-only, the workspace read-write at ``/workspace``, private ``/tmp``,
uid/gid 1000, no capabilities, ``--network=none`` (loopback only), RLIMIT_NOFILE/FSIZE/NPROC
as OCI rlimits enforced by gVisor's kernel (the Sentry), the deny list as an OCI seccomp
filter enforced by the Sentry (``--oci-seccomp``), an output cap, a disk poll and a
wall-time kill. The process budget is RLIMIT_NPROC (processes and threads): the Sentry
refuses the fork, corral sees the refusal in the Sentry's trace (below) and stops the run,
as the bwrap tier does when its pids cgroup refuses one.

Host resources: corral makes the run's cgroup itself (``/corral/gvisor-<id>``: memory,
pids, cpuacct) before ``runsc`` starts, so it sets the limits, reads what happened (OOM
kills, peak memory, CPU time) after the sandbox is gone, kills every host process of the
sandbox (Sentry, gofer, platform stubs) through it, and removes it. The pids limit there
is only a backstop for the Sentry's own host threads and stubs, well above the process
budget: at the process budget itself the Sentry could not start a stub and would crash.

Platform: ``platform="auto"`` (the default) uses ``systrap``, gVisor's own default since
2023, and falls back to ``ptrace`` where systrap does not start. On a 2-core VM systrap ran
syscall-heavy work 9-20x faster than ptrace and file I/O 1.4x faster, while each process
start cost about 2.5x more (200 fork+exec: 4.2 s against 1.5 s); ``platform="ptrace"``
suits a load of many short-lived processes. ``"kvm"`` is used only when asked for, and
only when a test sandbox starts on it (under a VM without working nested virtualisation it
hangs); otherwise corral falls back to the automatic choice and says so
(``platform_note``, a warning, the ``backend.started`` event).

Network goes through the same :class:`~corral.native.proxy.EgressProxy` as bwrap: the
sandbox's first process is corral's relay (:mod:`corral.native.relaybin`: a static program,
or :mod:`corral.native._bridge` where none can be built), listening on ``127.0.0.1:3128``
inside the sandbox and relaying to the proxy's Unix socket (bind-mounted in,
``--host-uds=open``).

Process-level monitoring (``monitor=True``, the default, as in bwrap) is **observe, then
kill**; the bwrap tier instead *gates* (a program start waits in the host kernel until the
gate allowed it). Programs started inside gVisor are tasks of the Sentry, not host
processes, so no host seccomp filter sees them. corral has runsc trace ``execve``,
``execveat`` and ``connect`` (``--strace``) into a FIFO that a host thread reads while the
sandbox runs: the Sentry writes each line as it enters the call (and waits when corral
reads slower). Each program start is put to the gate and reported (``action.requested``
or ``action.denied`` with a :class:`~corral.events.SpawnAction`, ``data["observed"] =
True``), each connection too (``action.requested``, :class:`~corral.events.NetAction`).
When the gate denies a program, or a monitor on the event bus kills the session
(``kill()``), the whole run is killed, typically a few hundred milliseconds later. The
program has started by then and may have run for that long: where no denied program may
run at all, use the bwrap tier. The argv is the one the Sentry read as the call was
entered (another thread could rewrite it before the exec reads it: the TOCTOU of the
bwrap tier).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import logging
import os
import posixpath
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import syscall_filters as filters
from ..budget import MB, Budget, RunResult, Usage
from ..deeptree import remove_tree, walk
from ..events import Decision, NetAction, SpawnAction
from . import devices, leftovers, relaybin, spawner
from ._common import (
    BackendLifecycle,
    BackendUnavailable,
    CgroupSet,
    NativeLimits,
    OutputCollector,
    _kv,
    chown_tree,
    decide_safely,
    disk_at_end,
    disk_usage,
    feed_stdin,
    finish_result,
)
from .bwrap import DEFAULT_PATH, PROXY_PORT, BwrapBackend
from .etcstage import staged_etc
from .execid import Identity, ProgramTable, deny_message, identify_host_path
from .gvisor_files import FILE_SYSCALLS, FILE_SYSCALLS_X86, GvisorFileEvents
from .gvisor_samples import GvisorSampler
from .gvisor_session import GvisorSession
from .recent import RecentLog
from .session import (
    check_interpreter,
    end_session,
    install_drivers,
    interrupt_session,
    run_in_session,
)
from .terminal import TerminalIO

__all__ = ["PLATFORMS", "GvisorBackend", "choose_platform", "platform_works", "probe"]

log = logging.getLogger("corral.native.gvisor")

UID = 1000
GID = 1000
#: every platform corral knows; ``auto`` tries these in order (kvm only when asked for)
PLATFORMS = ("systrap", "ptrace", "kvm")
AUTO_PLATFORMS = ("systrap", "ptrace")
#: how long a test sandbox may take to print one line (kvm without nested virt hangs)
_PROBE_WALL = {"systrap": 30.0, "ptrace": 30.0, "kvm": 6.0}
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_MONITOR_SYSCALLS = ("execve", "execveat", "connect")
_FORK_SYSCALLS = (
    ("clone", "clone3", "fork", "vfork") if os.uname().machine == "x86_64" else ("clone", "clone3")
)
#: file calls traced for file events (the plain forms exist on x86-64 only)
_FILE_SYSCALLS = FILE_SYSCALLS + (FILE_SYSCALLS_X86 if os.uname().machine == "x86_64" else ())
_F_SETPIPE_SZ = 1031
_PR_SET_PDEATHSIG = 1


def _runsc() -> str:
    return shutil.which("runsc") or "/usr/bin/runsc"


# --------------------------------------------------------------------------- platforms


_platforms: dict[str, tuple[bool, str]] = {}
_platforms_lock = threading.Lock()


def platform_works(platform: str) -> tuple[bool, str]:
    """Whether a minimal gVisor sandbox starts on ``platform``; (works, detail). Asked once
    per process (a missing runsc is asked again: it may be installed meanwhile)."""
    with _platforms_lock:
        hit = _platforms.get(platform)
        if hit is None:
            hit = _try_platform(platform)
            if hit[1] != _NO_RUNSC:
                _platforms[platform] = hit
        return hit


_NO_RUNSC = "runsc is not installed"


def _try_platform(platform: str) -> tuple[bool, str]:
    if platform not in PLATFORMS:
        return False, f"unknown gVisor platform {platform!r} (known: {', '.join(PLATFORMS)})"
    if not shutil.which("runsc"):
        return False, _NO_RUNSC
    if platform == "kvm":
        try:
            os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
        except OSError as e:
            return False, f"/dev/kvm is not usable: {e.strerror}"
    wall = _PROBE_WALL[platform]
    ws = tempfile.mkdtemp(prefix="corral-gvprobe-")
    try:
        b = GvisorBackend(ws, Budget(wall_s=wall), platform=platform, monitor=False,
                          _skip_require=True)  # fmt: skip
        try:
            r = b.run(["/bin/echo", "corral-ok"])
        finally:
            b.close()
    except Exception as e:
        return False, f"runsc failed on the {platform} platform: {e}"
    finally:
        remove_tree(ws, ignore_errors=True)
    if r.exit_code == 0 and "corral-ok" in r.stdout:
        return True, f"runsc starts sandboxes (platform {platform})"
    if r.error in ("wall_time", "cpu"):  # a hung kvm spins: its CPU budget runs out first
        return False, f"the {platform} platform did not start a sandbox within {wall:g} s"
    why = (r.error_message or r.stderr).strip()[-300:]
    return False, f"runsc failed on the {platform} platform (exit {r.exit_code}): {why}"


def probe() -> tuple[bool, str]:
    """Whether gVisor starts sandboxes here on an automatic platform; (works, detail)."""
    details = []
    for p in AUTO_PLATFORMS:
        ok, detail = platform_works(p)
        if ok:
            return True, detail
        details.append(detail)
    return False, "; ".join(details)


def choose_platform(requested: str = "auto") -> tuple[str, str | None]:
    """The platform to use for ``requested`` and, when it is another one, why."""
    why = None
    if requested != "auto":
        ok, why = platform_works(requested)
        if ok:
            return requested, None
    for p in AUTO_PLATFORMS:
        if p != requested and platform_works(p)[0]:
            note = None if why is None else f"platform {requested} unavailable: {why}"
            return p, note
    raise BackendUnavailable(f"gVisor starts on no platform here: {probe()[1]}")


# --------------------------------------------------------------------------- cgroups


class _SandboxCgroup(CgroupSet):
    """The run's cgroup, made by corral at runsc's ``cgroupsPath`` (runsc then joins it
    and leaves its settings and its removal to corral).

    Its tasks are the Sentry's host threads, the gofer and the platform's stub processes,
    not the sandbox's processes (those the Sentry counts, RLIMIT_NPROC): no process count
    from here; gVisor's memory lives in a shared-memory file, so it counts as "anon" too.
    """

    @classmethod
    def make(cls, rel: str, memory_bytes: int, pids_backstop: int) -> _SandboxCgroup | None:
        rel = rel.strip("/")
        made: list[Path] = []
        try:
            if (_CGROUP_ROOT / "cgroup.controllers").exists():
                d = _CGROUP_ROOT / rel
                for parent in reversed(d.parents):
                    if parent == _CGROUP_ROOT or _CGROUP_ROOT in parent.parents:
                        parent.mkdir(exist_ok=True)
                        with contextlib.suppress(OSError):
                            (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
                d.mkdir()
                made.append(d)
                cg = cls({"v2": d}, 2)
            else:
                dirs: dict[str, Path] = {}
                for ctrl in ("memory", "pids", "cpuacct"):
                    if not (_CGROUP_ROOT / ctrl / "cgroup.procs").exists():
                        raise OSError(errno.ENOENT, f"no {ctrl} cgroup hierarchy")
                    d = _CGROUP_ROOT / ctrl / rel
                    d.mkdir(parents=True)
                    made.append(d)
                    dirs[ctrl] = d
                cg = cls(dirs, 1)
        except OSError as e:
            log.debug("no cgroup of corral's own for gVisor (%s); runsc makes one", e)
            for d in made:
                with contextlib.suppress(OSError):
                    d.rmdir()
            return None
        cg.limit(memory_bytes, pids_backstop)
        return cg

    def pids_current(self) -> int:
        return 0

    def anon_bytes(self) -> int:
        text = self._r("memory", "memory.stat")
        if self.version == 1:
            return _kv(text, "total_rss") + _kv(text, "total_shmem")
        return _kv(text, "anon") + _kv(text, "shmem")


def _remove_runsc_cgroups(rel: str) -> None:
    """runsc's own directories of the run in the other cgroup v1 hierarchies (cpu, devices,
    freezer...): runsc removes them when it exits normally, not when it was killed."""
    rel = rel.strip("/")
    with contextlib.suppress(OSError):
        for h in _CGROUP_ROOT.iterdir():
            d = h / rel
            if not h.is_symlink() and d.is_dir():
                with contextlib.suppress(OSError):
                    d.rmdir()


# --------------------------------------------------------------------------- strace


#: a task's ids in a trace line's head: ``[ PID: TID]``, or in a sub-container (a pooled
#: session, gvisor_pool) ``[ PID( NSPID): TID( NSTID)]``: the ids in its own pid namespace
#: (those its /proc and its clone() results show) are the ones captured
_ID = r"\s*(?:\d+\(\s*)?(\d+)\)?"
_LINE_HEAD = re.compile(
    rf"[IWEDF]\d{{4}} [\d:.]+\s+\d+ strace\.go:\d+\] \[{_ID}:{_ID}\] (.{{0,16}}?) "
    r"E (execveat|execve|connect)\(",
    re.S,
)
#: a process or thread the Sentry refused (RLIMIT_NPROC: the process budget)
#: a process or thread the Sentry made (the clone's return: its id in the sandbox)
_CLONE_MADE = re.compile(
    rf"[IWEDF]\d{{4}} [\d:.]+\s+\d+ strace\.go:\d+\] \[{_ID}:{_ID}\] .{{0,16}}? "
    r"X (?:clone3?|fork|vfork)\([^()]*\) = (\d{1,9}) \(0x[0-9a-f]+\) ",
    re.S,
)
_CLONE_REFUSED = re.compile(
    rf"[IWEDF]\d{{4}} [\d:.]+\s+\d+ strace\.go:\d+\] \[{_ID}:{_ID}\] .{{0,16}}? "
    r"X (?:clone3?|fork|vfork)\([^()]*\) = \S+ \(0x[0-9a-f]+\) errno=11 ",
    re.S,
)
_CONNECT_TAIL = re.compile(
    r"\{Family: (AF_INET6?), Addr: ([0-9A-Fa-f.:]+), Port: (\d+)\}, 0x[0-9a-f]+\)$"
)
_HEX = frozenset("0123456789abcdef")
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def _unquote(body: str) -> str:
    """The text of a Go-quoted (``%q``) string's inside."""
    if "\\" not in body:
        return body
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos : m.start()].encode("utf-8", "surrogateescape")
        x, u, big, c = m.groups()
        if x:
            out.append(int(x, 16))
        elif u or big:
            cp = int(u or big, 16)
            out += (chr(cp) if cp <= 0x10FFFF else "\ufffd").encode("utf-8", "surrogatepass")
        elif c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
        else:
            out += c.encode("utf-8", "surrogateescape")
        pos = m.end()
    out += body[pos:].encode("utf-8", "surrogateescape")
    return out.decode("utf-8", "surrogateescape")


def _hex_before(s: str, end: int) -> int:
    """Start of ``0x<hex>`` ending at ``end`` (exclusive), or -1."""
    i = end
    while i > 0 and s[i - 1] in _HEX:
        i -= 1
    if i == end or i < 2 or s[i - 2 : i] != "0x":
        return -1
    return i - 2


def _vector_before(s: str, end: int) -> tuple[int, list[str] | None] | None:
    """The traced string vector (``0x.. ["a", "b"]`` or ``0x.. {error copying vector: ..}``)
    ending at ``end`` (exclusive), read backwards: its quoted items cannot be forged, the
    unquoted path before them can. (start, items; ``None`` when unreadable)."""
    if end < 1:
        return None
    last = s[end - 1]
    items: list[str] | None
    if last == "}":
        start = s.rfind(" {error copying vector: ", 0, end)
        if start < 0:
            return None
        items = None
    elif last == "]":
        items = []
        p = end - 1  # the ']'
        if p >= 1 and s[p - 1] == "[":
            start = p - 1
        else:
            while True:
                if p < 2 or s[p - 1] != '"':
                    return None
                q = p - 1  # the closing quote; find the opening one
                while True:
                    q = s.rfind('"', 0, q)
                    if q < 0:
                        return None
                    k = q
                    while k > 0 and s[k - 1] == "\\":
                        k -= 1
                    if (q - k) % 2 == 0:
                        break
                items.append(_unquote(s[q + 1 : p - 1]))
                if q >= 1 and s[q - 1] == "[":
                    start = q - 1
                    break
                if s[q - 2 : q] != ", ":
                    return None
                p = q - 2
            items.reverse()
        start -= 1  # the space before '[' / '{'
        if start < 0 or s[start] != " ":
            return None
    else:
        return None
    h = _hex_before(s, start)
    if h < 0:
        return None
    return h, items


def parse_strace_line(line: str) -> tuple[Any, ...] | None:
    """One line of runsc's strace log: ``("spawn", call, pid, exe, argv)`` (argv ``None``
    when the Sentry could not read it), ``("connect", pid, family, host, port)``,
    ``("nproc", pid)`` (a fork or thread refused at the process budget), ``("made", id)``
    (a process or thread made) or None.

    A program start is found by the end of its line (the argv and environment vectors, both
    quoted by the Sentry), so a path with a newline or a forged log line in it cannot hide
    it; what such a path can garble is the pid and the exe reported with it.
    """
    line = line.rstrip("\r\n")
    if len(line) < 8 or line[-1] != ")":
        return None
    head = _LINE_HEAD.match(line)
    if head is None and " X " in line[:200]:
        m = _CLONE_REFUSED.match(line)
        if m is not None:
            return ("nproc", int(m.group(1)))
        m = _CLONE_MADE.match(line)
        if m is not None:
            return ("made", int(m.group(3)))
    if head is not None and head.group(4) == "connect":
        m = _CONNECT_TAIL.search(line, max(len(line) - 160, 0))
        if m is None:
            return None
        return ("connect", int(head.group(1)), m.group(1), m.group(2), int(m.group(3)))
    end = len(line) - 1  # the ')'
    call = "execve"
    if line[end - 1] in _HEX:  # execveat(dirfd, path, argv, envp, flags)
        h = _hex_before(line, end)
        if h < 2 or line[h - 2 : h] != ", ":
            return None
        end = h - 2
        call = "execveat"
    elif line[end - 1] not in "]}":
        return None
    env = _vector_before(line, end)
    if env is None or line[env[0] - 2 : env[0]] != ", ":
        return None
    argv_vec = _vector_before(line, env[0] - 2)
    if argv_vec is None or line[argv_vec[0] - 2 : argv_vec[0]] != ", ":
        return None
    argv = argv_vec[1]
    pid = None
    exe = ""
    if head is not None and head.group(4) == call:
        pid = int(head.group(1))
        rest = line[head.end() : argv_vec[0] - 2]  # "0x.. path" / "0x.. fdpath, 0x.. path"
        if call == "execve":
            m = re.match(r"0x[0-9a-f]+ (.*)$", rest, re.S)
            exe = m.group(1) if m else ""
        else:
            m = re.match(r"0x[0-9a-f]+ (.*), 0x[0-9a-f]+ (.*)$", rest, re.S)
            if m:
                fd_path, path = m.group(1), m.group(2).strip()
                exe = path if path.startswith("/") or not path else f"{fd_path}/{path}"
                exe = exe or fd_path
    if not exe and argv:
        exe = argv[0]
    return ("spawn", call, pid, exe, argv)


class _StraceTail:
    """Reads runsc's strace log from a FIFO while the sandbox runs, one line at a time.

    The Sentry writes to the FIFO as each traced call is entered; when corral reads slower
    than the sandbox starts programs, the Sentry waits for it (it cannot run ahead of the
    monitor by more than the pipe's buffer).
    """

    def __init__(self, path: Path, on_line: Callable[[str], None]) -> None:
        os.mkfifo(path, 0o600)
        # read and write: the FIFO never reports end-of-file before runsc opened it
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        with contextlib.suppress(OSError):
            fcntl.fcntl(self.fd, _F_SETPIPE_SZ, 1 << 20)
        self.on_line = on_line
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="corral-gvisor-strace",
                                        daemon=True)  # fmt: skip
        self.lines = 0
        #: between reading bytes and handling their lines
        self.busy = False

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """After runsc exited: read what is left, then stop."""
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.close()

    def close(self) -> None:
        for fd in (self.fd, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        buf = bytearray()
        stopping = False
        while True:
            ready, _, _ = select.select([self.fd, self._wake_r], [], [], None)
            if self._wake_r in ready:
                stopping = True
            self.busy = True
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                self.busy = False
                if stopping:  # nothing left: the writer is gone
                    break
                continue
            except OSError:
                break
            buf += chunk
            start = 0
            while True:
                nl = buf.find(b"\n", start)
                if nl < 0:
                    break
                self._line(bytes(buf[start:nl]))
                start = nl + 1
            del buf[:start]
            self.busy = False
        if buf:
            self._line(bytes(buf))

    def _line(self, raw: bytes) -> None:
        self.lines += 1
        try:
            self.on_line(raw.decode("utf-8", "surrogateescape"))
        except Exception:
            log.exception("strace line not handled")


# --------------------------------------------------------------------------- backend


class GvisorBackend(BackendLifecycle):
    """Runs commands in gVisor sandboxes over one workspace (see the module doc).

    ``platform``: ``"auto"`` (systrap, else ptrace), ``"systrap"``, ``"ptrace"`` or
    ``"kvm"``; a platform that does not start here falls back to the automatic choice
    (:attr:`platform` is the one in use, :attr:`platform_note` says why it differs).
    ``monitor``: report every program start and connection live, and kill the run when
    the gate denies a program (observe-then-kill; bwrap gates before the program runs).
    """

    name = "gvisor"

    def __init__(
        self,
        workspace: Path | str,
        budget: Budget,
        *,
        gate: Any = None,
        events: Any = None,
        session: str = "native",
        copy_workspace: bool = False,
        env: dict[str, str] | None = None,
        limits: NativeLimits | None = None,
        proxy: Any = None,
        net_decide: Callable[..., Any] | None = None,
        monitor: bool = True,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        ro_binds: Sequence[str | Path] = (),
        platform: str = "auto",
        template: Any = None,
        gpu: bool = False,
        pool: int = 0,
        file_walls: Callable[[Path], Any] | None = None,
        _skip_require: bool = False,
    ) -> None:
        from .pool import check_size

        #: the workspace paths the policy's file rules hide at each start (filewalls)
        self.file_walls = file_walls

        #: pre-started sandboxes of this configuration (corral.native.gvisor_pool): each
        #: session's container is made in one at its start
        self.pool = check_size(pool)
        self._pool: Any = None
        if platform != "auto" and platform not in PLATFORMS:
            raise ValueError(f"unknown gVisor platform {platform!r}; expected 'auto' or one "
                             f"of {', '.join(PLATFORMS)}")  # fmt: skip
        self._init_common(
            workspace,
            budget,
            gate,
            events,
            session,
            copy_workspace,
            env,
            limits,
            proxy,
            net_decide,
            monitor,
            ro_binds,
            on_sample,
        )
        #: the policy's devices.gpu: the host's NVIDIA devices through nvproxy (at start)
        self.gpu = gpu
        devices.check_binds(self.ro_binds, gpu=gpu)
        self.gpu_devices: list[devices.GpuDevice] = []
        self.requested_platform = platform
        self.platform = platform
        self.platform_note: str | None = None
        self._skip_require = _skip_require
        self._current: dict[str, Any] = {}
        #: seconds between two resource samples (gvisor_samples)
        self.sample_interval = 1.0
        #: the last run's observed program starts, and those the gate denied
        self.spawns: RecentLog[SpawnAction] = RecentLog()
        self.denied: RecentLog[tuple[SpawnAction, Decision]] = RecentLog()
        self._nproc_refused = 0
        self._expect: list[list[str]] = []
        self._table: ProgramTable | None = None
        self._out: Any = None
        #: a template's root filesystem (corral.templates): overlay mounts made at start
        self.template = template
        self._rootfs: Any = None
        #: the in-sandbox network relay (relaybin), installed at start when there is a proxy
        self._relay: relaybin.Relay | None = None
        #: the warm sandbox every script runs in (gvisor_session), started on first use
        self._sess: GvisorSession | None = None
        self._lost = False  # the last session was lost: the next call says restarted
        self._interps_before_loss: set[str] = set()
        self._session_call = False  # a session's call runs now
        #: the highest process/thread id the Sentry's trace showed made (ids only grow)
        self._last_pid = 0
        #: with the monitor: file events from the Sentry's trace (gvisor_files)
        self.files: GvisorFileEvents | None = None

    def start(self) -> None:
        if self._started:
            return
        if not self._skip_require:
            from .doctor import require

            require("gvisor")
        if os.geteuid() != 0:
            raise BackendUnavailable(
                "the gvisor backend runs runsc as root (corral does not use rootless runsc); "
                "run as root or use the bwrap backend"
            )
        if not self.workspace.is_dir():
            raise BackendUnavailable(f"workspace {self.workspace} is not a directory")
        if self._skip_require:
            self.platform = "systrap" if self.requested_platform == "auto" else self.platform
        else:
            self.platform, self.platform_note = choose_platform(self.requested_platform)
            if self.platform_note:
                log.warning("gvisor: %s; using %s", self.platform_note, self.platform)
        if self.gpu:
            try:
                self.gpu_devices = devices.gvisor_devices(devices.host_devices())
            except devices.DeviceBindRefused as e:
                raise BackendUnavailable(str(e)) from e
        if self.monitor:
            self._table = ProgramTable.for_policy(self.gate)
            self.files = GvisorFileEvents(self.emitter.emit)
        self._stage = leftovers.temp_dir("gvisor")
        os.chmod(self._stage, 0o755)
        rootfs = self._stage / "bundle" / "rootfs"
        rootfs.mkdir(parents=True)
        self._top_dirs = host_top_dirs(rootfs)
        for d in ("usr", "etc", "proc", "dev", "tmp", "workspace", "run/corral", "root", "opt"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        # the process's staged /etc (etcstage), held for this backend's life
        try:
            self._etc = staged_etc("gvisor")
        except OSError as e:
            raise BackendUnavailable(f"could not stage the sandbox's /etc: {e}") from e
        (self._stage / "run").mkdir()
        install_drivers(self._stage / "run")
        (self._stage / "state").mkdir()
        if self.copy_workspace:
            self._copy = self._stage / "copy"
            shutil.copytree(self.workspace, self._copy, symlinks=True)
        if self.template is not None:
            from ..templates import rootfs_for

            tmp = self.limits.tmp_mb if self.limits.tmp_mb is not None else self.budget.disk_mb
            self._rootfs = rootfs_for(self.template, self._stage, UID, GID,
                                      size_bytes=int(tmp * MB))  # fmt: skip
        st = os.stat(self.root)
        if (st.st_uid, st.st_gid) != (UID, GID):  # lent to the sandbox's user, given back
            self._restore_owner = (st.st_uid, st.st_gid)
            self._other_owners = chown_tree(self.root, UID, GID)
        if self.proxy is None and self.net_decide is not None:
            from .proxy import EgressProxy

            lim = self.limits
            self.proxy = EgressProxy(
                self.net_decide,
                events=self.events,
                max_bytes_in=None if lim.net_in_mb is None else int(lim.net_in_mb * MB),
                max_bytes_out=None if lim.net_out_mb is None else int(lim.net_out_mb * MB),
                max_connections=lim.connections,
            )
            self._own_proxy = True
        if self.proxy is not None:
            self.proxy.start()
            # the sandbox's processes (uid 1000 in the Sentry) run the relay, open the socket
            self.proxy.unix_listen(self._stage / "run" / "proxy.sock", world=True)
            self._relay = relaybin.install(self._stage / "run")
        if self.pool and self.gpu_devices:
            log.warning("backend_options pool: a GPU sandbox is not pre-started (nvproxy's "
                        "devices are set as the sandbox starts): sessions start one by one")
        elif self.pool:
            from . import gvisor_pool

            self._pool = gvisor_pool.join(self)
        self._started = True
        data = {"backend": self.name, "path": str(self.root), "budget": self.budget.to_dict(),
                "network": "proxy" if self.proxy is not None else "none",
                "monitor": self.monitor, "platform": self.platform,
                "gpu": [d.dest for d in self.gpu_devices] if self.gpu else False}  # fmt: skip
        if self.platform_note:
            data["platform_note"] = self.platform_note
        self.emitter.emit("backend.started", data=data)

    def interrupt(self) -> None:
        """Interrupt the warm session's running call as Ctrl-C would (any thread): the
        call ends (exit 130, ``error="interrupted"``), the session lives on."""
        interrupt_session(self)

    def kill(self) -> None:
        """Kill whatever runs in the sandbox now. Returns at once (the monitor calls it from
        its thread); the run ends a moment later."""
        sess = self._sess
        if sess is not None:
            sess.killed = True  # the next call starts a fresh one, dead or dying
        cur = self._current
        proc = cur.get("proc")
        if proc is None or proc.poll() is not None or cur.get("killing"):
            return
        cur["killing"] = True
        threading.Thread(target=self._kill, args=(cur,), name="corral-gvisor-kill",
                         daemon=True).start()  # fmt: skip

    def _kill(self, cur: dict[str, Any]) -> None:
        """``runsc kill --all``: the Sentry ends the sandbox's processes, then itself and
        its stubs, and runsc cleans up. Only a sandbox that does not end that way within
        seconds (a wedged Sentry) is killed from outside: every host process in its cgroup,
        and runsc."""
        proc, cid, cg = cur["proc"], cur.get("cid"), cur.get("cgroup")
        state = cur.get("state") or self._stage / "state"  # (a pooled session's: the pod's)
        deadline = time.monotonic() + 3
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    [_runsc(), "--root", str(state), "kill", "--all", cid,
                     "KILL"], capture_output=True, stdin=subprocess.DEVNULL,
                    timeout=max(deadline - time.monotonic(), 0.1),
                )  # fmt: skip
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.25)
        if proc.poll() is None:
            if cg is not None:
                cg.kill()
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)

    # ------------------------------------------------------------------ spec

    def _env(self) -> dict[str, str]:
        return BwrapBackend._sandbox_env(self)  # type: ignore[arg-type]

    def _relay_argv(self, argv: list[str], status_fd: int | None = None) -> list[str]:
        """``argv`` started by the network relay (the sandbox's first process)."""
        assert self._relay is not None
        return self._relay.argv(PROXY_PORT, "/run/corral/proxy.sock", argv, status_fd)

    def _walls(self) -> list[dict[str, Any]]:
        """Mounts hiding the workspace paths the policy refuses to let the sandbox read
        (:mod:`corral.filewalls`; its read-only walls are bwrap's only)."""
        if self.file_walls is None or self._stage is None:
            return []
        from .. import filewalls

        plan = self.file_walls(self.root)
        if plan is None or not plan.walls:
            return []
        filewalls.announce_cut(plan, self)
        mounts, _ = filewalls.oci_mounts(plan, self.root, filewalls.make_blanks(self._stage))
        return mounts

    def _spec(self, argv: list[str], cid: str, fsize: int) -> dict[str, Any]:
        assert self._stage is not None
        mounts: list[dict[str, Any]] = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["noexec"]},
        ]
        tmp = self.limits.tmp_mb if self.limits.tmp_mb is not None else self.budget.disk_mb
        # noexec: corral cannot read the Sentry's tmpfs to identify a program there, so
        # programs run only from the system directories and the (host) workspace
        mounts.append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                       "options": ["mode=1777", "noexec",
                                   f"size={max(int(tmp * MB), MB)}"]})  # fmt: skip

        def ro(src: str, dst: str | None = None) -> None:
            mounts.append({"destination": dst or src, "type": "bind", "source": src,
                           "options": ["rbind", "ro"]})  # fmt: skip

        ro("/usr")
        for d in self._top_dirs:
            ro(d)
        ro(str(self._etc.path), "/etc")
        for p in self.ro_binds:
            ro(p)
        # corral's own files: the proxy relay, a session's call scripts; the interpreters'
        # FIFOs (gVisor opens a FIFO for writing only on a writable mount: the directory
        # is root's, so the sandbox can open them but not add files)
        ro(str(self._stage / "run"), "/run/corral")
        mounts.append({"destination": "/run/corral/io", "type": "bind",
                       "source": str(self._stage / "run" / "io"),
                       "options": ["rbind", "rw"]})  # fmt: skip
        mounts.append({"destination": "/workspace", "type": "bind", "source": str(self.root),
                       "options": ["rbind", "rw"]})  # fmt: skip
        mounts += self._walls()
        env = [f"{k}={v}" for k, v in self._env().items()]
        nproc = int(self.limits.processes)
        rlimits = [
            {"type": "RLIMIT_NOFILE", "hard": self.limits.open_files,
             "soft": self.limits.open_files},
            {"type": "RLIMIT_FSIZE", "hard": fsize, "soft": fsize},
            {"type": "RLIMIT_NPROC", "hard": nproc, "soft": nproc},
            {"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
        ]  # fmt: skip
        caps: dict[str, list[str]] = {
            k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")
        }
        syscalls = [
            {"names": list(filters.DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": list(filters.UNSUPPORTED_SYSCALLS), "action": "SCMP_ACT_ERRNO",
             "errnoRet": errno.EOPNOTSUPP},
        ]  # fmt: skip
        spec: dict[str, Any] = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False,
                "user": {"uid": UID, "gid": GID},
                "args": argv,
                "env": env,
                "cwd": "/workspace",
                "capabilities": caps,
                "rlimits": rlimits,
                "noNewPrivileges": True,
            },
            "root": {"path": "rootfs", "readonly": True},
            "hostname": "corral",
            "mounts": mounts,
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
                # the Sentry sizes itself by these (MemTotal); corral's own cgroup at
                # cgroupsPath holds the limits (runsc leaves a cgroup it did not make alone)
                "resources": {
                    "memory": {"limit": int(self.budget.memory_mb * MB)},
                    "pids": {"limit": self._pids_backstop()},
                },
                "cgroupsPath": self._cgroup_path(cid),
                "seccomp": {
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
                    "syscalls": syscalls,
                },
            },
        }
        if self.gpu_devices:
            spec["linux"]["devices"] = devices.oci_devices(self.gpu_devices)
        if self._rootfs is not None:  # a template's directories replace the system ones
            spec = self._rootfs.apply_oci(spec)
        return spec

    def _runsc_run(
        self, cid: str, panic_log: Path, run_args: list[str]
    ) -> tuple[list[str], _StraceTail]:
        """The ``runsc run`` command line of sandbox ``cid`` (bundle written) and the tail
        of its trace (started by the caller once runsc runs)."""
        assert self._stage is not None
        cmd = [_runsc(), "--root", str(self._stage / "state"), "--network=none",
               "--oci-seccomp", f"--platform={self.platform}",
               f"--panic-log={panic_log}"]  # fmt: skip
        if self.proxy is not None:
            cmd.append("--host-uds=open")
        if self.gpu_devices:  # the policy granted the GPU: NVIDIA's, through nvproxy
            cmd.append("--nvproxy")
        # the persistent interpreters' FIFOs, made by corral in its read-only /run/corral
        cmd.append("--host-fifo=open")
        # the Sentry's trace, read live: program starts and connections (monitoring) and
        # refused forks (the process budget, also without monitoring)
        fifo = self._stage / f"strace-{cid}"
        tail = _StraceTail(fifo, self._on_strace_line)
        traced = _FORK_SYSCALLS + (_MONITOR_SYSCALLS + _FILE_SYSCALLS if self.monitor else ())
        cmd += ["--strace", f"--strace-syscalls={','.join(traced)}", f"--debug-log={fifo}",
                "--debug-command=boot"]  # fmt: skip
        cmd += ["run", *run_args, "--bundle", str(self._stage / "bundle"), cid]
        return cmd, tail

    @staticmethod
    def _cgroup_path(cid: str) -> str:
        return f"/corral/gvisor-{cid}"

    def _pids_backstop(self) -> int:
        """Host tasks of one sandbox: the Sentry's and the gofer's threads and the
        platform's stubs, per sandbox process about 2 (systrap) or 11 (ptrace: a host thread
        and a tracer per sandbox thread); the process budget itself is the Sentry's."""
        return 16 * int(self.limits.processes) + 1024

    # ------------------------------------------------------------------ run

    def run(
        self,
        command: str | list[str],
        *,
        stdin: bytes | str = b"",
        timeout: float | None = None,
        terminal: TerminalIO | None = None,
        on_output: Callable[[str, str], None] | None = None,
    ) -> RunResult:
        """Run ``command`` (a bash script, or an argv list run directly) in a fresh sandbox.
        ``on_output(stream, text)`` gets the output as it arrives (not with a terminal).

        The output is captured into the result, unless ``terminal`` (a
        :class:`~corral.native.terminal.TerminalIO`, made with ``console=True`` for a
        terminal: runsc makes the pty) connects the program to this process's own
        terminal or stdio instead (``stdin`` is then not used).
        """
        base, data = self._prepare(command, stdin)
        if isinstance(command, str) and terminal is None:
            with self._lock:
                return self._session_run(command, data, timeout, on_output)
        argv = base
        if self.proxy is not None:
            argv = self._relay_argv(argv)
        with self._lock:
            if self.monitor:
                refused = self._decide_command(base)
                if refused is not None:
                    return refused
            # started by the relay, the command's execve is traced: reported above already
            self._expect = [base] if self.monitor and self.proxy is not None else []
            return self._run(argv, data, timeout, terminal, on_output)

    def code(
        self,
        language: str,
        code: str,
        *,
        stdin: bytes | str = b"",
        timeout: float | None = None,
        on_output: Callable[[str, str], None] | None = None,
    ) -> RunResult:
        """Run ``code`` in the sandbox's persistent ``language`` interpreter (``python``:
        python3, ``js``: node), started in the warm session on first use; its state
        persists between calls. Same budgets and events as :meth:`run`."""
        check_interpreter(self, language)
        _, data = self._prepare("", stdin)
        with self._lock:
            return self._session_run(code, data, timeout, on_output, language)

    def _session_run(
        self,
        script: str,
        stdin: bytes,
        timeout: float | None,
        on_output: Callable[[str, str], None] | None,
        language: str = "bash",
    ) -> RunResult:
        """``script`` in the warm sandbox's shell (started, or restarted, as needed)."""
        res, _ = run_in_session(
            self, lambda: GvisorSession(self), script, stdin, timeout, on_output, language
        )
        if res.budget_exceeded:
            self.emitter.emit("budget.exceeded", data={"budget": res.budget_exceeded,
                              "message": res.error_message, "backend": self.name})  # fmt: skip
        return res

    def _end_session(self, lost: bool = False) -> None:
        end_session(self, lost)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()  # a call running in another thread ends now, not at its deadline
        with self._lock:
            self._end_session()
        pool, self._pool = self._pool, None
        if pool is not None:
            from .pool import leave

            leave(pool)
        super().close()
        etc, self._etc = getattr(self, "_etc", None), None
        if etc is not None:
            etc.release()

    def _decide_command(self, argv: list[str]) -> RunResult | None:
        """The command itself, decided before it starts (a real gate, as in bwrap): runsc
        starts it without an execve the Sentry's trace would show. A refusal as result."""
        action = SpawnAction(argv=argv, pid=1, exe=argv[0])
        decision = self._decide(action)
        data = {"syscall": "execve", "pid": 1, "before_start": True}
        if decision.allowed:
            self.emitter.emit("action.requested", action=action, decision=decision, data=data)
            return None
        self.emitter.emit("action.denied", action=action, decision=decision, data=data)
        msg = f"program start denied: {' '.join(argv)[:80]}"
        return RunResult(language="bash", exit_code=126, error="denied", error_message=msg,
                         stderr=f"[corral] {msg} ({decision.reason})\n")  # fmt: skip

    _watch = BwrapBackend._watch

    def _run(
        self,
        argv: list[str],
        stdin: bytes,
        timeout: float | None,
        terminal: TerminalIO | None = None,
        on_output: Callable[[str, str], None] | None = None,
    ) -> RunResult:
        assert self._stage is not None
        budget, limits = self.budget, self.limits
        self._disk_floor = self._disk_baseline()
        wall, cpu_limit, fsize = self._run_limits(timeout)
        cid = leftovers.container_id()
        bundle = self._stage / "bundle"
        spec = self._spec(argv, cid, fsize)
        console: socket.socket | None = None
        if terminal is not None and terminal.pty:
            if not terminal.console:
                raise ValueError("gVisor makes the terminal itself: use TerminalIO(console=True)")
            spec["process"]["terminal"] = True
            if os.environ.get("TERM"):
                spec["process"]["env"].append(f"TERM={os.environ['TERM']}")
            console = _console_socket(self._stage / f"console-{cid[-12:]}.sock", terminal)
        (bundle / "config.json").write_text(json.dumps(spec))
        state = self._stage / "state"
        panic_log = self._stage / f"panic-{cid}.log"
        self.spawns, self.denied, self._nproc_refused = RecentLog(), RecentLog(), 0
        if self.files is not None:
            self.files.new_call()
        run_args = ["--console-socket", console.getsockname()] if console is not None else []
        cmd, tail = self._runsc_run(cid, panic_log, run_args)
        cg = _SandboxCgroup.make(self._cgroup_path(cid), int(budget.memory_mb * MB),
                                 self._pids_backstop())  # fmt: skip
        if terminal is None:
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            stdio = (in_r, out_w, err_w)
        else:
            stdio = terminal.child_fds()
        out: OutputCollector | TerminalIO = (
            OutputCollector(budget.output_chars, on_output) if terminal is None else terminal
        )
        self._out = out  # a denied program's message goes to the run's stderr
        t0 = time.monotonic()
        killed: str | None = None
        detected: str | None = None
        note: str | None = None
        proc: subprocess.Popen | None = None
        sampler: GvisorSampler | None = None
        cpu: float | None = None
        mem_peak = 0
        try:
            try:
                argv, pre = _dying_with_parent(cmd)
                proc = spawner.popen(
                    argv, stdin=stdio[0], stdout=stdio[1], stderr=stdio[2],
                    start_new_session=True, env={"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"},
                    cwd=str(self._stage), preexec_fn=pre,
                )  # fmt: skip
            except OSError as e:
                if terminal is None:
                    for fd in (in_w, out_r, err_r):
                        os.close(fd)
                raise BackendUnavailable(f"runsc did not start: {e}") from e
            finally:
                if terminal is None:
                    for fd in stdio:
                        os.close(fd)
            if terminal is not None:
                terminal.started()
            self._current = {"proc": proc, "cid": cid, "cgroup": cg}
            sampler = GvisorSampler(
                self.emitter, proc.pid, cgroup=cg, interval=self.sample_interval,
                output=(lambda: out.total) if isinstance(out, OutputCollector) else None,
            )  # fmt: skip
            sampler.start()
            tail.start()  # (the FIFO holds what the Sentry wrote meanwhile)
            if self.denied or self._nproc_refused:
                self.kill()  # decided before the line above
            if terminal is None:
                out.add(out_r, "out")  # type: ignore[union-attr]
                out.add(err_r, "err")  # type: ignore[union-attr]
                feed_stdin(in_w, stdin)
            killed, note = self._watch(proc, out, cg, t0, wall, cpu_limit)
        finally:
            if sampler is not None:
                sampler.stop()
            if proc is not None and (killed is not None or proc.poll() is None):
                self.kill()
            if proc is not None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
            end = time.monotonic() + 2
            while out.open and time.monotonic() < end:
                out.pump(0.05)
            out.close()
            if console is not None:
                with contextlib.suppress(OSError):
                    os.unlink(console.getsockname())
                console.close()
            if tail.started:
                tail.stop()
            else:
                tail.close()
            with contextlib.suppress(OSError):
                if any(state.glob(f"*{cid}*")):  # runsc was killed before it cleaned up
                    subprocess.run([_runsc(), "--root", str(state), "delete", "--force", cid],
                                   capture_output=True, timeout=15,
                                   stdin=subprocess.DEVNULL)  # fmt: skip
            if cg is not None:
                if proc is not None and killed is None:
                    if cg.oom_kills() > 0:
                        detected = "memory"
                    elif cg.pids_limit_hits() > 0:
                        detected = "processes"
                cpu = cg.cpu_s()
                mem_peak = cg.memory_peak()
                cg.destroy()
            _remove_runsc_cgroups(self._cgroup_path(cid))
            self._current = {}
        crash = _panic_message(panic_log)
        for f in (panic_log, self._stage / f"strace-{cid}"):
            with contextlib.suppress(OSError):
                f.unlink()
        assert proc is not None
        rc = proc.returncode
        exit_code = rc if rc >= 0 else 128 - rc
        denied = self.denied
        if killed is None and self._nproc_refused:
            killed = "processes"  # the Sentry refused a fork: stopped as bwrap's pids cgroup does
        if killed is None and detected is None and denied:
            detected = "denied"
            note = "program start denied (gVisor: seen as it started; the run was killed): "
            note += "; ".join(" ".join(a.argv)[:80] for a, _ in denied[:3])
        used, nfiles = disk_usage(self.root)
        if killed is None and detected is None:
            note = disk_at_end(exit_code, fsize, self._disk_floor, used, nfiles)
            detected = "disk" if note is not None else None
        usage = Usage(wall_s=time.monotonic() - t0, cpu_s=max(cpu or 0.0, 0.0),
                      memory_bytes=mem_peak, disk_bytes=used, disk_files=nfiles)  # fmt: skip
        res = finish_result(
            language="bash", out=out, exit_code=exit_code, killed=killed, detected=detected,
            budget=budget, limits=limits, wall_limit=wall, usage=usage, note=note,
        )  # fmt: skip
        if fsize == 0:
            res.stderr = self._disk_note() + res.stderr
        if res.error == "denied":
            res.stderr += f"\n[corral] {note}\n"
        elif crash and res.error in (None, "exit"):
            res.error = "crash"
            res.error_message = f"gVisor's kernel (the Sentry) crashed: {crash}"
            res.stderr += f"\n[corral] {res.error_message}\n"
        if res.budget_exceeded:
            self.emitter.emit("budget.exceeded", data={"budget": res.budget_exceeded,
                              "message": res.error_message, "backend": self.name})  # fmt: skip
        return res

    # ------------------------------------------------------------------ monitoring

    def _on_strace_line(self, line: str) -> None:
        files = self.files
        if files is not None and files.on_line(line):
            return
        ev = parse_strace_line(line)
        if ev is None:
            return
        if ev[0] == "made":
            self._last_pid = max(self._last_pid, ev[1])
            return
        if ev[0] == "nproc":
            self._nproc_refused += 1
            if not self._session_call:  # a session's call ends itself (GvisorSession.check)
                self.kill()
            return
        if ev[0] == "connect":
            _, pid, family, host, port = ev
            via = "proxy" if (self.proxy is not None and host == "127.0.0.1"
                              and port == PROXY_PORT) else "direct"  # fmt: skip
            proto = "inet6" if family == "AF_INET6" else "inet"
            act = NetAction(host=host, port=port, protocol=proto)
            self.emitter.emit("action.requested", action=act,
                              data={"syscall": "connect", "pid": pid, "via": via,
                                    "observed": True})  # fmt: skip
            return
        _, call, pid, exe, argv = ev
        action = SpawnAction(argv=argv or [exe], pid=pid, exe=exe or None)
        if self._expect and argv == self._expect[0]:
            self._expect.pop(0)  # the command, started by the relay: decided before
            self.spawns.append(action)
            return
        action, decision = self._decide_identified(action, call, exe)
        data: dict[str, Any] = {"syscall": call, "observed": True}
        if pid is not None:
            data["pid"] = pid
        if argv is None:
            data["argv_unreadable"] = True
        self.spawns.append(action)
        if decision.allowed:
            self.emitter.emit("action.requested", action=action, decision=decision, data=data)
            return
        # gVisor cannot hold the call until the gate answered: stop the whole run (a
        # session's call: that call, see GvisorSession.check; between calls: the session)
        self.denied.append((action, decision))
        if not self._session_call:
            self.kill()
        out = self._out
        if out is not None and hasattr(out, "err"):
            with contextlib.suppress(Exception):
                out.err += deny_message(_shown(action), decision)
        data["response"] = "killed"
        self.emitter.emit("action.denied", action=action, decision=decision, data=data)

    def _decide(self, action: SpawnAction) -> Decision:
        return decide_safely(self.gate, action, self.session)

    def _decide_identified(
        self, action: SpawnAction, call: str, exe: str
    ) -> tuple[SpawnAction, Decision]:
        """The decision on what the observed ``execve`` runs: the file it names, found on
        the host (system directories, the workspace) and identified like on bwrap; a
        program from a descriptor or memory has no file to name. Several candidates (a
        relative path: the cwd is not traced): the worst decides."""
        table = self._table
        if table is None or not exe:
            return action, self._decide(action)
        idents: list[Identity] = []
        if _FD_EXEC.fullmatch(exe) or exe.startswith(("/memfd:", "anon_inode:")) or (
            exe.endswith("(deleted)")
        ):
            idents.append(Identity(program=exe, origin="memory", path=exe))
        else:
            for sandbox_path in self._candidates(exe):
                host = self._to_host(sandbox_path)
                if host is None:
                    continue
                ident = identify_host_path(table, host, sandbox_path)
                if ident is not None:
                    idents.append(ident)
        worst: tuple[SpawnAction, Decision] | None = None
        for ident in idents[:16]:
            act = action.model_copy(
                update={
                    "exe": table.decided_as(
                        ident, ident.path, action.argv[0] if action.argv else None
                    ),
                    "path": ident.path if ident.path != ident.program else None,
                    "origin": ident.origin,
                    "sha256": ident.sha256,
                }
            )
            d = self._decide(act)
            if worst is None or _SEVERITY[d.verdict] > _SEVERITY[worst[1].verdict]:
                worst = (act, d)
        return worst if worst is not None else (action, self._decide(action))

    def _candidates(self, exe: str) -> list[str]:
        if exe.startswith("/"):
            return [exe]
        rel = posixpath.normpath(exe)
        out = [posixpath.join("/workspace", rel)]
        # the cwd is not traced: any workspace file the relative path could name
        suffix = "/" + rel.lstrip("./") if not rel.startswith("..") else None
        if suffix and self.root is not None:
            n = 0
            for dirpath, dirnames, filenames in walk(self.root):
                for name in filenames:
                    host = os.path.join(dirpath, name)
                    sb = "/workspace/" + os.path.relpath(host, self.root)
                    if sb.endswith(suffix) and sb not in out:
                        out.append(sb)
                n += len(filenames) + len(dirnames)
                if n > 20000:
                    break
        return out

    def _to_host(self, path: str, depth: int = 0) -> str | None:
        """The host path of a sandbox path whose file the host can read (system
        directories and the workspace), symlinks followed as the sandbox sees them."""
        if depth > 40:
            return None
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        cur = ""
        for i, part in enumerate(parts):
            nxt = f"{cur}/{part}"
            host = self._map(nxt)
            if host is None:
                return None
            if os.path.islink(host):
                target = os.readlink(host)
                base = target if target.startswith("/") else posixpath.join(cur or "/", target)
                rest = "/".join(parts[i + 1 :])
                return self._to_host(posixpath.join(base, rest) if rest else base, depth + 1)
            cur = nxt
        return self._map(cur) if cur else None

    def _map(self, path: str) -> str | None:
        if path == "/workspace" or path.startswith("/workspace/"):
            return str(self.root) + path[len("/workspace") :]
        if self._rootfs is not None and self._rootfs.covers(path):
            return self._rootfs.host_path(path)  # type: ignore[no-any-return]
        for d in _HOST_DIRS:
            if path == d or path.startswith(d + "/"):
                return path
        return None


_libc = ctypes.CDLL(None, use_errno=True)
_SEVERITY = {"allow": 0, "ask": 1, "deny": 2}
#: sandbox paths that are the host's own (read-only binds)
def host_top_dirs(rootfs: Path) -> list[str]:
    """The host's top-level program and library directories mirrored in ``rootfs``: a
    symbolic link (``/bin -> usr/bin``) copied as one, a real directory given a mount
    point; the real ones, to be bound read-only."""
    real = []
    for d in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        p = Path("/") / d
        if p.is_symlink():
            os.symlink(os.readlink(p), rootfs / d)
        elif p.is_dir():
            (rootfs / d).mkdir()
            real.append(str(p))
    return real


_HOST_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
_FD_EXEC = re.compile(r"/(?:proc/(?:self|thread-self|\d+)(?:/task/\d+)?|dev)/fd/\d+")


def _shown(action: SpawnAction) -> str:
    asked = action.argv[0] if action.argv else ""
    real = action.exe or asked
    if asked and posixpath.basename(asked) != posixpath.basename(real):
        return f"{real} (run as {asked})"
    return real


def _console_socket(path: Path, terminal: TerminalIO) -> socket.socket:
    """Where runsc sends the master of the pty it makes for the sandbox (OCI
    ``--console-socket``); a thread hands it to ``terminal``."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    os.chmod(path, 0o600)
    s.listen(1)

    def accept() -> None:
        try:
            s.settimeout(30)
            conn, _ = s.accept()
            with conn:
                _, fds, _, _ = socket.recv_fds(conn, 1024, 4, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return
        for extra in fds[1:]:
            os.close(extra)
        if fds:
            terminal.adopt(fds[0])

    threading.Thread(target=accept, name="corral-gvisor-console", daemon=True).start()
    return s


def _die_with_parent() -> None:
    """In runsc's child before exec: SIGKILL when corral's thread that started it dies
    (``runsc run`` then takes its sandbox with it)."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_SETPRIV: list[str | None] = []


def _dying_with_parent(cmd: list[str]) -> tuple[list[str], Callable[[], None] | None]:
    """``cmd`` made to die with corral's thread that starts it (as :func:`_die_with_parent`;
    :func:`~corral.native.spawner.popen`: one that lives as long as the process) and the
    ``preexec_fn`` for it: ``setpriv --pdeathsig`` where util-linux has it, so
    Python can start runsc with vfork (a fork of this process before exec, which a
    ``preexec_fn`` forces, cost 5-35 ms on a loaded 2-core host), else the preexec_fn."""
    if not _SETPRIV:
        found = shutil.which("setpriv")
        if found:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                p = subprocess.run([found, "--help"], capture_output=True, text=True,
                                   timeout=10, stdin=subprocess.DEVNULL)  # fmt: skip
                if "--pdeathsig" not in p.stdout:
                    found = None
        _SETPRIV.append(found)
    setpriv = _SETPRIV[0]
    if setpriv is None:
        return cmd, _die_with_parent
    return [setpriv, "--pdeathsig", "KILL", "--", *cmd], None


def _panic_message(path: Path) -> str | None:
    """The first line of a Go panic or fatal error the Sentry wrote, if any."""
    try:
        with open(path, errors="replace") as f:
            text = f.read(256 * 1024)
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(("panic: ", "fatal error: ")):
            return line.strip()[:300]
    return None
