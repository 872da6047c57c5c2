"""Fleet-level rules: one alert rule firing in many episodes at once is itself an alert
("a behaviour the policy is learning"). Rules are data::

    Fleet(fleet_rules=[{"name": "fleet.spread", "match": "mining-*", "episodes": 5,
                        "window_s": 60, "severity": "critical"}])
"""

from __future__ import annotations

import fnmatch
import uuid
from collections import deque
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .records import FleetAlert, FleetError


class FleetRule(BaseModel):
    """Fire when alerts of a rule matching ``match`` (a glob over monitor rule names)
    come from at least ``episodes`` distinct episodes of one run within ``window_s``
    seconds; at most once per run, rule and window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("fleet.spread", min_length=1, max_length=100)
    match: str = Field("*", min_length=1, max_length=200)
    episodes: int = Field(5, ge=2, le=1_000_000)
    window_s: float = Field(60.0, gt=0, le=86_400)
    severity: Literal["low", "medium", "high", "critical"] = "high"


DEFAULT_RULES = (FleetRule(),)


def load_rules(rules: Any) -> tuple[FleetRule, ...]:
    """``None``: the default rule; ``[]``: none; else a list of dicts or FleetRules."""
    if rules is None:
        return DEFAULT_RULES
    if not isinstance(rules, list | tuple):
        raise FleetError("fleet_rules must be a list of rules (dicts)")
    out = []
    for i, r in enumerate(rules):
        if isinstance(r, FleetRule):
            out.append(r)
            continue
        try:
            out.append(FleetRule.model_validate(r))
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'rule'}: {err['msg']}" for err in e.errors()
            )
            raise FleetError(f"fleet_rules[{i}]: {problems}") from None
    return tuple(out)


class FleetRules:
    """The state of the fleet rules over the alerts the fleet saw (not thread-safe: the
    hub calls it under its lock)."""

    MAX_KEYS = 10_000

    def __init__(self, rules: tuple[FleetRule, ...]) -> None:
        self.rules = rules
        #: the session of this fleet's own alerts: its own name, never a shared one (a
        #: server that a fleet reports to gives each session to the first tenant to use it)
        self.session = f"fleet-{uuid.uuid4().hex[:16]}"
        self._seen: dict[tuple[str, str, str], deque[tuple[float, str]]] = {}
        self._fired: dict[tuple[str, str, str], float] = {}

    def observe(self, alert: FleetAlert) -> list[FleetAlert]:
        if alert.source != "sandbox":
            return []
        out = []
        run = str(alert.tags.get("run"))
        episode = str(alert.tags.get("episode", alert.session))
        for rule in self.rules:
            if not fnmatch.fnmatchcase(alert.rule, rule.match):
                continue
            key = (rule.name, run, alert.rule)
            seen = self._seen.get(key)
            if seen is None:
                if len(self._seen) >= self.MAX_KEYS:
                    self._seen.pop(next(iter(self._seen)))
                seen = self._seen[key] = deque()
            seen.append((alert.time, episode))
            while seen and seen[0][0] < alert.time - rule.window_s:
                seen.popleft()
            if len(seen) > 4 * rule.episodes:  # bound the state: keep the newest
                for _ in range(len(seen) - 4 * rule.episodes):
                    seen.popleft()
            episodes = {e for _, e in seen}
            last = self._fired.get(key)
            if len(episodes) >= rule.episodes and (
                last is None or alert.time - last >= rule.window_s
            ):
                self._fired[key] = alert.time
                shown = ", ".join(sorted(episodes)[:10])
                out.append(
                    FleetAlert(
                        id=uuid.uuid4().hex,
                        rule=rule.name,
                        title=f"{alert.rule} in {len(episodes)} episodes at once",
                        severity=rule.severity,
                        summary=(
                            f"rule {alert.rule} fired in {len(episodes)} distinct episodes of "
                            f"run {run} within {rule.window_s:g} s (episodes {shown}): "
                            "a behaviour the policy may be learning"
                        ),
                        response="log",
                        session=self.session,
                        time=alert.time,
                        step=alert.step,
                        tags={
                            "run": alert.tags.get("run"),
                            "rule": alert.rule,
                            "episodes": len(episodes),
                        },
                        rule_tags=list(alert.rule_tags),
                        source="fleet",
                    )
                )
        return out
