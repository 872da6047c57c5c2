"""Episodes from a trainer's configuration: the ``corral:`` section of a YAML file (verl
tools, SkyRL envs) or keyword arguments (OpenRLHF, rLLM, SWE-ReX, verifiers)."""

from __future__ import annotations

import atexit
import json
import threading
from typing import Any

from .episode import DEFAULT_END_ON, Episodes, OnAlert

__all__ = ["CONFIG_KEYS", "episodes_from_config", "plain_config", "shared_fleet"]

CONFIG_KEYS = frozenset(
    {"policy", "backend", "run", "end_on", "fleet", "max_output_chars", "tags"}
)

_fleets: dict[str, Any] = {}
_fleets_lock = threading.Lock()


def shared_fleet(**options: Any) -> Any:
    """One :class:`~corral.fleet.Fleet` per process and option set, made on first use
    and closed at exit: what adapters built from a YAML config (verl tools, SkyRL envs)
    share. Inside a Ray worker the fleet uses that Ray; ``local=True`` a process pool."""
    key = json.dumps(options, sort_keys=True, default=repr)
    with _fleets_lock:
        fleet = _fleets.get(key)
        if fleet is None or fleet.closed:
            from ..fleet import Fleet

            fleet = _fleets[key] = Fleet(**options)
            atexit.register(fleet.close)
        return fleet


def episodes_from_config(config: Any, *, on_alert: OnAlert | None = None) -> Episodes:
    """:class:`Episodes` from a trainer's plain config dict (YAML): ``policy`` (a
    built-in name or a path), ``backend``, ``run``, ``end_on`` (severities), ``tags``,
    ``max_output_chars``, and ``fleet``: absent/false for plain sandboxes, ``true`` or a
    dict of :class:`~corral.fleet.Fleet` options for a fleet shared in this process."""
    if config is None:
        config = {}
    if hasattr(config, "items") and not isinstance(config, dict):
        config = dict(config.items())  # an OmegaConf DictConfig, a Mapping
    if not isinstance(config, dict):
        raise TypeError(f"the corral config must be a dict, not {type(config).__name__}")
    strict = "corral" in config  # a section of its own: every key must be ours
    corral = config["corral"] if strict else config
    if hasattr(corral, "items") and not isinstance(corral, dict):
        corral = dict(corral.items())
    if not isinstance(corral, dict):
        raise TypeError(f"the 'corral' config must be a dict, not {type(corral).__name__}")
    unknown = sorted(str(k) for k in corral if k not in CONFIG_KEYS)
    if strict and unknown:
        raise ValueError(
            f"corral config: unknown key(s) {', '.join(unknown)}; "
            f"the keys are {', '.join(sorted(CONFIG_KEYS))}"
        )
    known = {k: v for k, v in corral.items() if k in CONFIG_KEYS}
    policy = known.get("policy", "default")
    fleet_opt = known.get("fleet", False)
    common: dict[str, Any] = {
        "run": known.get("run"),
        "end_on": known.get("end_on", DEFAULT_END_ON),
        "tags": plain_config(known.get("tags")),
        "on_alert": on_alert,
    }
    if "max_output_chars" in known:
        common["max_output_chars"] = known["max_output_chars"]
    options: dict[str, Any] = {}
    if "backend" in known:
        options["backend"] = known["backend"]
    if fleet_opt:
        fleet_kw = plain_config(fleet_opt) if not isinstance(fleet_opt, bool) else {}
        if not isinstance(fleet_kw, dict):
            raise TypeError("corral config: 'fleet' must be true or a dict of Fleet options")
        fleet = shared_fleet(policy=policy, **options, **fleet_kw)
        return Episodes(fleet, **common)
    return Episodes(policy=policy, **options, **common)


def plain_config(value: Any) -> Any:
    """An OmegaConf container as plain Python (dicts and lists), anything else as is."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "items"):
        return {str(k): plain_config(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ListConfig":
        return [plain_config(v) for v in value]
    return value

