"""What the workspace file walls (``corral.filewalls``) cost a bwrap sandbox start.

Usage::

    python3 benchmarks/bench_file_walls.py [--sizes 100,3000,30000] [--reps 10]

For workspaces of each size (files in nested directories, a few of them named by the
``default`` policy's file rules: a ``gold.patch``, an ``AGENTS.md``, a ``.claude/``), it
prints the walk's cost (first, then again with the per-directory cache), the check each
native run gets after it (walk again, compare what lies under a read-only wall: one file
in ten of the workspace is put under ``.claude/``), and the time of one bwrap ``exec``
of ``true`` with the walls and without them (the baseline: the same backend with no file
rules), measured in the same run, best and median of ``--reps``.
Needs bubblewrap (root for the full sandbox; without root the walls work the same).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from corral import Budget, Sandbox
from corral.native.bwrap import BwrapBackend


def make_tree(root: Path, n: int) -> None:
    per_dir = 30
    for i in range(n):
        d = root / f"d{i // (per_dir * per_dir)}" / f"e{(i // per_dir) % per_dir}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.py").write_text("x = 1\n")
    (root / "gold.patch").write_text("secret\n")
    (root / "AGENTS.md").write_text("rules\n")
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text("{}\n")
    (root / ".claude" / "cache").mkdir()
    for i in range(n // 10):  # files under a read-only wall: each is marked at each walk
        (root / ".claude" / "cache" / f"c{i}.json").write_text("{}\n")


def timed(fn, reps: int) -> tuple[float, float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out), statistics.median(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,3000,30000")
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x]
    except ValueError:
        print(f"--sizes: expected numbers separated by commas, got {args.sizes!r}")
        return 2
    table = Table(title="bwrap start with the workspace file walls (default policy)")
    for col in ("files", "walls", "walk first ms", "walk again ms", "check after run ms",
                "exec no walls ms (best/median)", "exec walls ms (best/median)", "ratio"):
        table.add_column(col, justify="right")  # fmt: skip
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="corral-bench-walls-") as d:
            root = Path(d)
            make_tree(root, n)
            sb = Sandbox(backend="bwrap", policy="default", workspace=root)
            hooks = sb._tier_hooks()
            t0 = time.perf_counter()
            plan = hooks.file_walls(root)
            first = time.perf_counter() - t0
            again, _ = timed(lambda h=hooks, r=root: h.file_walls(r), 3)
            check, _ = timed(hooks.undo_refused_writes, 3)
            results = []
            for walls in (None, hooks.file_walls):
                with BwrapBackend(root, Budget(wall_s=30), monitor=False, file_walls=walls) as b:
                    b.run(["true"])  # warm
                    results.append(timed(lambda b=b: b.run(["true"]), args.reps))
            sb.close()
            (b0, m0), (b1, m1) = results
            table.add_row(
                str(n), str(len(plan.walls)), f"{first * 1e3:.1f}", f"{again * 1e3:.2f}",
                f"{check * 1e3:.2f}",
                f"{b0 * 1e3:.1f} / {m0 * 1e3:.1f}", f"{b1 * 1e3:.1f} / {m1 * 1e3:.1f}",
                f"×{m1 / m0:.2f}",
            )  # fmt: skip
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
