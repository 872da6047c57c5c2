"""What ``/proc`` says about a process or thread: CPU used, time spent waiting to run,
resident memory. Shared by the tiers' resource samplers.

The wait (run-queue delay, ``/proc/.../schedstat``) tells a busy program from an idle
one on a shared machine: a busy loop on two cores shared by many gets a fraction of a
core, but it is running or waiting to run all the time, so CPU + wait over wall time
(``busy``) stays near 100 %, where a sleeping or blocked program's stays near 0.
"""

from __future__ import annotations

import os

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads, ended ones too) of ``pid``; None when it
    is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def proc_rss_bytes(pid: int) -> int | None:
    """Resident memory of ``pid``; None when it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _schedstat(path: str) -> tuple[float, float] | None:
    try:
        with open(path, "rb") as f:
            run_ns, wait_ns = f.read().split()[:2]
        return int(run_ns) / 1e9, int(wait_ns) / 1e9
    except (OSError, ValueError):
        return None


def thread_sched(tid: int) -> tuple[float, float] | None:
    """(CPU seconds, seconds waited to run) of thread ``tid`` of this process; None when
    it is gone or the kernel keeps no schedstat."""
    return _schedstat(f"/proc/self/task/{tid}/schedstat")


def sched_s(pids: list[int]) -> tuple[float, float] | None:
    """(CPU seconds, seconds waited to run) of the live threads of ``pids``, summed (a
    thread that ended is no longer counted); None when the kernel keeps no schedstat
    (or none of them is left)."""
    threads = threads_sched(pids)
    if not threads:
        return None
    return sum(r for r, _ in threads.values()), sum(w for _, w in threads.values())


def threads_sched(pids: list[int]) -> dict[int, tuple[float, float]]:
    """{thread id: (CPU seconds, seconds waited to run)} of the live threads of ``pids``
    (empty when the kernel keeps no schedstat)."""
    out: dict[int, tuple[float, float]] = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            got = _schedstat(f"/proc/{pid}/task/{tid}/schedstat")
            if got is not None:
                out[int(tid)] = got
    return out
