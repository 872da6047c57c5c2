"""Fresh-process cost of ``Sandbox(policy="default")`` (the monitor's rule pack), in one run.

    python benchmarks/bench_pack_load.py [--base REV] [--reps 5]

Each measurement is a fresh Python process that imports ``corral`` and then times one
constructor (the import is not counted): ``Sandbox()`` (no policy, no monitor) and
``Sandbox(policy="default")`` with the pack cache cold (an empty ``$CORRAL_HOME``),
warm (the cache written by an earlier process) and off (``CORRAL_PACK_CACHE=0``), for
this tree and for a previous version (``--base``, default: the merge base with
``main``, exported with ``git archive``). The kinds alternate, so a machine that gets
busier slows each alike; the table shows medians and the cost over ``Sandbox()``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.6  # seconds over Sandbox()

_CHILD = """
import sys, time
import corral
t = time.perf_counter()
sb = corral.Sandbox(policy=sys.argv[1]) if sys.argv[1] else corral.Sandbox()
print(time.perf_counter() - t)
sb.close()
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _run(src: Path, policy: str, home: Path, cache: bool = True) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "CORRAL_HOME": str(home)}
    env["CORRAL_PACK_CACHE"] = "1" if cache else "0"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, policy],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=None, help="previous version (default: merge base)")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    base = args.base or _git("merge-base", "HEAD", "main")
    console = Console(width=110)
    with tempfile.TemporaryDirectory(prefix="bench-packload-") as tmp:
        work = Path(tmp)
        base_tree = work / "base"
        base_tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", base, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base_tree)], input=archive, check=True)
        # the runtimes (wasm) live in the real home; the cache dirs under test are fresh
        warm_home = work / "warm"
        _run(ROOT / "src", "default", warm_home)  # writes the warm cache
        kinds: dict[str, list[float]] = {
            k: [] for k in ("none", "cold", "warm", "off", "base-none", "base-policy")
        }
        for i in range(args.reps):
            cold_home = work / f"cold{i}"
            kinds["none"].append(_run(ROOT / "src", "", warm_home))
            kinds["cold"].append(_run(ROOT / "src", "default", cold_home))
            kinds["warm"].append(_run(ROOT / "src", "default", warm_home))
            kinds["off"].append(_run(ROOT / "src", "default", warm_home, cache=False))
            kinds["base-none"].append(_run(base_tree / "src", "", work / "bhome"))
            kinds["base-policy"].append(_run(base_tree / "src", "default", work / "bhome"))
            shutil.rmtree(cold_home, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in kinds.items()}
    table = Table(title=f"fresh-process Sandbox() construction, median of {args.reps} (s)")
    table.add_column("tree")
    table.add_column("constructor")
    table.add_column("median s", justify="right")
    table.add_column("min-max s", justify="right")
    table.add_column("over Sandbox() s", justify="right")
    rows = [
        ("base " + base[:10], "Sandbox()", "base-none", "base-none"),
        ("base " + base[:10], 'Sandbox(policy="default")', "base-policy", "base-none"),
        ("this tree", "Sandbox()", "none", "none"),
        ("this tree", 'policy="default", cache cold', "cold", "none"),
        ("this tree", 'policy="default", cache warm', "warm", "none"),
        ("this tree", 'policy="default", cache off', "off", "none"),
    ]
    for tree, what, k, ref in rows:
        over = "" if k == ref else f"{med[k] - med[ref]:.2f}"
        table.add_row(
            tree, what, f"{med[k]:.2f}", f"{min(kinds[k]):.2f}-{max(kinds[k]):.2f}", over
        )
    console.print(table)
    over = med["warm"] - med["none"]
    verdict = "meets" if over <= GOAL else "misses"
    console.print(f"warm cache: {over:.2f} s over Sandbox() ({verdict} the {GOAL} s goal)")


if __name__ == "__main__":
    main()
