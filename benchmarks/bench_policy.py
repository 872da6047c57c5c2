"""Benchmark policy decisions and what policy checking adds to a shell run.

    python benchmarks/bench_policy.py [--quick]

Decision times come from ``corral.policy.bench`` (a 200-rule policy, typical
actions, uncached); the overhead is ``sb.run("echo hi")`` with the built-in
``default`` policy against the same sandbox without a policy, in one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

import corral
from corral import Sandbox
from corral.policy import bench


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
    k = 1 if args.quick else 5
    console = Console(width=120)
    with console.status("timing decisions …"):
        figures = bench.run(400 * k)
    with (
        console.status("timing sb.run('echo hi') …"),
        Sandbox() as plain,
        Sandbox(policy="default") as guarded,
    ):
        plain.run("true")
        guarded.run("true")
        base = median_us(lambda: plain.run("echo hi"), 300 * k)
        with_policy = median_us(lambda: guarded.run("echo hi"), 300 * k)
    table = Table(
        title=f"corral {corral.__version__} policy engine ({figures['rules']}-rule policy)"
    )
    for col in ("measure", "mean", "median", "p99", "goal"):
        table.add_column(col)
    for kind in ("exec", "net", "file", "tool", "code_shell", "cached", "default_policy_exec"):
        goal = "< 20 µs" if kind == "exec" else ""
        table.add_row(
            f"decision: {kind}",
            f"{figures[kind + '_mean_us']:.1f} µs",
            f"{figures[kind + '_p50_us']:.1f} µs",
            f"{figures[kind + '_p99_us']:.1f} µs",
            goal,
        )
    table.add_row("sb.run('echo hi'), no policy (baseline)", "", f"{base:.0f} µs", "", "")
    table.add_row(
        "sb.run('echo hi'), policy='default'",
        "",
        f"{with_policy:.0f} µs",
        "",
        f"+{with_policy - base:.0f} µs",
    )
    console.print(table)


if __name__ == "__main__":
    main()
