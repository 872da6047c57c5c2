"""corral's monitor: rule packs, thresholds, sequences and an anomaly score over events.

::

    from corral.monitor import Monitor
    monitor = Monitor()                 # the default pack and the default baseline
    monitor.attach(bus)                 # watch every event on a bus
    monitor.precheck(action, session)   # an Alert (or None) before an action runs
    monitor.alerts(session)

See :mod:`corral.monitor.rules` for the rule language, :mod:`corral.monitor.engine` for
responses and :mod:`corral.monitor.evaluate` for measuring detection.
"""

from __future__ import annotations

from .anomaly import Baseline, default_baseline
from .engine import DEFAULT_ON, Alert, Contribution, Evidence, Monitor, Responder
from .evaluate import Report, evaluate, print_report
from .loader import Pack, RulesError, builtin_pack, load_file, load_text, pack_names
from .rules import Rule

__all__ = [
    "DEFAULT_ON",
    "Alert",
    "Baseline",
    "Contribution",
    "Evidence",
    "Monitor",
    "Pack",
    "Report",
    "Responder",
    "Rule",
    "RulesError",
    "builtin_pack",
    "default_baseline",
    "evaluate",
    "load_file",
    "load_text",
    "pack_names",
    "print_report",
]
