"""Seconds a sandbox call takes on one hostile shell line, beside a previous version.

Each shape is one line of repeated text (unclosed ``((``, extglob ``@(``, unclosed
``[`` in a glob, background jobs ``a&``, ``!(…)`` groups …) at two sizes. A cost that
grows with the square of the line shows as a ratio near 16 between the sizes (4× the
text); one pass, near 4. Every call runs in a fresh child process (a WebAssembly-tier
``Sandbox``, wall budget ``--wall``), for this tree and for each ``--base`` checked out in
a temporary ``git worktree``.

    python3 benchmarks/bench_hostile_lines.py --base aff347c [--small 8000] [--wall 60]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]

#: name -> (repeated unit, prefix); the line is prefix + unit * (size // len(unit))
SHAPES: dict[str, tuple[str, str]] = {
    "unclosed ((": ("((", "echo "),
    "unclosed $((": ("$((", "echo "),
    "extglob @(": ("@(", "echo "),
    "glob *?[": ("*?[", "echo "),
    "glob [\\]": ("[\\]", "echo "),
    "jobs a&": ("a&", ""),
    "open pipeline a|": ("a|", "echo "),
    "nested array a=(": ("a=(", "echo hi\n"),
    "!(…) groups (n/2000)": ("!(a)", "shopt -s extglob\ncase x in "),
}

_CHILD = r"""
import json, sys, time
import corral
line, wall = sys.argv[1], float(sys.argv[2])
sb = corral.Sandbox(policy="permissive", budget=corral.Budget(wall_s=wall))
sb.run("true")
t = time.monotonic()
r = sb.run(line)
print(json.dumps({"s": time.monotonic() - t, "exit": r.exit_code, "error": r.error}))
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _line(shape: str, size: int) -> str:
    unit, prefix = SHAPES[shape]
    if unit == "!(a)":  # exponential: a few groups are enough (4 and 16)
        return prefix + unit * max(1, size // 2000) + ") echo m;; esac"
    return prefix + unit * (size // len(unit))


def run(tree: Path, line: str, wall: float) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    p = subprocess.run(
        [sys.executable, "-c", _CHILD, line, str(wall)],
        capture_output=True, text=True, env=env, cwd=tree, timeout=wall + 120,
    )  # fmt: skip
    if p.returncode != 0:
        return {"s": float("nan"), "exit": None, "error": p.stderr.strip()[-80:]}
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


def _cell(got: dict[str, object]) -> str:
    s = float(got["s"])  # type: ignore[arg-type]
    err = got.get("error")
    return f"{s:.2f} s" + (f" ({err})" if err not in (None, "exit") else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", action="append", default=[], help="a previous version")
    ap.add_argument("--small", type=int, default=8000, help="the smaller line, characters")
    ap.add_argument("--wall", type=float, default=60.0, help="each call's wall budget, s")
    args = ap.parse_args()
    sizes = (args.small, 4 * args.small)
    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="corral-hostile-") as tmp:
        olds = [Path(tmp) / f"base{i}" for i in range(len(args.base))]
        for old, base in zip(olds, args.base, strict=True):
            _git("worktree", "add", "--detach", str(old), base)
        try:
            trees = [*olds, ROOT]
            names = [*(_git("rev-parse", "--short", b) for b in args.base), "this tree"]
            table = Table(title=f"one hostile line per call: seconds at {sizes[0]:,} and "
                          f"{sizes[1]:,} characters (wall budget {args.wall:g} s)")  # fmt: skip
            table.add_column("shape")
            for name in names:
                table.add_column(f"{name}: small")
                table.add_column(f"{name}: 4×")
                table.add_column("ratio")
            for shape in SHAPES:
                cells = [shape]
                for tree in trees:
                    with console.status(f"{shape} in {tree.name} …"):
                        got = [run(tree, _line(shape, n), args.wall) for n in sizes]
                    a, b = (float(g["s"]) for g in got)  # type: ignore[arg-type]
                    cells += [_cell(got[0]), _cell(got[1]), f"×{b / max(a, 1e-3):.1f}"]
                table.add_row(*cells)
        finally:
            for old in olds:
                _git("worktree", "remove", "--force", str(old))
    console.print(table)


if __name__ == "__main__":
    main()
