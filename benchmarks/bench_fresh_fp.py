"""Which rules fire on everyday work from ecosystems a set had never seen before.

Usage::

    python3 benchmarks/bench_fresh_fp.py [--sets 2-20] [--json] [--show N]
    python3 benchmarks/bench_fresh_fp.py --dump FILE     # every line's alerts, sets 1-20
    python3 benchmarks/bench_fresh_fp.py --diff FILE     # ... compared with a dump
    python3 benchmarks/bench_fresh_fp.py --scorer --dump FILE  # ... the learned scorer on
    python3 benchmarks/bench_fresh_fp.py --events EV --dump FILE  # ... on fixed events
    python3 benchmarks/bench_fresh_fp.py --history  # each set, rules that met it fresh

Leave-one-set-out does not predict a fresh set's false positives: the rules were tuned
on every in-sample set, so each one now fires on few of its lines. What a fresh set
brings is *ecosystems nobody tuned for* (set 12: Odoo, Frappe, QMK, ...), and the same
few rules fire on their ordinary installers and copies. This script groups the everyday
(benign) lines of sets 2-20 by ecosystem (the ``source`` field reduced to a project
name: ``"Odoo docs: scaffold"`` -> ``odoo``, ``docs.dolthub.com/cli`` -> ``dolthub``,
``owner/repo/path`` -> ``repo``) and, per rule (the monitor alone, rules only: no
learned scorer, no anomaly score, as the ``permissive`` policy's monitor):

* ``hits``: everyday lines it alerts on in all sets, and in how many ecosystems;
* ``fresh``: of those, lines whose ecosystem is *first seen* in that set (no earlier set
  names it) - per set, as ``set:count``; a rule that still fires on first-time
  ecosystems after being tuned on them is the one a fresh set will find;
* ``spread``: sets in which it fires at all.

A rule firing in many ecosystems and many sets is a class problem, not a line problem.

``--dump``/``--diff`` record and compare every alert (rule, severity, summary) on every
line of sets 1-20 and ``default.jsonl``, attacks and everyday alike: the proof that a
change keeps behaviour (or the list of lines where it does not); ``--scorer`` with the
learned scorer on. ``--events EV`` runs them on fixed events: the live events of every
line, built once and written to ``EV`` (JSON) when it does not exist, read from it when it
does, so two trees see the same events (a live run's ``mktemp`` names, background jobs
under ``timeout`` and ``&`` vary run to run: a diff of live runs shows a few lines that
no change made). The fresh set (``heldout21_*`` and any later one) is never read: files
are named by number, not globbed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "src" / "corral" / "monitor" / "corpus"
#: the in-sample sets (1 has no ``source``); the newest fresh set is never named here
IN_SAMPLE = tuple(range(1, 21))

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?:[/:?#\s]|$)")
_GENERIC = frozenset(
    [
        "docs",
        "doc",
        "www",
        "developer",
        "developers",
        "man",
        "manual",
        "wiki",
        "en",
        "api",
        "learn",
        "help",
        "guide",
        "guides",
        "support",
        "blog",
        "about",
        "reference",
        "github",
        "gitlab",
        "readthedocs",
        "io",
        "org",
        "com",
        "net",
        "dev",
        "rs",
        "sh",
        "co",
        "uk",
        "de",
        "app",
        "cloud",
    ]
)
_TAIL = re.compile(r"\s+(docs?|documentation|readme|manual|man page|wiki|guide|cli|faq)\b.*$")


def set_files(n: int) -> tuple[Path, Path]:
    stem = "heldout" if n == 1 else f"heldout{n}"
    return CORPUS / f"{stem}_attacks.jsonl", CORPUS / f"{stem}_benign.jsonl"


def ecosystem(source: str | None) -> str:
    """The project a ``source`` names, reduced to lower-case letters and digits."""
    s = (source or "").strip().lower()
    if not s:
        return "?"
    m = _HOST.match(s)
    gh = re.match(r"^(?:https?://)?(?:www\.)?git(?:hub|lab)\.com/[\w.-]+/([\w.-]+)", s)
    if gh:
        name = gh.group(1)
    elif m:
        labels = [x for x in m.group(1).split(".") if x not in _GENERIC]
        # docs.dolthub.com -> dolthub; asv.readthedocs.io -> asv; pm2.keymetrics.io -> pm2
        name = labels[0] if labels else m.group(1)
    elif re.match(r"^[\w.-]+/[\w.-]+[/ ]", s):  # owner/repo/path, owner/repo path
        name = re.split(r"[/ ]", s)[1]
    else:  # "Odoo docs: ...", "ROS 2 docs, colcon tutorial", "pv, mbuffer and ... docs"
        first = re.split(r"[:(,]| and ", s)[0].strip()
        name = _TAIL.sub("", first)
    return re.sub(r"[^a-z0-9]", "", name) or "?"


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


#: the learned scorer on in :func:`_monitor` (``--scorer``)
_SCORER = False


def _monitor() -> Any:
    from corral.monitor.engine import Monitor

    return Monitor(packs=["default"], baseline=False, scorer=_SCORER)


#: the fixed events of every line (``--events``): file name -> per line, its events' JSON
_FIXED: dict[str, list[list[dict[str, Any]]]] | None = None


def _events_of(name: str, i: int, command: str) -> list[Any]:
    """The events of line ``i`` of corpus file ``name``: the fixed ones when
    ``--events`` gave them, else a live run's."""
    from corral.events import Event
    from corral.monitor.evaluate import _BASE_TIME, command_events

    if _FIXED is not None:
        got = _FIXED.get(name)
        if got is None or i >= len(got):
            raise SystemExit(f"--events: no events for line {i + 1} of {name}")
        try:
            return [Event.model_validate(e) for e in got[i]]
        except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            first = str(exc).splitlines()[0]
            raise SystemExit(f"--events: line {i + 1} of {name}: not events ({first})") from None
    return command_events(command, f"fp-{i}", _BASE_TIME + i * 100_000)


def build_events(path: Path) -> None:
    """The live events of every line of :func:`_all_files`, written to ``path``."""
    out: dict[str, list[list[dict[str, Any]]]] = {}
    from corral.monitor.evaluate import _BASE_TIME, command_events

    for f in _all_files():
        rows = [r for r in _load(f) if isinstance(r.get("command"), str)]
        out[f.name] = [
            [e.model_dump(mode="json") for e in command_events(
                r["command"], f"fp-{i}", _BASE_TIME + i * 100_000)]
            for i, r in enumerate(rows)
        ]  # fmt: skip
    path.write_text(json.dumps(out))


def alerts(
    rows: list[dict[str, Any]], full: bool = False, name: str = ""
) -> list[list[Any]]:
    """Per command line, its alerts (rule names; ``full``: rule, severity, summary; on
    the events of corpus file ``name``, fixed ones with ``--events``)."""
    if not full:  # through ``evaluate``, which every revision since set 1 has
        import inspect

        from corral.monitor.engine import Monitor
        from corral.monitor.evaluate import CorpusItem, evaluate

        extra = {"scorer": False} if "scorer" in inspect.signature(Monitor).parameters else {}
        items = [CorpusItem("benign", "everyday", command=r["command"]) for r in rows]
        rep = evaluate(items, lambda: Monitor(packs=["default"], baseline=False, **extra))
        return [list(r.alerts) for r in rep.results]
    out = []
    for i, row in enumerate(rows):
        mon = _monitor()
        got: list[Any] = []
        for ev in _events_of(name, i, row["command"]):
            got.extend(mon.observe(ev))
        out.append(sorted([a.rule, a.severity, a.summary] for a in got))
    return out


def _fresh_rev(n: int) -> str:
    """The revision just before set ``n`` was committed: its rules met the set fresh."""
    added = subprocess.run(
        ["git", "log", "--format=%H", "--diff-filter=A", "--", str(set_files(n)[1])],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if not added:
        raise SystemExit(f"set {n} is not committed")
    return added[-1] + "^"


def history(sets: list[int]) -> dict[str, Any]:
    """Each set's everyday lines under the rules of the revision that met it fresh: the
    rules that keep firing on fresh sets (what the next one will find), per set."""
    per_set: dict[int, Any] = {}
    per_rule: dict[str, Counter[int]] = defaultdict(Counter)
    for n in sets:
        rev = _fresh_rev(n)
        with tempfile.TemporaryDirectory(prefix="corral-fresh-") as tmp:
            wt = Path(tmp) / "old"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(wt), rev],
                           cwd=ROOT, check=True)  # fmt: skip
            try:
                env = {**os.environ, "PYTHONPATH": str(wt / "src"), "CORRAL_PACK_CACHE": "0"}
                out = subprocess.run([sys.executable, __file__, "--fired", str(n)], env=env,
                                     capture_output=True, text=True, check=False)  # fmt: skip
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT,
                               check=False)  # fmt: skip
        if out.returncode:
            raise SystemExit(f"set {n} at {rev} failed:\n{out.stderr[-3000:]}")
        fired = json.loads(out.stdout)
        rows = _load(set_files(n)[1])
        lines = [{"rules": f, "command": r["command"], "ecosystem": ecosystem(r.get("source"))}
                 for r, f in zip(rows, fired, strict=True) if f]  # fmt: skip
        per_set[n] = {"rev": rev, "benign": len(rows), "fp": len(lines), "lines": lines}
        for x in lines:
            for r in x["rules"]:
                per_rule[r][n] += 1
    rules = {
        r: dict(sorted(c.items()))
        for r, c in sorted(per_rule.items(), key=lambda kv: (-len(kv[1]), -kv[1].total()))
    }
    return {"sets": per_set, "rules": rules}  # fmt: skip


def _print_history(rep: dict[str, Any], show: int) -> None:
    print(f"{'set':>4} {'benign':>7} {'FP fresh':>8}  rules of")
    for n, s in rep["sets"].items():
        print(f"{n:>4} {s['benign']:7d} {s['fp']:8d}  {s['rev']}")
    print(f"\n{'rule':44} {'sets':>4} {'hits':>4}  fresh-set hits by set")
    for r, c in rep["rules"].items():
        by = " ".join(f"{k}:{v}" for k, v in c.items())
        print(f"{r:44} {len(c):4d} {sum(c.values()):4d}  {by}")
    if show:
        for n, s in rep["sets"].items():
            for x in s["lines"][:show]:
                print(
                    f"  set {n} {x['ecosystem']}: {x['command'][:150]} -> {', '.join(x['rules'])}"
                )


def report(sets: list[int]) -> dict[str, Any]:
    seen: set[str] = set()
    per_rule: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"hits": 0, "ecosystems": set(), "fresh": Counter(), "sets": Counter()}
    )
    per_set = {}
    for n in sets:
        rows = _load(set_files(n)[1])
        ecos = [ecosystem(r.get("source")) for r in rows]
        fresh = set(ecos) - seen if n > 1 else set()
        fired = alerts(rows)
        fp = fresh_fp = 0
        lines = []
        for row, eco, rules in zip(rows, ecos, fired, strict=True):
            if not rules:
                continue
            fp += 1
            fresh_fp += eco in fresh
            lines.append({"ecosystem": eco, "fresh": eco in fresh, "rules": rules,
                          "command": row["command"]})  # fmt: skip
            for r in rules:
                d = per_rule[r]
                d["hits"] += 1
                d["ecosystems"].add(eco)
                d["sets"][n] += 1
                if eco in fresh:
                    d["fresh"][n] += 1
        per_set[n] = {"benign": len(rows), "ecosystems": len(set(ecos)), "fresh_ecosystems":
                      len(fresh), "fp": fp, "fp_fresh": fresh_fp,
                      "fresh_lines": sum(e in fresh for e in ecos), "lines": lines}  # fmt: skip
        seen |= set(ecos)
    rules = {
        r: {"hits": d["hits"], "ecosystems": len(d["ecosystems"]),
            "fresh": dict(sorted(d["fresh"].items())), "sets": dict(sorted(d["sets"].items()))}
        for r, d in sorted(per_rule.items(), key=lambda kv: (-sum(kv[1]["fresh"].values()),
                                                              -kv[1]["hits"], kv[0]))
    }  # fmt: skip
    return {"sets": per_set, "rules": rules}


def _print(rep: dict[str, Any], show: int) -> None:
    print(f"{'set':>4} {'benign':>7} {'ecos':>5} {'new':>4} {'new lines':>9} {'FP':>4} "
          f"{'FP new':>6}")  # fmt: skip
    for n, s in rep["sets"].items():
        print(f"{n:>4} {s['benign']:7d} {s['ecosystems']:5d} {s['fresh_ecosystems']:4d} "
              f"{s['fresh_lines']:9d} {s['fp']:4d} {s['fp_fresh']:6d}")  # fmt: skip
    print(f"\n{'rule':44} {'hits':>4} {'ecos':>4} {'sets':>4}  fresh-ecosystem hits by set")
    for r, d in rep["rules"].items():
        fresh = " ".join(f"{k}:{v}" for k, v in d["fresh"].items()) or "-"
        print(f"{r:44} {d['hits']:4d} {d['ecosystems']:4d} {len(d['sets']):4d}  {fresh}")
    if show:
        for n, s in rep["sets"].items():
            for x in s["lines"][:show]:
                tag = "new" if x["fresh"] else "old"
                print(f"  set {n} {tag} {x['ecosystem']}: {x['command'][:160]} -> "
                      f"{', '.join(x['rules'])}")  # fmt: skip


def _all_files() -> list[Path]:
    files = [CORPUS / "default.jsonl"]
    for n in IN_SAMPLE:
        files.extend(set_files(n))
    return files


def dump() -> dict[str, list[Any]]:
    out = {}
    for path in _all_files():
        rows = [r for r in _load(path) if isinstance(r.get("command"), str)]
        out[path.name] = [[r["command"], a] for r, a in zip(rows, alerts(rows, True, path.name),
                                                            strict=True)]  # fmt: skip
    return out


def diff(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> int:
    changed = 0
    for name, rows in new.items():
        for (cmd, a), (_, b) in zip(old.get(name, []), rows, strict=False):
            if a != b:
                changed += 1
                print(f"{name}: {cmd[:140]}\n    old {a}\n    new {b}")
    print(f"{changed} lines changed")
    return changed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="2-20", help="in-sample sets, e.g. 2-20 or 9,11,12")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="list this many alerted lines per set")
    ap.add_argument("--dump", type=Path, help="write every line's alerts (sets 1-20, default)")
    ap.add_argument("--diff", type=Path, help="compare every line's alerts with a --dump")
    ap.add_argument(
        "--history",
        action="store_true",
        help="each set under the rules that met it fresh (git worktrees)",
    )
    ap.add_argument("--scorer", action="store_true",
                    help="--dump/--diff with the learned scorer on")  # fmt: skip
    ap.add_argument("--events", type=Path,
                    help="--dump/--diff on fixed events: built into this file when it does "
                    "not exist, read from it when it does")  # fmt: skip
    ap.add_argument("--fired", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    global _SCORER
    _SCORER = args.scorer
    if args.fired is not None:  # child of --history: corral comes from PYTHONPATH
        print(json.dumps(alerts(_load(set_files(args.fired)[1]))))
        return
    sys.path.insert(0, str(ROOT / "src"))
    if args.events is not None and not (args.dump or args.diff):
        raise SystemExit("--events goes with --dump or --diff")
    if args.dump or args.diff:
        if args.events is not None:
            global _FIXED
            if not args.events.exists():
                build_events(args.events)
            try:
                _FIXED = json.loads(args.events.read_text())
            except (OSError, ValueError) as exc:
                raise SystemExit(f"--events {args.events}: not a file of events ({exc})") from None
            if not isinstance(_FIXED, dict):
                raise SystemExit(f"--events {args.events}: not a file of events")
        data = dump()
        if args.dump:
            args.dump.write_text(json.dumps(data))
        if args.diff:
            raise SystemExit(1 if diff(json.loads(args.diff.read_text()), data) else 0)
        return
    sets: list[int] = []
    for part in args.sets.split(","):
        lo, _, hi = part.partition("-")
        sets.extend(range(int(lo), int(hi or lo) + 1))
    if any(n not in IN_SAMPLE for n in sets):
        raise SystemExit(f"--sets: only the in-sample sets {IN_SAMPLE[0]}-{IN_SAMPLE[-1]}")
    if args.history:
        hist = history(sorted(set(sets)))
        if args.json:
            print(json.dumps(hist, indent=1))
        else:
            _print_history(hist, args.show)
        return
    rep = report(sorted(set(sets)))
    if args.json:
        print(json.dumps(rep, indent=1))
    else:
        _print(rep, args.show)


if __name__ == "__main__":
    main()
