"""Benchmark the native tiers against plain subprocesses, in one run.

    python benchmarks/bench_native.py [--quick]

Sandbox start + ``true`` for bubblewrap and gVisor vs ``subprocess.run(["true"])``,
egress-proxy throughput vs a direct loopback connection, and 1,000 short process
starts with and without process-level monitoring (every execve decided). For gVisor
also each platform (``systrap``, ``ptrace``, ``kvm`` where it starts): start + ``true``,
a syscall-heavy command and many short process starts, and what live monitoring costs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import corral
from corral.budget import Budget
from corral.native import bench
from corral.native._common import BackendUnavailable

_median_ms = bench.median_ms


def gvisor_platforms(*, starts: int, syscalls: int, spawns: int) -> dict[str, Any]:
    """Each gVisor platform (monitoring off unless the label says so)."""
    from corral.native.gvisor import PLATFORMS, GvisorBackend, choose_platform, platform_works

    out: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="corral-bench-gv-"))
    syscall_cmd = f"dd if=/dev/zero of=/dev/null bs=1 count={syscalls} 2>/dev/null"
    spawn_cmd = f"for i in $(seq {spawns}); do /bin/true; done"
    try:
        try:
            default, _ = choose_platform("auto")
        except BackendUnavailable as e:
            return {"gvisor_platforms": f"unavailable: {e}"}
        out["gvisor_default_platform"] = default
        for platform in PLATFORMS:
            ok, why = platform_works(platform)
            if not ok:
                out[f"gvisor_{platform}"] = f"unavailable: {why}"
                continue
            ws = tmp / platform
            ws.mkdir()
            with GvisorBackend(ws, Budget(wall_s=300), platform=platform, monitor=False) as box:
                box.run(["true"])

                def timed(cmd: Any, box: Any = box) -> float:
                    t = time.perf_counter()
                    r = box.run(cmd)
                    if not r.ok:
                        raise RuntimeError(f"{cmd!r} failed: {r.error} {r.stderr[-200:]}")
                    return time.perf_counter() - t

                out[f"gvisor_{platform}_true_ms"] = _median_ms(
                    lambda b=box: b.run(["true"]), starts
                )
                out[f"gvisor_{platform}_syscalls_s"] = round(timed(syscall_cmd), 3)
                out[f"gvisor_{platform}_spawns_s"] = round(timed(spawn_cmd), 3)
        ws = tmp / "monitored"
        ws.mkdir()
        with GvisorBackend(ws, Budget(wall_s=300), platform=default, monitor=True) as box:
            box.run(["true"])
            out[f"gvisor_{default}_monitored_true_ms"] = _median_ms(
                lambda: box.run(["true"]), starts
            )
            t = time.perf_counter()
            box.run(spawn_cmd)
            out[f"gvisor_{default}_monitored_spawns_s"] = round(time.perf_counter() - t, 3)
        out["gvisor_syscalls"] = 2 * syscalls
        out["gvisor_spawns"] = spawns
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


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
        fig.update(
            gvisor_platforms(
                starts=5 if args.quick else 15,
                syscalls=50_000 if args.quick else 200_000,
                spawns=100 if args.quick else 200,
            )
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
