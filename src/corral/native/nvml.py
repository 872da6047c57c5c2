"""A sandbox's GPU use from NVML (``nvidia-ml-py``, the ``gpu`` extra), for its samples.

When the policy grants the GPU (``devices.gpu: true``) and NVML answers, every
``resource.sample`` of a bwrap sandbox carries its processes' GPU use (the processes are
the sandbox's own: its cgroup, or its process tree):

- ``gpu_pct``: streaming-multiprocessor utilisation of the sandbox's processes in the
  interval, summed over its processes and GPUs (100 = one GPU busy);
- ``gpu_mem_mb``: GPU memory they hold;
- ``gpu_procs``: how many of them use a GPU; ``gpu_pids`` (at most 16) and
  ``gpu_mem_by_pid`` (bytes); ``gpu_names`` (``comm``) and ``gpu_cmdlines`` (1,024
  characters each) of those processes, one line per process, for the monitor's miner
  rules (``mining-gpu-*`` in the default pack).

NVML reports host process ids: a sandbox whose processes NVML cannot see (corral in a
container whose pid namespace is not the driver's) has ``gpu_procs: 0`` and no
utilisation. gVisor's sandboxes are not sampled (their GPU work is done by the Sentry
through nvproxy, and the tier has no sampler yet).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["GpuSampler", "status"]

#: what a sample says of its processes at most
MAX_NAMED = 16
MAX_CMDLINE = 1024

_lock = threading.Lock()
_PROCESS_LISTS = ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses")


def _pynvml() -> Any:
    """The ``pynvml`` module (``nvidia-ml-py``); ``ImportError`` when it is not installed."""
    import pynvml

    return pynvml


def status() -> tuple[bool, str]:
    """Whether NVML works here, and what it found (or why not)."""
    try:
        nv = _pynvml()
    except ImportError:
        return False, "nvidia-ml-py is not installed (pip install 'corral[gpu]')"
    try:
        nv.nvmlInit()
    except Exception as e:
        return False, f"no NVIDIA GPU/driver on this machine ({e})"
    try:
        count = nv.nvmlDeviceGetCount()
        driver = nv.nvmlSystemGetDriverVersion()
        driver = driver.decode() if isinstance(driver, bytes) else str(driver)
        return True, f"NVML: {count} GPU(s), driver {driver}"
    except Exception as e:
        return False, f"NVML answered but failed: {e}"
    finally:
        with contextlib.suppress(Exception):
            nv.nvmlShutdown()


def _read(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read(limit)
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").strip().decode("utf-8", "replace")


def _line(text: str) -> str:
    """One line: a name or command line with a newline in it stays on its own line."""
    return text.replace("\r", " ").replace("\n", " ")


class GpuSampler:
    """The GPU use of a set of host processes, one :meth:`sample` per interval.

    ``nvml`` is the ``pynvml`` module (or an object with its functions); :meth:`open`
    gives ``None`` where NVML does not work (no library, no driver, no GPU)."""

    def __init__(self, nvml: Any) -> None:
        self.nv = nvml
        count = nvml.nvmlDeviceGetCount()
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        #: per GPU: the newest utilisation sample seen (NVML's microsecond timestamps)
        self._seen = [0] * len(self.handles)
        self._closed = False

    @classmethod
    def open(cls) -> GpuSampler | None:
        try:
            nv = _pynvml()
            with _lock:
                nv.nvmlInit()  # reference counted by NVML: each open has its shutdown
        except Exception:
            return None
        try:
            return cls(nv)
        except Exception:
            with contextlib.suppress(Exception):
                nv.nvmlShutdown()
            return None

    def _processes(self, h: Any) -> list[Any]:
        out: list[Any] = []
        seen: set[int] = set()
        for fn in _PROCESS_LISTS:
            with contextlib.suppress(Exception):
                for p in getattr(self.nv, fn)(h):
                    if int(p.pid) not in seen:  # a process in both lists: counted once
                        seen.add(int(p.pid))
                        out.append(p)
        return out

    def _utilisation(self, i: int, h: Any) -> dict[int, float]:
        """SM utilisation per pid on GPU ``i`` since the last call (none: no samples)."""
        try:
            samples = self.nv.nvmlDeviceGetProcessUtilization(h, self._seen[i])
        except Exception:  # NVML_ERROR_NOT_FOUND: nothing ran since; unsupported GPUs
            return {}
        util: dict[int, float] = {}
        for s in samples:
            self._seen[i] = max(self._seen[i], int(s.timeStamp))
            util[int(s.pid)] = max(util.get(int(s.pid), 0.0), float(s.smUtil))
        return util

    def sample(self, pids: Iterable[int]) -> dict[str, Any]:
        """The sample fields for the processes ``pids`` (see the module docstring)."""
        mine = set(pids)
        pct = 0.0
        mem = 0
        users: dict[int, int] = {}  # pid -> bytes
        for i, h in enumerate(self.handles):
            util = self._utilisation(i, h)
            for pid, v in util.items():
                if pid in mine:
                    pct += v
                    users.setdefault(pid, 0)
            for p in self._processes(h):
                pid = int(p.pid)
                if pid not in mine:
                    continue
                used = p.usedGpuMemory if isinstance(p.usedGpuMemory, int) else 0
                users[pid] = users.get(pid, 0) + used
                mem += used
        named = sorted(users)[:MAX_NAMED]
        return {
            "gpu_pct": round(pct, 1),
            "gpu_mem_mb": round(mem / 2**20, 2),
            "gpu_procs": len(users),
            "gpu_pids": named,
            "gpu_mem_by_pid": {str(p): users[p] for p in named},
            # one line per process (the monitor's rules match text, not lists)
            "gpu_names": "\n".join(_line(_read(f"/proc/{p}/comm", 64)) for p in named),
            "gpu_cmdlines": "\n".join(
                _line(_read(f"/proc/{p}/cmdline", MAX_CMDLINE)) for p in named
            ),
        }

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _lock, contextlib.suppress(Exception):
            self.nv.nvmlShutdown()

