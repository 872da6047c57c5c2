"""The gVisor tier's persistent sandbox: one ``runsc run`` per backend, its bash driven
over :mod:`corral.native.session`'s channel (the frame pipe passed in with
``--pass-fd``).

The sandbox is the one :meth:`GvisorBackend._spec` describes for a single program (same
mounts, OCI seccomp, rlimits, ``--network=none``, the Sentry's trace), started once with
the shell as its program. Limits: memory (the Sentry's host cgroup) and processes (the
Sentry's RLIMIT_NPROC) for the whole session; wall time, CPU (the sandbox's CPU while the
call runs) and output per call.

The sandbox's processes are the Sentry's tasks, invisible to the host: to interrupt a
call and kill what it started, corral runs a bash of builtins only in the sandbox
(``runsc exec``) that signals every process made since the call began (the Sentry's
trace shows each fork with the id it made, and ids only grow; the shell itself only gets
the SIGINT). A program the gate denies ends the whole session (observe, then kill), as it
ended the whole sandbox before sessions. A process could name itself so that its trace
line looks like a fork with a higher id: at worst what it started itself then outlives an
overrun, inside the session's budgets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import select
import subprocess
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..budget import MB
from . import leftovers, spawner
from ._common import DISK_POLL_S, BackendUnavailable, disk_poll, new_id
from .gvisor_samples import GvisorSampler
from .recent import RecentLog
from .session import (
    INTERPRETERS,
    RUN_GUEST,
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
    from .gvisor import GvisorBackend, _SandboxCgroup, _StraceTail
    from .gvisor_pool import Pod

log = logging.getLogger("corral.native.gvisor")

#: the sandbox's user (gvisor.UID/GID)
UID = GID = 1000

#: the frame pipe's number in the sandbox (runsc --pass-fd)
_GUEST_CTL = 3
#: the network relay's status pipe (relaybin), passed to the relay only
_GUEST_RELAY_STATUS = 4
_BOOT_WAIT = 60.0

#: signals the processes a call started, builtins only: $1 signal, $2 the highest process
#: id made before the call (the Sentry's ids only grow), $3 the shell's pid (SIGINT only)
_SIGNAL_CALL = r"""
sig=$1 before=$2 shell=$3
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  (( p > before && p != $$ && p != shell )) && kill -s "$sig" "$p" 2>/dev/null
done
[[ $sig == INT ]] && kill -s INT "$shell" 2>/dev/null
exit 0
"""


#: kills the interpreter whose driver is $1 (builtins only)
_KILL_DRIVER = r"""
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  (( p == $$ )) && continue
  mapfile -d '' -t a <"$d/cmdline" 2>/dev/null || continue
  for x in "${a[@]}"; do [[ $x == "$1" ]] && { kill -s KILL "$p" 2>/dev/null; break; }; done
done
exit 0
"""


class GvisorSession(NativeSession):
    """One warm gVisor sandbox and its shell."""

    interrupt_grace = 3.0

    def __init__(self, backend: GvisorBackend) -> None:
        super().__init__()
        self.b = backend
        self.proc: subprocess.Popen | None = None
        self.cid = leftovers.container_id()
        self.cgroup: _SandboxCgroup | None = None
        self.sampler: GvisorSampler | None = None
        self.tail: _StraceTail | None = None
        self.shell_pid = 0
        self._cpu0 = 0.0
        self._denied0 = 0
        self._nproc0 = 0
        self._next_disk = 0.0
        self._pid0 = 0
        #: the pre-started sandbox this session's container runs in (gvisor_pool), if any
        self.pod: Pod | None = None
        #: runsc's state directory of the sandbox (None: the backend's own)
        self.state: Path | None = None

    def start(self) -> None:
        b = self.b
        b._last_pid = 0  # (a new sandbox: its process ids start again)
        pod = b._pool.take() if b._pool is not None else None
        if pod is not None:
            try:
                self._start_in_pod(pod)
                return
            except Exception as e:
                self.end()
                if self.killed:
                    raise
                log.warning("a pre-started gVisor sandbox could not be used (%s): "
                            "starting one", e)  # fmt: skip
                self._reset()
        self._start_cold()

    def _reset(self) -> None:
        """Fresh fields after a pooled start that failed (ended), for a cold start."""
        self.pod = None
        self.proc = None
        self.cid = leftovers.container_id()
        self.state = None
        self.cgroup = self.sampler = self.tail = None
        self.shell_pid = 0
        self.b._last_pid = 0

    def _calls_dir(self) -> Path:
        b = self.b
        assert b._stage is not None
        calls = b._stage / "run" / "calls"
        calls.mkdir(parents=True, exist_ok=True)
        os.chmod(calls, 0o755)
        return calls

    def _start_cold(self) -> None:
        from .gvisor import _dying_with_parent, _SandboxCgroup

        b = self.b
        assert b._stage is not None
        _, _, fsize = b._run_limits(None)
        self.files_frozen = fsize == 0
        calls = self._calls_dir()
        argv = list(SHELL_ARGV)
        if b.proxy is not None:
            argv = b._relay_argv(argv, _GUEST_RELAY_STATUS)
        b._expect = [list(SHELL_ARGV)] if b.monitor and b.proxy is not None else []
        spec = b._spec(argv, self.cid, fsize)
        (b._stage / "bundle" / "config.json").write_text(__import__("json").dumps(spec))
        b.spawns, b.denied, b._nproc_refused = RecentLog(), RecentLog(), 0
        cmd_r, cmd_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.chan = ShellChannel(cmd_w, ctl_r, out_r, err_r, calls)
        run_args = ["--pass-fd", f"{ctl_w}:{_GUEST_CTL}"]
        relay_w = -1
        if b.proxy is not None:
            relay_w = self.relay_pipe()
            run_args += ["--pass-fd", f"{relay_w}:{_GUEST_RELAY_STATUS}"]
        cmd, self.tail = b._runsc_run(self.cid, b._stage / f"panic-{self.cid}.log", run_args)
        self.cgroup = _SandboxCgroup.make(b._cgroup_path(self.cid), int(b.budget.memory_mb * MB),
                                          b._pids_backstop())  # fmt: skip
        try:
            try:
                argv, pre = _dying_with_parent(cmd)
                self.proc = spawner.popen(
                    argv, stdin=cmd_r, stdout=out_w, stderr=err_w,
                    pass_fds=(ctl_w,) if relay_w < 0 else (ctl_w, relay_w),
                    start_new_session=True, env={"PATH": os.defpath, "LANG": "C.UTF-8"},
                    cwd=str(b._stage), preexec_fn=pre,
                )  # fmt: skip
            except OSError as e:
                raise BackendUnavailable(f"runsc did not start: {e}") from e
            finally:
                for fd in (cmd_r, ctl_w, out_w, err_w, relay_w):
                    if fd >= 0:
                        os.close(fd)
            b._current = {"proc": self.proc, "cid": self.cid, "cgroup": self.cgroup}
            self._sample(self.proc.pid)
            self.tail.start()
            self._boot(self.chan.boot(_GUEST_CTL))
        except BaseException:
            self.end()
            raise

    def _sample(self, pid: int) -> None:
        """Start the resource sampler of the sandbox ``pid`` runs (its cgroup's)."""
        b, chan = self.b, self.chan
        self.sampler = GvisorSampler(
            b.emitter, pid, cgroup=self.cgroup, interval=b.sample_interval,
            output=lambda: chan.out_total, in_call=b._lock.locked,
        )  # fmt: skip
        self.sampler.start()

    def _boot(self, rid: str) -> None:
        """Wait for the shell's first frame (``rid``: its pid)."""
        try:
            got = wait_frame(self.chan, rid, time.monotonic() + _BOOT_WAIT, tick=0.05)
        except (SessionLost, Forged) as e:
            said = self.chan.last_words()
            rc = self.proc.poll() if self.proc is not None else None
            why = "; ".join(
                x for x in (
                    f"runsc ended with status {rc}" if rc is not None else "",
                    f"it printed: {said[-600:]!r}" if said else "",
                ) if x
            )  # fmt: skip
            raise ShellDied(
                f"the sandbox's shell did not start: {e}" + (f" ({why})" if why else "")
            ) from e
        self.chan.done_with(rid)
        if got is None or not got.isdigit():
            raise BackendUnavailable("the sandbox's shell did not start in time")
        self.shell_pid = int(got)

    def _start_in_pod(self, pod: Pod) -> None:
        """The shell as a sub-container of ``pod`` (a sandbox started ahead,
        :mod:`corral.native.gvisor_pool`), made from this backend's own spec: its mounts
        (this workspace), pid namespace, rlimits, seccomp filter and user."""
        b = self.b
        assert b._stage is not None and pod.proc is not None
        self.pod, self.state = pod, pod.state
        _, _, fsize = b._run_limits(None)
        self.files_frozen = fsize == 0
        calls = self._calls_dir()
        argv = list(SHELL_ARGV)
        if b.proxy is not None:
            argv = b._relay_argv(argv)  # (no status pipe: the container's status is runsc's)
        b._expect = [list(SHELL_ARGV)] if b.monitor and b.proxy is not None else []
        spec = b._spec(argv, self.cid, fsize)
        linux = spec["linux"]
        linux.pop("cgroupsPath", None)  # (the sandbox's cgroup is the pod's)
        linux.pop("resources", None)
        spec["annotations"] = {"io.kubernetes.cri.container-type": "container",
                               "io.kubernetes.cri.sandbox-id": pod.cid}  # fmt: skip
        (b._stage / "bundle" / "config.json").write_text(json.dumps(spec))
        b.spawns, b.denied, b._nproc_refused = RecentLog(), RecentLog(), 0
        # the frame pipe: a FIFO only the sandbox's user may open, opened by the shell at
        # boot and unlinked once it has (runsc passes no descriptor to a sub-container)
        io = b._stage / "run" / "io"
        fifo = io / f"ctl-{new_id()}"
        os.mkfifo(fifo, 0o600)
        os.chown(fifo, UID, GID)
        ctl_r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        hold = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # (no EOF yet)
        cmd_r, cmd_w = os.pipe2(os.O_CLOEXEC)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        self.chan = ShellChannel(cmd_w, ctl_r, out_r, err_r, calls)
        try:
            self.proc, self.cgroup, self.tail = pod.proc, pod.cgroup, pod.tail
            b._current = {"proc": pod.proc, "cid": pod.cid, "cgroup": pod.cgroup,
                          "state": pod.state}  # fmt: skip
            pod.on_line = b._on_strace_line  # (the taker's from here on)
            try:
                # create + start in one runsc (a Go program's start less than two); the
                # container's stdio is the launcher's; it returns once the shell runs
                rc = _run_until_exit(
                    pod.runsc("run", "--detach", "--bundle", str(b._stage / "bundle"),
                              self.cid),
                    _BOOT_WAIT, stdin=cmd_r, stdout=out_w, stderr=err_w, cwd=str(b._stage),
                    env={"PATH": os.defpath, "LANG": "C.UTF-8"},
                )  # fmt: skip
            finally:
                for fd in (cmd_r, out_w, err_w):
                    os.close(fd)
            if rc != 0:
                raise ShellDied(f"runsc run failed ({rc}): "
                                f"{self.chan.last_words()[-600:]!r}")  # fmt: skip
            self._sample(pod.proc.pid)
            self._boot(self.chan.boot(-1, f"{RUN_GUEST}/io/{fifo.name}"))
        finally:
            os.close(hold)
            with contextlib.suppress(OSError):
                fifo.unlink()

    # ---- NativeSession

    def alive(self) -> bool:
        return (
            self.lost is None
            and self.proc is not None
            and self.proc.poll() is None
            and not self.chan.closed
            and not self.b._current.get("killing")
        )

    def enter_call(self, st: CallState) -> None:
        b = self.b
        b._out = st.out  # a denied program's message goes to the call's stderr
        b._session_call = True
        self._denied0 = len(b.denied)
        self._nproc0 = b._nproc_refused
        self._cpu0 = self._cpu()
        self._next_disk = st.t0 + DISK_POLL_S
        self._pid0 = self._caught_up_pid()
        if b.files is not None:
            b.files.new_call()  # file events: each (operation, path) once a call

    def _caught_up_pid(self) -> int:
        """The highest process id made so far, once the trace read so far is handled (the
        Sentry traces a fork before the forking process goes on, so everything an earlier
        call started is in the FIFO by now)."""
        tail = self.tail
        if tail is not None:
            end = time.monotonic() + 0.2
            buf = bytearray(4)
            while time.monotonic() < end:
                try:
                    fcntl.ioctl(tail.fd, termios.FIONREAD, buf, True)
                except OSError:
                    break
                if int.from_bytes(buf, "little") == 0 and not tail.busy:
                    break
                time.sleep(0.0005)
        return self.b._last_pid

    def _cpu(self) -> float:
        if self.cgroup is None:
            return 0.0
        return self.cgroup.cpu_s() or 0.0

    def leave_call(self, st: CallState) -> None:
        b = self.b
        if st.killed is None:
            self._caught_up_pid()  # the trace of what the call started, all of it
            if len(b.denied) > self._denied0:
                st.detected = "denied"
                st.note = _denied_note(b.denied[self._denied0 :])
        st.cpu_s = max(self._cpu() - self._cpu0, 0.0)
        st.memory_bytes = self.cgroup.memory_peak() if self.cgroup is not None else 0
        if st.killed is None and self.cgroup is not None and self.cgroup.oom_kills() > 0:
            st.detected = "memory"
        self.b._out = None
        self.b._session_call = False

    def check(self, st: CallState) -> bool:
        b = self.b
        if len(b.denied) > self._denied0:
            st.killed = "denied"
            st.note = _denied_note(b.denied[self._denied0 :])
            return True
        if b._nproc_refused > self._nproc0:
            st.killed = "processes"
            return True
        if self._cpu() - self._cpu0 > st.cpu_limit:
            st.killed = "cpu"
            return True
        now = time.monotonic()
        if now >= self._next_disk:
            why, self._next_disk = disk_poll(b._disk_floor, b.root)
            if why is not None:
                st.killed, st.note = "disk", why
                return True
        return False

    def ends_session(self, st: CallState) -> bool:
        # a denied program: the whole sandbox, at once, as before sessions (a SIGINT that
        # reaches a process while the Sentry loads its program may fail the execve
        # instead of killing it, and the script would go on)
        return st.killed == "denied"

    def _exec_script(self, script: str, *args: str) -> None:
        """A bash of builtins in the sandbox (``runsc exec``), as the sandbox's root with
        only CAP_KILL: the sandbox's user may be at its process limit (a fork bomb), and
        root's processes are not counted against it."""
        from .gvisor import _runsc

        b = self.b
        assert b._stage is not None
        state = self.state or b._stage / "state"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [_runsc(), "--root", str(state), "exec", "--user", "0:0",
                 "--cap", "CAP_KILL", self.cid, "/bin/bash", "--norc", "--noprofile", "-c", script,
                 "corral-signal", *args],
                capture_output=True, stdin=subprocess.DEVNULL, timeout=20,
            )  # fmt: skip

    def _signal_call(self, sig: str, st: CallState) -> None:
        self._exec_script(_SIGNAL_CALL, sig, str(self._pid0), str(self.shell_pid))

    def kill_interpreter(self, language: str) -> None:
        self._exec_script(_KILL_DRIVER, INTERPRETERS[language][0][-1])

    def interrupt(self, st: CallState) -> None:
        self._signal_call("INT", st)

    def kill_call(self, st: CallState) -> None:
        self._signal_call("KILL", st)

    def exit_code(self) -> int:
        if self.pod is not None:
            return self._container_status()
        proc = self.proc
        if proc is None:
            return 137
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
        if proc.poll() is None:
            self.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
        rc = proc.returncode
        if rc is None:
            return 137
        return rc if rc >= 0 else 128 - rc

    def _container_status(self) -> int:
        """A pooled session's container's exit status (``runsc wait``: it has ended, or
        ends now)."""
        from .gvisor import _runsc

        pod = self.pod
        assert pod is not None
        try:
            p = subprocess.run([_runsc(), "--root", str(pod.state), "wait", self.cid],
                               capture_output=True, stdin=subprocess.DEVNULL,
                               timeout=2)  # fmt: skip
            status = json.loads(p.stdout.decode(errors="replace").strip().splitlines()[-1])
            code = int(status["exitStatus"])
        except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError,
                TypeError):  # fmt: skip
            self.kill()
            return 137
        return code if 0 <= code < 256 else 137

    def kill(self) -> None:
        self.b.kill()

    def end(self) -> None:
        from .gvisor import _remove_runsc_cgroups, _runsc

        b = self.b
        assert b._stage is not None
        if self.sampler is not None:
            self.sampler.stop()
            self.sampler = None
        pod, self.pod = self.pod, None
        if pod is not None:
            self._end_pooled(pod)
            return
        proc = self.proc
        if proc is not None and proc.poll() is None:
            cur = b._current if b._current.get("cid") == self.cid else {
                "proc": proc, "cid": self.cid, "cgroup": self.cgroup}  # fmt: skip
            b._kill(cur)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
        if b._current.get("cid") == self.cid:
            b._current = {}
        self.chan.close()
        if self.tail is not None:
            if self.tail.started:
                self.tail.stop()
            else:
                self.tail.close()
        state = b._stage / "state"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if any(state.glob(f"*{self.cid}*")):
                subprocess.run([_runsc(), "--root", str(state), "delete", "--force", self.cid],
                               capture_output=True, timeout=15,
                               stdin=subprocess.DEVNULL)  # fmt: skip
        if self.cgroup is not None:
            self.cgroup.destroy()
            self.cgroup = None
        _remove_runsc_cgroups(b._cgroup_path(self.cid))
        for f in (b._stage / f"panic-{self.cid}.log", b._stage / f"strace-{self.cid}"):
            with contextlib.suppress(OSError):
                f.unlink()
        self.close_relay_pipe()


    def _end_pooled(self, pod: Pod) -> None:
        """A pooled session's end: the whole pre-started sandbox goes with it."""
        b = self.b
        if b._current.get("cid") == pod.cid:
            b._current = {}
        chan = getattr(self, "chan", None)
        if chan is not None:
            chan.close()
        pod.end()  # (kills the sandbox, stops the trace's tail, removes its state)
        pod.on_line = None
        self.close_relay_pipe()


def _run_until_exit(argv: list[str], timeout: float, **kw: object) -> int:
    """``argv``'s exit status, waited for on its pidfd: ``subprocess.run(timeout=)`` polls
    with sleeps of up to 50 ms, which a sandbox's start would wait out. Killed (and
    ``-9``) past ``timeout``."""
    proc = subprocess.Popen(argv, **kw)  # type: ignore[call-overload]
    try:
        fd = os.pidfd_open(proc.pid)
    except OSError:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(timeout * 1000):
            proc.kill()
    finally:
        os.close(fd)
    return proc.wait()


def _denied_note(denied: list) -> str:
    return "program start denied (gVisor: seen as it started; the session was ended): " + (
        "; ".join(" ".join(a.argv)[:80] for a, _ in denied[:3])
    )
