"""Benchmark the native tiers against plain subprocesses, in one run.

    python benchmarks/bench_native.py [--quick]

Sandbox start + ``true`` for bubblewrap and gVisor vs ``subprocess.run(["true"])``,
egress-proxy throughput vs a direct loopback connection, and 1,000 short process
starts with and without process-level monitoring (every execve decided).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

import corral
from corral.native import bench


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    console = Console(width=120)
    with console.status("running the native benchmark (needs bubblewrap; runsc optional) …"):
        fig = bench.run(
            starts=5 if args.quick else 20,
            spawns=300 if args.quick else 1000,
            payload_mb=8 if args.quick else 32,
        )
    table = Table(title=f"corral {corral.__version__} native tiers")
    for col in ("measure", "value"):
        table.add_column(col)
    for key, value in fig.items():
        if isinstance(value, float):
            value = f"{value:,.2f}"
        table.add_row(key, str(value))
    console.print(table)


if __name__ == "__main__":
    main()
