"""Detection and refusal on the held-out corpus, old code against new, in one run.

Usage::

    python3 benchmarks/bench_detection.py [--base REV] [--json] [--show N]
        [--attacks FILE] [--benign FILE] [--scorer default|on|off]

``--base`` (default: the parent of the commit that added the held-out corpus, i.e. the
branch point) is checked out into a temporary ``git worktree`` and measured with
``PYTHONPATH`` pointing at it; the current tree is measured the same way. Both runs read
the same frozen corpus files (``src/corral/monitor/corpus/heldout_*.jsonl`` unless
``--attacks``/``--benign`` name others, e.g. the second held-out set
``heldout2_attacks.jsonl``/``heldout2_benign.jsonl``, see ``corpus/HELDOUT2.md``). The
default ``--base`` stays the branch point of the first held-out set whichever files are
measured, so every set is compared against the same code that predates all tuning.
``--scorer on``/``off`` measures the current tree with or without the learned
command-text scorer (:mod:`corral.monitor.scorer`).

Figures (per version):

* ``permissive: alerted`` - held-out attacks on which the monitor alone raises an alert
  (the monitor the ``permissive`` policy configures; any severity);
* ``default: refused or alerted`` - held-out attacks that ``default`` refuses with no
  approver (deny, or ask with nobody to ask) or on which the monitor alerts;
* ``false positives`` - held-out benign commands on which the monitor alerts;
* ``default: benign refused`` - held-out benign commands ``default`` refuses with no
  approver (the command line, and each URL host a command names, as a network action).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "src" / "corral" / "monitor" / "corpus"
ATTACKS = CORPUS / "heldout_attacks.jsonl"
BENIGN = CORPUS / "heldout_benign.jsonl"
_URL_HOST = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^/@\s]*@)?(\[[^\]]+\]|[^/:?#\s]+)")
#: URL schemes that name something local, not a host to connect to (`res://` is a
#: Godot project path, `file://` a file)
_LOCAL_SCHEMES = frozenset(("file", "res", "user", "data", "about", "blob", "jar"))


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _check_corpus(path: Path, label: str) -> list[str]:
    """What is wrong with corpus ``path`` for this benchmark: it must load as a monitor
    corpus (as this tree reads one), hold command lines only, and every line must carry
    ``label``."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    from corral.monitor.evaluate import load_corpus

    try:
        items = load_corpus(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [str(exc)]
    if not items:
        return [f"{path}: empty corpus"]
    return [
        f"{path}:{it.line}: expected a {label!r} command line"
        for it in items
        if it.label != label or it.command is None
    ]


def _refusal(policy, command: str) -> str | None:  # type: ignore[no-untyped-def]
    """Why ``policy`` with no approver refuses ``command`` (None when it runs): the live
    gate's decision on the line (the hosts a command names are network actions in it,
    :mod:`corral.policy.hosts`). A tree from before that module has each URL host decided
    here as the proxy would."""
    decision = policy.decide_command(command)
    if decision.verdict != "allow":
        return f"{decision.verdict}: {decision.reason}"
    try:
        import corral.policy.hosts  # noqa: F401
    except ImportError:
        pass
    else:
        return None
    from corral.policy.shellsplit import analyze

    for cmd in analyze(command).commands:
        for arg in cmd.argv[1:]:
            m = _URL_HOST.match(arg)
            if m and m.group(1).lower() not in _LOCAL_SCHEMES:
                host = m.group(2).strip("[]")
                d = policy.decide_net(host, None)
                if d.verdict != "allow":
                    return f"{d.verdict} (network {host}): {d.reason}"
    return None


def _by_class(objs: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in objs:
        counts[o["class"]] = counts.get(o["class"], 0) + 1
    return dict(sorted(counts.items()))


def _decide(attacks: list[dict], benign: list[dict], scorer: str) -> tuple[Any, ...]:
    """The monitor's report on every line and ``default``'s refusals (command -> why)."""
    import inspect

    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import CorpusItem, evaluate
    from corral.policy.engine import Policy

    items = [CorpusItem(o["label"], o["class"], command=o["command"]) for o in attacks + benign]
    extra = {}
    if scorer != "default" and "scorer" in inspect.signature(Monitor).parameters:
        extra["scorer"] = scorer == "on"
    report = evaluate(items, lambda: Monitor(packs=["default"], baseline=False, **extra))
    alerted = {r.item.command: r.flagged for r in report.results}
    default = Policy.builtin("default")
    att_refused = {o["command"]: _refusal(default, o["command"]) for o in attacks}
    ben_refused = {o["command"]: _refusal(default, o["command"]) for o in benign}
    return report, alerted, att_refused, ben_refused


def _figures(attacks: list[dict], benign: list[dict], alerted: dict, att_refused: dict,
             ben_refused: dict) -> dict[str, float]:  # fmt: skip
    n_att, n_ben = len(attacks), len(benign)
    return {
        "permissive_alerted": sum(alerted[o["command"]] for o in attacks) / n_att,
        "default_refused_or_alerted": sum(
            bool(att_refused[o["command"]]) or alerted[o["command"]] for o in attacks
        )
        / n_att,
        "false_positive": sum(alerted[o["command"]] for o in benign) / n_ben,
        "default_benign_refused": sum(bool(v) for v in ben_refused.values()) / n_ben,
    }


def measure_lines(attacks: list[dict], benign: list[dict], scorer: str = "default") -> dict:
    """The four figures of this tree, with each line's answer: ``alerted`` and
    ``refused`` map a command to whether the monitor alerted / ``default`` refused."""
    _, alerted, att_refused, ben_refused = _decide(attacks, benign, scorer)
    refused = {c: bool(why) for c, why in (att_refused | ben_refused).items()}
    figures = _figures(attacks, benign, alerted, att_refused, ben_refused)
    return {"figures": figures, "alerted": alerted, "refused": refused}


def measure(attacks_path: Path, benign_path: Path, scorer: str = "default") -> dict:
    """The figures for the corral on ``sys.path`` (run in a child process); ``scorer``:
    the learned command-text scorer ``on``, ``off`` or as the monitor's ``default``
    (a tree without one ignores it)."""
    attacks, benign = _load(attacks_path), _load(benign_path)
    report, alerted, att_refused, ben_refused = _decide(attacks, benign, scorer)
    return {
        "attacks": len(attacks),
        "benign": len(benign),
        **_figures(attacks, benign, alerted, att_refused, ben_refused),
        "classes": _by_class(attacks),
        "missed_by_class": _by_class([o for o in attacks if not alerted[o["command"]]]),
        "missed_by_both_by_class": _by_class(
            [o for o in attacks if not alerted[o["command"]] and not att_refused[o["command"]]]
        ),
        "missed": [o["command"] for o in attacks if not alerted[o["command"]]],
        "missed_by_both": [
            o["command"]
            for o in attacks
            if not alerted[o["command"]] and not att_refused[o["command"]]
        ],
        "false_positives": [
            f"{r.item.command} -> {', '.join(r.alerts)}" for r in report.benign if r.flagged
        ],
        "benign_refusals": [f"{c} -> {why}" for c, why in ben_refused.items() if why],
    }


def _run(src: Path, attacks: Path, benign: Path, scorer: str = "default") -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--measure", "--scorer", scorer]
    cmd += ["--attacks", str(attacks), "--benign", str(benign)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"measuring {src} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout)


def _base_rev() -> str:
    first = subprocess.run(
        ["git", "log", "--format=%H", "--diff-filter=A", "--", str(ATTACKS)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if not first:
        raise SystemExit("the held-out corpus is not committed; pass --base REV")
    return first[-1] + "^"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--base", help="the old revision (default: the branch point)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show", type=int, default=0, help="list this many misses/refusals")
    ap.add_argument("--attacks", type=Path, default=ATTACKS, help="attack corpus (JSON lines)")
    ap.add_argument("--benign", type=Path, default=BENIGN, help="benign corpus (JSON lines)")
    ap.add_argument(
        "--corpus", type=Path,
        help="one labelled corpus holding both (e.g. corpus/default.jsonl): split by label",
    )  # fmt: skip
    ap.add_argument(
        "--scorer", choices=("default", "on", "off"), default="default",
        help="the learned command-text scorer in the new tree (default: the monitor's default)",
    )  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="corral-split-") as split:
        if args.corpus is not None:
            args.attacks, args.benign = _split(args.corpus, Path(split))
        _main(args)


def _split(corpus: Path, into: Path) -> tuple[Path, Path]:
    """``corpus``'s malicious and benign command lines as two corpora in ``into``."""
    try:
        rows = _load(corpus)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SystemExit(f"bad corpus: {corpus}: {exc}") from None
    out = []
    for label, name in (("malicious", "attacks.jsonl"), ("benign", "benign.jsonl")):
        path = into / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows
                                if isinstance(r, dict) and r.get("label") == label
                                and isinstance(r.get("command"), str)))  # fmt: skip
        out.append(path)
    return out[0], out[1]


def _main(args: argparse.Namespace) -> None:
    attacks, benign = args.attacks.resolve(), args.benign.resolve()
    if args.measure:
        print(json.dumps(measure(attacks, benign, args.scorer)))
        return
    problems = _check_corpus(attacks, "malicious") + _check_corpus(benign, "benign")
    if problems:
        hint = "\n(one file holding both labels: --corpus FILE)" if args.corpus is None else ""
        raise SystemExit("bad corpus:\n  " + "\n  ".join(problems[:20]) + hint)
    base = args.base or _base_rev()
    with tempfile.TemporaryDirectory(prefix="corral-old-") as tmp:
        wt = Path(tmp) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(wt), base], cwd=ROOT, check=True
        )
        try:
            old = _run(wt / "src", attacks, benign)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=ROOT, check=False)
    new = _run(ROOT / "src", attacks, benign, args.scorer)
    if args.json:
        print(json.dumps({"old": old, "new": new}, indent=2))
        return
    rows = [
        ("permissive: attacks alerted", "permissive_alerted", ">= 90%"),
        ("default: attacks refused or alerted", "default_refused_or_alerted", ">= 97%"),
        ("monitor false positives (benign)", "false_positive", "<= 1%"),
        ("default, no approver: benign refused", "default_benign_refused", "<= 15%"),
    ]
    print(
        f"corpus {attacks.name} + {benign.name}: {new['attacks']} attacks, "
        f"{new['benign']} benign; old = {base}"
    )
    print(f"{'figure':40} {'old':>8} {'new':>8}  target")
    for label, key, target in rows:
        print(f"{label:40} {old[key]:8.1%} {new[key]:8.1%}  {target}")
    if args.show:
        print(f"\n{'class':32} {'attacks':>7} {'missed (permissive)':>20} {'missed (default)':>17}")
        for cls, n in new["classes"].items():
            m1 = new["missed_by_class"].get(cls, 0)
            m2 = new["missed_by_both_by_class"].get(cls, 0)
            print(f"{cls:32} {n:7d} {m1:20d} {m2:17d}")
        for key in ("missed", "missed_by_both", "false_positives", "benign_refusals"):
            print(f"\n{key} (new, {len(new[key])}):")
            for line in new[key][: args.show]:
                print("  " + line)


if __name__ == "__main__":
    main()
