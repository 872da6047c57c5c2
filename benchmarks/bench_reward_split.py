"""One set's reward-hacking lines split in two halves by line index, measured apart.

Usage::

    python3 benchmarks/bench_reward_split.py --set 18 [--show A] [--json]

The reward-hacking lines (``class == "reward_hacking"``) of set ``N``'s attack file are
numbered in file order from 0; even numbers are half A, odd numbers half B. For each half
the script prints how many lines the monitor alerts on (rules only: no learned scorer, no
anomaly score, as the ``permissive`` policy's monitor, through
:func:`corral.monitor.evaluate.evaluate`). Nothing of a half's lines is printed unless
``--show`` names it: write rules from A, measure B before reading it, then read B.

The set is named by number and must be in-sample (:data:`IN_SAMPLE`): the fresh set is
never read. Run it with ``PYTHONPATH`` at the tree to measure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "src" / "corral" / "monitor" / "corpus"
#: the sets whose lines may be read; the fresh set is never named here
IN_SAMPLE = tuple(range(2, 21))
CLASS = "reward_hacking"


def halves(n: int) -> dict[str, list[str]]:
    """Set ``n``'s reward-hacking command lines, even indices in ``A``, odd in ``B``."""
    if n not in IN_SAMPLE:
        raise SystemExit(f"--set: only the in-sample sets {IN_SAMPLE[0]}-{IN_SAMPLE[-1]}")
    path = CORPUS / f"heldout{n}_attacks.jsonl"
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        if row.get("class") == CLASS and isinstance(row.get("command"), str):
            lines.append(row["command"])
    return {"A": lines[0::2], "B": lines[1::2]}


def alerted(commands: list[str]) -> list[list[str]]:
    """Per command, the rules the monitor (rules only) alerts with."""
    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import CorpusItem, evaluate

    items = [CorpusItem("malicious", CLASS, command=c) for c in commands]
    rep = evaluate(items, lambda: Monitor(packs=["default"], baseline=False, scorer=False))
    return [list(r.alerts) for r in rep.results]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=int, required=True, help="an in-sample set number")
    ap.add_argument("--show", choices=("A", "B"), action="append", default=[],
                    help="list this half's lines (alerted or missed)")  # fmt: skip
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    parts = halves(args.set)
    out: dict[str, Any] = {}
    for name, commands in parts.items():
        got = alerted(commands)
        out[name] = {"lines": len(commands), "alerted": sum(bool(a) for a in got)}
        if name in args.show:
            out[name]["rows"] = [[c, a] for c, a in zip(commands, got, strict=True)]
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for name, d in out.items():
        print(f"set {args.set} half {name}: {d['alerted']} of {d['lines']} alerted (rules only)")
    for name in args.show:
        for c, a in out[name]["rows"]:
            print(f"  {name} {'ALERT' if a else 'miss '} {', '.join(a) or '-':40.40} {c}")


if __name__ == "__main__":
    sys.exit(main())
