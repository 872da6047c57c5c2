"""Resource samples of a gVisor sandbox, from the host: what the bwrap tier's
:class:`~corral.native.monitor.ResourceSampler` reports, so the monitor's resource rules
(CPU burned with no output, sustained CPU) see a busy loop on this tier too.

The sandbox's processes are tasks of gVisor's kernel (the Sentry), not host processes:
what the host sees of them is the run's cgroup (corral's own, at runsc's
``cgroupsPath``), which holds the Sentry, the gofer and the platform's stub processes:
every CPU cycle the sandbox's code uses is spent by one of them. So a sample reads
``cpu_s`` and memory from that cgroup and the schedstat of its host threads
(``busy_pct``: running or waiting to run). Without a cgroup of corral's own (no
writable cgroup hierarchy), the runsc process tree stands in.

Cost, measured on a 2-core VM under load (the sandbox running a busy loop): reading the
cgroup's ``cgroup.procs``, CPU and memory files takes about 0.06 ms of CPU, with the
schedstat of the Sentry's threads about 0.4 ms (1.5 ms wall); ``runsc events --stats``
would take 24 ms wall and 8 ms of CPU in a new process per sample. So the process count
of the sandbox (``pids.current`` there) is not sampled: ``procs`` is absent from this
tier's samples (the cgroup's count is the Sentry's host processes, not the sandbox's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._common import Emitter
from .monitor import ResourceSampler

__all__ = ["GvisorSampler"]


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

    def sample(self) -> tuple[float, int, int | None]:
        cpu, rss, _ = super().sample()
        return cpu, rss, None  # the host's count is the Sentry's processes, not the sandbox's
