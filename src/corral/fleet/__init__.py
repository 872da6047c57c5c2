"""The fleet: thousands of contained episodes on Ray (or a local process pool) for agents
in RL training. See ``docs/fleet.md``."""

from .fleet import AsyncFleetSandbox, Fleet, FleetSandbox
from .hub import Verdicts
from .records import EpisodeEnded, EpisodeLost, FleetAlert, FleetError, StepResult
from .rules import FleetRule

__all__ = [
    "AsyncFleetSandbox",
    "EpisodeEnded",
    "EpisodeLost",
    "Fleet",
    "FleetAlert",
    "FleetError",
    "FleetRule",
    "FleetSandbox",
    "StepResult",
    "Verdicts",
]
