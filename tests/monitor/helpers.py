"""Event builders for the monitor tests."""

from __future__ import annotations

from typing import Any

import pytest

from corral.events import (
    CodeAction,
    Event,
    ExecAction,
    FileAction,
    NetAction,
    SpawnAction,
    ToolAction,
)
from corral.monitor.engine import Alert, Monitor
from corral.monitor.evaluate import command_events
from corral.monitor.records import make_event

T0 = 1_700_000_000.0


class Clock:
    """A fake clock: events get ``clock()`` as their time; ``advance`` moves it."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


class Feed:
    """Builds events for one session with increasing sequence numbers."""

    def __init__(self, session: str = "s1", clock: Clock | None = None) -> None:
        self.session = session
        self.clock = clock or Clock()
        self.seq = 0

    def event(self, type_: str = "action.requested", **fields: Any) -> Event:
        self.seq += 1
        fields.setdefault("time", self.clock())
        return make_event(session=self.session, seq=self.seq, type=type_, **fields)

    def exec(self, *argv: str, line: str | None = None, type_: str = "action.requested") -> Event:
        return self.event(type_, action=ExecAction(argv=list(argv), line=line))

    def spawn(self, *argv: str) -> Event:
        return self.event(action=SpawnAction(argv=list(argv), pid=123, ppid=1))

    def code(self, code: str, language: str = "python") -> Event:
        return self.event(action=CodeAction(language=language, code=code))  # type: ignore[arg-type]

    def file(self, op: str, path: str) -> Event:
        return self.event(action=FileAction(op=op, path=path))  # type: ignore[arg-type]

    def net(self, host: str, port: int | None = 443, **kw: Any) -> Event:
        url = kw.pop("url", None)
        return self.event(action=NetAction(host=host, port=port, url=url), **kw)

    def tool(self, name: str, **args: Any) -> Event:
        return self.event(action=ToolAction(name=name, args=args))

    def sample(self, **data: Any) -> Event:
        return self.event("resource.sample", data=data)


def feed_all(monitor: Monitor, events: list[Event]) -> list[Alert]:
    out: list[Alert] = []
    for ev in events:
        out.extend(monitor.observe(ev))
    return out


def run_command(monitor: Monitor, command: str, session: str = "s1", t0: float = T0) -> list[Alert]:
    """What the monitor says when the corral shell runs ``command``."""
    return feed_all(monitor, command_events(command, session, t0))


def rules_of(alerts: list[Alert]) -> set[str]:
    return {a.rule for a in alerts}


def example_params(
    cases: dict[str, tuple[list[str], list[str]]], positive: bool
) -> list[Any]:
    """``(name, command)`` parameters of an examples table (``CASES``: name -> (positives,
    near misses)): its positives, or its near misses."""
    return [
        pytest.param(name, cmd, id=f"{name}:{cmd[:60]}")
        for name, (pos, neg) in cases.items()
        for cmd in (pos if positive else neg)
    ]
