"""SkyRL: a SkyRL-Gym text environment whose tools run in one corral sandbox per episode.

Read against skyrl-gym 0.4.0 (``skyrl_gym/core.py``, ``skyrl_gym/envs/base_text_env.py``,
``skyrl_gym/envs/registration.py``) and tested against it. SkyRL's generator makes an
env per trajectory with ``skyrl_gym.make(env_class, env_config=..., extras=...)``, calls
``init(prompt)`` once, ``step(action_text)`` per turn until ``done``, then ``close()``.

The model writes one action per turn (:mod:`corral.integrations.actions`): ``<bash>``,
``<python>``, ``<js>``, ``<read_file>``, ``<write_file path=...>``, ``<list_files>``, and
``<answer>`` to finish. The observation is ``[{"role": "user", "content": text}]`` (exit
code, output, a denial's reason, alerts). An alert that ends the episode ends it at that
step: ``done=True``, ``reward=ended_reward``, ``metadata["corral_verdict"] == "ended"``.

::

    from corral.integrations.skyrl import register
    register()          # skyrl_gym.make("corral", env_config={...}, extras={...})

``env_config``: the keys of :func:`~corral.integrations.config.episodes_from_config`
(``policy``, ``backend``, ``run``, ``end_on``, ``fleet``) plus ``reward_fn``
(``"module:function"``, called as ``fn(answer, episode, extras) -> float``) and
``ended_reward``. ``extras`` (per sample): ``max_turns``, ``uid`` or ``episode`` (the
episode tag), ``files`` (``{path: text}`` written before the first turn) and
``reward_spec: {ground_truth: ...}`` (the default reward: 1.0 when the answer equals it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from .actions import parse_action
from .config import episodes_from_config, plain_config
from .episode import Episode, Episodes

try:
    from skyrl_gym.envs.base_text_env import BaseTextEnv  # type: ignore[import-not-found]

    HAVE_SKYRL = True
except ImportError:  # the protocol alone (skyrl_gym/envs/base_text_env.py)
    HAVE_SKYRL = False

    class BaseTextEnv:  # type: ignore[no-redef]
        def __init__(self) -> None:
            self.turns = 0
            self.max_turns = 1

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *args: Any) -> bool:
            self.close()
            return False

        def close(self) -> None:
            pass


__all__ = ["HAVE_SKYRL", "CorralEnv", "register"]

#: env_config keys of the environment itself (the others configure the episodes)
ENV_KEYS = ("reward_fn", "ended_reward", "max_turns")

RewardFn = Callable[[str | None, Episode, dict[str, Any]], float]

#: the observation of a turn without an action
NO_ACTION = (
    "No action found. Write one of <bash>...</bash>, <python>...</python>, <js>...</js>, "
    '<read_file>path</read_file>, <write_file path="...">...</write_file>, '
    "<list_files>path</list_files>, or <answer>...</answer> to finish."
)


def exact_match_reward(answer: str | None, episode: Episode, extras: dict[str, Any]) -> float:
    """1.0 when the answer equals ``extras["reward_spec"]["ground_truth"]`` (stripped)."""
    spec = extras.get("reward_spec") or {}
    truth = spec.get("ground_truth") if isinstance(spec, dict) else None
    if answer is None or truth is None:
        return 0.0
    return 1.0 if answer.strip() == str(truth).strip() else 0.0


def _load(path: str) -> RewardFn:
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"reward_fn {path!r} must be 'module:function'")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ValueError(f"reward_fn {path!r} is not a function")
    return fn  # type: ignore[no-any-return]


class CorralEnv(BaseTextEnv):  # type: ignore[misc,valid-type]
    """A SkyRL-Gym ``BaseTextEnv``: one corral sandbox per episode."""

    def __init__(
        self,
        env_config: Any = None,
        extras: dict[str, Any] | None = None,
        *,
        episodes: Episodes | None = None,
        reward_fn: RewardFn | None = None,
    ) -> None:
        super().__init__()
        config = plain_config(env_config) or {}
        if not isinstance(config, dict):
            raise TypeError(f"env_config must be a dict, not {type(config).__name__}")
        extras = plain_config(extras) or {}
        if not isinstance(extras, dict):
            raise TypeError(f"extras must be a dict, not {type(extras).__name__}")
        self.extras = extras
        max_turns = extras.get("max_turns", config.get("max_turns", 8))
        if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns < 1:
            raise ValueError(f"max_turns must be a positive int, not {max_turns!r}")
        self.max_turns = max_turns
        fn = reward_fn or config.get("reward_fn") or exact_match_reward
        self.reward_fn: RewardFn = _load(fn) if isinstance(fn, str) else fn
        if not callable(self.reward_fn):
            raise TypeError("reward_fn must be callable or 'module:function'")
        self.ended_reward = float(config.get("ended_reward", 0.0))
        self._episodes = episodes or _episodes_for(config)
        self.episode_tag = str(extras.get("episode", extras.get("uid", uuid4().hex)))[:256]
        self.episode: Episode | None = None
        self.answer: str | None = None

    # -- SkyRL-Gym ---------------------------------------------------------------------

    def init(self, prompt: Any) -> tuple[Any, dict[str, Any]]:
        self.episode = self._episodes.open(episode=self.episode_tag)
        files = self.extras.get("files") or {}
        if not isinstance(files, dict):
            raise TypeError("extras['files'] must be a dict of path to text")
        for path, content in files.items():
            obs = self.episode.write_file(str(path), str(content))
            if not obs.ok:
                raise ValueError(f"could not set up {path!r}: {obs.text}")
        return prompt, {"corral_tags": dict(self.episode.tags)}

    def step(self, action: str) -> dict[str, Any]:
        if self.episode is None:
            raise RuntimeError("call init() before step()")
        self.turns += 1
        ep = self.episode
        parsed = parse_action(action)
        if parsed is not None and parsed.tool == "answer":
            self.answer = parsed.args["text"]
            return self._finish(None)
        if parsed is None:
            text = NO_ACTION
        elif parsed.tool == "invalid":
            text = f"invalid action: {parsed.problem}"
        else:
            obs = ep.step(parsed.tool, parsed.args)
            text = obs.text
            if obs.ended:
                return self._finish(text)
        if self.turns >= self.max_turns:
            return self._finish(text)
        return {
            "observations": [{"role": "user", "content": text}],
            "reward": 0.0,
            "done": False,
            "metadata": self._metadata(),
            "postprocessed_action": None,
        }

    def _finish(self, text: str | None) -> dict[str, Any]:
        ep = self.episode
        assert ep is not None
        if ep.ended:
            reward = self.ended_reward
        else:
            reward = float(self.reward_fn(self.answer, ep, self.extras))
        meta = self._metadata()
        ep.close()
        return {
            "observations": [{"role": "user", "content": text}] if text else [],
            "reward": reward,
            "done": True,
            "metadata": meta,
            "postprocessed_action": None,
        }

    def _metadata(self) -> dict[str, Any]:
        ep = self.episode
        assert ep is not None
        return {
            "corral_verdict": ep.verdict,
            "corral_ended_rule": ep.ended_rule,
            "corral_alerts": len(ep.alerts),
            "corral_steps": ep.steps,
        }

    def close(self) -> None:
        if self.episode is not None:
            self.episode.close()

    def get_metrics(self) -> dict[str, Any]:
        if self.episode is None:
            return {}
        return {
            "corral_ended": 1.0 if self.episode.ended else 0.0,
            "corral_flagged": 1.0 if self.episode.verdict != "clean" else 0.0,
            "corral_alerts": float(len(self.episode.alerts)),
        }

    @staticmethod
    def aggregate_metrics(metrics: list[dict[str, Any]]) -> dict[str, Any]:
        keys = {k for m in metrics for k in m}
        return {k: sum(float(m.get(k, 0.0)) for m in metrics) / max(len(metrics), 1) for k in keys}


_shared: dict[str, Episodes] = {}


def _episodes_for(config: dict[str, Any]) -> Episodes:
    """One :class:`Episodes` per distinct env_config in this process (an env is made
    per trajectory; a policy is loaded once)."""
    import json

    corral = {k: v for k, v in config.items() if k not in ENV_KEYS}
    key = json.dumps(corral, sort_keys=True, default=repr)
    eps = _shared.get(key)
    if eps is None:
        eps = _shared[key] = episodes_from_config({"corral": corral})
    return eps


def register(env_id: str = "corral") -> None:
    """Register :class:`CorralEnv` with SkyRL-Gym as ``env_id`` (idempotent)."""
    if not HAVE_SKYRL:
        raise ImportError("skyrl-gym is not installed: pip install skyrl-gym")
    from skyrl_gym.envs.registration import register as sk_register
    from skyrl_gym.envs.registration import registry

    if env_id not in registry:
        sk_register(id=env_id, entry_point=f"{__name__}:CorralEnv")
