"""Resource samples for the WebAssembly tier, taken by the host while a call runs.

About once a second (never more often) during a shell script or a guest call, the CPU
used since the last sample by the shell worker's process (``/proc/PID/stat``) with the
host thread that answers its requests, or the guest's thread (its CPU clock), and the
output the call wrote in that time, become one ``resource.sample`` event: what the
native tiers' sampler reports, so the monitor's resource rules (CPU burned with no
output) see a busy loop while it runs. A call shorter than the interval gives none.
Nothing here comes from the worker or the guest: they cannot forge or suppress a sample.

Sample data: ``cpu_pct`` (100 = one core), ``busy_pct`` (CPU + time waiting to run, over
wall time: near 100 for a busy loop even on a crowded machine, see
:mod:`corral.procinfo`; absent without schedstat), ``out_chars`` (output written in the
interval), ``interval_s``, ``source`` (``shell``, ``python-guest``, ``js-guest``) and,
for the worker, ``rss_mb``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from ..procinfo import proc_cpu_s, proc_rss_bytes, sched_s, thread_sched

log = logging.getLogger("corral.wasm")

#: seconds between two samples of one call
SAMPLE_INTERVAL_S = 1.0

#: (CPU seconds, seconds waited to run or None), cumulative
Reading = tuple[float, float | None]


def process_reader(pid: int) -> Callable[[], Reading | None]:
    """Readings of process ``pid`` (its live threads' schedstat, else its CPU time);
    None once it is gone."""

    def read() -> Reading | None:
        got = sched_s([pid])
        if got is not None:
            return got
        cpu = proc_cpu_s(pid)
        return None if cpu is None else (cpu, None)

    return read


def thread_reader(thread: threading.Thread) -> Callable[[], Reading | None]:
    """Readings of a thread of this process (schedstat, else its CPU clock)."""
    tid = thread.native_id
    try:
        clock: int | None = time.pthread_getcpuclockid(thread.ident)  # type: ignore[arg-type]
    except (OSError, AttributeError, TypeError):
        clock = None

    def read() -> Reading | None:
        got = thread_sched(tid) if tid is not None else None
        if got is not None:
            return got
        if clock is None:
            return None
        try:
            return time.clock_gettime(clock), None
        except OSError:  # the thread ended
            return None

    return read


def summed_reader(*readers: Callable[[], Reading | None]) -> Callable[[], Reading | None]:
    """Readings of several parts of one call summed: the shell worker's process and the
    host thread that answers its requests (a loop of commands the policy and the monitor
    check one by one burns most of its CPU there, while the worker waits)."""

    def read() -> Reading | None:
        got = [r() for r in readers]
        if got[0] is None:  # the worker is gone
            return None
        cpu = sum(g[0] for g in got if g is not None)
        waits = [g[1] for g in got if g is not None and g[1] is not None]
        return cpu, (sum(waits) if waits else None)

    return read


class CallSampler:
    """Samples one call: ``tick(output_so_far)`` from the call's loop; it emits when an
    interval has passed. ``emit(data)`` failing never breaks the call."""

    def __init__(
        self,
        emit: Callable[[dict[str, Any]], None],
        read: Callable[[], Reading | None],
        *,
        source: str,
        pid: int | None = None,
        interval: float = SAMPLE_INTERVAL_S,
    ) -> None:
        self.emit = emit
        self.read = read
        self.source = source
        self.pid = pid
        self.interval = max(interval, 0.1)
        self.count = 0
        self._t = time.monotonic()
        first = read()
        self._cpu, self._wait = first if first is not None else (0.0, None)
        self._out = 0
        self.next = self._t + self.interval

    def wait(self, now: float) -> float:
        """Seconds until the next sample is due."""
        return max(self.next - now, 0.0)

    def tick(self, output: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now < self.next:
            return
        got = self.read()
        if got is None:  # the process or thread is gone: nothing more to sample
            self.next = math.inf
            return
        cpu, waited = got
        dt = max(now - self._t, 1e-6)
        used = max(cpu - self._cpu, 0.0)
        data: dict[str, Any] = {
            "cpu_pct": round(used / dt * 100, 1),
            "out_chars": max(output - self._out, 0),
            "interval_s": round(dt, 3),
            "source": self.source,
        }
        if self.pid is not None:
            rss = proc_rss_bytes(self.pid)
            if rss is not None:
                data["rss_mb"] = round(rss / 2**20, 2)
        if waited is not None and self._wait is not None:
            data["busy_pct"] = round((used + max(waited - self._wait, 0.0)) / dt * 100, 1)
        self._t, self._cpu, self._wait, self._out = now, cpu, waited, output
        self.next = now + self.interval
        self.count += 1
        try:
            self.emit(data)
        except Exception:
            log.exception("resource sample not emitted")
