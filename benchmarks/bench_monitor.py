"""Benchmark the monitor and the audit log, with baselines measured in the same run.

    python benchmarks/bench_monitor.py [--quick]

- events per second through the monitor with the default pack (goal: > 100,000 on
  one core), rules only and with the anomaly score;
- audit rows written per second (WAL, synchronous=NORMAL and FULL);
- what the monitor adds to ``sb.run("echo hi")`` against the same sandbox
  without it.

``benchmarks/bench_monitor_compare.py`` measures the monitor's throughput against the
previous version (a ``git worktree`` of the merge base with ``main``) in the same run,
one core, medians of several repetitions.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

import corral
from corral import Sandbox, audit
from corral.monitor import bench


def median_us(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    k = 1 if args.quick else 4
    console = Console(width=120)
    table = Table(title=f"corral {corral.__version__} monitor and audit log")
    for col in ("measure", "result", "goal / baseline"):
        table.add_column(col)
    with console.status("monitor throughput …"):
        rules_only = bench.run(25_000 * k, baseline=False)
        with_anomaly = bench.run(25_000 * k, baseline=True)
    for title, fig in (("rules only", rules_only), ("rules + anomaly score", with_anomaly)):
        eps = fig["events_per_s"]
        table.add_row(f"monitor, default pack, {title}", f"{eps:,.0f} events/s", "> 100,000")
    with console.status("audit log …"):
        for sync in ("NORMAL", "FULL"):
            fig = audit.bench(2_000 * k, synchronous=sync)
            rate = fig["append_rows_per_s"]
            table.add_row(f"audit rows appended, synchronous={sync}", f"{rate:,.0f} rows/s", "")
            batched = fig["batched_rows_per_s"]
            table.add_row(
                f"  … in batches of 64 (extend), synchronous={sync}", f"{batched:,.0f} rows/s",
                f"{batched / rate:.1f}x one by one",
            )
        table.add_row("audit verify", f"{fig['verify_rows_per_s']:,.0f} rows/s", "")
    with (
        console.status("sb.run('echo hi') …"),
        Sandbox() as plain,
        Sandbox(monitor=True) as watched,
    ):
        plain.run("true")
        watched.run("true")
        base = median_us(lambda: plain.run("echo hi"), 200 * k)
        mon = median_us(lambda: watched.run("echo hi"), 200 * k)
    table.add_row("sb.run('echo hi') without a monitor", f"{base:.0f} µs", "baseline")
    table.add_row("sb.run('echo hi') with the monitor", f"{mon:.0f} µs", f"+{mon - base:.0f} µs")
    console.print(table)


if __name__ == "__main__":
    main()
