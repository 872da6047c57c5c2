"""Monitor throughput, this tree against a previous version, in the same run.

    python benchmarks/bench_monitor_compare.py [--base REV ...] [--reps 5] [--events 50000]
        [--scorer]

The previous versions (``--base``, repeatable; default: the merge base with ``main``)
are checked out in temporary ``git worktree``s; each measurement runs this tree's
``corral/monitor/bench.py`` (so both versions see the same events) against that
tree's ``corral`` in a fresh process pinned to one core (``os.sched_setaffinity(0,
{0})``), the versions alternating. The first table shows the median events per
CPU second of each (rules only, and rules with the anomaly score; ``--scorer``: rules
only with the learned command-text scorer off and on too); the second a fresh
process's cost (the monitor built, then its first 2,000 events without a warm-up: a
bigger literal automaton pays for its states there); the third the CPU time of each
hostile event (:func:`corral.monitor.bench.hostile_events`: megabyte
commands and scripts, 10,000 arguments, deeply nested data), or what it raised
(``--scorer``: a fourth, with the learned scorer on).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
GOAL = 100_000
FRESH = 2_000  # events a fresh process is timed on

_CHILD = """
import importlib.util, json, os, sys
os.sched_setaffinity(0, {0})
import corral.monitor
# this tree's bench module, run against the tree on PYTHONPATH (its relative imports)
spec = importlib.util.spec_from_file_location("corral.monitor._bench", sys.argv[3])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
n, baseline = int(sys.argv[1]), sys.argv[2] == "1"
kw = {} if sys.argv[4] == "default" else {"scorer": sys.argv[4] == "on"}
if n == 0:
    print(json.dumps(bench.run_hostile(1, baseline=baseline, **kw)))
elif n < 0:  # a fresh process: the monitor built, then its first -n events, no warm-up
    import time
    events = bench.benign_events(-n)
    c0 = time.process_time()
    mon = corral.monitor.Monitor(baseline=None if baseline else False)
    c1 = time.process_time()
    print(json.dumps({"build": c1 - c0, **bench.run(-n, monitor=mon, baseline=baseline)}))
else:
    bench.run(2_000, baseline=baseline, **kw)  # warm up (imports, rule index, caches)
    print(json.dumps(bench.run(n, baseline=baseline, **kw)))
"""
BENCH = ROOT / "src" / "corral" / "monitor" / "bench.py"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _child(tree: Path, n: int, baseline: bool, scorer: str = "default") -> Any:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), "1" if baseline else "0", str(BENCH), scorer],
        check=True, capture_output=True, text=True, env=env, cwd=tree,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(tree: Path, n: int, baseline: bool, scorer: str = "default") -> float:
    """Events per CPU second; NaN for a scorer setting a version has no scorer for."""
    try:
        return float(_child(tree, n, baseline, scorer)["events_per_s"])
    except subprocess.CalledProcessError as e:
        if scorer != "default" and "scorer" in (e.stderr or ""):
            return math.nan  # (a version from before the learned scorer)
        raise


def fresh(tree: Path, n: int) -> tuple[float, float]:
    """(CPU seconds to build a monitor, events per CPU second over its first ``n``
    events) in a fresh process: the cost of the index and of its first texts (RE2's
    DFA states are built as texts need them)."""
    got = _child(tree, -n, False)
    return float(got["build"]), float(got["events_per_s"])


def hostile(tree: Path, scorer: str = "default") -> list[dict[str, Any]]:
    try:
        return list(_child(tree, 0, True, scorer))
    except subprocess.CalledProcessError as exc:  # a version from before the scorer
        return [{"name": "?", "error": f"{exc.stderr.strip().splitlines()[-1]}",
                 "cpu_seconds": 0.0}]  # fmt: skip


def _cell(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"[red]{row['error'].split(':', 1)[0]}[/red] after {row['cpu_seconds']:.3f} s"
    return f"{row['cpu_seconds']:.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--base", action="append", help="a previous version (repeatable; default: merge base "
        "with main)",
    )  # fmt: skip
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument(
        "--scorer", action="store_true",
        help="also measure rules only with the learned command-text scorer off and on",
    )  # fmt: skip
    args = ap.parse_args()
    bases = args.base or [_git("merge-base", "HEAD", "main")]
    shas = [_git("rev-parse", "--short", b) for b in bases]
    head_sha = _git("rev-parse", "--short", "HEAD")
    dirty = " (+ uncommitted changes)" if _git("status", "--porcelain", "src") else ""
    console = Console(width=140)
    with tempfile.TemporaryDirectory(prefix="corral-monbase-") as tmp:
        olds = [Path(tmp) / f"base{i}" for i in range(len(bases))]
        for old, base in zip(olds, bases, strict=True):
            _git("worktree", "add", "--detach", str(old), base)
        try:
            rows = []
            trees = [*olds, ROOT]
            kinds = [("rules only", False, "default")]
            if args.scorer:
                kinds += [("rules only, scorer off", False, "off"),
                          ("rules only, scorer on", False, "on")]  # fmt: skip
            for title, baseline, scorer in [*kinds, ("rules + anomaly score", True, "default")]:
                got: dict[Path, list[float]] = {t: [] for t in trees}
                with console.status(f"{title} …"):
                    for _ in range(args.reps):
                        for t in trees:
                            got[t].append(measure(t, args.events, baseline, scorer))
                rows.append((title, got))
            cold: dict[Path, list[tuple[float, float]]] = {t: [] for t in trees}
            with console.status("fresh processes …"):
                for _ in range(args.reps):
                    for t in trees:
                        cold[t].append(fresh(t, FRESH))
            with console.status("hostile events …"):
                worst = {t: hostile(t) for t in trees}
                scored = {t: hostile(t, "on") for t in trees} if args.scorer else {}
        finally:
            for old in olds:
                _git("worktree", "remove", "--force", str(old))
    table = Table(
        title=f"monitor events per CPU second, one core, median of {args.reps} "
        f"({args.events:,} events each)"
    )
    table.add_column("measure")
    for sha in shas:
        table.add_column(f"previous ({sha})")
    for col in (f"this tree ({head_sha}{dirty})",
                *(f"speed-up vs {sha}" for sha in shas), f"≥ {GOAL:,}"):  # fmt: skip
        table.add_column(col)
    for title, got in rows:
        o = [statistics.median(got[old]) for old in olds]
        new = got[ROOT]
        n = statistics.median(new)
        spread = f" [{min(new):,.0f}–{max(new):,.0f}]"
        table.add_row(
            title, *("—" if math.isnan(x) else f"{x:,.0f}" for x in o), f"{n:,.0f}{spread}",
            *("—" if math.isnan(x) else f"×{n / x:.2f}" for x in o),
            "yes" if n >= GOAL else "no",
        )  # fmt: skip
    console.print(table)
    first = Table(title=f"fresh process, rules only, median of {args.reps}")
    first.add_column("measure")
    for sha in shas:
        first.add_column(f"previous ({sha})")
    first.add_column(f"this tree ({head_sha}{dirty})")
    for i, (label, fmt) in enumerate(
        (("monitor built (CPU s)", "{:.3f}"), (f"first {FRESH:,} events (ev/s)", "{:,.0f}"))
    ):
        first.add_row(label, *(fmt.format(statistics.median(x[i] for x in cold[t]))
                               for t in [*olds, ROOT]))  # fmt: skip
    console.print(first)
    console.print(_hostile_table(
        "hostile events: CPU seconds each (one monitor with the anomaly score)",
        worst, olds, shas, f"this tree ({head_sha}{dirty})",
    ))  # fmt: skip
    if scored:
        console.print(_hostile_table(
            "hostile events with the learned scorer on: CPU seconds each",
            scored, olds, shas, f"this tree ({head_sha}{dirty})",
        ))  # fmt: skip


def _hostile_table(
    title: str, rows: dict[Any, list[dict[str, Any]]], olds: list[Any], shas: list[str], this: str
) -> Table:
    """One table of hostile events' costs: a column per previous tree, then this one (a
    previous tree without an event shows a dash)."""
    table = Table(title=title)
    table.add_column("event")
    for sha in shas:
        table.add_column(f"previous ({sha})")
    table.add_column(this)
    for i, n_row in enumerate(rows[ROOT]):
        table.add_row(n_row["name"],
                      *(_cell(rows[old][i]) if i < len(rows[old]) else "—" for old in olds),
                      _cell(n_row))  # fmt: skip
    return table

if __name__ == "__main__":
    main()
