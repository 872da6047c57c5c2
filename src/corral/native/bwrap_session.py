"""The bwrap tier's persistent sandbox: one bubblewrap sandbox per backend, its bash
driven over :mod:`corral.native.session`'s channel.

The sandbox is the one :meth:`BwrapBackend._spawn` builds for a single program (same
mounts, namespaces, seccomp filters, program monitor, fanotify exec watch, proxy port,
uid), started once with the shell as its program and kept until the backend closes or
the session is lost. Limits:

* **session-wide** (state): memory and processes in the session's cgroup (root), disk
  in the workspace, the per-process rlimits;
* **per call**: wall time, CPU (the call's own cgroup under the session's, root; the
  processes it started otherwise), output. Before each call the shell is in a fresh
  child cgroup of its own, so everything the call starts (background jobs included) is
  counted and can be killed as the call's. The move (a few ms on cgroup v1) is made
  ahead, off the calls' path: on a thread once the shell is up, and again once a call
  ended (the shell is idle between calls; the next call waits for the move).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import platform
import queue
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..budget import MB
from ._common import (
    DISK_POLL_S,
    BackendUnavailable,
    CgroupSet,
    disk_poll,
    new_id,
    proc_stats,
    process_tree,
)
from .monitor import ResourceSampler
from .session import (
    CTL_FD,
    ERR_FD,
    INTERPRETERS,
    OUT_FD,
    SHELL_ARGV,
    CallState,
    Forged,
    NativeSession,
    SessionLost,
    ShellChannel,
    ShellDied,
    wait_frame,
)

if TYPE_CHECKING:
    from .bwrap import BwrapBackend, _Spawned
    from .monitor import Supervisor

log = logging.getLogger("corral.native.bwrap_session")

#: ``read`` in ``/proc/PID/syscall``: the shell waiting for its next command on fd 0
_READ_NR = {"x86_64": 0, "aarch64": 63}.get(platform.machine())
_BOOT_WAIT = 15.0
_CGROUP_FS = Path("/sys/fs/cgroup")


class BwrapSession(NativeSession):
    """One warm bubblewrap sandbox and its shell."""

    def __init__(self, backend: BwrapBackend) -> None:
        super().__init__()
        self.b = backend
        self.sp: _Spawned | None = None
        self.supervisor: Supervisor | None = None
        self.cgroup: CgroupSet | None = None
        self.call_cg: CgroupSet | None = None
        self._old_cgs: list[CgroupSet] = []
        self.shell_pid = 0
        self._idle_prefix = f"{_READ_NR} 0x0 " if _READ_NR is not None else None
        self._cpu0 = 0.0
        self._oom0 = self._pids0 = 0
        self._at_limit = 0
        self._next_disk = 0.0
        self._next_tree = 0.0
        self._known: set[tuple[int, int]] = set()
        #: the next call's cgroup, the shell moved into it ahead (by the session's worker)
        self._next_cg: CgroupSet | None = None
        self._worker = _Worker()
        self._shell_fd = -1  # a pidfd of the shell (never a reused pid moved)
        self._next_pid = 0  # the process moved into _next_cg
        self._ending = False
        self._call_cpu0 = 0.0
        #: a pooled session (corral.native.pool): taken by a sandbox; what to do once ended
        self.taken = False
        self.on_end: Callable[[BwrapSession], None] | None = None
        #: its own backend while it waited (the slot: an empty workspace, its stage)
        self.pool_slot: BwrapBackend | None = None

    # ---- start

    def start(self) -> None:
        b = self.b
        assert b._stage is not None
        budget, limits = b.budget, b.limits
        _, cpu_limit, fsize = b._run_limits(None)
        self.files_frozen = fsize == 0
        label = new_id()
        cg = CgroupSet.create(f"{b.session[:40]}-{label}") if b.use_cgroups else None
        if cg is not None:
            cg.limit(int(budget.memory_mb * MB), int(limits.processes))
        sup = self.supervisor = b._supervisor(own_watch=True)
        calls = b._stage / "run" / "calls"
        calls.mkdir(parents=True, exist_ok=True)
        os.chmod(calls, 0o755)
        cmd_r, cmd_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        if ctl_w in (CTL_FD, OUT_FD, ERR_FD):  # the boot line would close it: another number
            moved = fcntl.fcntl(ctl_w, fcntl.F_DUPFD_CLOEXEC, ERR_FD + 1)
            os.close(ctl_w)
            ctl_w = moved
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        child_ends = [cmd_r, ctl_w, out_w, err_w]
        self.chan = ShellChannel(cmd_w, ctl_r, out_r, err_r, calls)
        relay_w = None
        if b.proxy is not None and not b.root_mode:  # the network relay starts the shell
            relay_w = self.relay_pipe()
            if relay_w in (CTL_FD, OUT_FD, ERR_FD):
                moved = fcntl.fcntl(relay_w, fcntl.F_DUPFD_CLOEXEC, ERR_FD + 1)
                os.close(relay_w)
                relay_w = moved
            child_ends.append(relay_w)
        argv = b._argv(list(SHELL_ARGV), relay_w)
        b._launch.append(list(SHELL_ARGV))  # the shell is corral's own: decided per script

        def failure() -> str:
            with contextlib.suppress(Exception):
                self.chan.drain()
            return self.chan.last_words()

        try:
            self.sp = b._spawn(
                argv, (cmd_r, out_w, err_w),
                extra_fds=(ctl_w,) if relay_w is None else (ctl_w, relay_w), terminal=None,
                cpu_limit=cpu_limit, fsize=fsize, cg=cg, sup=sup, label=label,
                failure=failure, defer_move=True,
            )  # fmt: skip
            self.cgroup = self.sp.cgroup
        finally:
            for fd in child_ends:
                with contextlib.suppress(OSError):
                    os.close(fd)
        sp = self.sp
        try:
            chan = self.chan
            sp.sampler = ResourceSampler(
                b.emitter, sp.child_pid, cgroup=self.cgroup, interval=b.sample_interval,
                output=lambda: chan.out_total,
                gpu=b.gpu_sampler, gpu_memory_mb=b.limits.gpu_memory_mb, in_call=b._lock.locked,
            )  # fmt: skip
            sp.release()
            if len(b._launch) == 1 and self.cgroup is not None:
                # no launch step before the shell (root): the first call's cgroup is made
                # while the shell boots
                self._worker.submit(self._prepare, 1, os.fstat(cmd_w).st_ino)
            try:
                # (a shell that died at once: the boot line meets a closed pipe)
                rid = self.chan.boot(ctl_w)
                got = wait_frame(self.chan, rid, time.monotonic() + _BOOT_WAIT, tick=0.02)
            except (SessionLost, Forged) as e:
                raise ShellDied(
                    f"the sandbox's shell did not start: {e}{self._why_dead()}"
                ) from e
            self.chan.done_with(rid)
            if got is None:
                raise BackendUnavailable("the sandbox's shell did not start in time")
            self.shell_pid = self._find_shell(os.fstat(cmd_w).st_ino)
            if self.shell_pid:
                with contextlib.suppress(OSError):
                    self._shell_fd = os.pidfd_open(self.shell_pid)
            self._settle_cgroups()
            self._remember_processes()  # corral's own (the relay, wrappers)
            self._prepare_next()  # (unless made while it booted)
        except BaseException:
            self.end()
            raise

    def activate(self) -> None:
        super().activate()
        self.b.last_supervisor = self.supervisor
        sp = self.sp
        if sp is not None and sp.sampler is not None and not sp.sampler.started:
            sp.sampler.start()  # (a spare's samples start when it is taken)

    def _settle_cgroups(self) -> None:
        """Before the first call: the session's cgroup move (made while the shell
        booted: only corral's own shell ran meanwhile, no command of the call's) is done,
        and what the sandbox started before its first process joined is in the group
        too (the shell: in the first call's group if that was made while it booted).
        A move that fails ends the start: nothing runs outside the session's limits."""
        sp = self.sp
        assert sp is not None
        moving = sp.moving
        if moving is None:
            return
        ok = moving.done()
        self._join_prep()
        sp.moving = None
        cg = self.cgroup
        if cg is None:
            return
        if not ok:  # (the first call's group waited for it: nothing was moved)
            cg.destroy()
            self.cgroup = sp.cgroup = None
            if self.b._current.get("proc") is sp.proc:
                self.b._current["cgroup"] = None
            return
        placed = self.shell_pid != 0 and self._next_pid == self.shell_pid
        if self._next_cg is not None and not placed:
            self._old_cgs.append(self._next_cg)
            self._next_cg = None
        for pid in process_tree(sp.child_pid):
            if pid == sp.child_pid or (placed and pid == self.shell_pid) or _within(pid, cg):
                continue
            try:
                cg.add(pid)
            except OSError as e:
                raise BackendUnavailable(f"could not put the sandbox in its cgroup: {e}") from e

    def _why_dead(self) -> str:
        """What is known of a sandbox that died at start: how bwrap ended, what it or the
        shell printed, a start the supervisor refused."""
        parts: list[str] = []
        proc = self.sp.proc if self.sp is not None else None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
            rc = proc.returncode
            if rc is not None:
                parts.append(f"killed by signal {-rc}" if rc < 0 else f"exit status {rc}")
        said = self.chan.last_words()
        if said:
            parts.append(f"it printed: {said[-600:]!r}")
        sup = self.supervisor
        if sup is not None:
            if sup.error:
                parts.append(f"supervisor: {sup.error}")
            denied = [" ".join(a.argv)[:80] for a, d in sup.spawns if not d.allowed]
            if denied:
                parts.append("start denied: " + "; ".join(denied[:3]))
        return f" ({'; '.join(parts)})" if parts else ""

    def _find_shell(self, pipe_ino: int) -> int:
        """The host pid of the sandbox's shell: the process whose fd 0 is the command pipe."""
        assert self.sp is not None
        for pid in process_tree(self.sp.child_pid):
            with contextlib.suppress(OSError):
                st = os.stat(f"/proc/{pid}/fd/0")
                if st.st_ino == pipe_ino and os.readlink(f"/proc/{pid}/exe").endswith("bash"):
                    return pid
        return 0

    # ---- NativeSession

    def alive(self) -> bool:
        sp = self.sp
        return (
            self.lost is None
            and sp is not None
            and sp.proc is not None
            and sp.proc.poll() is None
            and not self.chan.closed
        )

    def idle(self) -> bool:
        if not self.shell_pid or self._idle_prefix is None:
            return True
        try:
            with open(f"/proc/{self.shell_pid}/syscall", "rb") as f:
                text = f.read(64).decode("ascii", "replace")
        except OSError:
            return True  # gone: the pipes say so next
        return text.startswith(self._idle_prefix)

    # ---- the calls' cgroups

    def _prepare_next(self) -> None:
        """Move the idle shell into the next call's cgroup on a thread (and remove the
        groups of earlier calls that are empty); the next call waits for it."""
        if self.cgroup is None or self._shell_fd < 0 or self._worker.busy \
                or self._next_cg is not None:  # fmt: skip
            return
        self._worker.submit(self._prepare, self.calls + 1)

    def _prepare(self, n: int, boot_ino: int = 0) -> None:
        """(On the thread) the ``n``-th call's cgroup with the shell in it. ``boot_ino``:
        the shell is still booting: it is the sandbox's first process's child whose
        stdin is the command pipe (that inode)."""
        cg = self.cgroup
        if cg is None:
            return
        pidfd = -1
        try:
            if boot_ino:
                moving = self.sp.moving if self.sp is not None else None
                if moving is not None and not moving.done():
                    return  # (the session has no group: no call's group either)
                pid, pidfd = self._booting_shell(boot_ino)
            else:
                pid, pidfd = self.shell_pid, os.dup(self._shell_fd)
            if not pid:
                return
            child = _child_cgroup(cg, f"call-{n}")
            if child is None:
                return
            try:
                if not _alive(pidfd):  # (so the pid is not another process's yet)
                    raise OSError("the shell is gone")
                child.add(pid)
                self._next_cg, self._next_pid = child, pid
            except OSError:
                child.destroy()
        except OSError:
            return
        finally:
            if pidfd >= 0:
                os.close(pidfd)
            self._reap_cgroups()

    def _booting_shell(self, ino: int) -> tuple[int, int]:
        """(pid, pidfd) of the shell as it starts, or (0, -1)."""
        sp = self.sp
        if sp is None:
            return 0, -1
        init = sp.child_pid
        deadline = time.monotonic() + _BOOT_WAIT
        while not self._ending and time.monotonic() < deadline:
            with open(f"/proc/{init}/task/{init}/children") as f:  # (gone: OSError)
                kids = [int(k) for k in f.read().split()]
            for pid in kids:
                try:
                    pidfd = os.pidfd_open(pid)
                except OSError:
                    continue
                try:  # checked after the pidfd is held: this very process
                    if os.stat(f"/proc/{pid}/fd/0").st_ino == ino:
                        return pid, pidfd
                except OSError:
                    pass
                os.close(pidfd)
            time.sleep(0.0005)
        return 0, -1

    def _join_prep(self) -> None:
        self._worker.wait()

    def enter_call(self, st: CallState) -> None:
        if self.sp is not None and self.sp.files is not None:
            self.sp.files.new_call()  # file events: each (operation, path) once a call
        self.first_spawn = len(self.supervisor.spawns) if self.supervisor is not None else 0
        self._join_prep()
        cg = self.cgroup
        self.call_cg, self._next_cg = self._next_cg, None
        if self.call_cg is not None and self._next_pid != self.shell_pid:
            self._old_cgs.append(self.call_cg)  # (not the shell that answered)
            self.call_cg = None
        if cg is not None:
            self._oom0 = self._oom_kills()
            self._pids0 = cg.pids_limit_hits()
        # (the shell's own CPU since it was moved in is not the call's)
        self._call_cpu0 = (self.call_cg.cpu_s() or 0.0) if self.call_cg is not None else 0.0
        self._cpu0 = _cpu_of(self.shell_pid) if self.call_cg is None else 0.0
        self._at_limit = 0
        self._next_disk = st.t0 + DISK_POLL_S
        self._next_tree = st.t0

    def leave_call(self, st: CallState) -> None:
        if self.sp is not None and self.sp.files is not None:
            self.sp.files.flush()  # the call's file events before its result
        cg, call = self.cgroup, self.call_cg
        st.cpu_s = self.call_cpu(st)
        st.memory_bytes = self.call_memory()
        if call is None:
            self._remember_processes()
        if st.killed is None:
            if cg is not None and self._oom_kills() > self._oom0:
                st.detected = "memory"
            elif cg is not None and cg.pids_limit_hits() > self._pids0:
                st.detected = "processes"
            elif cg is None and self.b.name == "bwrap":
                from .bwrap import _out_of_memory

                if _out_of_memory(st.out):
                    st.detected = "memory"
                    st.note = "an allocation failed at the per-process limit"
        if cg is not None and call is not None:
            self._old_cgs.append(call)  # (removed once empty: the shell leaves it next)
        if self.lost is None and self.alive():
            self._prepare_next()

    def _oom_kills(self) -> int:
        """Memory kills in the session (cgroup v1 counts them in the victim's own group:
        the call's, or the session's)."""
        n = self.cgroup.oom_kills() if self.cgroup is not None else 0
        if self.call_cg is not None:
            n += self.call_cg.oom_kills()
        return n

    def _reap_cgroups(self) -> None:
        keep: list[CgroupSet] = []
        for c in self._old_cgs:
            if c.procs():
                keep.append(c)
                continue
            for d in c.dirs.values():
                with contextlib.suppress(OSError):
                    d.rmdir()
        self._old_cgs = keep

    def call_cpu(self, st: CallState) -> float:
        if self.call_cg is not None:
            return max((self.call_cg.cpu_s() or 0.0) - self._call_cpu0, 0.0)
        pids = self._call_pids(st)
        return max(_cpu_of(self.shell_pid) - self._cpu0, 0.0) + proc_stats(pids)[0]

    def call_memory(self) -> int:
        if self.call_cg is not None:
            return max(self.call_cg.memory_peak(), self.cgroup.memory_current() if self.cgroup
                       else 0)  # fmt: skip
        sp = self.sp
        return sp.sampler.peak_rss if sp is not None and sp.sampler is not None else 0

    def check(self, st: CallState) -> bool:
        b = self.b
        cg = self.cgroup
        now = time.monotonic()
        mem_high = int(b.budget.memory_mb * MB * 0.97)
        if cg is not None:
            if self._oom_kills() > self._oom0:
                st.killed = "memory"
                return True
            self._at_limit = self._at_limit + 1 if cg.anon_bytes() >= mem_high else 0
            if self._at_limit >= 3:
                st.killed = "memory"
                return True
            if cg.pids_limit_hits() > self._pids0 or cg.pids_current() >= b.limits.processes:
                st.killed = "processes"
                return True
        elif now >= self._next_tree:
            from .bwrap import _tree_usage

            tasks, anon = _tree_usage(self.sp.child_pid if self.sp else None)
            self._next_tree = time.monotonic() + max(0.1, (time.monotonic() - now) * 4)
            if tasks >= b.limits.processes - (1 if b.root_mode else 0):
                st.killed = "processes"
                return True
            if anon >= mem_high:
                st.killed = "memory"
                return True
        if self.call_cpu(st) > st.cpu_limit:
            st.killed = "cpu"
            return True
        if now >= self._next_disk:
            why, self._next_disk = disk_poll(b._disk_floor, b.root)
            if why is not None:
                st.killed, st.note = "disk", why
                return True
        return False

    def _call_pids(self, st: CallState) -> list[int]:
        """The processes the call started (its cgroup; else those started since it began),
        never the shell, the sandbox's init or corral's launch steps."""
        if self.call_cg is not None:
            return [p for p in self.call_cg.procs() if p != self.shell_pid]
        sp = self.sp
        if sp is None:
            return []
        out = []
        for pid in process_tree(sp.child_pid):
            if pid in (sp.child_pid, self.shell_pid):
                continue
            start = _start_ticks(pid)
            # (a process of an earlier call may have started in the same clock tick)
            if start is not None and start >= st.ticks0 and (pid, start) not in self._known:
                out.append(pid)
        return out

    def _remember_processes(self) -> None:
        """Without a call cgroup: the processes alive after a call (pid, start time),
        which a later call's overrun leaves alone."""
        sp = self.sp
        self._known = set()
        if sp is None:
            return
        for pid in process_tree(sp.child_pid):
            start = _start_ticks(pid)
            if start is not None:
                self._known.add((pid, start))

    def interrupt(self, st: CallState) -> None:
        for pid in [self.shell_pid, *self._call_pids(st)]:
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGINT)

    def kill_call(self, st: CallState) -> None:
        for _ in range(20):
            pids = self._call_pids(st)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def kill_interpreter(self, language: str) -> None:
        driver = INTERPRETERS[language][0][-1].encode()
        sp = self.sp
        if sp is None:
            return
        killed = []
        for pid in process_tree(sp.child_pid):
            with contextlib.suppress(OSError):
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    args = f.read(65536).split(b"\0")
                if driver in args:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
        # until the shell reaped it: a zombie still passes the next call's `kill -0`, which
        # would send the request to the dead interpreter instead of starting a new one
        end = time.monotonic() + 1.0
        while killed and time.monotonic() < end:
            killed = [p for p in killed if os.path.exists(f"/proc/{p}")]
            if killed:
                time.sleep(0.002)

    def exit_code(self) -> int:
        sp = self.sp
        if sp is None or sp.proc is None:
            return 137
        b = self.b
        if sp.proc.poll() is None:
            with contextlib.suppress(Exception):
                sp.proc.wait(timeout=2)
        if sp.proc.poll() is None:
            b.kill()
            with contextlib.suppress(Exception):
                sp.proc.wait(timeout=10)
        rc = sp.proc.returncode
        if rc is None:
            return 137
        return rc if rc >= 0 else 128 - rc

    def kill(self) -> None:
        """Kill the whole sandbox now (any thread)."""
        sp = self.sp
        if sp is None:
            return
        if sp.supervisor is not None:
            sp.supervisor.stopping = True
        if sp.child_pid:
            with contextlib.suppress(OSError):
                os.kill(sp.child_pid, signal.SIGKILL)
        if sp.proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(sp.proc.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill()

    def end(self) -> None:
        self._ending = True
        self._join_prep()
        self._worker.stop()
        if self._next_cg is not None:
            self._old_cgs.append(self._next_cg)
            self._next_cg = None
        if self._shell_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._shell_fd)
            self._shell_fd = -1
        sp = self.sp
        if sp is not None:
            self.kill()
            self.sp = None  # (the backend's kill() no longer reaches it)
            self.b._stop_spawned(sp, killed=False)
            if self.b._current.get("proc") is sp.proc:
                self.b._current = {}  # (its pids may be another process's soon)
        self.chan.close()
        self.close_relay_pipe()
        # the calls' groups before the session's (a group with children cannot go)
        for c in self._old_cgs + ([self.call_cg] if self.call_cg is not None else []):
            c.destroy()
        self._old_cgs = []
        self.call_cg = None
        if self.cgroup is not None:
            self.cgroup.destroy()
            self.cgroup = None
        on_end, self.on_end = self.on_end, None
        if on_end is not None:
            on_end(self)


class _Worker:
    """A session's thread for the cgroup work between calls: one job at a time, handed
    over without waiting for a thread to start (that took ms on a loaded host)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._done = threading.Event()
        self._done.set()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return not self._done.is_set()

    def submit(self, fn: Callable[..., None], *args: object) -> None:
        self._done.clear()
        self._jobs.put((fn, args))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="corral-call-cgroup",
                                            daemon=True)  # fmt: skip
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args = job
            try:
                fn(*args)
            except Exception:
                log.exception("a session's cgroup work failed")
            finally:
                self._done.set()

    def wait(self) -> None:
        """Until the job handed over is done."""
        self._done.wait()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread = None


def _child_cgroup(parent: CgroupSet, name: str) -> CgroupSet | None:
    dirs: dict[str, Path] = {}
    try:
        for ctrl, d in parent.dirs.items():
            c = d / name
            c.mkdir()
            dirs[ctrl] = c
    except OSError:
        for c in dirs.values():
            with contextlib.suppress(OSError):
                c.rmdir()
        return None
    return CgroupSet(dirs, parent.version)


def _within(pid: int, cg: CgroupSet) -> bool:
    """Whether process ``pid`` is in ``cg`` or a group below it, for every controller."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return True  # gone: nothing to move
    where: dict[str, str] = {}
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else ["v2"]:
            where[c] = path
    for ctrl, d in cg.dirs.items():
        rel = "/" + str(d.relative_to(_CGROUP_FS if ctrl == "v2" else _CGROUP_FS / ctrl))
        path = where.get(ctrl)
        if path is None or not (path == rel or path.startswith(rel + "/")):
            return False
    return True


def _alive(pidfd: int) -> bool:
    """Whether the process of ``pidfd`` still runs (a pidfd is readable once it ended)."""
    ready, _, _ = select.select([pidfd], [], [], 0)
    return not ready


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rfind(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_of(pid: int) -> float:
    return proc_stats([pid])[0] if pid else 0.0
