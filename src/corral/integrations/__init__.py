"""Trainer and harness integrations: one contained corral sandbox per episode.

Each module adapts :class:`~corral.integrations.episode.Episode` to one framework's own
interface, and imports that framework only when it is used (``docs/integrations.md``
lists what each was built and tested against):

- :mod:`.verl`: a verl ``BaseTool`` (one sandbox per agent-loop trajectory)
- :mod:`.skyrl`: a SkyRL-Gym ``BaseTextEnv``
- :mod:`.openrlhf`: an OpenRLHF ``AgentInstanceBase`` (``--agent_func_path``)
- :mod:`.rllm`: rLLM's ``Sandbox`` protocol (a sandbox backend factory)
- :mod:`.verifiers`: a verifiers v1 ``Runtime``
- :mod:`.swerex`: a SWE-ReX deployment and runtime
- :mod:`.inspect`: an Inspect AI sandbox environment named ``corral``
"""

from .config import episodes_from_config, shared_fleet
from .episode import Episode, EpisodeOver, Episodes, Observation

__all__ = [
    "Episode",
    "EpisodeOver",
    "Episodes",
    "Observation",
    "episodes_from_config",
    "shared_fleet",
]
