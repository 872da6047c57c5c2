"""What the native tiers' event sources cost: bwrap's file events (fanotify) and gVisor's
resource samples, each beside its baseline measured in the same run.

* file events: the same write-heavy scripts in a bwrap sandbox with file events on and
  off (the watch never made), wall time per script, kernel events handled, reported, and
  the watch's own time per event;
* gVisor samples: one sample as :class:`~corral.native.gvisor_samples.GvisorSampler`
  takes it (the run's cgroup and the Sentry's threads) against ``runsc events --stats``
  (the other way to ask), on a sandbox running a busy loop.

Run as root (fanotify); ``python3 benchmarks/bench_native_events.py [--gvisor-only]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time

from rich.console import Console
from rich.table import Table

import corral
from corral.native import filewatch
from corral.native.doctor import available
from corral.native.gvisor import _runsc
from corral.native.gvisor_samples import GvisorSampler

SCRIPTS = {
    "20000 appends to one file": "i=0; while [ $i -lt 20000 ]; do echo x >> f; i=$((i+1)); done",
    "3000 new files": "mkdir -p d; i=0; while [ $i -lt 3000 ]; do echo x > d/f$i; i=$((i+1)); done",
    "cat 200 files 10x": (
        "mkdir -p r; for i in $(seq 200); do echo x > r/$i; done; "
        "for k in $(seq 10); do cat r/* > /dev/null; done"
    ),
}


def _file_events(table: Table, rounds: int) -> None:
    spent = [0.0]
    orig = filewatch.FileWatch._event

    def timed(self: filewatch.FileWatch, mask: int, efd: int, pid: int) -> None:
        t0 = time.perf_counter()
        try:
            orig(self, mask, efd, pid)
        finally:
            spent[0] += time.perf_counter() - t0

    filewatch.FileWatch._event = timed  # type: ignore[method-assign]
    try:
        for name, script in SCRIPTS.items():
            row: dict[bool, tuple[float, int, int]] = {}
            for on in (False, True):
                with corral.Sandbox(monitor=True, backend="bwrap") as sb:
                    b = sb._backend()
                    if not on:
                        b._filewatch_error = "off for the baseline"
                    sb.run("true")
                    walls = []
                    spent[0] = 0.0
                    for _ in range(rounds):
                        t0 = time.perf_counter()
                        sb.run(script, timeout=120)
                        walls.append(time.perf_counter() - t0)
                    fw = b._filewatch
                    ev = fw.events if fw is not None else 0
                    rep = fw.reported if fw is not None else 0
                    row[on] = (statistics.median(walls), ev, rep)
            off_s, on_s = row[False][0], row[True][1:]
            per = spent[0] / row[True][1] * 1e6 if row[True][1] else 0.0
            table.add_row(
                name, f"{off_s * 1000:.0f}", f"{row[True][0] * 1000:.0f}",
                f"{on_s[0]}", f"{on_s[1]}", f"{per:.1f}",
            )  # fmt: skip
    finally:
        filewatch.FileWatch._event = orig  # type: ignore[method-assign]


def _gvisor_samples(console: Console, n: int) -> None:
    with corral.Sandbox(backend="gvisor", monitor=True) as sb:
        b = sb._backend()  # started here, before the thread uses it
        t = threading.Thread(
            target=lambda: sb.exec(["python3", "-c", "while True: pass"], timeout=25),
            daemon=True,
        )
        t.start()
        end = time.monotonic() + 20
        while "proc" not in b._current and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(2)
        cur = b._current
        s = GvisorSampler(b.emitter, cur["proc"].pid, cgroup=cur["cgroup"])
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            s.sample()
            s._waited()
        ours = ((time.process_time() - c0) / n * 1e3, (time.perf_counter() - w0) / n * 1e3)
        ch0 = os.times()
        w0 = time.perf_counter()
        k = max(n // 20, 3)
        for _ in range(k):
            subprocess.run([_runsc(), "--root", str(b._stage / "state"), "events", "--stats",
                            cur["cid"]], capture_output=True, check=False)  # fmt: skip
        ch1 = os.times()
        cpu = (ch1.children_user + ch1.children_system) - (ch0.children_user + ch0.children_system)
        theirs = (cpu / k * 1e3, (time.perf_counter() - w0) / k * 1e3)
        b.kill()
        t.join(timeout=30)
    table = Table(title="gVisor: one resource sample (busy sandbox)")
    for col in ("how", "CPU ms / sample", "wall ms / sample"):
        table.add_column(col)
    table.add_row("corral: cgroup files + Sentry schedstat", f"{ours[0]:.3f}", f"{ours[1]:.3f}")
    table.add_row("baseline: runsc events --stats", f"{theirs[0]:.3f}", f"{theirs[1]:.3f}")
    console.print(table)


def main() -> None:
    console = Console()
    ok, why = filewatch.probe()
    if "--gvisor-only" in sys.argv:
        ok, why = False, "--gvisor-only"
    elif ok:
        ok, why = available("bwrap")
    if ok:
        table = Table(title="bwrap: file events (fanotify) on and off, median of 3")
        for col in ("script", "off ms", "on ms", "kernel events", "reported", "µs / event"):
            table.add_column(col)
        _file_events(table, 3)
        console.print(table)
    else:
        console.print(f"bwrap file events skipped: {why}")
    ok, why = available("gvisor")
    if ok:
        _gvisor_samples(console, 200)
    else:
        console.print(f"gVisor samples skipped: {why}")


if __name__ == "__main__":
    main()
