"""The monitor's cost in instructions per event (valgrind's cachegrind: deterministic,
where timed runs on a loaded machine spread ±10-50 %), this tree against previous ones.

    python benchmarks/bench_monitor_instructions.py [--base REV ...] [--events 10000]
        [--unique] [--scorer off|on|both]

For each tree (this one, and each ``--base`` checked out in a temporary ``git
worktree``) and the learned scorer off and on: a process builds the monitor, observes
``corral.monitor.bench``'s 2,000-event warm-up, freezes the garbage collector (as
``bench.run`` does) and then observes ``--events`` more; the instructions of those
events alone are counted, per event. They run inside one C call (a ``deque`` of
``maxlen=0`` consuming ``map(observe, events)``) that callgrind collects alone
(``--toggle-collect``): the same count run after run, where subtracting the count of a
process that observes none of them (the old way, ``--subtract``, cachegrind) carried
the build's run-to-run variation (threads' GIL hand-overs: ±5k per event over 10,000
events). ``--unique``: the same stream with every text made new (each event's last
argument, script, path, url or tool argument given its own suffix: no content repeats,
the kept answers' worst case). ``--scorer off`` (or ``on``) measures one setting only: half
the valgrind runs, for a loaded machine. The last column is this tree's count against each
base's (scorer off when measured, else on): negative is fewer instructions here. Needs ``valgrind``.
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
import collections, gc, sys
from corral.monitor import bench
from corral.monitor.engine import Monitor
n, on, warm = int(sys.argv[1]), sys.argv[2] == "on", int(sys.argv[3])
events = bench.benign_events(warm + int(sys.argv[4]))
if sys.argv[5] == "unique":  # every text new (the last argument, script, path, url...)
    def _new(ev, i):
        a = ev.action
        if a is None:
            return ev
        k, u = a.kind, f"u{i}"
        if k == "exec":
            argv = [*a.argv[:-1], a.argv[-1] + u]
            a = a.model_copy(update={"argv": argv, "line": " ".join(argv)})
        elif k == "code":
            a = a.model_copy(update={"code": a.code + (" " + u if a.language == "shell"
                                                       else "  # " + u)})
        elif k == "file":
            a = a.model_copy(update={"path": a.path + u})
        elif k == "net":
            a = a.model_copy(update={"url": a.url + u})
        elif k == "tool":
            a = a.model_copy(update={"args": {**a.args, "q": u}})
        return ev.model_copy(update={"action": a})
    events = [_new(ev, i) for i, ev in enumerate(events)]
mon = Monitor(baseline=False, scorer=on)
for ev in events[:warm]:
    mon.observe(ev)
gc.collect()
gc.freeze()
collections.deque(map(mon.observe, events[warm:warm + n]), maxlen=0)  # the measured call
"""
#: the C function the measured events run in (callgrind collects only inside it)
_MEASURED = "deque_init"


#: the stream: ``bench.benign_events`` as it is, or with every text new (``--unique``)
_STREAM = "bench"


def _warm(tree: Path, env: dict[str, str]) -> None:
    """Build the tree's rule pack cache natively first: built under valgrind (a pack no
    process has loaded yet) it took the first run 15+ CPU minutes; loaded, ~3."""
    code = "from corral.monitor.engine import Monitor; Monitor(baseline=False)"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True,
                   capture_output=True)  # fmt: skip


def _valgrind(tree: Path, tool: list[str], n: int, scorer: str, events: int) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    _warm(tree, env)
    out = subprocess.run(
        ["valgrind", *tool, sys.executable, "-c", _CHILD, str(n), scorer, str(WARM),
         str(events), _STREAM],
        capture_output=True, text=True, env=env, cwd=tree, check=True,
    )  # fmt: skip
    return out.stderr


def _count(pattern: str, stderr: str) -> int:
    m = re.search(pattern, stderr)
    if m is None:
        raise SystemExit(f"no instruction count from valgrind:\n{stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def _instructions(tree: Path, n: int, scorer: str, events: int) -> int:
    tool = ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    return _count(r"I\s+refs:\s+([\d,]+)", _valgrind(tree, tool, n, scorer, events))


def per_event(tree: Path, events: int, scorer: str, subtract: bool = False) -> float:
    if not subtract:
        tool = ["--tool=callgrind", f"--toggle-collect={_MEASURED}",
                "--callgrind-out-file=/dev/null"]  # fmt: skip
        got = _count(r"Collected\s*:\s*([\d,]+)", _valgrind(tree, tool, events, scorer, events))
        if got:
            return got / events
        # nothing collected: this python's symbols do not name the function
    return (
        _instructions(tree, events, scorer, events) - _instructions(tree, 0, scorer, events)
    ) / events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", action="append", default=[], help="a previous version")
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--subtract", action="store_true",
                    help="the old way: whole processes with and without the events (noisier)")
    ap.add_argument("--unique", action="store_true",
                    help="every event's text made new (no content repeats)")
    ap.add_argument("--scorer", choices=("off", "on", "both"), default="both",
                    help="the learned scorer's settings to measure (default both)")
    args = ap.parse_args()
    global _STREAM
    _STREAM = "unique" if args.unique else "bench"
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    if args.events < 1:
        raise SystemExit("--events must be at least 1")
    console = Console()
    tool = "cachegrind" if args.subtract else "callgrind"
    settings = ("off", "on") if args.scorer == "both" else (args.scorer,)
    said = {"both": "the learned scorer off and on", "off": "the learned scorer off",
            "on": "the learned scorer on"}[args.scorer]  # fmt: skip
    table = Table(title=f"monitor instructions per event ({tool}, {args.events:,} events "
                  f"after a {WARM:,}-event warm-up{'; every text new' if args.unique else ''}; "
                  f"{said})")  # fmt: skip
    columns = ["tree", *(f"scorer {s}" for s in settings)]
    if len(settings) == 2:
        columns.append("events/s on ÷ off")
    columns.append("this tree against it")
    for col in columns:
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="corral-instr-") as tmp:
        trees = [("this tree", ROOT)]
        for rev in args.base:
            path = Path(tmp) / rev.replace("/", "_")
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(path), rev], check=True)  # fmt: skip
            trees.append((rev, path))
        try:
            first: float | None = None
            for name, tree in trees:
                with console.status(f"{name} …"):
                    counts = [per_event(tree, args.events, s, args.subtract) for s in settings]
                row = [name, *(f"{c:,.0f}" for c in counts)]
                if len(settings) == 2:
                    row.append(f"×{counts[0] / counts[1]:.3f}")
                if first is None:
                    first = counts[0]
                    row.append("")
                else:
                    row.append(f"{(first - counts[0]) / counts[0]:+.2%}")
                table.add_row(*row)
        finally:
            for _, tree in trees[1:]:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=False)  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
