"""Placement and backpressure: how many live sandboxes each node may hold, and how fast
new ones may be made. Requests beyond either wait (``Admission.acquire``)."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from .records import FleetError

log = logging.getLogger("corral.fleet")


def sandbox_nodes(
    nodes: dict[str, tuple[float, float]], gpus: dict[str, float], gpu_nodes: bool | None
) -> dict[str, tuple[float, float]]:
    """The nodes sandboxes may go to. GPU nodes are the trainer's: left out while there is
    a node without GPUs, unless ``gpu_nodes=True``; with ``gpu_nodes=False`` a cluster of
    GPU nodes only is an error; with ``None`` it is used (said in the log)."""
    if gpu_nodes is True:
        return dict(nodes)
    cpu_only = {n: v for n, v in nodes.items() if not gpus.get(n)}
    if cpu_only:
        return cpu_only
    if gpu_nodes is False:
        raise FleetError(
            f"every node of the cluster has GPUs ({len(nodes)}) and gpu_nodes=False keeps "
            "sandboxes off them: add CPU nodes, or pass gpu_nodes=True"
        )
    if nodes:
        log.warning(
            "every node has GPUs: sandboxes go to GPU nodes (gpu_nodes=False to refuse); "
            "they get no GPU device unless their policy grants one (devices.gpu)"
        )
    return dict(nodes)


@dataclass(frozen=True)
class Capacity:
    """How a node's cap of live sandboxes is worked out: ``per_cpu`` sandboxes per
    core and ``mem_per_sandbox_mb`` of memory each, the smaller; ``max_per_node``
    overrides both."""

    per_cpu: float = 4.0
    mem_per_sandbox_mb: float = 256.0
    max_per_node: int | None = None

    def __post_init__(self) -> None:
        if self.per_cpu <= 0 or self.mem_per_sandbox_mb <= 0:
            raise FleetError("per_cpu and mem_per_sandbox_mb must be positive")
        if self.max_per_node is not None and (
            isinstance(self.max_per_node, bool) or not isinstance(self.max_per_node, int)
            or self.max_per_node < 1
        ):
            raise FleetError(f"max_per_node must be a positive int, not {self.max_per_node!r}")

    def cap(self, cpus: float, mem_bytes: float) -> int:
        if self.max_per_node is not None:
            return self.max_per_node
        by_cpu = int(cpus * self.per_cpu)
        by_mem = int(mem_bytes // (self.mem_per_sandbox_mb * 2**20))
        return max(1, min(by_cpu, by_mem))


def local_resources() -> tuple[float, float]:
    """This machine's cores (as this process may use them) and available memory."""
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count() or 1)
    mem = 0.0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    mem = float(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    return cpus, mem or 2.0 * 2**30


class Admission:
    """Per-node caps plus a token bucket on creations (``rate`` per second, ``burst``)."""

    def __init__(self, caps: dict[str, int], rate: float | None = None, burst: int = 8) -> None:
        if rate is not None and rate <= 0:
            raise FleetError(f"create_rate must be positive (or None), not {rate!r}")
        self._cond = threading.Condition()
        self._caps = dict(caps)
        self._live = dict.fromkeys(caps, 0)
        self._rate = rate
        self._burst = max(1, int(burst))
        self._tokens = float(self._burst)
        self._stamp = time.monotonic()
        self._closed = False

    def set_caps(self, caps: dict[str, int]) -> None:
        """Nodes came or went (a node that went keeps its count until released)."""
        with self._cond:
            self._caps = dict(caps)
            for node in caps:
                self._live.setdefault(node, 0)
            self._cond.notify_all()

    @property
    def caps(self) -> dict[str, int]:
        with self._cond:
            return dict(self._caps)

    @property
    def live(self) -> dict[str, int]:
        with self._cond:
            return {n: c for n, c in self._live.items() if c or n in self._caps}

    def total(self) -> int:
        with self._cond:
            return sum(self._caps.values())

    def _refill(self) -> None:
        now = time.monotonic()
        if self._rate is not None:
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def acquire(self, timeout: float | None = None) -> str:
        """A node with room, once the rate allows; waits (``timeout``: FleetError)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise FleetError("the fleet is closed")
                self._refill()
                room = [(self._caps[n] - self._live[n], n) for n in self._caps]
                room = [r for r in room if r[0] > 0]
                if room and (self._rate is None or self._tokens >= 1.0):
                    node = max(room)[1]  # spread: the node with the most room
                    self._live[node] += 1
                    if self._rate is not None:
                        self._tokens -= 1.0
                    return node
                wait = 0.5
                if room and self._rate is not None:
                    wait = min(wait, (1.0 - self._tokens) / self._rate)
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise FleetError(
                            f"no room for a sandbox within {timeout:g} s "
                            f"(live {sum(self._live.values())} of {sum(self._caps.values())})"
                        )
                    wait = min(wait, left)
                self._cond.wait(max(wait, 0.001))

    def release(self, node: str) -> None:
        with self._cond:
            if self._live.get(node, 0) > 0:
                self._live[node] -= 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
