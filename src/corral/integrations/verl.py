"""verl: corral's six tools as verl ``BaseTool``\\ s, one sandbox per trajectory.

Read against verl 0.9.1 (``verl/tools/base_tool.py``, ``verl/tools/schemas.py``,
``verl/tools/tool_registry.py``, ``verl/experimental/agent_loop/tool_agent_loop.py``).
verl's ``ToolAgentLoop`` builds each tool from the YAML of ``tool_config_path`` as
``tool_cls(config=..., tool_schema=...)`` and, for every tool call, runs
``instance_id, _ = await tool.create(create_kwargs=...)``, then
``await tool.execute(instance_id, args, agent_data=agent_data)``, then
``await tool.release(instance_id)``: an instance lives for one call, so the episode is
keyed by the trajectory's ``agent_data`` (shared by every corral tool of that
trajectory) and closed when verl drops it at the end of the trajectory. A loop that
passes no ``agent_data`` (verl's older SGLang rollout: one ``create`` per trajectory)
gets one episode per ``instance_id``, closed by ``release``.

The trajectory's verdict goes to ``agent_data.extra_fields`` (``corral_verdict``,
``corral_ended_rule``, ``corral_alerts``), which verl returns with the rollout
(``extra_fields`` of ``AgentLoopOutput``) for the reward function to mask. A tool call
after the episode ended is not run; the model reads why.

``tool_config.yaml``::

    tools:
      - class_name: corral.integrations.verl.CorralTool
        config: {type: native, tool: run_shell, corral: {policy: default, run: exp1}}
      - class_name: corral.integrations.verl.CorralTool
        config: {type: native, tool: run_python, corral: {policy: default, run: exp1}}

``corral:`` takes the keys of :func:`~corral.integrations.config.episodes_from_config`
(``fleet: true`` puts the sandboxes on a fleet shared by the worker process, on the Ray
verl already runs). verl is imported only if it is installed (for ``BaseTool`` and
``ToolResponse``); without it the same class works on the protocol alone.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from pydantic import BaseModel

from ..adapters.toolset import TOOLS, json_schema
from .config import episodes_from_config, plain_config
from .episode import Episode, Episodes

try:  # the real base class and response type when verl is installed
    from verl.tools.base_tool import BaseTool as _Base  # type: ignore[import-not-found]
    from verl.tools.schemas import OpenAIFunctionToolSchema as _Schema  # type: ignore
    from verl.tools.schemas import ToolResponse  # type: ignore[import-not-found]

    HAVE_VERL = True
except ImportError:  # verl's protocol, mirrored (verl/tools/schemas.py)
    HAVE_VERL = False
    _Base = object  # type: ignore[assignment,misc]

    class _Function(BaseModel):
        name: str
        description: str
        parameters: dict[str, Any]

    class _Schema(BaseModel):  # type: ignore[no-redef]
        type: str
        function: _Function

    @dataclass
    class ToolResponse:  # type: ignore[no-redef]
        text: str | None = None
        image: list[Any] | None = None
        video: list[Any] | None = None


__all__ = ["HAVE_VERL", "CorralTool", "ToolResponse", "tool_config"]


def schema_for(tool: str) -> Any:
    """The OpenAI function schema of one of corral's tools, as verl's schema model."""
    spec = TOOLS[tool]
    return _Schema.model_validate(
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": {
                    k: v for k, v in json_schema(spec).items() if k != "additionalProperties"
                },
            },
        }
    )


def tool_config(tools: list[str] | None = None, **corral: Any) -> dict[str, Any]:
    """The ``tools:`` YAML of verl's ``tool_config_path`` as a dict (write it with
    ``yaml.safe_dump``): one ``CorralTool`` per name (default: all six)."""
    names = tools or list(TOOLS)
    for name in names:
        if name not in TOOLS:
            raise ValueError(f"unknown corral tool {name!r}; the tools are {', '.join(TOOLS)}")
    return {
        "tools": [
            {
                "class_name": f"{__name__}.CorralTool",
                "config": {"type": "native", "tool": name, "corral": dict(corral)},
            }
            for name in names
        ]
    }


# -- episodes, one per trajectory ------------------------------------------------------

_registries: dict[Any, _Trajectories] = {}
_registries_lock = threading.Lock()


def _trajectories_for(episodes: Any, corral: Any) -> _Trajectories:
    """The registry of one configuration: an :class:`Episodes` given from Python (by
    identity) or the ``corral:`` section of the YAML (by its content)."""
    if episodes is not None:
        if not isinstance(episodes, Episodes):
            raise TypeError("config['episodes'] must be a corral Episodes")
        key: Any = ("object", id(episodes))
    else:
        corral = corral or {}
        key = ("config", json.dumps(plain_config(corral), sort_keys=True, default=repr))
    with _registries_lock:
        reg = _registries.get(key)
        if reg is None or (episodes is not None and reg.episodes is not episodes):
            if episodes is None:
                episodes = episodes_from_config({"corral": corral})
            reg = _registries[key] = _Trajectories(episodes)
        return reg


class _Trajectories:
    """The episodes of live trajectories for one :class:`Episodes` configuration."""

    def __init__(self, episodes: Episodes) -> None:
        self.episodes = episodes
        self._lock = threading.Lock()
        self._by_key: dict[Any, tuple[threading.Lock, list[Episode]]] = {}

    def get(self, key: Any, episode_tag: str, owner: Any | None) -> Episode:
        with self._lock:
            entry = self._by_key.get(key)
            if entry is None:
                entry = self._by_key[key] = (threading.Lock(), [])
                if owner is not None:  # the trajectory's end: verl drops its AgentData
                    weakref.finalize(owner, self.drop, key)
        lock, holder = entry
        with lock:  # parallel tool calls of one turn open one episode
            if not holder:
                holder.append(self.episodes.open(episode=episode_tag))
            return holder[0]

    def drop(self, key: Any) -> None:
        with self._lock:
            entry = self._by_key.pop(key, None)
        if entry is not None:
            for ep in entry[1]:
                ep.close()

    def live(self) -> int:
        with self._lock:
            return sum(1 for _, h in self._by_key.values() if h and not h[0].closed)


class CorralTool(_Base):  # type: ignore[misc,valid-type]
    """One of corral's tools (``config["tool"]``: ``run_shell``, ``run_python``,
    ``run_js``, ``read_file``, ``write_file``, ``list_files``) as a verl tool."""

    def __init__(self, config: dict[str, Any], tool_schema: Any = None) -> None:
        schema = tool_schema
        config = dict(config or {})
        tool = config.get("tool", "run_shell")
        if tool not in TOOLS:
            raise ValueError(f"corral tool {tool!r} unknown; the tools are {', '.join(TOOLS)}")
        self.tool = tool
        reward = config.get("ended_reward", 0.0)
        if not isinstance(reward, int | float) or isinstance(reward, bool):
            raise TypeError("ended_reward must be a number")
        self.ended_reward = float(reward)
        # every CorralTool of one configuration shares the trajectories' episodes
        self._trajectories = _trajectories_for(config.get("episodes"), config.get("corral"))
        self._instances: dict[str, Episode] = {}
        self._lock = threading.Lock()
        if schema is None:
            schema = schema_for(tool)
        if HAVE_VERL:
            super().__init__(config, schema)
        else:
            self.config = config
            self.tool_schema = schema
            self.name = schema.function.name

    def get_openai_tool_schema(self) -> Any:
        return self.tool_schema

    async def create(self, instance_id: str | None = None, **kwargs: Any) -> tuple[str, Any]:
        return instance_id or str(uuid4()), ToolResponse()

    def _episode(self, instance_id: str, agent_data: Any) -> Episode:
        if agent_data is not None:
            tag = str(getattr(agent_data, "request_id", "") or id(agent_data))[:256]
            try:
                return self._trajectories.get(id(agent_data), tag, agent_data)
            except TypeError:  # not weak-referenceable: fall back to the instance
                pass
        with self._lock:
            ep = self._instances.get(instance_id)
            if ep is None:
                ep = self._instances[instance_id] = self._trajectories.episodes.open(
                    episode=str(instance_id)[:256]
                )
            return ep

    async def execute(
        self, instance_id: str, parameters: dict[str, Any], **kwargs: Any
    ) -> tuple[Any, float, dict[str, Any]]:
        agent_data = kwargs.get("agent_data")
        ep = await asyncio.to_thread(self._episode, instance_id, agent_data)
        obs = await ep.astep(self.tool, parameters)
        extra = getattr(agent_data, "extra_fields", None)
        if isinstance(extra, dict):
            extra["corral_verdict"] = obs.verdict
            extra["corral_ended_rule"] = ep.ended_rule
            extra["corral_alerts"] = len(ep.alerts)
        reward = self.ended_reward if obs.ended else 0.0
        metrics = {"corral_verdict": obs.verdict, "corral_step": obs.step, "error": obs.error}
        return ToolResponse(text=obs.text), reward, metrics

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        ep = self._instances.get(instance_id)
        return self.ended_reward if ep is not None and ep.ended else 0.0

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        with self._lock:
            ep = self._instances.pop(instance_id, None)
        if ep is not None:
            await ep.aclose()

    def live_episodes(self) -> int:
        """Episodes of trajectories still running (for tests and dashboards)."""
        return self._trajectories.live() + sum(
            1 for e in list(self._instances.values()) if not e.closed
        )
