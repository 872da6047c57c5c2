"""Pieces shared by the native backends: limits, cgroups, output capture, events."""

from __future__ import annotations

import codecs
import contextlib
import errno
import logging
import os
import selectors
import signal
import threading
import time
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..budget import MB, Budget, RunResult, Usage
from ..deeptree import remove_tree, walk
from ..errors import CorralError
from ..files import tree_usage
from . import leftovers

log = logging.getLogger("corral.native")

__all__ = [
    "BackendUnavailable",
    "CgroupSet",
    "NativeLimits",
]


class BackendUnavailable(CorralError):
    """A native backend cannot start on this machine; the message says what is missing."""


@dataclass(frozen=True)
class NativeLimits:
    """Limits of the native tiers that :class:`~corral.budget.Budget` does not (yet) carry.

    - ``processes``: processes and threads alive at once (pids cgroup and RLIMIT_NPROC).
    - ``cpu_s``: CPU seconds per call (RLIMIT_CPU per process; cgroup total when
      available); ``None``: the call's wall-time budget.
    - ``open_files``: RLIMIT_NOFILE.
    - ``file_size_mb``: RLIMIT_FSIZE; ``None``: the disk budget.
    - ``tmp_mb``: size of the sandbox's private ``/tmp`` (tmpfs); ``None``: the disk budget.
    - ``net_in_mb`` / ``net_out_mb`` / ``connections``: egress proxy budgets per sandbox.
    - ``gpu_memory_mb``: GPU memory the sandbox's processes may hold (NVML samples; a
      process past it is killed), when the GPU is granted.
    """

    processes: int = 256
    cpu_s: float | None = None
    open_files: int = 1024
    file_size_mb: float | None = None
    tmp_mb: float | None = None
    net_in_mb: float | None = None
    net_out_mb: float | None = None
    connections: int | None = None
    gpu_memory_mb: float | None = None


# --------------------------------------------------------------------------- events


class Emitter:
    """Sends events through an ``events`` object (``emit(type, **fields)``), never raising."""

    def __init__(self, events: Any, on_sample: Callable[[dict[str, Any]], None] | None) -> None:
        self.events = events
        self.on_sample = on_sample
        self._sample_type_ok: bool | None = None

    def emit(self, type: str, **fields: Any) -> None:
        if self.events is None:
            return
        try:
            self.events.emit(type, **fields)
        except Exception:
            log.debug("event %s not emitted", type, exc_info=True)

    def sample(self, data: dict[str, Any]) -> None:
        if self.on_sample is not None:
            try:
                self.on_sample(dict(data))
            except Exception:
                log.exception("on_sample callback failed")
        if self.events is None:
            return
        if self._sample_type_ok is None:
            self._sample_type_ok = _accepts_type(self.events, "resource.sample")
        if self._sample_type_ok:
            self.emit("resource.sample", data=data)


def _accepts_type(events: Any, name: str) -> bool:
    """Whether ``events`` accepts an event type (corral's EventType may not list it yet)."""
    from .. import events as ev_mod

    if not hasattr(events, "bus"):  # some other emitter: let it decide
        return True
    return name in typing.get_args(ev_mod.EventType)


def decide_safely(gate: Any, action: Any, session: str) -> Any:
    """The gate's decision on a program start; a gate that fails or answers nonsense
    denies (rule ``monitor.error``), and no gate at all allows."""
    from ..events import Decision

    if gate is None:
        return Decision(verdict="allow", reason="no policy installed")
    try:
        d = gate.decide(action, session)
    except Exception as e:
        return Decision(verdict="deny", rule="monitor.error", reason=f"gate failed: {e!r}")
    if not isinstance(d, Decision):
        return Decision(verdict="deny", rule="monitor.error", reason=f"gate returned {d!r}")
    return d


# --------------------------------------------------------------------------- cgroups

_V1 = "/sys/fs/cgroup"


def _own_cgroup_paths() -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, path = line.rstrip("\n").split(":", 2)
                for c in ctrls.split(","):
                    out[c] = path
    except OSError:
        pass
    return out


class CgroupSet:
    """One sandbox run's cgroups (v1: memory, pids, cpuacct; or one v2 group)."""

    def __init__(self, dirs: dict[str, Path], version: int) -> None:
        self.dirs = dirs
        self.version = version

    # ---- creation

    @classmethod
    def create(cls, name: str) -> CgroupSet | None:
        """Make the group under this process's own cgroups; ``None`` when not writable."""
        name = leftovers.cgroup_name(name)  # (the pid in it: a killed process's are swept)
        own = _own_cgroup_paths()
        if os.path.exists(f"{_V1}/cgroup.controllers"):  # pure v2
            return cls._create_v2(name, own.get("", "/"))
        dirs: dict[str, Path] = {}
        for ctrl in ("memory", "pids", "cpuacct"):
            root = Path(_V1) / ctrl
            if not (root / "cgroup.procs").exists():
                continue
            base = root / own.get(ctrl, "/").lstrip("/") / "corral"
            d = base / name
            try:
                d.mkdir(parents=True, exist_ok=False)
            except OSError:
                continue
            dirs[ctrl] = d
        if "memory" not in dirs or "pids" not in dirs:
            for d in dirs.values():
                with contextlib.suppress(OSError):
                    d.rmdir()
            return None
        return cls(dirs, 1)

    @classmethod
    def _create_v2(cls, name: str, own: str) -> CgroupSet | None:
        # A process may only sit in a leaf: corral/ is a sibling branch under our parent's
        # delegated subtree when we are allowed to write there.
        base = Path(_V1) / own.lstrip("/")
        for cand in (base.parent / "corral", base / "corral"):
            try:
                cand.mkdir(exist_ok=True)
                ctrls = (cand.parent / "cgroup.controllers").read_text().split()
                want = [c for c in ("memory", "pids", "cpu") if c in ctrls]
                with contextlib.suppress(OSError):
                    (cand.parent / "cgroup.subtree_control").write_text(
                        " ".join("+" + c for c in want)
                    )
                (cand / "cgroup.subtree_control").write_text(" ".join("+" + c for c in want))
                d = cand / name
                d.mkdir()
                if not (d / "memory.max").exists() or not (d / "pids.max").exists():
                    d.rmdir()
                    continue
                return cls({"v2": d}, 2)
            except OSError:
                continue
        return None

    # ---- control

    def _w(self, ctrl: str, fname: str, value: str) -> bool:
        d = self.dirs.get("v2" if self.version == 2 else ctrl)
        if d is None:
            return False
        try:
            (d / fname).write_text(value)
            return True
        except OSError:
            return False

    def _r(self, ctrl: str, fname: str) -> str | None:
        d = self.dirs.get("v2" if self.version == 2 else ctrl)
        if d is None:
            return None
        try:
            return (d / fname).read_text()
        except OSError:
            return None

    def limit(self, memory_bytes: int, pids: int) -> None:
        if self.version == 1:
            self._w("memory", "memory.limit_in_bytes", str(memory_bytes))
            self._w("memory", "memory.memsw.limit_in_bytes", str(memory_bytes))
            self._w("memory", "memory.swappiness", "0")
            self._w("pids", "pids.max", str(pids))
        else:
            self._w("v2", "memory.max", str(memory_bytes))
            self._w("v2", "memory.swap.max", "0")
            self._w("v2", "pids.max", str(pids))

    def add(self, pid: int) -> None:
        for d in self.dirs.values():
            (d / "cgroup.procs").write_text(str(pid))

    def procs(self) -> list[int]:
        """The processes in the group and in its child groups (a session's calls run in
        child groups of the session's)."""
        d = self.dirs.get("v2" if self.version == 2 else "pids")
        if d is None:
            return []
        out: list[int] = []
        for sub, dirs, _ in os.walk(d):
            try:
                text = Path(sub, "cgroup.procs").read_text()
            except OSError:
                continue
            out.extend(int(x) for x in text.split())
            del dirs[64:]  # bounded: a sandbox cannot make cgroups, corral makes a few
        return out

    def memory_current(self) -> int:
        f = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return _int(self._r("memory", f))

    def memory_peak(self) -> int:
        f = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return _int(self._r("memory", f))

    def anon_bytes(self) -> int:
        """Anonymous memory (not reclaimable page cache) charged to the group."""
        text = self._r("memory", "memory.stat")
        if self.version == 1:
            return _kv(text, "total_rss") or _kv(text, "rss")
        return _kv(text, "anon")

    def oom_kills(self) -> int:
        f = "memory.oom_control" if self.version == 1 else "memory.events"
        return _kv(self._r("memory", f), "oom_kill")

    def pids_limit_hits(self) -> int:
        return _kv(self._r("pids", "pids.events"), "max")

    def pids_current(self) -> int:
        return _int(self._r("pids", "pids.current"))

    def cpu_s(self) -> float | None:
        if self.version == 1:
            v = self._r("cpuacct", "cpuacct.usage")
            return None if v is None else _int(v) / 1e9
        v = self._r("cpu", "cpu.stat")
        return None if v is None else _kv(v, "usage_usec") / 1e6

    def kill(self) -> None:
        for _ in range(20):
            pids = self.procs()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def destroy(self) -> None:
        self.kill()
        for d in self.dirs.values():
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError as e:
                    if e.errno == errno.ENOENT:
                        break
                    time.sleep(0.01)


def _int(text: str | None) -> int:
    try:
        return int((text or "0").split()[0])
    except (ValueError, IndexError):
        return 0


def _kv(text: str | None, key: str) -> int:
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            with contextlib.suppress(ValueError):
                return int(parts[1])
    return 0


# --------------------------------------------------------------------------- processes


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (from /proc/PID/task/TID/children)."""
    out: list[int] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        out.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    stack.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue
    return out


_CLK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_stats(pids: list[int]) -> tuple[float, int, int]:
    """(CPU seconds, RSS bytes, thread count) summed over live ``pids``."""
    cpu = 0.0
    rss = 0
    threads = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        try:
            cpu += (int(fields[11]) + int(fields[12])) / _CLK
            threads += int(fields[17])
            rss += int(fields[21]) * _PAGE
        except (IndexError, ValueError):
            continue
    return cpu, rss, threads


# --------------------------------------------------------------------------- disk


def disk_usage(root: Path, stop_after: int | None = None) -> tuple[int, int]:
    """(bytes, entries) under ``root``, symlinks not followed, through directory
    descriptors (a directory the sandbox swaps for a symlink meanwhile is never walked
    through); stops counting past ``stop_after`` entries."""
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return 0, 0
    return tree_usage(top, stop_after)


#: the shortest time between two disk polls of a call (a walk that takes longer is
#: repeated at most every four times its own length)
DISK_POLL_S: Final = 0.05


def disk_over(floor: tuple[int, int], used: int, nfiles: int) -> str | None:
    """Why ``used`` bytes in ``nfiles`` entries are past a call's ``floor`` (bytes,
    entries; :meth:`BackendLifecycle._disk_baseline`), or ``None``."""
    limit, file_limit = floor
    if used > limit:
        return f"{used / MB:.1f} MB used"
    if nfiles > file_limit:
        return f"more than {file_limit} files"
    return None


def fsize_note(fsize: int) -> str:
    """Why a program got ``SIGXFSZ`` under file-size limit ``fsize``."""
    if fsize == 0:
        return "the workspace is over its disk budget: files cannot grow"
    return f"file size limit of {fsize // MB} MB"


def disk_at_end(
    exit_code: int, fsize: int, floor: tuple[int, int], used: int, nfiles: int
) -> str | None:
    """Why a call that ended by itself ended on the disk budget, or ``None``: its program
    got ``SIGXFSZ`` (file-size limit ``fsize``), or it wrote past ``floor`` faster than
    the poll looked, just before the end (``used`` bytes in ``nfiles`` entries now)."""
    if exit_code == 128 + signal.SIGXFSZ:
        return fsize_note(fsize)
    return disk_over(floor, used, nfiles)


def disk_poll(floor: tuple[int, int], root: Path) -> tuple[str | None, float]:
    """One disk poll of a running call: (why it is over, or ``None``; when to poll next)."""
    s = time.monotonic()
    used, nfiles = disk_usage(root, stop_after=floor[1] + 1)
    took = time.monotonic() - s
    return disk_over(floor, used, nfiles), time.monotonic() + max(DISK_POLL_S, took * 4)


def chown_tree(root: Path, uid: int, gid: int) -> dict[str, tuple[int, int]]:
    """``chown -R`` without following symlinks; returns the owners it replaced that
    differ from the root's own (so :func:`restore_owners` can put them back)."""
    others: dict[str, tuple[int, int]] = {}
    try:
        st = os.lstat(root)
        main = (st.st_uid, st.st_gid)
        os.chown(root, uid, gid, follow_symlinks=False)
    except OSError:
        return others
    for dirpath, dirnames, filenames in walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if (st.st_uid, st.st_gid) != main:
                    others[path] = (st.st_uid, st.st_gid)
                os.chown(path, uid, gid, follow_symlinks=False)
    return others


def restore_owners(root: Path, owner: tuple[int, int], others: dict[str, tuple[int, int]]) -> None:
    """Give a tree lent with :func:`chown_tree` back: everything to ``owner`` (new files
    too), then the files that had another owner to theirs."""
    chown_tree(root, *owner)
    for path, (uid, gid) in others.items():
        with contextlib.suppress(OSError):
            os.chown(path, uid, gid, follow_symlinks=False)


# --------------------------------------------------------------------------- output


class OutputCollector:
    """Reads a process's stdout and stderr, keeping at most ``cap`` bytes in total."""

    def __init__(self, cap: int, on_output: Callable[[str, str], None] | None = None) -> None:
        self.cap = cap
        self.on_output = on_output  # (stream, text) as it arrives, within the cap
        self._decoders = {
            w: codecs.getincrementaldecoder("utf-8")("replace") for w in ("out", "err")
        }
        self.out = bytearray()
        self.err = bytearray()
        self.total = 0
        self.dropped = 0
        self.sel = selectors.DefaultSelector()
        self.open = 0

    def add(self, fd: int, which: str) -> None:
        os.set_blocking(fd, False)
        self.sel.register(fd, selectors.EVENT_READ, which)
        self.open += 1

    @property
    def over(self) -> bool:
        return self.total > self.cap

    def pump(self, timeout: float) -> None:
        if not self.open:
            time.sleep(timeout)
            return
        for key, _ in self.sel.select(timeout):
            fd = key.fd
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.sel.unregister(fd)
                os.close(fd)
                self.open -= 1
                continue
            self.feed(key.data, chunk)

    def feed(self, which: str, chunk: bytes) -> None:
        """Count and keep (within the cap) ``chunk`` of stream ``which`` (``out``/``err``)."""
        self.total += len(chunk)
        room = self.cap - (len(self.out) + len(self.err))
        keep = chunk[: max(room, 0)]
        self.dropped += len(chunk) - len(keep)
        (self.out if which == "out" else self.err).extend(keep)
        if self.on_output is not None and keep:
            text = self._decoders[which].decode(keep)
            if text:
                self.on_output("stdout" if which == "out" else "stderr", text)

    def close(self) -> None:
        for key in list(self.sel.get_map().values()):
            with contextlib.suppress(OSError):
                self.sel.unregister(key.fd)
                os.close(key.fd)
        self.open = 0
        self.sel.close()


def feed_stdin(fd: int, data: bytes) -> threading.Thread:
    def run() -> None:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view[:65536])
                view = view[n:]
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    t = threading.Thread(target=run, name="corral-stdin", daemon=True)
    t.start()
    return t


def marker(dropped: int) -> str:
    n = f" {dropped} characters dropped" if dropped else ""
    return f"\n[corral: output truncated at the output budget;{n}]\n"


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def budget_message(kind: str, budget: Budget, limits: NativeLimits, wall: float) -> str:
    if kind == "wall_time":
        return f"wall-time budget of {wall:g} s exceeded"
    if kind == "memory":
        return f"memory budget of {budget.memory_mb} MB exceeded"
    if kind == "processes":
        return f"process budget of {limits.processes} processes exceeded"
    if kind == "cpu":
        cpu = limits.cpu_s if limits.cpu_s is not None else wall
        return f"CPU budget of {cpu:g} s exceeded"
    if kind == "output":
        return f"output budget of {budget.output_chars} characters exceeded"
    if kind == "disk":
        return f"disk budget of {budget.disk_mb:g} MB / {budget.disk_files} files exceeded"
    if kind == "network":
        return "network budget exceeded"
    return kind


def finish_result(
    *,
    language: str,
    out: OutputCollector,
    exit_code: int,
    killed: str | None,
    detected: str | None,
    budget: Budget,
    limits: NativeLimits,
    wall_limit: float,
    usage: Usage,
    note: str | None = None,
) -> RunResult:
    stdout = out.out.decode("utf-8", "replace")
    stderr = out.err.decode("utf-8", "replace")
    truncated = out.dropped > 0
    if len(stdout) + len(stderr) > budget.output_chars:
        keep = max(budget.output_chars - len(stderr), 0)
        stdout = stdout[:keep]
        stderr = stderr[: budget.output_chars - len(stdout)]
        truncated = True
    usage.output_chars = min(out.total, budget.output_chars)
    res = RunResult(language=language, stdout=stdout, stderr=stderr, exit_code=exit_code)
    kind = killed or detected
    if truncated:
        res.truncated = True
        res.stdout += marker(out.dropped)
    if kind is not None and kind != "denied":
        res.error = res.budget_exceeded = kind
        res.error_message = budget_message(kind, budget, limits, wall_limit)
        if note:
            res.error_message += f" ({note})"
        if killed:
            res.exit_code = 137
        res.stderr += f"\n[corral] {res.error_message}\n"
    elif kind == "denied":
        res.error = "denied"
        res.error_message = note
    elif exit_code != 0:
        res.error = "exit"
    res.usage = usage
    return res


MEMORY_FLOOR = 16 * MB


class BackendLifecycle:
    """What every native backend does on ``close()``: stop what runs, close an
    own proxy, hand the workspace back to its owner, remove the staging area."""

    _closed: bool
    _started: bool
    _own_proxy: bool
    _restore_owner: tuple[int, int] | None
    _copy: Any
    _stage: Path | None
    proxy: Any
    workspace: Path
    emitter: Any
    name: str

    def _init_common(
        self,
        workspace: Path | str,
        budget: Budget,
        gate: Any,
        events: Any,
        session: str,
        copy_workspace: bool,
        env: dict[str, str] | None,
        limits: NativeLimits | None,
        proxy: Any,
        net_decide: Callable[..., Any] | None,
        monitor: bool,
        ro_binds: Any,
        on_sample: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        """The settings and state every native backend has."""
        self.workspace = Path(workspace)
        self.budget = budget
        self.gate = gate
        self.events = events
        self.session = session
        self.copy_workspace = copy_workspace
        self.env = dict(env or {})
        self.limits = limits or NativeLimits()
        self.proxy = proxy
        self.net_decide = net_decide
        self.monitor = monitor
        self.ro_binds = [str(p) for p in ro_binds]
        self.emitter = Emitter(events, on_sample)
        self._own_proxy = False
        self._started = False
        self._closed = False
        self._lock = threading.Lock()
        self._stage = None
        self._copy = None
        self._restore_owner = None
        self._other_owners: dict[str, tuple[int, int]] = {}

    @property
    def root(self) -> Path:
        """The host directory the sandbox sees as ``/workspace``."""
        return self._copy if self._copy is not None else self.workspace

    def __enter__(self) -> typing.Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:  # pragma: no cover - each backend has its own
        raise NotImplementedError

    def kill(self) -> None:  # pragma: no cover - each backend has its own
        raise NotImplementedError

    def _prepare(self, command: str | list[str], stdin: bytes | str) -> tuple[list[str], bytes]:
        """Start on first use; the argv of ``command`` (a script runs in ``bash -c``) and
        ``stdin`` as bytes."""
        if self._closed:
            from ..errors import SandboxClosed

            raise SandboxClosed("the sandbox is closed")
        if not self._started:
            self.start()
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
        return argv, stdin.encode() if isinstance(stdin, str) else stdin

    def _run_limits(self, timeout: float | None) -> tuple[float, float, int]:
        """(wall seconds, CPU seconds, file-size bytes) of one run. The file size is 0
        while the workspace is over its disk budget (see :meth:`_disk_baseline`)."""
        budget, limits = self.budget, self.limits
        wall = float(timeout if timeout is not None else budget.wall_s)
        cpu_limit = limits.cpu_s if limits.cpu_s is not None else wall
        if self._disk_over:
            return wall, cpu_limit, 0
        fsize_mb = limits.file_size_mb if limits.file_size_mb is not None else budget.disk_mb
        return wall, cpu_limit, max(int(fsize_mb * MB), 4096)

    #: (bytes, entries) the workspace held when the sandbox first looked: the host's files
    _disk_given: tuple[int, int] | None = None
    #: what the current call may use on disk (:meth:`_disk_baseline`)
    _disk_floor: tuple[int, int] | None = None
    #: whether the workspace was over its disk limit when the current call started
    _disk_over: bool = False

    def _disk_baseline(self) -> tuple[int, int]:
        """What one call may use on disk (bytes, files), measured as it starts.

        The limit is the budget, or what the host put there if that is more: what the
        workspace held when the sandbox first looked, lowered to what it holds at each
        call's start (files of the host's, once removed, give no room back). A workspace
        over it (a program wrote past it between two polls, or just before it ended) gets
        no more: the call may shrink it (``rm``) but never grow it, and its processes run
        with ``RLIMIT_FSIZE`` 0 (the kernel refuses every byte written past a file's end,
        a session restarts to get it) until it is under again. The floor used to be
        whatever the last call left, so calls quicker than one poll each kept what they
        wrote past the budget, for ever."""
        used, nfiles = disk_usage(self.root)
        given = self._disk_given or (used, nfiles)
        self._disk_given = (min(given[0], used), min(given[1], nfiles))
        limit = max(int(self.budget.disk_mb * MB), self._disk_given[0])
        file_limit = max(self.budget.disk_files, self._disk_given[1])
        self._disk_over = used > limit or nfiles > file_limit
        return max(used, limit), max(nfiles, file_limit)

    def _disk_note(self) -> str:
        """The line a call's stderr gets when it starts over the disk budget."""
        return (
            f"[corral] the workspace is over its disk budget ({self.budget.disk_mb:g} MB /"
            f" {self.budget.disk_files} files): files cannot grow (RLIMIT_FSIZE 0) until"
            " some are removed\n"
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.kill()
        if self.proxy is not None and self._own_proxy:
            with contextlib.suppress(Exception):
                self.proxy.close()
        if self._restore_owner is not None and self._copy is None:
            restore_owners(self.workspace, self._restore_owner, self._other_owners)
        if getattr(self, "gpu_sampler", None) is not None:
            self.gpu_sampler.close()  # NVML (corral.native.nvml)
        if getattr(self, "_rootfs", None) is not None:
            self._rootfs.close()  # a template's overlay mounts, before their directories go
        if self._stage is not None:
            remove_tree(self._stage, ignore_errors=True)
        if self._started:
            self.emitter.emit("backend.stopped", data={"backend": self.name})
