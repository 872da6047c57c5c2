"""The monitor's cost in instructions per event (valgrind's cachegrind: deterministic,
where timed runs on a loaded machine spread ±10-50 %), this tree against previous ones.

    python benchmarks/bench_monitor_instructions.py [--base REV ...] [--events 10000]

For each tree (this one, and each ``--base`` checked out in a temporary ``git
worktree``) and the learned scorer off and on: the instructions of a process that
builds the monitor, observes ``corral.monitor.bench``'s 2,000-event warm-up, freezes
the garbage collector (as ``bench.run`` does) and then observes ``--events`` more,
minus those of the same process observing none of them, per event. Needs ``valgrind``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
WARM = 2_000

_CHILD = """
import gc, sys
from corral.monitor import bench
from corral.monitor.engine import Monitor
n, on, warm = int(sys.argv[1]), sys.argv[2] == "on", int(sys.argv[3])
events = bench.benign_events(warm + int(sys.argv[4]))
mon = Monitor(baseline=False, scorer=on)
for ev in events[:warm]:
    mon.observe(ev)
gc.collect()
gc.freeze()
for ev in events[warm:warm + n]:
    mon.observe(ev)
"""


def _instructions(tree: Path, n: int, scorer: str, events: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", _CHILD, str(n), scorer, str(WARM), str(events)],
        capture_output=True, text=True, env=env, cwd=tree, check=True,
    )  # fmt: skip
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if m is None:
        raise SystemExit(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def per_event(tree: Path, events: int, scorer: str) -> float:
    return (
        _instructions(tree, events, scorer, events) - _instructions(tree, 0, scorer, events)
    ) / events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", action="append", default=[], help="a previous version")
    ap.add_argument("--events", type=int, default=10_000)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    if args.events < 1:
        raise SystemExit("--events must be at least 1")
    console = Console()
    table = Table(title=f"monitor instructions per event (cachegrind, {args.events:,} events "
                  f"after a {WARM:,}-event warm-up; rules only)")  # fmt: skip
    for col in ("tree", "scorer off", "scorer on", "events/s on ÷ off"):
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="corral-instr-") as tmp:
        trees = [("this tree", ROOT)]
        for rev in args.base:
            path = Path(tmp) / rev.replace("/", "_")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(path), rev], check=True)  # fmt: skip
            trees.append((rev, path))
        try:
            for name, tree in trees:
                with console.status(f"{name} …"):
                    off = per_event(tree, args.events, "off")
                    on = per_event(tree, args.events, "on")
                table.add_row(name, f"{off:,.0f}", f"{on:,.0f}", f"×{off / on:.3f}")
        finally:
            for _, tree in trees[1:]:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=False)  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
