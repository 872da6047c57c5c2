"""The ``bwrap`` tier: real Linux programs in a bubblewrap sandbox.

Each :meth:`BwrapBackend.run` starts a fresh sandbox over the same workspace:

* namespaces: user, pid, ipc, uts, net (loopback only), cgroup, mount; nested user
  namespaces disabled; every capability dropped; a new session (no TIOCSTI);
  ``--die-with-parent``;
* filesystem: read-only ``/usr`` (and the ``/bin``, ``/lib``... links), a curated read-only
  ``/etc`` (no ``shadow``, no ``pip.conf``; a synthetic ``passwd``/``group``), fresh
  ``/proc``, minimal ``/dev``, private ``/tmp`` and ``/dev/shm`` tmpfs of bounded size, the
  workspace read-write at ``/workspace`` (or a private copy of it);
* a clean environment: only ``PATH``, ``HOME=/workspace``, ``LANG``, ``TERM``, the proxy
  variables and what ``env=`` adds;
* the seccomp deny filter of :mod:`corral.syscall_filters` (``--seccomp FD``) and, when
  monitoring is on, the notify filter watched by :class:`~corral.native.monitor.Supervisor`
  (every program start is decided by the gate before it runs);
* limits: a memory and a pids cgroup where writable (else RLIMIT_AS), RLIMIT_NPROC,
  RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, no core files, a wall-time kill of the whole pid
  namespace, an output cap, a disk poll of the workspace (bytes and files);
* network: no interface but loopback. With an egress proxy, a listening socket for it is
  created inside the sandbox's network namespace (``127.0.0.1:3128``) and served by the
  host's :class:`~corral.native.proxy.EgressProxy`; ``HTTP(S)_PROXY``/``ALL_PROXY`` point
  at it. Without root, a tiny relay inside the sandbox (:mod:`corral.native.relaybin`: a
  static program, or :mod:`corral.native._bridge`) does the same over a bind-mounted Unix
  socket.

Run as root, the sandbox's processes never run as root on the host: they run as the
workspace owner's uid when a user owns it (nothing changes hands), else as an
unprivileged uid of their own (``host_uid``; the workspace is lent to that uid for the
sandbox's life and given back on :meth:`close`, files that had other owners included),
so files only root may read stay unreadable even though they are inside the read-only
binds.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import math
import os
import queue
import random
import resource
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import syscall_filters as filters
from ..budget import MB, Budget, RunResult, Usage
from . import devices, leftovers, relaybin, spawner
from ._common import (
    DISK_POLL_S,
    BackendLifecycle,
    BackendUnavailable,
    CgroupSet,
    NativeLimits,
    OutputCollector,
    chown_tree,
    disk_at_end,
    disk_poll,
    disk_usage,
    feed_stdin,
    finish_result,
    new_id,
)
from .bwrap_session import BwrapSession
from .etcstage import ETC_ALLOW, GROUP, PASSWD, StagedEtc, stage_etc, staged_etc
from .execid import ProgramTable
from .execwatch import ExecWatch
from .filewatch import FileWatch
from .monitor import ResourceSampler, Supervisor
from .session import (
    check_interpreter,
    end_session,
    install_drivers,
    interrupt_session,
    run_in_session,
)
from .spare import end_spare
from .terminal import TerminalIO

log = logging.getLogger("corral.native.bwrap")

__all__ = ["ETC_ALLOW", "PROXY_PORT", "SANDBOX_GID", "SANDBOX_UID", "BwrapBackend", "stage_etc"]

SANDBOX_UID = 1000
SANDBOX_GID = 1000
PROXY_PORT = 3128
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_ulong,
    ctypes.c_void_p,
)
_libc.unshare.argtypes = (ctypes.c_int,)
_libc.setns.argtypes = (ctypes.c_int, ctypes.c_int)
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_SHARED = 0x100000


@dataclass
class _Spawned:
    """A bwrap sandbox started by :meth:`BwrapBackend._spawn` and what watches it."""

    proc: subprocess.Popen | None = None
    child_pid: int = 0
    cgroup: CgroupSet | None = None
    supervisor: Supervisor | None = None
    listener: socket.socket | None = None
    sampler: ResourceSampler | None = None
    files: FileWatch | None = None
    block_w: int = -1
    #: the process's staged /etc this sandbox binds (held until it is stopped)
    etc: StagedEtc | None = None
    #: the cgroup move still running (``_spawn(defer_move=True)``)
    moving: _Move | None = None
    #: a pidfd of the sandbox's pid-namespace init: readable once it and so every
    #: process of the namespace has ended (the kernel empties a namespace before its
    #: init's exit is signalled)
    init_fd: int = -1

    def release(self) -> None:
        """Let the sandbox's program start."""
        os.write(self.block_w, b"1")
        os.close(self.block_w)
        self.block_w = -1


def _owner(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_uid, st.st_gid


def _pick_uid() -> int:
    return random.randrange(2_000_000, 2_900_000)


class BwrapBackend(BackendLifecycle):
    """Runs commands in bubblewrap sandboxes over one workspace.

    ``gate`` decides every program start (:class:`~corral.events.SpawnAction`) when
    ``monitor`` is on; ``events`` receives the events (``emit(type, **fields)``);
    ``proxy`` (an :class:`~corral.native.proxy.EgressProxy`) or ``net_decide`` (a
    ``decide(host, port, ip)`` callback for a proxy made here) opens the network through
    corral's egress proxy; without them the sandbox has no network at all.
    """

    name = "bwrap"

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
        monitor_connect: bool = True,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        sample_interval: float = 1.0,
        ro_binds: Sequence[str | Path] = (),
        host_uid: int | None = None,
        cgroups: bool = True,
        template: Any = None,
        gpu: bool = False,
        spare: bool = False,
        pool: int = 0,
        file_walls: Callable[[Path], Any] | None = None,
    ) -> None:
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
        #: the policy's devices.gpu: the host's GPU device nodes are bound (at start)
        self.gpu = gpu
        devices.check_binds(self.ro_binds, gpu=gpu)
        self.gpu_devices: list[devices.GpuDevice] = []
        #: NVML samples of the sandbox's GPU use (granted, and NVML works here)
        self.gpu_sampler: Any = None
        self.monitor_connect = monitor_connect
        self.sample_interval = sample_interval
        self.use_cgroups = cgroups
        self.root_mode = os.geteuid() == 0
        owner = _owner(self.workspace) if self.root_mode and not copy_workspace else None
        #: the uid is the caller's or the workspace owner's (not one picked per sandbox)
        self._uid_fixed = host_uid is not None or not self.root_mode or (
            owner is not None and owner[0] != 0
        )
        if host_uid is not None:
            self.host_uid = host_uid
            self.host_gid = host_uid if self.root_mode else os.getgid()
        elif not self.root_mode:
            self.host_uid, self.host_gid = os.getuid(), os.getgid()
        elif owner is not None and owner[0] != 0:
            # a user's directory: the sandbox runs as that user, nothing changes hands
            self.host_uid, self.host_gid = owner
        else:
            self.host_uid = self.host_gid = _pick_uid()
        self._seccomp: bytes = b""
        self._bwrap = ""
        self.last_supervisor: Supervisor | None = None
        self._table: ProgramTable | None = None
        #: as root: the fanotify exec watch every run of this backend uses
        self._execwatch: ExecWatch | None = None
        #: as root: the fanotify file events of this backend's sandboxes (filewatch)
        self._filewatch: FileWatch | None = None
        self._filewatch_error: str | None = None
        self.last_sampler: ResourceSampler | None = None
        self._current: dict[str, Any] = {}
        #: a template's root filesystem (corral.templates): overlay mounts made at start
        self.template = template
        self._rootfs: Any = None
        #: without root: the in-sandbox network relay (relaybin), installed at start
        self._relay: relaybin.Relay | None = None
        #: the warm sandbox every script runs in (bwrap_session), started on first use
        self._sess: BwrapSession | None = None
        self._lost = False  # the last session was lost: the next call says restarted
        #: start the next session ahead (corral.native.spare); off: see there why
        self.spare = spare
        self._spare: BwrapSession | None = None
        self._spare_thread: threading.Thread | None = None
        self._spare_jobs: Any = None
        self._spare_wanted = False
        self._no_spare = False
        self._interps_before_loss: set[str] = set()
        #: take a pre-started session from the pool of this configuration (corral.native.pool)
        from .pool import check_size

        self.pool = check_size(pool)
        self._pool: Any = None
        #: a pooled session's own backend (its workspace: the empty slot, a shared mount)
        self._pool_slot = False
        self._drivers = False
        #: the workspace paths the policy's file rules wall off at each start (a
        #: ``corral.filewalls.WallPlan`` for a workspace root, or None)
        self.file_walls = file_walls
        self._walls_cut: str | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._started:
            return
        from .doctor import require

        require("bwrap", monitor=self.monitor)
        self._bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
        try:
            self._seccomp = filters.deny_filter_bpf()
        except filters.SeccompUnavailable as e:
            raise BackendUnavailable(str(e)) from e
        if not self.workspace.is_dir():
            raise BackendUnavailable(f"workspace {self.workspace} is not a directory")
        pooled = self._take_pooled()
        try:
            self._start_rest(pooled)
        except BaseException:
            if pooled is not None and self._sess is not pooled:
                pooled.end()  # (never handed over: its slot goes with it)
            pool, self._pool = self._pool, None
            if pool is not None:
                from .pool import leave

                leave(pool)
            raise

    def _start_rest(self, pooled: BwrapSession | None) -> None:
        if self.monitor:
            # what programs are: system binaries, and the sha256 of those the policy names
            # (a pooled session's: made for the same policy)
            self._table = pooled.b._table if pooled is not None else None
            if self._table is None:
                self._table = ProgramTable.for_policy(self.gate)
        self.gpu_devices = devices.host_devices() if self.gpu else []
        if self.gpu_devices:
            from .nvml import GpuSampler

            self.gpu_sampler = GpuSampler.open()
        self._stage = leftovers.temp_dir("bwrap")
        os.chmod(self._stage, 0o755)
        (self._stage / "ws").mkdir()
        (self._stage / "run").mkdir()
        if pooled is None:  # (else when this backend starts a sandbox of its own)
            self._install_drivers()
        if self.copy_workspace:
            self._copy = self._stage / "copy"
            shutil.copytree(self.workspace, self._copy, symlinks=True)
        if pooled is None:
            self._make_rootfs()
        if self.root_mode and not self._pool_slot:
            st = os.stat(self.root)
            if (st.st_uid, st.st_gid) != (self.host_uid, self.host_gid):
                self._restore_owner = (st.st_uid, st.st_gid)
                self._other_owners = chown_tree(self.root, self.host_uid, self.host_gid)
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
        if self.proxy is not None and pooled is not None:
            from .pool_handover import later

            later(self.proxy.start)  # (its own listener: not the sandbox's, off the path)
        elif self.proxy is not None:
            self.proxy.start()
            if not self.root_mode:
                self.proxy.unix_listen(self._stage / "run" / "proxy.sock")
                self._relay = relaybin.install(self._stage / "run")
        self._started = True
        if pooled is not None:
            from .pool_handover import hand_over

            hand_over(self, pooled)  # (or it ended: the first call starts a session)
        self.emitter.emit(
            "backend.started",
            data={
                "backend": self.name,
                "path": str(self.root),
                "budget": self.budget.to_dict(),
                "host_uid": self.host_uid,
                "network": "proxy" if self.proxy is not None else "none",
                "monitor": self.monitor,
                "gpu": [d.dest for d in self.gpu_devices] if self.gpu else False,
                **({"pooled": self._sess is not None} if self.pool else {}),
            },
        )

    def _take_pooled(self) -> BwrapSession | None:
        """With ``pool``: this configuration's pool joined (started for the first), and
        one of its sessions taken if one is ready (its uid is then this sandbox's)."""
        if not self.pool or self._pool_slot:
            return None
        if not self.root_mode:
            log.warning(
                "backend_options pool needs corral to run as root (it mounts the workspace "
                "into a pre-started sandbox): sessions start one by one"
            )
            return None
        from . import pool

        self._pool = pool.join(self)
        sess = self._pool.take()
        if sess is not None and not self._uid_fixed:
            self.host_uid, self.host_gid = sess.b.host_uid, sess.b.host_gid
        return sess

    def _install_drivers(self) -> None:
        """corral's files in the sandbox's ``/run/corral`` (made once)."""
        if not self._drivers and self._stage is not None:
            install_drivers(self._stage / "run")
            self._drivers = True

    def _make_rootfs(self) -> None:
        """A template's root filesystem for this backend's own sandboxes (made once)."""
        if self.template is None or self._rootfs is not None or self._stage is None:
            return
        from ..templates import rootfs_for

        tmp = self.limits.tmp_mb if self.limits.tmp_mb is not None else self.budget.disk_mb
        self._rootfs = rootfs_for(self.template, self._stage, self.host_uid, self.host_gid,
                                  size_bytes=int(tmp * MB))  # fmt: skip

    def _exec_watch(self) -> ExecWatch | None:
        """The backend's fanotify exec watch (root only; made once, again if it failed)."""
        if not self.root_mode or self._table is None:
            return None
        w = self._execwatch
        if w is not None and w.failed is None:
            return w
        if w is not None:
            w.stop()
        try:
            self._execwatch = ExecWatch()
        except OSError as e:
            # no fanotify: the monitor decides at the execve (the path race remains)
            log.warning("no fanotify exec permission events (%s): deciding at execve", e)
            self._execwatch = None
        return self._execwatch

    def _file_watch(self) -> FileWatch | None:
        """The backend's fanotify file events (root and the monitor only; made once)."""
        if self._pool_slot:
            return None  # (a pooled session's file events are its taker's watch's)
        if self._filewatch is None and self._filewatch_error is None and self.root_mode:
            try:
                self._filewatch = FileWatch(self.emitter.emit)
            except OSError as e:
                self._filewatch_error = str(e)
                log.warning("no file events (%s): file rules see commands' text only", e)
        return self._filewatch

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()  # a call running in another thread ends now, not at its deadline
        end_spare(self)
        with self._lock:
            self._end_session()
            end_spare(self)  # (one a call finishing meanwhile started)
        pool, self._pool = self._pool, None
        if pool is not None:
            from .pool import leave

            leave(pool)
        super().close()
        w, self._execwatch = self._execwatch, None
        if w is not None:
            w.stop()
        fw, self._filewatch = self._filewatch, None
        if fw is not None:
            fw.stop()

    def interrupt(self) -> None:
        """Interrupt the warm session's running call as Ctrl-C would (any thread): the
        call ends (exit 130, ``error="interrupted"``), the session lives on."""
        interrupt_session(self)

    def kill(self, *, session: bool = True) -> None:
        """Kill whatever runs in the sandbox now (the whole pid namespace); a warm
        session too (the next call starts a fresh one and says ``restarted``).
        ``session=False``: corral stopping a sandbox it started itself (a start that
        failed), not a kill of the session (which would hide why the start failed)."""
        sess = self._sess if session else None
        if sess is not None:
            sess.killed = True  # the next call starts a fresh one, dead or dying
            sess.kill()
        cur = self._current
        sup = cur.get("supervisor")
        if sup is not None:
            sup.stopping = True
        pid = cur.get("child_pid")
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc = cur.get("proc")
        if proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        cg = cur.get("cgroup")
        if cg is not None:
            cg.kill()

    # ------------------------------------------------------------------ command line

    def _bwrap_args(
        self,
        info_w: int,
        block_r: int,
        seccomp_fd: int,
        data_fds: dict,
        new_session: bool = True,
        etc: StagedEtc | None = None,
    ) -> list[str]:
        a = [
            self._bwrap,
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-net",
            "--unshare-cgroup-try",
            "--disable-userns",
            "--die-with-parent",
            *(["--new-session"] if new_session else []),
            "--cap-drop",
            "ALL",
            "--uid",
            str(SANDBOX_UID),
            "--gid",
            str(SANDBOX_GID),
            "--hostname",
            "corral",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for d in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            p = Path("/") / d
            if p.is_symlink():
                a += ["--symlink", os.readlink(p), str(p)]
            elif p.is_dir():
                a += ["--ro-bind", str(p), str(p)]
        if etc is not None:  # the allowed entries, staged (etcstage): a few mounts, not ~50
            a += ["--ro-bind", str(etc.path), "/etc"]
            for src, dest in etc.binds:
                a += ["--ro-bind", src, dest]
        else:
            a += ["--dir", "/etc"]
            for name in ETC_ALLOW:
                p = Path("/etc") / name
                if p.exists():
                    a += ["--ro-bind", str(p), str(p)]
        if self._rootfs is not None:  # a template's directories replace the system ones
            a = self._rootfs.apply_bwrap(a)
        if etc is None or self._rootfs is not None:  # (else: the staged /etc has its own)
            for name, fd in data_fds.items():
                a += ["--ro-bind-data", str(fd), f"/etc/{name}"]
        tmp = self.limits.tmp_mb if self.limits.tmp_mb is not None else self.budget.disk_mb
        tmp_bytes = str(max(int(tmp * MB), 1 * MB))
        a += ["--proc", "/proc", "--dev", "/dev"]
        a += devices.bwrap_args(self.gpu_devices)  # none unless the policy grants the GPU
        a += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
        a += ["--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/dev/shm"]
        # after the private /tmp: a read-only bind under /tmp is seen, not hidden by it
        for p in self.ro_binds:
            a += ["--ro-bind", p, p]
        a += ["--dir", "/run"]
        # corral's own files: the proxy relay (not root), a session's call scripts
        a += ["--ro-bind", str(self._stage / "run"), "/run/corral"]  # type: ignore[operator]
        ws = str(self._stage / "ws") if self.root_mode else str(self.root)  # type: ignore[operator]
        a += ["--bind", ws, "/workspace", "--chdir", "/workspace"]
        a += ["--clearenv"]
        for k, v in self._sandbox_env().items():
            a += ["--setenv", k, v]
        a += ["--seccomp", str(seccomp_fd)]
        a += ["--info-fd", str(info_w), "--block-fd", str(block_r)]
        if etc is not None and _mounts_under_etc(a, etc):
            # a mount point asked for in /etc cannot be made in the read-only stage:
            # bwrap's own /etc, entry by entry, as before the stage
            return self._bwrap_args(info_w, block_r, seccomp_fd, data_fds, new_session)
        return a

    def _sandbox_env(self) -> dict[str, str]:
        env = {
            # corral's sudo/doas first (native/guest/sudo.sh): nothing inside is privileged
            "PATH": "/run/corral/bin:" + DEFAULT_PATH,
            "HOME": "/workspace",
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "USER": "corral",
            "LOGNAME": "corral",
            "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if self.proxy is not None:
            url = f"http://127.0.0.1:{PROXY_PORT}"
            for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                env[k] = url
            env["ALL_PROXY"] = env["all_proxy"] = f"socks5h://127.0.0.1:{PROXY_PORT}"
            env["no_proxy"] = env["NO_PROXY"] = "localhost,127.0.0.1,::1"
            env["PIP_PROXY"] = url
        env.update(self.env)
        return env

    def _argv(self, argv: list[str], relay_status: int | None = None) -> list[str]:
        """``argv`` inside corral's own launch steps (when not root); ``relay_status``: the
        network relay's status pipe (a session's)."""
        # corral's own launch steps before the command (the monitor lets exactly these through)
        self._launch: list[list[str]] = []
        if self.proxy is not None and not self.root_mode:
            assert self._relay is not None
            argv = self._relay.argv(PROXY_PORT, "/run/corral/proxy.sock", argv, relay_status)
            self._launch.insert(0, argv)
        if not self.root_mode:
            # the sandbox user's own process count, set after the user namespace exists (it
            # then counts the sandbox's processes only); soft and hard, or the run fails
            nproc = int(self.limits.processes)
            hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            if hard != resource.RLIM_INFINITY:
                nproc = min(nproc, hard)
            argv = [
                "/bin/bash",  # dash's ulimit has no -u
                "-c",
                f'ulimit -u {nproc} || exit 126; exec "$@"',
                "corral-init",
                *argv,
            ]
            self._launch.insert(0, argv)
        return argv

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
        :class:`~corral.native.terminal.TerminalIO`) connects the program to this
        process's own terminal or stdio instead (``stdin`` is then not used).
        """
        argv, data = self._prepare(command, stdin)
        with self._lock:
            if isinstance(command, str) and terminal is None:
                return self._session_run(command, data, timeout, on_output)
            return self._run(self._argv(argv), data, timeout, terminal, on_output)

    # ------------------------------------------------------------------ session

    def _session_run(
        self,
        script: str,
        stdin: bytes,
        timeout: float | None,
        on_output: Callable[[str, str], None] | None,
        language: str = "bash",
    ) -> RunResult:
        """``script`` in the warm sandbox's shell (started, or restarted, as needed)."""
        res, sess = run_in_session(
            self, lambda: BwrapSession(self), script, stdin, timeout, on_output, language
        )
        assert isinstance(sess, BwrapSession)
        self._report(res, sess.supervisor, sess.first_spawn)
        return res

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

    def _end_session(self, lost: bool = False) -> None:
        end_session(self, lost)

    def _preexec(
        self,
        sup: Supervisor | None,
        cpu_s: float,
        fsize: int,
        has_cg: bool,
        terminal: TerminalIO | None = None,
        wall_sources: Sequence[Any] = (),
    ) -> Callable:
        root = self.root_mode
        share = self._pool_slot  # the taker's workspace is mounted over it later
        ws = os.fsencode(str(self.root))
        stage = os.fsencode(str(self._stage / "ws"))  # type: ignore[operator]
        uid, gid = self.host_uid, self.host_gid
        # with a pids cgroup, it trips first (and is counted); the rlimit is the backstop
        nproc = int(self.limits.processes) + (32 if has_cg else 0)
        nofile = int(self.limits.open_files)
        mem = int(self.budget.memory_mb * MB)
        if sup is not None:
            sup.expect_launch(getattr(self, "_launch", []))
        walls = list(wall_sources)
        if walls:
            from ..filewalls import blank_paths, reopen_in_stage

            blanks = tuple(os.fsencode(str(p)) for p in blank_paths(self._stage))

        def pre() -> None:
            if terminal is not None:
                terminal.child_setup()
            if root:
                if _libc.unshare(CLONE_NEWNS) != 0:
                    raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
                if _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
                    raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
                if _libc.mount(ws, stage, None, MS_BIND | MS_REC, None) != 0:
                    raise OSError(ctypes.get_errno(), "bind workspace")
                if share and _libc.mount(None, stage, None, MS_SHARED, None) != 0:
                    raise OSError(ctypes.get_errno(), "mount --make-shared workspace")
                if walls:  # (as root, before the uid changes)
                    reopen_in_stage(stage, walls, blanks)  # type: ignore[arg-type]
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            cpu = max(1, math.ceil(cpu_s))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if not has_cg:
                resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            if sup is not None:
                sup.child_setup()

        return pre

    def _supervisor(
        self, terminal: TerminalIO | None = None, own_watch: bool = False
    ) -> Supervisor | None:
        """The monitor of one sandbox's program starts (started), or ``None``. The
        backend's exec watch serves one sandbox at a time: the warm session, which lives
        alongside ``exec``'s sandboxes, has one of its own (``own_watch``)."""
        if not self.monitor:
            return None
        sup = Supervisor(
            gate=self.gate,
            session=self.session,
            emitter=self.emitter,
            connect=self.monitor_connect,
            proxy_port=PROXY_PORT if self.proxy is not None else None,
            table=self._table,
            watch=None if own_watch else self._exec_watch(),
            watch_exec=own_watch and self.root_mode,
        )
        # A job-control shell on a terminal would take the brief SIGSTOP of the
        # after-exec check for a suspended job: with a terminal the check is off
        # (as root the file is still decided at open by fanotify).
        sup.check_after_exec = terminal is None
        sup.start()
        return sup

    def _spawn(
        self,
        argv: list[str],
        stdio: tuple[int, int, int],
        *,
        extra_fds: tuple[int, ...] = (),
        terminal: TerminalIO | None,
        cpu_limit: float,
        fsize: int,
        cg: CgroupSet | None,
        sup: Supervisor | None,
        label: str,
        failure: Callable[[], str],
        defer_move: bool = False,
    ) -> _Spawned:
        """Start bwrap with ``argv`` and hold it where the sandbox exists but nothing of
        the command has run: the cgroup, the proxy port and the program watch are in
        place; :meth:`_Spawned.release` lets it start. ``failure()`` says why bwrap
        failed (its stderr). On error everything started here is stopped.
        ``defer_move``: the cgroup move may still run after this returns
        (``_Spawned.moving``): the caller waits for it before anything not corral's own
        runs (a session: before its first call), and moves what started meanwhile."""
        self._make_rootfs()  # (a pooled sandbox's own session: made when first needed)
        self._install_drivers()
        fds: list[int] = []

        def pipe() -> tuple[int, int]:
            r, w = os.pipe()
            fds.extend((r, w))
            return r, w

        sp = _Spawned(cgroup=cg, supervisor=sup)
        moving: _Move | None = None
        try:
            info_r, info_w = pipe()
            block_r, sp.block_w = pipe()
            fds.remove(sp.block_w)
            sfd = os.memfd_create("corral-seccomp", 0)
            fds.append(sfd)
            os.write(sfd, self._seccomp)
            os.lseek(sfd, 0, os.SEEK_SET)
            # the process's staged /etc, re-checked (a template may replace /etc: its
            # passwd and group then come from pipes, after the template's mounts)
            try:
                sp.etc = staged_etc("bwrap")
            except OSError as e:  # (e.g. no space left for the copy): bound one by one
                log.warning("could not stage /etc (%s): binding its entries one by one", e)
            data_fds = {}
            for key, text in (("passwd", PASSWD), ("group", GROUP)):
                dr, dw = pipe()
                os.write(dw, text.encode())
                os.close(dw)
                fds.remove(dw)
                data_fds[key] = dr
            # a terminal of its own is the sandbox's controlling terminal: no new session
            own_tty = terminal is not None and terminal.pty
            args = self._bwrap_args(
                info_w, block_r, sfd, data_fds, new_session=not own_tty, etc=sp.etc
            )
            wall_args, sources = self._walls()
            wall_fds = [src.fd for src in sources]
            fds.extend(wall_fds)
            args[args.index("--clearenv") : args.index("--clearenv")] = wall_args
            if own_tty and os.environ.get("TERM"):
                args += ["--setenv", "TERM", os.environ["TERM"]]  # the terminal's own kind
            keep = (info_w, block_r, sfd, *data_fds.values(), *extra_fds, *wall_fds)
            try:
                proc = spawner.popen(  # (from a thread that lives as long as the process)
                    [*args, "--", *argv],
                    stdin=stdio[0],
                    stdout=stdio[1],
                    stderr=stdio[2],
                    pass_fds=keep,
                    env={"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"},
                    start_new_session=True,
                    preexec_fn=self._preexec(
                        sup, cpu_limit, fsize, cg is not None, terminal, sources
                    ),
                )
            except (OSError, subprocess.SubprocessError) as e:
                raise BackendUnavailable(f"bwrap did not start: {e}") from e
            sp.proc = proc
            self._current = {"proc": proc, "cgroup": cg, "supervisor": sup}
            if sup is not None:
                sup.spawned()
            # each once: closing a number twice could close another thread's new descriptor
            for fd in dict.fromkeys((info_w, block_r, sfd, *data_fds.values(), *wall_fds)):
                if fd in fds:
                    fds.remove(fd)
                    os.close(fd)
            info = _read_info(info_r, deadline=time.monotonic() + 15)
            if info is None:
                proc.wait(timeout=5)
                msg = failure() or "see the output above"
                if sup is not None and sup.error:
                    msg += f" ({sup.error})"
                raise BackendUnavailable(f"bwrap failed to set up the sandbox: {msg}")
            sp.child_pid = int(info["child-pid"])
            self._current["child_pid"] = sp.child_pid
            with contextlib.suppress(OSError):  # (gone already: nothing to wait for)
                sp.init_fd = os.pidfd_open(sp.child_pid)
            # the cgroup move (ms on cgroup v1) runs while bwrap builds the mounts; it is
            # done before release() lets anything of the command run
            moving = _Move(cg, sp.child_pid) if cg is not None else None
            if self.proxy is not None and self.root_mode:
                sp.listener = _listen_in_netns(sp.child_pid, PROXY_PORT)
                self.proxy.serve(sp.listener, label=label)
            if sup is not None and (sup.watch is not None or sup.table is not None):
                try:
                    # bwrap reports its child before it built the sandbox's mounts: they
                    # are complete once it waits on the block fd
                    _wait_blocked(sp.child_pid, block_r, time.monotonic() + 15)
                    sup.attach(sp.child_pid)  # before anything of the command runs
                    sp.files = self._file_watch()
                    if sp.files is not None:  # what its programs read and write
                        sp.files.new_call()
                        sp.files.attach(sp.child_pid)
                except OSError as e:
                    said = ""
                    if proc.poll() is not None or proc.wait(timeout=1) is not None:
                        said = failure()  # bwrap ended while it built the mounts: why
                    raise BackendUnavailable(
                        f"cannot watch the sandbox's programs: {e}" + (f": {said}" if said else "")
                    ) from e
            if defer_move:
                sp.moving = moving
            elif moving is not None and not moving.done():
                cg.destroy()  # type: ignore[union-attr]
                sp.cgroup = None
                self._current["cgroup"] = None
            return sp
        except BaseException:
            if moving is not None:
                moving.done()  # (not left writing to a group being destroyed)
            self._stop_spawned(sp)
            raise
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _walls(self) -> tuple[list[str], list[Any]]:
        """The mounts that wall off the workspace paths the policy's file rules refuse
        (:mod:`corral.filewalls`), walked now, and the descriptors they pass.
        A pooled session's workspace is handed over after its start: none there."""
        if self.file_walls is None or self._pool_slot or self._stage is None:
            return [], []
        from .. import filewalls

        plan = self.file_walls(self.root)
        if plan is None or (not plan.walls and plan.cut is None):
            return [], []
        filewalls.announce_cut(plan, self)
        blanks = filewalls.make_blanks(self._stage)
        return filewalls.bwrap_args(plan, self.root, blanks)

    def _stop_spawned(self, sp: _Spawned, killed: bool = True) -> None:
        """Stop a sandbox started by :meth:`_spawn` (``killed``: kill it first) and
        release what it held (not its cgroup: the caller reads it first)."""
        if sp.moving is not None:
            sp.moving.done()  # (not left writing to a group being destroyed)
        proc = sp.proc
        if proc is not None and (killed or proc.poll() is None):
            self.kill(session=False)
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if sp.init_fd >= 0:
            # bwrap killed at once leaves its child's namespace to the kernel: wait (a
            # bounded moment) until nothing of the sandbox runs, so no program of it
            # outlives the call or the sandbox's close
            _await_exit(sp.init_fd, NAMESPACE_END_S)
            os.close(sp.init_fd)
            sp.init_fd = -1
        if sp.files is not None:  # what it did is reported before its result
            sp.files.detach(sp.child_pid)
            sp.files = None
        if sp.block_w >= 0:
            with contextlib.suppress(OSError):
                os.close(sp.block_w)
            sp.block_w = -1
        if sp.sampler is not None:
            sp.sampler.stop()
        if sp.listener is not None:
            self.proxy.unserve(sp.listener)
            sp.listener = None
        if sp.supervisor is not None:
            sp.supervisor.stop()
        etc, sp.etc = sp.etc, None
        if etc is not None:
            etc.release()

    def _run(
        self,
        argv: list[str],
        stdin: bytes,
        timeout: float | None,
        terminal: TerminalIO | None = None,
        on_output: Callable[[str, str], None] | None = None,
    ) -> RunResult:
        """One program in a sandbox of its own (``exec``: an argv, maybe a terminal)."""
        budget, limits = self.budget, self.limits
        self._disk_floor = self._disk_baseline()
        wall, cpu_limit, fsize = self._run_limits(timeout)
        run_id = new_id()
        cg = CgroupSet.create(f"{self.session[:40]}-{run_id}") if self.use_cgroups else None
        if cg is not None:
            cg.limit(int(budget.memory_mb * MB), int(limits.processes))
        sup = self._supervisor(terminal)
        self.last_supervisor = sup
        fds: list[int] = []
        if terminal is None:
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            fds += [in_r, in_w, out_w, err_w]
            stdio = (in_r, out_w, err_w)
        else:
            stdio = terminal.child_fds()
        out: OutputCollector | TerminalIO = (
            OutputCollector(budget.output_chars, on_output) if terminal is None else terminal
        )
        if terminal is None:
            out.add(out_r, "out")  # type: ignore[union-attr]
            out.add(err_r, "err")  # type: ignore[union-attr]

        def failure() -> str:
            for fd in stdio:
                with contextlib.suppress(OSError, ValueError):
                    os.close(fd)
                    fds.remove(fd)
            while out.open:
                out.pump(0.05)
            return out.err.decode("utf-8", "replace").strip() if terminal is None else ""

        t0 = time.monotonic()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        sp: _Spawned | None = None
        killed: str | None = None
        detected: str | None = None
        note: str | None = None
        try:
            sp = self._spawn(
                argv, stdio, terminal=terminal, cpu_limit=cpu_limit, fsize=fsize, cg=cg,
                sup=sup, label=run_id, failure=failure,
            )  # fmt: skip
            cg = sp.cgroup
            proc = sp.proc
            assert proc is not None
            for fd in stdio if terminal is None else ():
                with contextlib.suppress(OSError, ValueError):
                    os.close(fd)
                    fds.remove(fd)
            if terminal is not None:
                terminal.started()
            sp.sampler = ResourceSampler(
                self.emitter, sp.child_pid, cgroup=cg, interval=self.sample_interval,
                output=(lambda: out.total) if isinstance(out, OutputCollector) else None,
                gpu=self.gpu_sampler, gpu_memory_mb=self.limits.gpu_memory_mb,
            )  # fmt: skip
            sp.release()  # let the command start
            if terminal is None:
                feed_stdin(in_w, stdin)
                fds.remove(in_w)
            sp.sampler.start()
            killed, note = self._watch(proc, out, cg, t0, wall, cpu_limit)
        finally:
            if sp is not None:
                self._stop_spawned(sp, killed=killed is not None)
            end = time.monotonic() + 2
            while out.open and time.monotonic() < end:
                out.pump(0.05)
            out.close()
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        wall_used = time.monotonic() - t0
        rc = proc.returncode
        exit_code = rc if rc >= 0 else 128 - rc
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        mem_peak = ru1.ru_maxrss * 1024
        if cg is not None:
            cg_cpu = cg.cpu_s()
            if cg_cpu is not None:
                cpu = cg_cpu
            mem_peak = cg.memory_peak() or mem_peak
            if killed is None:
                if cg.oom_kills() > 0:
                    detected = "memory"
                elif cg.pids_limit_hits() > 0:
                    detected = "processes"
            cg.destroy()
        if sp.sampler is not None:
            mem_peak = max(mem_peak, sp.sampler.peak_rss)
        if killed is None and detected is None and self._current.get("out_of_memory"):
            detected = "memory"
            note = "an allocation failed at the per-process limit"
        if killed is None and detected is None and exit_code == 128 + signal.SIGXCPU:
            detected = "cpu"
        self._current = {}
        used, nfiles = disk_usage(self.root)
        if killed is None and detected is None:
            note = disk_at_end(exit_code, fsize, self._disk_floor, used, nfiles)
            detected = "disk" if note is not None else None
        usage = Usage(
            wall_s=wall_used,
            cpu_s=max(cpu, 0.0),
            memory_bytes=mem_peak,
            disk_bytes=used,
            disk_files=nfiles,
        )
        res = finish_result(
            language="bash",
            out=out,  # type: ignore[arg-type]
            exit_code=exit_code,
            killed=killed,
            detected=detected,
            budget=budget,
            limits=limits,
            wall_limit=wall,
            usage=usage,
            note=note,
        )
        if fsize == 0:
            res.stderr = self._disk_note() + res.stderr
        self._report(res, sup)
        return res

    def _report(self, res: RunResult, sup: Supervisor | None, first: int = 0) -> None:
        """A call's denied program starts (since spawn ``first``) and exceeded budget."""
        if sup is not None and res.error in (None, "exit"):
            denied = [a for a, d in sup.spawns[first:] if not d.allowed]
            if denied:
                res.error_message = "program start denied: " + "; ".join(
                    f"{' '.join(a.argv)[:80]}" for a in denied[:3]
                )
        if res.budget_exceeded:
            self.emitter.emit(
                "budget.exceeded",
                data={
                    "budget": res.budget_exceeded,
                    "message": res.error_message,
                    "backend": self.name,
                },
            )

    def _watch(
        self,
        proc: subprocess.Popen,
        out: OutputCollector,
        cg: CgroupSet | None,
        t0: float,
        wall: float,
        cpu_limit: float,
    ) -> tuple[str | None, str | None]:
        """Pump output and enforce the budgets until the sandbox ends; (killed, note)."""
        budget = self.budget
        deadline = t0 + wall
        next_disk = t0 + DISK_POLL_S
        floor = self._disk_floor or self._disk_baseline()
        mem_high = int(budget.memory_mb * MB * 0.97)
        at_limit = 0
        next_tree = t0
        # bwrap without a cgroup (gVisor shares this loop and has limits of its own)
        rlimits_only = cg is None and self.name == "bwrap"
        while True:
            out.pump(0.05)
            if proc.poll() is not None and not out.open:
                if rlimits_only and proc.returncode != 0 and _out_of_memory(out):
                    self._current["out_of_memory"] = True  # reported, not killed
                return None, None
            now = time.monotonic()
            if now >= deadline:
                return "wall_time", None
            if out.over:
                return "output", None
            if proc.poll() is not None:
                # the sandbox ended; its pipes are still held by nothing in it: drain
                if now - (self._current.setdefault("ended", now)) > 1.0:
                    return None, None
                continue
            if cg is not None:
                if cg.oom_kills() > 0:
                    return "memory", None
                # at the limit the kernel may reclaim for seconds before it kills
                at_limit = at_limit + 1 if cg.anon_bytes() >= mem_high else 0
                if at_limit >= 3:
                    return "memory", None
                if cg.pids_limit_hits() > 0:
                    return "processes", None
                if cg.pids_current() >= self.limits.processes:
                    return "processes", None
                c = cg.cpu_s()
                if c is not None and c > cpu_limit:
                    return "cpu", None
            elif rlimits_only and now >= next_tree:
                # no cgroup (not root): the rlimits hold each process (RLIMIT_AS) and the
                # sandbox user's task count (RLIMIT_NPROC); the sandbox as a whole is counted
                # here: its tasks and the anonymous memory of all its processes
                tasks, anon = _tree_usage(self._current.get("child_pid"))
                next_tree = time.monotonic() + max(0.1, (time.monotonic() - now) * 4)
                # (as root the launcher outside the tree counts too)
                if tasks >= self.limits.processes - (1 if self.root_mode else 0):
                    return "processes", None
                if anon >= mem_high:
                    return "memory", None
            if now >= next_disk:
                why, next_disk = disk_poll(floor, self.root)
                if why is not None:
                    return "disk", why


def _mounts_under_etc(args: list[str], etc: StagedEtc) -> bool:
    """Whether bwrap's arguments mount anything in ``/etc`` where the stage has no
    mount point for it (bwrap cannot make one in the read-only stage)."""
    from ..templates.mounts import _BWRAP_ARITY, _BWRAP_MOUNTS

    i = 1
    while i < len(args) and args[i] != "--clearenv":  # (no mount after it)
        opt = args[i]
        n = _BWRAP_ARITY.get(opt, 0)
        if opt in _BWRAP_MOUNTS or opt in ("--tmpfs", "--remount-ro"):
            dest = os.path.normpath(args[i + n]) if i + n < len(args) else ""
            if dest.startswith("/etc/") and not os.path.lexists(etc.path / dest[5:]):
                return True
        i += 1 + n
    return False


class _Move:
    """``pid`` moved into ``cg`` by the process's cgroup thread (one for all sandboxes:
    the kernel serialises the moves anyway, and starting a thread per sandbox cost ms on
    a loaded host); :meth:`done` waits for it and says whether it worked."""

    _jobs: queue.SimpleQueue | None = None
    _owner = 0  # (the process whose thread serves _jobs: a forked child makes its own)
    _lock = threading.Lock()

    def __init__(self, cg: CgroupSet, pid: int) -> None:
        self.ok = False
        self._done = threading.Event()
        with _Move._lock:
            if _Move._jobs is None or _Move._owner != os.getpid():
                _Move._jobs, _Move._owner = queue.SimpleQueue(), os.getpid()
                threading.Thread(target=_Move._serve, args=(_Move._jobs,),
                                 name="corral-cgroup", daemon=True).start()  # fmt: skip
            _Move._jobs.put((self, cg, pid))

    @staticmethod
    def _serve(jobs: queue.SimpleQueue) -> None:
        while True:
            move, cg, pid = jobs.get()
            try:
                cg.add(pid)
                move.ok = True
            except Exception:  # (an OSError; never the thread's end: others wait on it)
                pass
            finally:
                move._done.set()

    def done(self) -> bool:
        self._done.wait()
        return self.ok


def _tree_usage(root_pid: int | None) -> tuple[int, int]:
    """(tasks, anonymous resident bytes) of ``root_pid`` and its descendants."""
    from ._common import process_tree

    if not root_pid:
        return 0, 0
    tasks = anon = 0
    for pid in process_tree(root_pid):
        try:
            with open(f"/proc/{pid}/status", "rb") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(b"Threads:"):
                tasks += int(line.split()[1])
            elif line.startswith(b"RssAnon:"):
                anon += int(line.split()[1]) * 1024
    return tasks, anon


#: what programs say when an allocation fails (RLIMIT_AS) before they exit
_OOM_MARKERS = (
    b"MemoryError",
    b"Cannot allocate memory",
    b"cannot allocate memory",
    b"out of memory",
    b"Out of memory",
    b"std::bad_alloc",
    b"memory allocation of",
    b"xmalloc: cannot allocate",
    b"OutOfMemoryError",
    b"Allocation failed",
)


def _out_of_memory(out: Any) -> bool:
    tail = bytes(getattr(out, "err", b"")[-8192:])
    return any(m in tail for m in _OOM_MARKERS)


#: how long stopping a sandbox waits for the kernel to end its pid namespace
NAMESPACE_END_S = 10.0


def _await_exit(pidfd: int, timeout: float) -> bool:
    """Whether the process of ``pidfd`` ended within ``timeout`` seconds."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        try:
            if poller.poll(left * 1000):
                return True
        except InterruptedError:
            continue


def _wait_blocked(pid: int, fd: int, deadline: float) -> None:
    """Wait until process ``pid`` reads from its descriptor ``fd`` (bwrap's block fd)."""
    want = f"0 {hex(fd)} "
    delay = 0.0005
    while True:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                if f.read().startswith(want):
                    return
        except OSError as e:
            raise OSError(f"the sandbox's first process is gone ({e.strerror})") from e
        if time.monotonic() > deadline:
            raise OSError("the sandbox was not set up in time")
        time.sleep(delay)
        delay = min(delay * 2, 0.002)


def _read_info(fd: int, deadline: float) -> dict | None:
    data = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not r:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        with contextlib.suppress(ValueError):
            return json.loads(data)
    return None


def _listen_in_netns(pid: int, port: int) -> socket.socket:
    """A TCP listening socket on 127.0.0.1:port inside the network namespace of ``pid``."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns(net)")
            finally:
                os.close(fd)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # bwrap reports its child's pid before the child brings up the namespace's
            # loopback: until then 127.0.0.1 is not an address there (EADDRNOTAVAIL)
            deadline = time.monotonic() + 15
            while True:
                try:
                    s.bind(("127.0.0.1", port))
                    break
                except OSError as e:
                    if e.errno != errno.EADDRNOTAVAIL or time.monotonic() > deadline:
                        s.close()
                        raise
                    time.sleep(0.001)
            s.listen(128)
            box["sock"] = s
        except Exception as e:
            box["error"] = e

    t = threading.Thread(target=work, name="corral-netns")
    t.start()
    t.join()
    if "error" in box:
        raise BackendUnavailable(f"could not open the proxy port in the sandbox: {box['error']}")
    return box["sock"]
