"""The learned command-text scorer's cost: monitor events/s with and without it, in one run.

    python benchmarks/bench_scorer.py [--reps 3] [--events 30000]

Each measurement is a fresh process pinned to one core running
:func:`corral.monitor.bench.run` (the monitor benchmark's benign stream, rules only) with
``Monitor(scorer=False)`` (the baseline) or ``Monitor(scorer=True)``, alternating. Then,
in this process: the model file's size and load time, the fast reject's build time, and
the cost of one command text: new (``fires``: the fast reject, a full score only when it
cannot prove the text below the threshold), scored in full, and seen before.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

_CHILD = """
import json, os, sys
os.sched_setaffinity(0, {0})
from corral.monitor import bench
from corral.monitor.engine import Monitor
n, on = int(sys.argv[1]), sys.argv[2] == "1"
bench.run(2_000, monitor=Monitor(baseline=False, scorer=on))  # warm up imports and indexes
print(json.dumps(bench.run(n, monitor=Monitor(baseline=False, scorer=on), baseline=False)))
"""


def _measure(n: int, on: bool) -> float:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), "1" if on else "0"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(json.loads(out)["events_per_s"])


def _per_text() -> dict[str, float]:
    from corral.monitor.bench import benign_events
    from corral.monitor.scorer import MODEL_PATH, CommandScorer, command_text

    t0 = time.perf_counter()
    model = CommandScorer.load(MODEL_PATH)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    reject = model.reject
    build = time.perf_counter() - t0
    texts = [t for e in benign_events(20_000) if e.action and (t := command_text(e.action))]
    unique = list(dict.fromkeys(texts))
    half = len(unique) // 2
    for t in unique[:half]:
        model.fires(t)  # RE2 builds the DFA states these texts need
    c0 = time.process_time()
    for t in unique[half:]:
        model.fires(t)  # texts not seen before: the fast reject (or a full score)
    fires = (time.process_time() - c0) / (len(unique) - half)
    c0 = time.process_time()
    for t in unique:
        model.score(t)  # the full score: every token new the first time
    full = (time.process_time() - c0) / len(unique)
    c0 = time.process_time()
    for _ in range(5):
        for t in unique[:4096]:
            model.fires(t)
    cached = (time.process_time() - c0) / (5 * 4096)
    return {
        "size": MODEL_PATH.stat().st_size,
        "weights": len(model.weights),
        "patterns": len(reject.weights) - 1 if reject is not None else 0,
        "load": load,
        "build": build,
        "fires": fires,
        "full": full,
        "cached": cached,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--events", type=int, default=30_000)
    args = ap.parse_args()
    off: list[float] = []
    on: list[float] = []
    for _ in range(args.reps):
        off.append(_measure(args.events, False))
        on.append(_measure(args.events, True))
    a, b = statistics.median(off), statistics.median(on)
    table = Table(title=f"monitor events per CPU second, one core, median of {args.reps}")
    for col in ("monitor (rules only)", "events/s", "vs without"):
        table.add_column(col, justify="right")
    table.add_row("without the scorer (baseline)", f"{a:,.0f}", "×1.00")
    table.add_row("with the scorer", f"{b:,.0f}", f"×{b / a:.2f}")
    console = Console()
    console.print(table)
    p = _per_text()
    t2 = Table(title="the scorer alone")
    t2.add_column("measure")
    t2.add_column("value", justify="right")
    t2.add_row("model file", f"{p['size'] / 1024:.0f} KiB, {p['weights']:,.0f} weights")
    t2.add_row("load (once per process)", f"{p['load'] * 1000:.0f} ms")
    t2.add_row(f"fast reject built ({p['patterns']:,.0f} literals, RE2)",
               f"{p['build'] * 1000:.0f} ms")  # fmt: skip
    t2.add_row("a new text: fires() (fast reject first)", f"{p['fires'] * 1e6:.2f} µs")
    t2.add_row("a new text: full score (tokens new)", f"{p['full'] * 1e6:.1f} µs")
    t2.add_row("a text seen before", f"{p['cached'] * 1e6:.2f} µs")
    console.print(t2)


if __name__ == "__main__":
    main()
