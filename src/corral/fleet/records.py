"""What the fleet hands back: step results, alerts with their episode, verdict rows, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..budget import RunResult
from ..errors import CorralError

#: what an ``on_alert`` callback may answer (``None`` is ``"continue"``)
ACTIONS = ("end", "mark", "continue")
Verdict = Literal["clean", "flagged", "ended"]


class FleetError(CorralError):
    """A fleet could not do what was asked (bad configuration, closed fleet)."""


class EpisodeEnded(FleetError):
    """A call on a sandbox whose episode was ended (by ``on_alert``, ``reap``, the TTL
    or the idle timeout); the message names the rule or the reason."""

    def __init__(self, message: str, rule: str | None = None, tags: dict[str, Any] | None = None):
        super().__init__(message)
        self.rule = rule
        self.tags = dict(tags or {})

    def __reduce__(self) -> Any:  # keeps rule and tags across processes
        return (type(self), (str(self), self.rule, self.tags))


class EpisodeLost(FleetError):
    """The process (Ray actor or pool worker) holding an episode's sandbox died."""

    def __init__(self, message: str, tags: dict[str, Any] | None = None):
        super().__init__(message)
        self.tags = dict(tags or {})

    def __reduce__(self) -> Any:
        return (type(self), (str(self), self.tags))


class FleetAlert(BaseModel):
    """A monitor alert from one episode (or a fleet-level alert), with its tags.

    ``tags`` holds the sandbox's tags plus ``step`` (so ``alert.tags["episode"]``);
    ``rule_tags`` are the rule's own labels (``["mining"]``); ``events`` the events of
    that step up to the alert (the evidence); ``action`` what the trainer decided
    (``end``/``mark``/``continue``, ``None`` while undecided or without ``on_alert``).
    """

    id: str
    rule: str
    title: str = ""
    severity: str = "medium"
    summary: str = ""
    response: str = "log"
    technique: str | None = None
    session: str
    time: float
    step: int = 0
    tags: dict[str, Any] = Field(default_factory=dict)
    rule_tags: list[str] = Field(default_factory=list)
    source: Literal["sandbox", "fleet"] = "sandbox"
    action: str | None = None
    events: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def run(self) -> Any:
        return self.tags.get("run")

    @property
    def episode(self) -> Any:
        return self.tags.get("episode")

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> FleetAlert:
        """From a ``monitor.alert`` event (as JSON)."""
        data = event.get("data") or {}
        tags = {**(event.get("tags") or {}), "step": event.get("step", 0)}
        return cls(
            id=str(data.get("id") or event.get("id")),
            rule=str(data.get("rule", "?")),
            title=str(data.get("title", "")),
            severity=str(data.get("severity", "medium")),
            summary=str(data.get("summary", "")),
            response=str(data.get("response", "log")),
            technique=data.get("technique"),
            session=str(event.get("session", "")),
            time=float(data.get("time") or event.get("time") or 0.0),
            step=int(event.get("step", 0)),
            tags=tags,
            rule_tags=[str(t) for t in data.get("rule_tags") or []],
        )


@dataclass
class StepResult(RunResult):
    """A :class:`~corral.RunResult` with the step's number and the alerts it raised."""

    step: int = 0
    alerts: list[FleetAlert] = field(default_factory=list)


def verdict_row(alert: FleetAlert, action: str) -> dict[str, Any]:
    """One row of ``fleet.verdicts()``: enough to mask a reward."""
    return {
        "run": alert.tags.get("run"),
        "episode": alert.tags.get("episode"),
        "step": alert.step,
        "rule": alert.rule,
        "action": action,
        "time": alert.time,
        "severity": alert.severity,
        "session": alert.session,
    }
