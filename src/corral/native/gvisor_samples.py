"""Resource samples of a gVisor sandbox, from the host: what the bwrap tier's
:class:`~corral.native.monitor.ResourceSampler` reports, so the monitor's resource rules
(CPU burned with no output, sustained CPU) see a busy loop on this tier too.

The sandbox's processes are tasks of gVisor's kernel (the Sentry), not host processes:
what the host sees of them is the run's cgroup (corral's own, at runsc's
``cgroupsPath``), which holds the Sentry, the gofer and the platform's stub processes:
every CPU cycle the sandbox's code uses is spent by one of them. So a sample reads
``cpu_s`` and memory from that cgroup and the schedstat of its host threads
(``busy_pct``: running or waiting to run; only the waits of threads that ran for a tenth
of the interval count, as the Sentry's many briefly waking threads would otherwise make
a sleeping sandbox on a crowded machine look busy). Without a cgroup of corral's own (no
writable cgroup hierarchy), the runsc process tree stands in.

Cost (``benchmarks/bench_native_events.py``, a 2-core VM under load, the sandbox running a
busy loop): a sample takes about 0.3 ms of CPU (0.5 ms wall); ``runsc events --stats``
takes 9 ms of CPU and 29 ms wall in a new process per sample. So the process count of the
sandbox (``pids.current`` there) is not sampled: ``procs`` is absent from this tier's
samples (the cgroup's count is the Sentry's host processes, not the sandbox's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..procinfo import threads_sched
from ._common import Emitter
from .monitor import ResourceSampler

__all__ = ["BUSY_THREAD", "GvisorSampler"]

#: a host thread counts towards ``busy_pct`` when it ran for this share of the interval
BUSY_THREAD = 0.1


class GvisorSampler(ResourceSampler):
    """Samples one gVisor sandbox (one run, or a warm session with ``in_call``) about once
    an ``interval``: ``cpu_pct``, ``busy_pct``, ``rss_mb`` (the cgroup's memory: the
    Sentry and the sandbox's memory file), ``out_chars``, ``interval_s`` and, for a
    session, ``in_call``."""

    def __init__(
        self,
        emitter: Emitter,
        runsc_pid: int,
        *,
        cgroup: Any = None,
        interval: float = 1.0,
        output: Callable[[], int] | None = None,
        in_call: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(
            emitter, runsc_pid, cgroup=cgroup, interval=interval, output=output,
            in_call=in_call,
        )  # fmt: skip

        self._threads: dict[int, tuple[float, float]] = {}
        self._wait_total = 0.0
        self._wait_t: float | None = None

    def sample(self) -> tuple[float, int, int | None]:
        cpu, rss, _ = super().sample()
        return cpu, rss, None  # the host's count is the Sentry's processes, not the sandbox's

    def _waited(self) -> float | None:
        """Seconds waited to run, summed over the host threads that ran for at least
        :data:`BUSY_THREAD` of the interval: the Sentry keeps dozens of threads that wake
        briefly (timers, its scheduler), and on a crowded machine each wake-up waits in
        the run queue, which would make a sleeping sandbox look busy."""
        now = time.monotonic()
        per = threads_sched(self._pids)
        if not per:
            return None
        if self._wait_t is not None:
            floor = BUSY_THREAD * (now - self._wait_t)
            for tid, (run, wait) in per.items():
                prev = self._threads.get(tid)
                if prev is not None and run - prev[0] >= floor:
                    self._wait_total += max(wait - prev[1], 0.0)
        self._threads, self._wait_t = per, now
        return self._wait_total
