"""The alerts the monitor raises on the shipped corpora, in a comparable form.

``python3 -m tests.monitor.corpus_alerts`` (from the repository root, with ``src`` on
``PYTHONPATH``) writes ``tests/monitor/data/corpus_alerts.jsonl``; the test
``test_corpus_alerts.py`` checks the monitor still raises exactly those alerts, so a
speed-up cannot change what is detected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from corral.monitor.engine import Monitor
from corral.monitor.evaluate import (
    _BASE_TIME,
    _events,
    load_corpus,
    static_command_events,
)

CORPUS_DIR = Path(__file__).resolve().parents[2] / "src" / "corral" / "monitor" / "corpus"
DATA = Path(__file__).resolve().parent / "data" / "corpus_alerts.jsonl"
FILES = ("default.jsonl", "heldout_attacks.jsonl", "heldout_benign.jsonl")


def _alert_row(a: Any, full: bool) -> list[Any]:
    if not full:  # a live pipeline's commands report in the order their threads run
        return [a.rule, a.severity, a.response, a.source, a.summary]
    return [
        a.rule, a.severity, a.response, a.source, a.summary, a.count,
        [[e.seq, e.type, e.description] for e in a.evidence],
        [[c.feature, round(c.z, 6)] for c in a.explanation],
    ]  # fmt: skip


def _run(events: list[Any], baseline: bool, full: bool = False) -> list[list[Any]]:
    # the rules (and anomaly score) only: the learned scorer has its own tests
    mon = Monitor(baseline=None if baseline else False, scorer=False)
    for ev in events:
        mon.observe(ev)
    # the order of the alerts of one event follows set iteration (the hash seed): sorted
    return sorted((_alert_row(a, full) for a in mon.alerts()), key=json.dumps)


def compute(name: str) -> dict[str, Any]:
    """For each item of corpus ``name`` (by line): the alerts on its live events (with
    and without the anomaly score) and, in full (evidence, counts, the anomaly score's
    explanation), on its static command split."""
    out: dict[str, Any] = {}
    for i, item in enumerate(load_corpus(CORPUS_DIR / name)):
        events = _events(item, i)
        row: dict[str, Any] = {
            "rules": _run(events, baseline=False),
            "anomaly": _run(events, baseline=True),
        }
        if item.command is not None:
            static = static_command_events(item.command, f"s-{i}", _BASE_TIME + i * 100_000)
            row["static"] = _run(static, baseline=False, full=True)
            row["static_anomaly"] = _run(static, baseline=True, full=True)
        out[str(item.line)] = row
    return out


def compute_all() -> dict[str, Any]:
    return {name: compute(name) for name in FILES}


def load() -> dict[str, Any]:
    """The frozen alerts: one JSON line per corpus item (``file``, ``line``, ``alerts``)."""
    out: dict[str, Any] = {}
    for raw in DATA.read_text().splitlines():
        obj = json.loads(raw)
        out.setdefault(obj["file"], {})[obj["line"]] = obj["alerts"]
    return out


def dump(data: dict[str, Any]) -> str:
    rows = [
        json.dumps({"file": name, "line": line, "alerts": alerts}, sort_keys=True)
        for name, items in data.items()
        for line, alerts in items.items()
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    DATA.write_text(dump(compute_all()))
    print(f"wrote {DATA}")
