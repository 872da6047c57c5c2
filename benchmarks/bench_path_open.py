"""Benchmark the kernel-checked opener against the old resolve-then-open, same run.

    python benchmarks/bench_path_open.py [--quick]

Rows: open+close of a file for reading and for writing (the shell does one per
redirection), by

- ``old``: ``Workspace.resolve`` (a string walk, one lstat per component) then
  ``os.open(O_NOFOLLOW)`` — what corral did before the walls;
- ``openat2``: ``Workspace.open`` with openat2 (RESOLVE_BENEATH|NO_SYMLINKS);
- ``walk``: ``Workspace.open`` with openat2 switched off (the descriptor walk,
  the fallback for kernels without openat2);

for a shallow and a deep path, and a path through a symlink (which openat2
refuses with ELOOP, so it falls back to the walk). Then ``Workspace.disk_usage``
over a tree of 2,000 files, and ``echo x > f`` through the shell.
"""

from __future__ import annotations

import argparse
import os
import stat
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from corral import Sandbox, beneath
from corral.budget import Budget
from corral.files import Workspace


def median_us(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def old_open(ws: Workspace, path: str, flags: int) -> None:
    os.close(os.open(ws.resolve(path), flags | os.O_NOFOLLOW, 0o644))


def new_open(ws: Workspace, path: str, flags: int) -> None:
    os.close(ws.open(path, flags, 0o644))


def old_disk_usage(root: Path) -> tuple[int, int]:
    """The walk before the walls (paths, ``os.scandir(path)``), for comparison."""
    total = count = 0
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                count += 1
                st = e.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(e.path)
                else:
                    total += st.st_blocks * 512 if st.st_blocks else st.st_size
    return total, count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 2_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = Workspace(root, Budget())
        (root / "a/b/c/d/e").mkdir(parents=True)
        (root / "f.txt").write_text("x")
        (root / "a/b/c/d/e/f.txt").write_text("x")
        os.symlink("/workspace/a/b/c", root / "link")
        cases = [
            ("read f.txt", "f.txt", os.O_RDONLY),
            ("read a/b/c/d/e/f.txt", "a/b/c/d/e/f.txt", os.O_RDONLY),
            ("read link/d/e/f.txt", "link/d/e/f.txt", os.O_RDONLY),
            ("write f.txt", "f.txt", os.O_WRONLY | os.O_TRUNC),
            ("write a/b/c/d/e/f.txt", "a/b/c/d/e/f.txt", os.O_WRONLY | os.O_TRUNC),
        ]
        table = Table(title=f"open+close, median of {n} (µs)")
        for col in ("case", "old resolve+open", "openat2", "walk (fallback)"):
            table.add_column(col, justify="right" if col != "case" else "left")
        have = beneath.openat2.enabled
        for label, path, flags in cases:
            old = median_us(lambda p=path, f=flags: old_open(ws, p, f), n)
            fast = median_us(lambda p=path, f=flags: new_open(ws, p, f), n) if have else None
            beneath.openat2.enabled = False
            walk = median_us(lambda p=path, f=flags: new_open(ws, p, f), n)
            beneath.openat2.enabled = have
            table.add_row(
                label, f"{old:.1f}", "n/a" if fast is None else f"{fast:.1f}", f"{walk:.1f}"
            )
        Console().print(table)

        for i in range(40):
            d = root / "tree" / f"d{i}"
            d.mkdir(parents=True)
            for j in range(50):
                (d / f"f{j}").write_bytes(b"x")
        t = Table(title="disk_usage over 2,000 files (ms, median of 20)")
        t.add_column("walk")
        t.add_column("ms", justify="right")
        t.add_row("paths (old)", f"{median_us(lambda: old_disk_usage(root), 20) / 1000:.2f}")
        t.add_row("descriptors (new)", f"{median_us(ws.disk_usage, 20) / 1000:.2f}")
        Console().print(t)

    with Sandbox() as sb:
        sb.run("true")
        reps = 200 if args.quick else 1000
        script = f"for i in $(seq {reps}); do echo x > f; done"
        t0 = time.perf_counter()
        sb.run(script, timeout=120)
        per = (time.perf_counter() - t0) / reps * 1e6
        t = Table(title="shell redirection")
        t.add_column("case")
        t.add_column("µs per iteration", justify="right")
        t.add_row("echo x > f (loop)", f"{per:.1f}")
        Console().print(t)


if __name__ == "__main__":
    main()
