"""Benchmark the corral shell against real bash (via subprocess), in one run.

    python benchmarks/bench_shell.py [--quick]

Both run the same scripts over the same 10 MB file; bash in a temporary
directory, corral in its sandbox. Medians of several runs.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

from _timing import median_ms
from rich.console import Console
from rich.table import Table

import corral
from corral import Budget, Sandbox

PIPELINE = "grep -v zzz big.txt | sort | uniq -c | sort -n | tail -3"
LOOP = "s=0; for ((i=0; i<1000; i++)); do s=$((s + i)); done; echo $s"
LOOP_CMDS = "for i in $(seq 1000); do echo $i; done | wc -l"


def make_file(path: Path, size: int) -> None:
    rnd = random.Random(7)
    words = [f"word{n}" for n in range(2000)]
    lines = []
    total = 0
    while total < size:
        line = " ".join(rnd.choice(words) for _ in range(8))
        lines.append(line)
        total += len(line) + 1
    path.write_text("\n".join(lines) + "\n")




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    k = 1 if args.quick else 3
    console = Console(width=140)
    bash = shutil.which("bash")
    tmp = Path(tempfile.mkdtemp(prefix="corral-bench-"))
    rows = []
    try:
        with console.status("making a 10 MB file …"):
            make_file(tmp / "big.txt", 10 * 1024 * 1024)
        with Sandbox(budget=Budget(wall_s=600, output_chars=10**8, disk_mb=200)) as sb:
            shutil.copy(tmp / "big.txt", sb.path / "big.txt")
            sb.run("true")
            cases = [
                ("echo hi", "echo hi", 50 * k),
                ("5-stage pipeline over 10 MB", PIPELINE, k),
                ("1,000-iteration arithmetic loop", LOOP, 5 * k),
                ("1,000 commands through a pipe", LOOP_CMDS, 3 * k),
            ]
            for title, script, n in cases:
                with console.status(f"{title} …"):
                    ours = sb.run(script)
                    ref = (
                        subprocess.run(
                            [bash, "-c", script],
                            cwd=tmp,
                            capture_output=True,
                            text=True,
                            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                        )
                        if bash
                        else None
                    )
                    same = ref is not None and ours.stdout == ref.stdout
                    c_ms = median_ms(lambda s=script: sb.run(s), n)
                    b_ms = (
                        median_ms(
                            lambda s=script: subprocess.run(
                                [bash, "-c", s],
                                cwd=tmp,
                                capture_output=True,
                                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                            ),
                            n,
                        )
                        if bash
                        else float("nan")
                    )
                    rows.append((title, c_ms, b_ms, "yes" if same else "NO"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = Table(title=f"corral {corral.__version__} shell vs bash (medians)")
    for col in ("script", "corral shell", "bash via subprocess (same run)", "ratio", "same output"):
        table.add_column(col)
    for title, c, b, same in rows:
        table.add_row(title, f"{c:.2f} ms", f"{b:.2f} ms", f"×{c / b:.2f}", same)
    console.print(table)


if __name__ == "__main__":
    main()
