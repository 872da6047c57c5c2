"""OpenRLHF: an agent instance (``--train.agent_func_path``) whose actions run in one
corral sandbox per episode.

Read against OpenRLHF 0.11.2 (``openrlhf/utils/agent.py``: ``AgentInstanceBase``,
``MultiTurnAgentExecutor``; ``openrlhf/trainer/ray/vllm_engine.py``: the file named by
``agent_func_path`` must define ``AgentExecutor``, a subclass of ``AgentExecutorBase``).
``MultiTurnAgentExecutor.execute`` makes one ``AgentInstance()`` per prompt, awaits
``reset({"observation", "label"})`` and then ``step({"observation_text", "action_text",
"label", "sampling_params"})`` after each generation until ``done``; it reads
``rewards.item()``, ``scores``, ``environment_feedback``, ``done``, ``sampling_params``
and ``extra_logs`` (turned into tensors for the logs). There is no close hook: the
episode's sandbox is closed when the episode is done, and when the instance is dropped.

``agent_func.py``::

    from corral.integrations.openrlhf import agent_classes
    AgentInstance, AgentExecutor = agent_classes(policy="default", run="exp1")

Actions are tags in the generated text (:mod:`corral.integrations.actions`);
``<answer>`` ends the episode, scored by ``reward_fn(answer, episode, label)`` (default:
1.0 when the answer equals the label). An alert that ends the episode ends it at that
step with ``ended_reward``; ``extra_logs`` carries ``corral_ended``, ``corral_flagged``
and ``corral_alerts`` for every episode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from .actions import parse_action
from .config import episodes_from_config
from .episode import Episode, Episodes

__all__ = ["CorralAgent", "agent_classes", "scalar"]

RewardFn = Callable[[str | None, Episode, Any], float]

FEEDBACK = "\n<observation>\n{text}\n</observation>\n"


def label_reward(answer: str | None, episode: Episode, label: Any) -> float:
    """1.0 when the answer equals the prompt's label (both stripped)."""
    if answer is None or label is None:
        return 0.0
    return 1.0 if answer.strip() == str(label).strip() else 0.0


def scalar(value: float) -> Any:
    """A reward as OpenRLHF reads it (``.item()``): a torch tensor when torch is there,
    else a numpy scalar."""
    try:
        import torch

        return torch.tensor(float(value))
    except ImportError:
        import numpy as np

        return np.float32(value)


class CorralAgent:
    """The episode logic of an OpenRLHF agent instance; :func:`agent_classes` mixes it
    into ``AgentInstanceBase``. Class attributes configure it (OpenRLHF makes instances
    with no arguments)."""

    episodes: Episodes
    reward_fn: RewardFn = staticmethod(label_reward)  # type: ignore[assignment]
    ended_reward: float = 0.0
    max_steps: int = 8
    feedback: str = FEEDBACK

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.episode: Episode | None = None
        self.steps = 0
        self.answer: str | None = None

    async def reset(self, states: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self.episode is not None:
            await self.episode.aclose()
        self.episode = await self.episodes.aopen(episode=uuid4().hex)
        self.steps = 0
        self.answer = None
        return {"observation": states["observation"]}

    async def step(self, states: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if self.episode is None:
            raise RuntimeError("reset() was not called")
        ep = self.episode
        self.steps += 1
        parsed = parse_action(states.get("action_text", ""))
        done = False
        if parsed is not None and parsed.tool == "answer":
            self.answer = parsed.args["text"]
            text, done = "", True
        elif parsed is None:
            text = "no action found; use <bash>, <python>, <js>, ... or <answer>"
        elif parsed.tool == "invalid":
            text = f"invalid action: {parsed.problem}"
        else:
            obs = await ep.astep(parsed.tool, parsed.args)
            text, done = obs.text, obs.ended
        done = done or self.steps >= self.max_steps
        reward = 0.0
        if done:
            if ep.ended:
                reward = self.ended_reward
            else:
                reward = float(type(self).reward_fn(self.answer, ep, states.get("label")))
        logs = {
            "corral_ended": 1.0 if ep.ended else 0.0,
            "corral_flagged": 0.0 if ep.verdict == "clean" else 1.0,
            "corral_alerts": float(len(ep.alerts)),
        }
        if done:
            await ep.aclose()
        return {
            "rewards": scalar(reward),
            "scores": scalar(reward),
            "environment_feedback": self.feedback.format(text=text) if text else "",
            "done": done,
            "sampling_params": states.get("sampling_params"),
            "extra_logs": logs,
        }


def agent_classes(
    *,
    episodes: Episodes | None = None,
    reward_fn: RewardFn | None = None,
    ended_reward: float = 0.0,
    max_steps: int = 8,
    feedback: str = FEEDBACK,
    agent_module: Any = None,
    **config: Any,
) -> tuple[type, type]:
    """``(AgentInstance, AgentExecutor)`` for an OpenRLHF ``agent_func.py``.

    ``config``: the keys of :func:`~corral.integrations.config.episodes_from_config`
    (``policy``, ``backend``, ``run``, ``end_on``, ``fleet``), or ``episodes=``.
    ``agent_module``: OpenRLHF's ``openrlhf.utils.agent`` (imported when not given)."""
    if agent_module is None:
        import openrlhf.utils.agent as agent_module  # type: ignore[import-not-found]
    if not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError("max_steps must be a positive int")
    if "{text}" not in feedback:
        raise ValueError("feedback must contain {text}")
    eps = episodes or episodes_from_config({"corral": config})
    attrs: dict[str, Any] = {
        "episodes": eps,
        "ended_reward": float(ended_reward),
        "max_steps": max_steps,
        "feedback": feedback,
    }
    if reward_fn is not None:
        attrs["reward_fn"] = staticmethod(reward_fn)
    mixin_attrs = attrs

    class AgentInstance(CorralAgent, agent_module.AgentInstanceBase):  # type: ignore[misc,name-defined]
        pass

    for k, v in mixin_attrs.items():
        setattr(AgentInstance, k, v)
    base = agent_module.MultiTurnAgentExecutor

    class AgentExecutor(base):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__(AgentInstance)

    return AgentInstance, AgentExecutor
