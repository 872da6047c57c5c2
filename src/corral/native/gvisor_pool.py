"""A warm pool of pre-started gVisor sandboxes (``backend_options={"pool": N}``, gvisor).

A new gVisor session costs one ``runsc run``: a Go launcher, the gofer, the Sentry and
its platform set up (~250 ms here, as much as ``runsc do true``). Most of that is the
sandbox (the Sentry), not the container in it. So a pod is a sandbox started ahead, whose
root container runs only ``cat`` (as ``nobody``, its stdin a pipe this process holds: the
pod ends with this process); a session claimed from the pool is a **sub-container** of
that sandbox, made with the taker's own OCI spec (``runsc run --detach``, annotated with
the pod's sandbox id): its own mounts (its workspace, its ``/run/corral``, its
template), its own pid namespace (its first process is pid 1; the pod's ``cat`` is not in
it), its own rlimits and OCI seccomp filter, its user and environment; the gofer that
serves its mounts is started for it at claim time, so the workspace is opened then, never
before.

What a pod shares with the claimed container, and is therefore its key
(:func:`pod_key`): everything sandbox-wide, fixed when the Sentry starts: runsc's flags
(platform, ``--network=none``, ``--oci-seccomp``, ``--host-uds`` (a proxy), the traced
syscalls (the monitor, file events), ``--host-fifo``), the memory the Sentry is sized to
and its host cgroup's limits (memory, the pids backstop). A pod runs nothing of a
policy's, so the policy is not in the key: the claimed container's program starts and
connections are decided by the taker's gate from the Sentry's trace (the pod's tail is
handed to the taker before its container exists; lines before are the pod's own and
dropped), its seccomp filter and rlimits are in its own spec. A taker never gets a looser
sandbox than a cold one: every flag and limit that differs gives another pool.

A pod is used by exactly one session and never returned: the session's end kills the
whole sandbox (``runsc kill`` of the root container ends the Sentry). A pod that died
while it waited, or waited longer than :data:`MAX_AGE_S`, is discarded at the take. The
pool's size, its lingering after the last sandbox of its key and its end at interpreter
exit are :mod:`corral.native.pool`'s (the same machinery, one thread per key). Pods'
``runsc run`` start from the process-wide spawner thread with a parent-death signal, and
their ``cat`` ends when this process's pipe closes: a crash leaves no sandbox behind.

Not pooled: GPU sandboxes (nvproxy devices are set when the Sentry starts), ``exec()``
(a sandbox per program, with a terminal).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..budget import MB
from ..deeptree import remove_tree
from . import leftovers, pool, spawner

if TYPE_CHECKING:
    from .gvisor import GvisorBackend, _SandboxCgroup, _StraceTail

log = logging.getLogger("corral.native.pool")

__all__ = ["MAX_AGE_S", "Pod", "PodPool", "join", "pod_key"]

#: a pod older than this is not handed out (ended at the take; the pool starts another)
MAX_AGE_S = 600.0
#: a replacement pod starts this long after a take: a pod's start (~250 ms of CPU on two
#: cores) would slow the taker's own container start and first call
REFILL_DELAY_S = 0.5
#: the pod's root container runs as this uid: not the sandbox user's (1000), so it is not
#: counted against that user's RLIMIT_NPROC, and a guest cannot signal it
POD_UID = 65534
_READY_WAIT = 30.0
#: ``sh -c`` that writes its pid to each file before ``--`` (cgroup.procs), then execs the rest
_JOIN_THEN_EXEC = 'while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift; ' \
    'exec "$@"'


def sandbox_flags(b: GvisorBackend) -> list[str]:
    """runsc's global flags that shape the sandbox (not its paths): the pod's key."""
    from .gvisor import _FILE_SYSCALLS, _FORK_SYSCALLS, _MONITOR_SYSCALLS

    flags = ["--network=none", "--oci-seccomp", f"--platform={b.platform}"]
    if b.proxy is not None or b.net_decide is not None:
        flags.append("--host-uds=open")
    flags.append("--host-fifo=open")
    traced = _FORK_SYSCALLS + (_MONITOR_SYSCALLS + _FILE_SYSCALLS if b.monitor else ())
    flags += ["--strace", f"--strace-syscalls={','.join(traced)}"]
    return flags


def pod_key(b: GvisorBackend) -> str:
    """Everything sandbox-wide of ``b``'s sessions, as a digest."""
    spec = {
        "tier": "gvisor-pod",
        "flags": sandbox_flags(b),
        "memory": int(b.budget.memory_mb * MB),
        "pids_backstop": b._pids_backstop(),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


class Pod:
    """One pre-started gVisor sandbox, its root container running ``cat``."""

    def __init__(self, flags: list[str], memory: int, pids_backstop: int) -> None:
        self.flags = flags
        self.memory = memory
        self.pids_backstop = pids_backstop
        # (0700, root's; the owner's pid in both names: a killed process's are swept)
        self.dir = leftovers.temp_dir("gvpod")
        self.state = self.dir / "state"
        self.cid = leftovers.container_id("pod")
        self.proc: subprocess.Popen | None = None
        self.cgroup: _SandboxCgroup | None = None
        self.tail: _StraceTail | None = None
        self.panic_log = self.dir / "panic.log"
        self._stdin_w = -1
        self._stdout_r = -1
        self.born = time.monotonic()
        #: ``--ignore-cgroups`` once the sandbox is in corral's cgroup from its start: a
        #: sub-container's ``runsc run`` then does not join and leave a dozen cgroup-v1
        #: hierarchies (~25 ms of the claim)
        self._own_flags: list[str] = []
        #: pool bookkeeping (corral.native.pool.SessionPool)
        self.taken = False
        self.killed = False
        self.on_end: Any = None
        self._ended = False
        self._lock = threading.Lock()
        #: where the Sentry's trace lines go (the taker's backend once claimed)
        self.on_line: Any = None

    # ---- the runsc command line

    def runsc(self, *args: str) -> list[str]:
        """``runsc`` with this pod's root and the sandbox's flags, then ``args``."""
        from .gvisor import _runsc

        return [_runsc(), "--root", str(self.state), *self.flags, *self._own_flags,
                f"--panic-log={self.panic_log}", f"--debug-log={self.dir / 'strace'}",
                "--debug-command=boot", *args]  # fmt: skip

    def _spec(self) -> dict[str, Any]:
        rootfs = self.dir / "bundle" / "rootfs"
        for d in ("usr", "proc", "dev", "tmp"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        mounts: list[dict[str, Any]] = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["noexec"]},
            {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
        ]
        from .gvisor import host_top_dirs

        for d in host_top_dirs(rootfs):
            mounts.append({"destination": d, "type": "bind", "source": d,
                           "options": ["rbind", "ro"]})  # fmt: skip
        none = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
        return {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False, "user": {"uid": POD_UID, "gid": POD_UID},
                "args": ["/usr/bin/cat"], "env": ["PATH=/usr/bin:/bin"], "cwd": "/",
                "capabilities": none, "noNewPrivileges": True,
            },
            "root": {"path": "rootfs", "readonly": True},
            "hostname": "corral",
            "mounts": mounts,
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
                "resources": {"memory": {"limit": self.memory},
                              "pids": {"limit": self.pids_backstop}},
                "cgroupsPath": _cgroup_path(self.cid),
            },
        }  # fmt: skip

    # ---- start, end

    def start(self) -> None:
        """Start the sandbox and wait until its ``cat`` answers (the Sentry runs)."""
        from .gvisor import _dying_with_parent, _SandboxCgroup, _StraceTail

        try:
            self.state.mkdir()
            (self.dir / "bundle" / "config.json").parent.mkdir(parents=True, exist_ok=True)
            (self.dir / "bundle" / "config.json").write_text(json.dumps(self._spec()))
            self.tail = _StraceTail(self.dir / "strace", self._line)
            self.cgroup = _SandboxCgroup.make(_cgroup_path(self.cid), self.memory,
                                              self.pids_backstop)  # fmt: skip
            in_r, self._stdin_w = os.pipe2(os.O_CLOEXEC)
            self._stdout_r, out_w = os.pipe2(os.O_CLOEXEC)
            wrapper: list[str] = []
            if self.cgroup is not None:
                # the launcher joins corral's cgroup before it execs runsc (so does all it
                # starts: the Sentry, the gofer), and runsc leaves cgroups alone
                wrapper = ["/bin/sh", "-c", _JOIN_THEN_EXEC, "sh",
                           *(str(d / "cgroup.procs") for d in self.cgroup.dirs.values()), "--"]
                self._own_flags = ["--ignore-cgroups"]
            argv, pre = _dying_with_parent(
                [*wrapper, *self.runsc("run", "--bundle", str(self.dir / "bundle"), self.cid)])
            try:
                self.proc = spawner.popen(
                    argv, stdin=in_r, stdout=out_w, stderr=subprocess.DEVNULL,
                    start_new_session=True, env={"PATH": os.defpath, "LANG": "C.UTF-8"},
                    cwd=str(self.dir), preexec_fn=pre,
                )  # fmt: skip
            finally:
                os.close(in_r)
                os.close(out_w)
            self.tail.start()
            os.write(self._stdin_w, b"ready\n")
            got = b""
            end = time.monotonic() + _READY_WAIT
            while not got.endswith(b"ready\n"):
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError("the pre-started gVisor sandbox did not start")
                r, _, _ = select.select([self._stdout_r], [], [], min(left, 0.5))
                if r:
                    chunk = os.read(self._stdout_r, 64)
                    if not chunk:
                        raise RuntimeError("the pre-started gVisor sandbox ended at its start")
                    got += chunk
        except BaseException:
            self.end()
            raise

    def _line(self, line: str) -> None:
        handler = self.on_line
        if handler is not None:  # (before the claim: the pod's own start, dropped)
            handler(line)

    def alive(self) -> bool:
        return (
            not self.killed and not self._ended and self.proc is not None
            and self.proc.poll() is None and time.monotonic() - self.born < MAX_AGE_S
        )  # fmt: skip

    def end(self) -> None:
        """Kill the whole sandbox (its containers with it) and remove what it left."""
        from .gvisor import _remove_runsc_cgroups

        with self._lock:
            if self._ended:
                return
            self._ended = True
        proc = self.proc
        if proc is not None and proc.poll() is None:
            deadline = time.monotonic() + 3
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    subprocess.run(self.runsc("kill", "--all", self.cid, "KILL"),
                                   capture_output=True, stdin=subprocess.DEVNULL,
                                   timeout=max(deadline - time.monotonic(), 0.1))  # fmt: skip
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.25)
            if proc.poll() is None:
                if self.cgroup is not None:
                    self.cgroup.kill()
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, 9)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        for fd in (self._stdin_w, self._stdout_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._stdin_w = self._stdout_r = -1
        tail = self.tail
        if tail is not None:
            if tail.started:
                tail.stop()
            else:
                tail.close()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if self.state.is_dir() and any(self.state.iterdir()):
                for cid in _containers(self.state):
                    subprocess.run(self.runsc("delete", "--force", cid), capture_output=True,
                                   timeout=15, stdin=subprocess.DEVNULL)  # fmt: skip
        if self.cgroup is not None:
            self.cgroup.destroy()
            self.cgroup = None
        _remove_runsc_cgroups(_cgroup_path(self.cid))
        remove_tree(self.dir, ignore_errors=True)
        on_end, self.on_end = self.on_end, None
        if on_end is not None:
            on_end(self)


def _containers(state: Path) -> list[str]:
    """The ids of the containers runsc keeps state of under ``state`` (sub-containers
    first: the root's deletion ends the sandbox)."""
    ids: list[str] = []
    for p in state.iterdir():
        name = p.name
        if name.endswith(".state") and "_sandbox:" in name:
            ids.append(name.rsplit(":", 1)[1][: -len(".state")])
    return sorted(ids, key=lambda c: c.startswith("corral-pod-"))


def _cgroup_path(cid: str) -> str:
    return f"/corral/gvisor-{cid}"


class PodPool(pool.SessionPool):
    """The pods of one key (:func:`pod_key`) and the thread that starts them."""

    refill_delay = REFILL_DELAY_S

    def _start_one(self) -> Any:
        pod = Pod(**self.spec)
        try:
            pod.start()
        except Exception as e:
            with pool._COND:
                self.failures += 1
                self.last_failure = time.monotonic()
            log.warning("a pre-started gVisor sandbox did not start: %s", e)
            return None
        pod.on_end = self._retire
        self.started += 1
        return pod

    def _retire(self, pod: Pod) -> None:
        with pool._COND:
            if pod.taken:
                pod.taken = False
                self.taken -= 1
                self._idle_since = None
            pool._COND.notify_all()


def join(b: GvisorBackend) -> PodPool:
    """``b`` uses the pod pool of its key (made, and its thread started, for the first)."""
    key = pod_key(b)
    spec = {"flags": sandbox_flags(b), "memory": int(b.budget.memory_mb * MB),
            "pids_backstop": b._pids_backstop()}  # fmt: skip
    pool._forked()
    with pool._COND:
        p = pool._POOLS.get(key)
        if not isinstance(p, PodPool) or p.closed:
            p = PodPool(key, b.pool, spec)
            pool._POOLS[key] = p
            p.thread.start()
        p.size = max(p.size, b.pool)
        p.users += 1
        p._idle_since = None
        pool._COND.notify_all()
    return p
