"""Benchmark the WebAssembly tier against plain subprocesses, in one run.

    python benchmarks/bench_wasm.py [--quick]

Prints a table: each corral figure, the baseline measured in the same run
(``subprocess.run(["python3", "-c", ...])`` / ``node -e``), and the goal from
the foundation issue. Medians, so a noisy shared machine moves them little.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

from _timing import median_ms
from rich.console import Console
from rich.table import Table

import corral
from corral import Budget, Sandbox


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    k = 1 if args.quick else 4
    console = Console(width=140)
    rows: list[tuple[str, str, str, str, str]] = []

    def row(what: str, value: float, unit: str, baseline: str, goal: float | None) -> None:
        verdict = (
            "" if goal is None else ("[green]met[/green]" if value < goal else "[red]missed[/red]")
        )
        goal_s = "" if goal is None else f"< {goal:g} {unit}"
        rows.append((what, f"{value:.3f} {unit}", baseline, goal_s, verdict))

    with console.status("warming the module cache …"), Sandbox() as sb:
        sb.python("pass")
        sb.js("0")

    # Baselines, measured now, on this machine.
    with console.status("baseline: subprocess python3 …"):
        py_base = median_ms(
            lambda: subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True), 10 * k
        )
    node = shutil.which("node")
    js_base = None
    if node:
        with console.status("baseline: subprocess node …"):
            js_base = median_ms(
                lambda: subprocess.run([node, "-e", "console.log(1)"], capture_output=True), 5 * k
            )
    py_b = f"{py_base:.1f} ms (subprocess python3 -c)"
    js_b = f"{js_base:.1f} ms (subprocess node -e)" if js_base else "node not installed"

    with console.status("sandbox creation …"):

        def create() -> None:
            Sandbox().close()

        row("Sandbox() + close(), warm cache", median_ms(create, 50 * k), "ms", py_b, 5)

    with console.status("first calls …"):

        def first(lang: str) -> Callable[[], None]:
            def go() -> None:
                with Sandbox() as sb:
                    (sb.python if lang == "python" else sb.js)(
                        "print(1)" if lang == "python" else "console.log(1)"
                    )

            return go

        row("first python() in a new sandbox", median_ms(first("python"), 5 * k), "ms", py_b, None)
        row("first js() in a new sandbox", median_ms(first("js"), 5 * k), "ms", js_b, None)

    with Sandbox() as sb, console.status("later calls …"):
        sb.python("pass")
        sb.js("0")
        row(
            "later python('print(1)')",
            median_ms(lambda: sb.python("print(1)"), 200 * k),
            "ms",
            py_b,
            2,
        )
        row(
            "later js('console.log(1)')",
            median_ms(lambda: sb.js("console.log(1)"), 200 * k),
            "ms",
            js_b,
            2,
        )

    def echo(v: int) -> int:
        return v

    with Sandbox(tools=[echo]) as sb, console.status("tool calls …"):
        n = 2000 * k
        r = sb.python(
            "import time\n"
            f"t0 = time.perf_counter()\nfor i in range({n}):\n    echo(v=i)\n"
            "print((time.perf_counter() - t0) / " + str(n) + " * 1000)"
        )
        row("tool call round trip (python guest)", float(r.stdout), "ms", "in-process call", 1)
        r = sb.js(
            f"const t0 = Date.now(); for (let i = 0; i < {n}; i++) await echo({{v: i}});"
            f" console.log((Date.now() - t0) / {n})"
        )
        row("tool call round trip (js guest)", float(r.stdout), "ms", "in-process call", 1)

    with console.status("memory per idle sandbox …"):
        gc.collect()
        base = rss_mb()
        boxes = [Sandbox() for _ in range(10)]
        for b in boxes:
            b.python("x = 1")
        per_py = (rss_mb() - base) / len(boxes)
        for b in boxes:
            b.js("var x = 1")
        per_both = (rss_mb() - base) / len(boxes)
        for b in boxes:
            b.close()
        rows.append(("memory per idle sandbox (python started)", f"{per_py:.1f} MB", "", "", ""))
        rows.append(("memory per idle sandbox (python + js)", f"{per_both:.1f} MB", "", "", ""))

    with Sandbox(budget=Budget(fuel=10**12)) as sb, console.status("fuel overhead …"):
        loop = "t = 0\nfor i in range(300_000):\n    t += i"
        sb.python("pass")
        fuel_ms = median_ms(lambda: sb.python(loop), 5 * k)
    with Sandbox() as sb:
        sb.python("pass")
        plain_ms = median_ms(lambda: sb.python(loop), 5 * k)
    host_ms = median_ms(lambda: exec(loop, {}), 5 * k)
    rows.append(
        (
            "CPU loop (300k adds), epoch only",
            f"{plain_ms:.1f} ms",
            f"{host_ms:.1f} ms (host CPython)",
            "",
            "",
        )
    )
    rows.append(
        (
            "CPU loop, with fuel metering",
            f"{fuel_ms:.1f} ms",
            f"×{fuel_ms / plain_ms:.2f} vs epoch only",
            "",
            "",
        )
    )

    table = Table(title=f"corral {corral.__version__} — WebAssembly tier (medians)")
    for col in ("measure", "corral", "baseline (same run)", "goal", ""):
        table.add_column(col)
    for r in rows:
        table.add_row(*r)
    console.print(table)


if __name__ == "__main__":
    main()
