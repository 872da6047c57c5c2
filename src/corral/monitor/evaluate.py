"""The evaluation harness: detection rate per class and false-positive rate on a corpus.

A corpus is JSONL; each line is one item::

    {"command": "xmrig -o stratum+tcp://...", "label": "malicious", "class": "mining"}
    {"events": [{"type": "action.requested", "action": {...}}, ...],
     "label": "benign", "class": "dev", "note": "npm install"}

A ``command`` becomes what a live sandbox reports when it runs it (see
:mod:`.replay`): one shell ``code`` action for the whole line, then what the real corral
shell reports as it runs it in a throw-away workspace: one ``exec`` action per simple
command (``argv`` expanded, ``line`` = its source text) and one ``file`` action per file
it touches. A command the shell cannot parse has no events (it is not detected). An
``events`` trace is a list of event dicts (``Event.model_dump`` or audit export form;
``id``, ``session``, ``seq`` and ``time`` are filled in when missing, times given as
small numbers are offsets in seconds). Every item runs in a fresh monitor from
``monitor_factory``; a malicious item is detected, and a benign item is a false
positive, when the monitor raises at least one alert of ``min_severity`` or above.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..events import CodeAction, Event, ExecAction
from ..policy.shellsplit import analyze, render
from .engine import Alert, Monitor
from .records import event_from
from .rules import SEVERITY_RANK

__all__ = [
    "ClassStats",
    "CorpusItem",
    "ItemResult",
    "Report",
    "command_events",
    "evaluate",
    "load_corpus",
    "print_report",
]

_BASE_TIME = 1_700_000_000.0


@dataclass
class CorpusItem:
    """One labelled corpus entry."""

    label: str
    cls: str
    command: str | None = None
    events: list[dict[str, Any]] | None = None
    note: str = ""
    line: int = 0
    source: str = ""  # where a held-out line was taken from (a page or repository/path)

    @property
    def text(self) -> str:
        if self.command is not None:
            return self.command
        return self.note or f"trace of {len(self.events or [])} events"


@dataclass
class ItemResult:
    item: CorpusItem
    alerts: list[str]  # rule ids, in order

    @property
    def flagged(self) -> bool:
        return bool(self.alerts)


@dataclass
class ClassStats:
    cls: str
    label: str
    total: int = 0
    flagged: int = 0

    @property
    def rate(self) -> float:
        return self.flagged / self.total if self.total else 0.0


@dataclass
class Report:
    """What :func:`evaluate` measured."""

    source: str
    results: list[ItemResult] = field(default_factory=list)
    min_severity: str = "low"

    @property
    def classes(self) -> list[ClassStats]:
        """Per class of malicious items (detection), then per class of benign items."""
        stats: dict[tuple[str, str], ClassStats] = {}
        for r in self.results:
            key = (r.item.label, r.item.cls)
            s = stats.setdefault(key, ClassStats(r.item.cls, r.item.label))
            s.total += 1
            s.flagged += r.flagged
        return sorted(stats.values(), key=lambda s: (s.label != "malicious", s.cls))

    @property
    def malicious(self) -> list[ItemResult]:
        return [r for r in self.results if r.item.label == "malicious"]

    @property
    def benign(self) -> list[ItemResult]:
        return [r for r in self.results if r.item.label == "benign"]

    @property
    def detection_rate(self) -> float:
        m = self.malicious
        return sum(r.flagged for r in m) / len(m) if m else 0.0

    @property
    def false_positive_rate(self) -> float:
        b = self.benign
        return sum(r.flagged for r in b) / len(b) if b else 0.0

    def detection_by_class(self) -> dict[str, float]:
        return {s.cls: s.rate for s in self.classes if s.label == "malicious"}

    @property
    def misses(self) -> list[ItemResult]:
        """Malicious items no rule caught."""
        return [r for r in self.malicious if not r.flagged]

    @property
    def false_positives(self) -> list[ItemResult]:
        """Benign items that raised an alert."""
        return [r for r in self.benign if r.flagged]

    def failures(self, min_detection: float, max_fpr: float) -> list[str]:
        """What falls short of the thresholds (empty when the report passes)."""
        out = []
        for cls, rate in self.detection_by_class().items():
            if rate < min_detection:
                out.append(f"detection for {cls} is {rate:.1%}, below {min_detection:.1%}")
        if self.benign and self.false_positive_rate > max_fpr:
            out.append(
                f"false-positive rate is {self.false_positive_rate:.2%}, above {max_fpr:.2%}"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "min_severity": self.min_severity,
            "malicious": len(self.malicious),
            "benign": len(self.benign),
            "detection_rate": self.detection_rate,
            "false_positive_rate": self.false_positive_rate,
            "classes": [{**asdict(s), "rate": s.rate} for s in self.classes],
            "misses": [
                {"line": r.item.line, "class": r.item.cls, "text": r.item.text} for r in self.misses
            ],
            "false_positives": [
                {"line": r.item.line, "class": r.item.cls, "text": r.item.text, "rules": r.alerts}
                for r in self.false_positives
            ],
        }


# --------------------------------------------------------------------------------- corpus


def load_corpus(path: str | os.PathLike[str]) -> list[CorpusItem]:
    """Read a corpus file; raises ``ValueError`` naming the line of a bad item."""
    items = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc.msg}") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{n}: expected an object")
            label = obj.get("label")
            if label not in ("malicious", "benign"):
                raise ValueError(f"{path}:{n}: label must be 'malicious' or 'benign'")
            cls = obj.get("class")
            if not isinstance(cls, str) or not cls:
                raise ValueError(f"{path}:{n}: missing 'class'")
            extra = set(obj) - {"label", "class", "command", "events", "note", "source"}
            if extra:
                raise ValueError(f"{path}:{n}: unknown keys {', '.join(sorted(extra))}")
            command, events = obj.get("command"), obj.get("events")
            if (command is None) == (events is None):
                raise ValueError(f"{path}:{n}: give exactly one of 'command' and 'events'")
            if command is not None and not isinstance(command, str):
                raise ValueError(f"{path}:{n}: 'command' must be a string")
            if events is not None and (
                not isinstance(events, list) or not all(isinstance(e, dict) for e in events)
            ):
                raise ValueError(f"{path}:{n}: 'events' must be a list of objects")
            source = obj.get("source", "")
            if not isinstance(source, str):
                raise ValueError(f"{path}:{n}: 'source' must be a string")
            note = str(obj.get("note", ""))
            items.append(CorpusItem(label, cls, command, events, note, n, source))
    return items


def command_events(command: str, session: str, t0: float = _BASE_TIME) -> list[Event]:
    """The events a live sandbox reports for running ``command`` (none when the shell
    cannot parse it)."""
    from .replay import live_events

    return live_events(command, session, t0)


def static_command_events(command: str, session: str, t0: float = _BASE_TIME) -> list[Event]:
    """A static approximation of :func:`command_events` (split by
    :mod:`corral.policy.shellsplit`, nothing expanded or run)."""
    events = [
        Event(
            session=session,
            seq=1,
            time=t0,
            type="action.requested",
            action=CodeAction(language="shell", code=command),
        )
    ]
    for i, cmd in enumerate(analyze(command).commands):
        if not cmd.argv:
            continue
        events.append(
            Event(
                session=session,
                seq=len(events) + 1,
                time=t0 + 0.05 * (i + 1),
                type="action.requested",
                action=ExecAction(argv=cmd.argv, line=render(cmd.argv)),
            )
        )
    return events


def trace_events(raw: list[dict[str, Any]], session: str, t0: float = _BASE_TIME) -> list[Event]:
    """Events from a trace's dicts (see the module docstring)."""
    out = []
    for i, obj in enumerate(raw):
        obj = dict(obj)
        t = obj.get("time")
        if t is None:
            obj["time"] = t0 + i
        elif isinstance(t, int | float) and t < 1e8:
            obj["time"] = t0 + t
        out.append(event_from(obj, session=session, seq=i + 1))
    return out


def _events(item: CorpusItem, index: int) -> list[Event]:
    session = f"eval-{index}"
    t0 = _BASE_TIME + index * 100_000
    if item.command is not None:
        return command_events(item.command, session, t0)
    return trace_events(item.events or [], session, t0)


def evaluate(
    corpus_path: str | os.PathLike[str] | Iterable[CorpusItem],
    monitor_factory: Callable[[], Monitor] | None = None,
    *,
    min_severity: str = "low",
) -> Report:
    """Run every corpus item through a fresh monitor and measure."""
    if isinstance(corpus_path, str | os.PathLike):
        items = load_corpus(corpus_path)
        source = str(corpus_path)
    else:
        items = list(corpus_path)
        source = "<items>"
    factory = monitor_factory or Monitor
    floor = SEVERITY_RANK[min_severity]
    report = Report(source, min_severity=min_severity)
    for i, item in enumerate(items):
        monitor = factory()
        alerts: list[Alert] = []
        for ev in _events(item, i):
            alerts.extend(monitor.observe(ev))
        rules = [a.rule for a in alerts if SEVERITY_RANK[a.severity] >= floor]
        report.results.append(ItemResult(item, list(dict.fromkeys(rules))))
    return report


# ---------------------------------------------------------------------------------- print


def print_report(report: Report, console: Any = None, *, show: int = 20) -> None:
    """Print the per-class table, the misses and the false positives."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(soft_wrap=True, highlight=False)
    table = Table(title=f"monitor evaluation: {escape(report.source)}")
    table.add_column("class")
    table.add_column("label")
    table.add_column("items", justify="right")
    table.add_column("alerted", justify="right")
    table.add_column("rate", justify="right")
    for s in report.classes:
        if s.label == "malicious":
            color = "green" if s.rate >= 0.9 else "red"
            rate = f"[{color}]{s.rate:.1%}[/{color}] detected"
        else:
            color = "green" if s.rate <= 0.02 else "red"
            rate = f"[{color}]{s.rate:.2%}[/{color}] false pos."
        table.add_row(escape(s.cls), s.label, str(s.total), str(s.flagged), rate)
    table.add_section()
    table.add_row(
        "all malicious", "", str(len(report.malicious)),
        str(sum(r.flagged for r in report.malicious)), f"{report.detection_rate:.1%} detected",
    )  # fmt: skip
    table.add_row(
        "all benign", "", str(len(report.benign)),
        str(sum(r.flagged for r in report.benign)), f"{report.false_positive_rate:.2%} false pos.",
    )  # fmt: skip
    console.print(table)
    if report.misses:
        console.print(f"[bold]misses[/bold] ({len(report.misses)}):")
        for r in report.misses[:show]:
            console.print(f"  line {r.item.line} [{escape(r.item.cls)}] {escape(r.item.text)}")
    if report.false_positives:
        console.print(f"[bold]false positives[/bold] ({len(report.false_positives)}):")
        for r in report.false_positives[:show]:
            console.print(
                f"  line {r.item.line} [{escape(r.item.cls)}] {escape(r.item.text)} "
                f"-> {escape(', '.join(r.alerts))}"
            )


def default_corpus() -> Path:
    """The path of the shipped corpus."""
    return Path(__file__).with_name("corpus") / "default.jsonl"
