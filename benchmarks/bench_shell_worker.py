"""The confined shell worker against the in-process shell it replaced and `bash -c`.

    python benchmarks/bench_shell_worker.py [--quick]

All three measured in this run, medians. "in-process" is the corral shell called
directly in this process with the same event hooks the sandbox used before the worker
(so it pays the same per-command events), i.e. the shell as it ran before issue 10.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _timing import median_ms
from rich.console import Console
from rich.table import Table

from corral import Budget, Sandbox
from corral.files import Workspace
from corral.sandbox import _TierHooks
from corral.shell.session import new_shell

PIPELINE = "grep -v zzz big.txt | sort | uniq -c | sort -n | tail -3"




def make_file(path: Path, size: int) -> None:
    rnd = random.Random(7)
    words = [f"word{n}" for n in range(2000)]
    out, total = [], 0
    while total < size:
        line = " ".join(rnd.choice(words) for _ in range(8))
        out.append(line)
        total += len(line) + 1
    path.write_text("\n".join(out) + "\n")


def private_mb(pid: int) -> float:
    """Memory only this process holds (private pages; shared template pages excluded)."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 100 if args.quick else 400
    console = Console(width=130)
    rows: list[tuple[str, str, str, str, str]] = []

    def row(what: str, corral_v: str, inproc: str, bash: str, goal: str) -> None:
        rows.append((what, corral_v, inproc, bash, goal))

    tmp = Path(tempfile.mkdtemp(prefix="corral-bench-"))
    try:
        make_file(tmp / "big.txt", 10 * 1024 * 1024)
        with Sandbox() as warm:  # the template is loaded once per host process
            warm.run("true")

        def create_close() -> None:
            Sandbox().close()

        def create_first_run() -> None:
            with Sandbox() as sb:
                sb.run("true")

        create = median_ms(create_close, n // 4)
        first = median_ms(create_first_run, n // 8)

        with Sandbox(workdir=tmp, budget=Budget(wall_s=120)) as sb:
            sb.run("true")
            ws = Workspace(tmp, Budget(wall_s=120))
            shell = new_shell(ws, _TierHooks(sb))

            def inproc(script: str) -> Callable[[], object]:
                return lambda: shell.run(script, deadline=time.monotonic() + 120)

            def bash(script: str) -> Callable[[], object]:
                return lambda: subprocess.run(
                    ["bash", "-c", script], cwd=tmp, capture_output=True, check=False
                )

            def inproc_create() -> None:
                new_shell(ws, _TierHooks(sb)).run("true")

            row(
                "Sandbox() + close()",
                f"{create:.3f} ms",
                "",
                "",
                "≤ 5 ms " + ("met" if create <= 5 else "missed"),
            )
            row(
                "new sandbox + first run('true') (worker fork)",
                f"{first:.2f} ms",
                f"{median_ms(inproc_create, n // 4):.3f} ms (new Shell + run)",
                f"{median_ms(bash('true'), 30):.2f} ms",
                "",
            )
            echo = median_ms(lambda: sb.run("echo hi"), n)
            bash_echo = median_ms(bash("echo hi"), 40)
            row(
                "warm run('echo hi')",
                f"{echo:.3f} ms",
                f"{median_ms(inproc('echo hi'), n):.3f} ms",
                f"{bash_echo:.2f} ms",
                "≤ 0.3 ms, ≥ 5× bash: "
                + ("met" if echo <= 0.3 and bash_echo / echo >= 5 else "missed")
                + f" ({bash_echo / echo:.1f}×)",
            )
            loop = "for i in $(seq 200); do echo $i; done | wc -l"
            row(
                "200 commands in a loop",
                f"{median_ms(lambda: sb.run(loop), n // 20):.2f} ms",
                f"{median_ms(inproc(loop), n // 20):.2f} ms",
                f"{median_ms(bash(loop), 10):.2f} ms",
                "",
            )
            k = 3 if args.quick else 7
            pipe = median_ms(lambda: sb.run(PIPELINE), k)
            pipe_in = median_ms(inproc(PIPELINE), k)
            row(
                "5-stage pipeline over 10 MB",
                f"{pipe:.0f} ms",
                f"{pipe_in:.0f} ms",
                f"{median_ms(bash(PIPELINE), k):.0f} ms",
                "no slower than in-process: " + ("met" if pipe <= pipe_in * 1.1 else "missed"),
            )
        sbs = [Sandbox() for _ in range(8)]
        for s in sbs:
            s.run("x=1")
        mem = statistics.median(private_mb(s._tier.proc.pid) for s in sbs if s._tier)
        for s in sbs:
            s.close()
        row("memory per idle sandbox (worker's private pages)", f"{mem:.1f} MB", "0 (in host)",
            "", "")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    table = Table(title=f"shell worker vs in-process shell vs bash -c (medians, pid {os.getpid()})")
    for col in ("measure", "corral (worker)", "in-process shell", "bash -c", "goal"):
        table.add_column(col)
    for r in rows:
        table.add_row(*r)
    console.print(table)


if __name__ == "__main__":
    main()
