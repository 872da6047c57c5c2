"""Detection and refusal measured live (every line run in a real sandbox) beside the
replay that ``bench_detection.py`` measures, in one run of this tree.

Usage::

    python3 benchmarks/bench_live_detection.py --attacks FILE --benign FILE
        [--scorer default|on|off] [--limit N] [--timeout S] [--show N] [--json]

``bench_detection.py`` replays each command line through the event construction a
sandbox uses (:func:`corral.monitor.evaluate.command_events`) and asks the ``default``
policy about the line. This benchmark runs each line in the WebAssembly tier instead:

* **permissive, live**: the line runs under ``permissive``; a fresh monitor (the same
  packs and scorer as the replay) is fed every event the sandbox emitted for it — the
  shell's commands, its built-ins' file notices, the Python guest's intents;
* **default, live**: the line runs under ``default`` with no approver; it counts as
  refused when the sandbox denied any of its actions (the line, a command of it, a file,
  a host), and as alerted as above.

Each sandbox serves :data:`CHUNK` lines, then a fresh one starts, so what one line leaves
(a variable, a directory) reaches few others. A line gets ``--timeout`` seconds (wall)
in each mode. The table shows both measures, how many lines the replay flags that the
live run does not (``replay only``) and the other way round (``live only``). The issue's
promise is one path for eval and live, so ``replay only`` should stay near zero; a line
can differ for honest reasons: a command never reached live because the one before it
failed (no ``helm`` in the tier), a script refused whole before any command of it ran
(the monitor sees the refusal, not the commands the replay's shell decoded), effects only
a live run has (a file the shell really wrote).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: lines per sandbox
CHUNK = 40


def _monitor(scorer: str) -> Any:
    from corral.monitor.engine import Monitor

    extra = {} if scorer == "default" else {"scorer": scorer == "on"}
    return Monitor(packs=["default"], baseline=False, **extra)


def run_live(
    commands: list[str], policy: str, scorer: str, timeout: float, progress: Any = None
) -> dict[str, tuple[bool, bool]]:
    """``command -> (alerted, refused)`` for each command run in a wasm sandbox."""
    import corral
    from corral.errors import CorralError, SessionStopped
    from corral.events import EventBus

    out: dict[str, tuple[bool, bool]] = {}
    seen: list[Any] = []
    sb: Any = None
    served = 0
    try:
        for command in commands:
            if sb is None or served >= CHUNK:
                if sb is not None:
                    sb.close()
                bus = EventBus()
                bus.subscribe(seen.append)
                sb = corral.Sandbox(bus=bus, policy=policy)
                served = 0
            served += 1
            seen.clear()
            stopped = False
            try:
                sb.run(command, timeout=timeout)
            except SessionStopped:
                stopped = True  # the sandbox's monitor killed it: the next line gets a new one
            except CorralError:
                pass  # (a session that broke restarts at the next call)
            events = [e for e in seen if e.session == sb.session]
            mon = _monitor(scorer)
            alerted = any(mon.observe(e) for e in events)
            refused = any(e.type == "action.denied" for e in events)
            out[command] = (alerted, refused)
            if progress is not None:
                progress()
            if stopped:
                served = CHUNK
                continue
            # the next line starts where the sandbox started
            try:
                sb.run("cd /workspace", timeout=timeout)
            except CorralError:
                served = CHUNK
    finally:
        if sb is not None:
            sb.close()
    return out


def main(argv: list[str] | None = None) -> int:
    import bench_detection as bd
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attacks", type=Path, required=True, help="attack corpus (JSON lines)")
    ap.add_argument("--benign", type=Path, required=True, help="benign corpus (JSON lines)")
    ap.add_argument("--scorer", choices=("default", "on", "off"), default="default")
    ap.add_argument("--limit", type=int, default=0, help="only the first N lines of each")
    ap.add_argument("--timeout", type=float, default=3.0, help="wall seconds per line")
    ap.add_argument("--show", type=int, default=0, help="list this many replay-only lines")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    console = Console(stderr=True)
    problems = [
        *bd._check_corpus(args.attacks, "malicious"),
        *bd._check_corpus(args.benign, "benign"),
    ]
    if problems:
        for p in problems[:10]:
            console.print(f"[red]{p}[/]")
        return 2
    attacks, benign = bd._load(args.attacks), bd._load(args.benign)
    if args.limit > 0:
        attacks, benign = attacks[: args.limit], benign[: args.limit]
    replay = bd.measure_lines(attacks, benign, args.scorer)
    att = [o["command"] for o in attacks]
    ben = [o["command"] for o in benign]
    total = 2 * (len(att) + len(ben))
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("lines run live", total=total)

        def step() -> None:
            bar.advance(task)

        perm = run_live(att + ben, "permissive", args.scorer, args.timeout, step)
        dflt = run_live(att + ben, "default", args.scorer, args.timeout, step)

    def rate(values: list[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    live = {
        "permissive_alerted": rate([perm[c][0] for c in att]),
        "default_refused_or_alerted": rate([dflt[c][0] or dflt[c][1] for c in att]),
        "false_positive": rate([perm[c][0] for c in ben]),
        "default_benign_refused": rate([dflt[c][1] for c in ben]),
    }
    only = {
        "permissive_alerted": [c for c in att if replay["alerted"][c] and not perm[c][0]],
        "default_refused_or_alerted": [
            c
            for c in att
            if (replay["alerted"][c] or replay["refused"][c]) and not (dflt[c][0] or dflt[c][1])
        ],
        "false_positive": [c for c in ben if replay["alerted"][c] and not perm[c][0]],
        "default_benign_refused": [c for c in ben if replay["refused"][c] and not dflt[c][1]],
    }
    extra = {
        "permissive_alerted": [c for c in att if perm[c][0] and not replay["alerted"][c]],
        "default_refused_or_alerted": [
            c
            for c in att
            if (dflt[c][0] or dflt[c][1]) and not (replay["alerted"][c] or replay["refused"][c])
        ],
        "false_positive": [c for c in ben if perm[c][0] and not replay["alerted"][c]],
        "default_benign_refused": [c for c in ben if dflt[c][1] and not replay["refused"][c]],
    }
    figures = {k: {"replay": replay["figures"][k], "live": live[k], "replay_only": len(only[k]),
                   "live_only": len(extra[k])} for k in live}  # fmt: skip
    if args.json:
        print(json.dumps({"attacks": len(att), "benign": len(ben), "figures": figures,
                          "replay_only": only, "live_only": extra}, indent=1))  # fmt: skip
        return 0
    table = Table(title=f"{args.attacks.name} + {args.benign.name}: "
                        f"{len(att)} attacks, {len(ben)} benign, scorer {args.scorer}")  # fmt: skip
    for col in ("figure", "replay", "live", "replay only (lines)", "live only (lines)"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    names = {
        "permissive_alerted": "permissive: attacks alerted",
        "default_refused_or_alerted": "default: attacks refused or alerted",
        "false_positive": "monitor false positives (benign)",
        "default_benign_refused": "default, no approver: benign refused",
    }
    for k, label in names.items():
        f = figures[k]
        table.add_row(label, f"{f['replay']:.1%}", f"{f['live']:.1%}", str(f["replay_only"]),
                      str(f["live_only"]))  # fmt: skip
    Console().print(table)
    for k in names:
        for c in only[k][: args.show]:
            Console().print(f"  replay only, {k}: {c[:160]}", markup=False, highlight=False)
        for c in extra[k][: args.show]:
            Console().print(f"  live only, {k}: {c[:160]}", markup=False, highlight=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
