"""The ``gvisor`` tier: real Linux programs on gVisor's user-space kernel (``runsc``).

``runsc do`` shows the whole host filesystem to the sandbox, so corral builds an OCI
bundle per run instead and starts it with ``runsc run``: an empty read-only root with
``/usr`` (and the ``/bin``, ``/lib``... links) and the same curated ``/etc`` as the bwrap
tier bound read-only, the workspace read-write at ``/workspace``, private ``/tmp``,
uid/gid 1000, no capabilities, ``--network=none`` (loopback only), the memory and pids
limits as OCI resources, RLIMIT_NOFILE/FSIZE/NPROC as OCI rlimits, the deny list as an
OCI seccomp filter enforced by the Sentry (``--oci-seccomp``), a wall-time kill
(``runsc kill`` and the process group), an output cap and a disk poll.

Network goes through the same :class:`~corral.native.proxy.EgressProxy` as bwrap: the
sandbox's first process is :mod:`corral.native._bridge`, listening on
``127.0.0.1:3128`` inside the sandbox and relaying to the proxy's Unix socket (bind-mounted
in, ``--host-uds=open``).

Process-level monitoring: programs started inside gVisor are tasks of the Sentry, not
host processes, so the seccomp notification of the bwrap tier cannot see them. With
``monitor=True`` corral asks runsc for an strace of ``execve``/``execveat``/``connect`` and
reports each as an event *after* it ran (observed, not gated). Use the bwrap tier where
every program start must be decided before it runs.

Known limit of Debian 12's ``runsc`` (release 20221219): its ``statx`` refuses the
``AT_NO_AUTOMOUNT`` flag, so coreutils ``ls``/``stat``/``du`` report "Invalid argument"
on paths; corral's OCI filter answers ``statx`` with ``ENOSYS`` where runsc honours
``errnoRet``, which makes glibc fall back to ``fstatat``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..budget import MB, Budget, RunResult, Usage
from ..events import NetAction, SpawnAction
from . import filters
from ._common import (
    BackendLifecycle,
    BackendUnavailable,
    NativeLimits,
    OutputCollector,
    chown_tree,
    disk_usage,
    feed_stdin,
    finish_result,
    new_id,
)
from .bwrap import DEFAULT_PATH, ETC_ALLOW, GROUP, PASSWD, PROXY_PORT, BwrapBackend

__all__ = ["GvisorBackend", "probe"]

UID = 1000
GID = 1000


def _runsc() -> str:
    return shutil.which("runsc") or "/usr/bin/runsc"


@lru_cache(maxsize=1)
def probe() -> tuple[bool, str]:
    """Start a minimal gVisor sandbox once; (works, detail)."""
    if not shutil.which("runsc"):
        return False, "runsc is not installed"
    try:
        b = GvisorBackend(tempfile.mkdtemp(prefix="corral-gvprobe-"), Budget(wall_s=30),
                          _skip_require=True)  # fmt: skip
        try:
            r = b.run(["/bin/echo", "corral-ok"])
        finally:
            b.close()
            shutil.rmtree(b.workspace, ignore_errors=True)
    except Exception as e:
        return False, f"runsc failed: {e}"
    if r.exit_code == 0 and "corral-ok" in r.stdout:
        return True, "runsc starts sandboxes"
    return False, f"runsc failed (exit {r.exit_code}): {r.stderr.strip()[-300:]}"


class GvisorBackend(BackendLifecycle):
    """Runs commands in gVisor sandboxes over one workspace (see the module doc)."""

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
        monitor: bool = False,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        ro_binds: Sequence[str | Path] = (),
        platform: str = "ptrace",
        _skip_require: bool = False,
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
        self.platform = platform
        self._skip_require = _skip_require
        self._current: dict[str, Any] = {}
        self.spawns: list[SpawnAction] = []

    def start(self) -> None:
        if self._started:
            return
        if not self._skip_require:
            from .doctor import require

            require("gvisor")
        if os.geteuid() != 0:
            raise BackendUnavailable(
                "the gvisor backend runs runsc as root here (rootless runsc needs a newer "
                "runsc than Debian 12 ships); run as root or use the bwrap backend"
            )
        if not self.workspace.is_dir():
            raise BackendUnavailable(f"workspace {self.workspace} is not a directory")
        self._stage = Path(tempfile.mkdtemp(prefix="corral-gvisor-"))
        os.chmod(self._stage, 0o755)
        rootfs = self._stage / "bundle" / "rootfs"
        rootfs.mkdir(parents=True)
        for d in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            p = Path("/") / d
            if p.is_symlink():
                os.symlink(os.readlink(p), rootfs / d)
            elif p.is_dir():
                (rootfs / d).mkdir()
        for d in ("usr", "etc", "proc", "dev", "tmp", "workspace", "run/corral", "root"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        # one directory mount for /etc: runsc 20221219 is flaky with many single-file binds
        etc = self._stage / "etc"
        etc.mkdir()
        for name in ETC_ALLOW:
            src = Path("/etc") / name
            with contextlib.suppress(OSError, shutil.Error):
                if src.is_dir() and not src.is_symlink():
                    shutil.copytree(src, etc / name, symlinks=True,
                                    ignore=shutil.ignore_patterns("private"))  # fmt: skip
                elif src.exists() or src.is_symlink():
                    shutil.copy2(src, etc / name, follow_symlinks=False)
        (etc / "passwd").write_text(PASSWD)
        (etc / "group").write_text(GROUP)
        (self._stage / "run").mkdir()
        (self._stage / "state").mkdir()
        if self.copy_workspace:
            self._copy = self._stage / "copy"
            shutil.copytree(self.workspace, self._copy, symlinks=True)
        st = os.stat(self.root)
        self._restore_owner = (st.st_uid, st.st_gid)
        chown_tree(self.root, UID, GID)
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
            self.proxy.unix_listen(self._stage / "run" / "proxy.sock")
            shutil.copy(Path(__file__).with_name("_bridge.py"), self._stage / "run" / "bridge.py")
        self._started = True
        self.emitter.emit(
            "sandbox.created",
            data={"backend": self.name, "path": str(self.root), "budget": self.budget.to_dict(),
                  "network": "proxy" if self.proxy is not None else "none"},
        )  # fmt: skip

    def kill(self) -> None:
        cur = self._current
        cid = cur.get("cid")
        if cid:
            subprocess.run(
                [_runsc(), "--root", str(self._stage / "state"), "kill", "--all", cid, "KILL"],
                capture_output=True, timeout=10, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        proc = cur.get("proc")
        if proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)

    # ------------------------------------------------------------------ spec

    def _env(self) -> dict[str, str]:
        return BwrapBackend._sandbox_env(self)  # type: ignore[arg-type]

    def _spec(self, argv: list[str], cid: str, fsize: int) -> dict[str, Any]:
        assert self._stage is not None
        mounts: list[dict[str, Any]] = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
        ]
        tmp = self.limits.tmp_mb if self.limits.tmp_mb is not None else self.budget.disk_mb
        mounts.append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                       "options": ["mode=1777", f"size={max(int(tmp * MB), MB)}"]})  # fmt: skip

        def ro(src: str, dst: str | None = None) -> None:
            mounts.append({"destination": dst or src, "type": "bind", "source": src,
                           "options": ["rbind", "ro"]})  # fmt: skip

        ro("/usr")
        for d in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            p = Path("/") / d
            if p.is_dir() and not p.is_symlink():
                ro(str(p))
        ro(str(self._stage / "etc"), "/etc")
        for p in self.ro_binds:
            ro(p)
        if self.proxy is not None:
            ro(str(self._stage / "run"), "/run/corral")
        mounts.append({"destination": "/workspace", "type": "bind", "source": str(self.root),
                       "options": ["rbind", "rw"]})  # fmt: skip
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
        ]
        return {
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
                "resources": {
                    "memory": {"limit": int(self.budget.memory_mb * MB)},
                    "pids": {"limit": nproc},
                },
                "cgroupsPath": f"/corral/gvisor-{cid}",
                "seccomp": {
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
                    "syscalls": syscalls,
                },
            },
        }

    # ------------------------------------------------------------------ run

    def run(
        self,
        command: str | list[str],
        *,
        stdin: bytes | str = b"",
        timeout: float | None = None,
    ) -> RunResult:
        if self._closed:
            from ..errors import SandboxClosed

            raise SandboxClosed("the sandbox is closed")
        if not self._started:
            self.start()
        if isinstance(stdin, str):
            stdin = stdin.encode()
        if isinstance(command, str):
            argv = ["/bin/bash", "-c", command]
        elif (
            isinstance(command, list | tuple)
            and command
            and all(isinstance(x, str) for x in command)
        ):
            argv = list(command)
        else:
            raise TypeError("command must be a str or a non-empty list of str")
        if self.proxy is not None:
            argv = ["/usr/bin/python3", "-I", "-S", "/run/corral/bridge.py", str(PROXY_PORT),
                    "/run/corral/proxy.sock", "--", *argv]  # fmt: skip
        with self._lock:
            return self._run(argv, stdin, timeout)

    _watch = BwrapBackend._watch

    def _run(self, argv: list[str], stdin: bytes, timeout: float | None) -> RunResult:
        assert self._stage is not None
        budget, limits = self.budget, self.limits
        wall = float(timeout if timeout is not None else budget.wall_s)
        cpu_limit = limits.cpu_s if limits.cpu_s is not None else wall
        fsize_mb = limits.file_size_mb if limits.file_size_mb is not None else budget.disk_mb
        fsize = max(int(fsize_mb * MB), 4096)
        cid = f"corral-{new_id()}"
        bundle = self._stage / "bundle"
        (bundle / "config.json").write_text(json.dumps(self._spec(argv, cid, fsize)))
        state = self._stage / "state"
        cmd = [_runsc(), "--root", str(state), "--network=none", "--oci-seccomp",
               f"--platform={self.platform}"]  # fmt: skip
        if self.proxy is not None:
            cmd.append("--host-uds=open")
        logdir = None
        if self.monitor:
            logdir = self._stage / f"log-{cid}"
            logdir.mkdir()
            cmd += ["--strace", "--strace-syscalls=execve,execveat,connect",
                    f"--debug-log={logdir}/"]  # fmt: skip
        cmd += ["run", "--bundle", str(bundle), cid]
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        out = OutputCollector(budget.output_chars)
        t0 = time.monotonic()
        killed: str | None = None
        note: str | None = None
        proc: subprocess.Popen | None = None
        try:
            try:
                proc = subprocess.Popen(
                    cmd, stdin=in_r, stdout=out_w, stderr=err_w, start_new_session=True,
                    env={"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}, cwd=str(self._stage),
                )  # fmt: skip
            except OSError as e:
                raise BackendUnavailable(f"runsc did not start: {e}") from e
            finally:
                for fd in (in_r, out_w, err_w):
                    os.close(fd)
            self._current = {"proc": proc, "cid": cid}
            out.add(out_r, "out")
            out.add(err_r, "err")
            feed_stdin(in_w, stdin)
            killed, note = self._watch(proc, out, None, t0, wall, cpu_limit)
        finally:
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
            subprocess.run([_runsc(), "--root", str(state), "delete", "--force", cid],
                           capture_output=True, timeout=15, stdin=subprocess.DEVNULL)  # fmt: skip
            self._current = {}
        assert proc is not None
        rc = proc.returncode
        exit_code = rc if rc >= 0 else 128 - rc
        detected = None
        if logdir is not None:
            self._report_strace(logdir)
        if killed is None and exit_code == 128 + signal.SIGXFSZ:
            detected, note = "disk", f"file size limit of {fsize // MB} MB"
        used, nfiles = disk_usage(self.root)
        usage = Usage(wall_s=time.monotonic() - t0, disk_bytes=used, disk_files=nfiles)
        res = finish_result(
            language="bash", out=out, exit_code=exit_code, killed=killed, detected=detected,
            budget=budget, limits=limits, wall_limit=wall, usage=usage, note=note,
        )  # fmt: skip
        if res.budget_exceeded:
            self.emitter.emit("budget.exceeded", data={"budget": res.budget_exceeded,
                              "message": res.error_message, "backend": self.name})  # fmt: skip
        return res

    _STRACE = re.compile(r"\[\s*(\d+):\s*(\d+)\] (\S+) E (execve|execveat|connect)\((.*)\)\s*$")

    def _report_strace(self, logdir: Path) -> None:
        """Observed (not gated) execve/connect calls from runsc's strace log."""
        for f in sorted(logdir.glob("*boot*")):
            with contextlib.suppress(OSError), open(f, errors="replace") as fh:
                for line in fh:
                    m = self._STRACE.search(line)
                    if not m:
                        continue
                    pid, call, body = int(m.group(2)), m.group(4), m.group(5)
                    if call == "connect":
                        hm = re.search(r"\{Family: AF_INET6?, Addr: ([0-9a-f.:]+), Port: (\d+)",
                                       body)  # fmt: skip
                        if hm:
                            act = NetAction(host=hm.group(1), port=int(hm.group(2)))
                            self.emitter.emit("action.requested", action=act,
                                              data={"syscall": "connect", "pid": pid,
                                                    "observed": True})  # fmt: skip
                        continue
                    group = re.search(r"\[([^\]]*)\]", body)
                    argv = re.findall(r'"((?:[^"\\]|\\.)*)"', group.group(1) if group else "")
                    path = re.search(r"0x[0-9a-f]+ (\S+),", body)
                    exe = path.group(1) if path else (argv[0] if argv else "")
                    act = SpawnAction(argv=argv or [exe], pid=pid, exe=exe)
                    self.spawns.append(act)
                    self.emitter.emit("action.requested", action=act,
                                      data={"syscall": call, "observed": True})  # fmt: skip
