"""Inspect AI: a sandbox environment named ``corral``, one corral episode per sample.

Read against inspect-ai 0.3.285 (``inspect_ai/util/_sandbox/environment.py``:
``SandboxEnvironment``; ``registry.py``: ``@sandboxenv``; ``local.py``, the reference
provider; ``inspect_ai/_util/entrypoints.py``: extensions load from the ``inspect_ai``
entry-point group) and tested against it with a real eval on Inspect's mock model.
corral registers this module as its ``inspect_ai`` entry point, so with corral installed::

    Task(dataset=..., solver=[use_tools([bash(), python()]), generate()],
         sandbox="corral")                                  # the default policy
    Task(..., sandbox=("corral", CorralSandboxConfig(policy="strict", run="exp1")))
    Task(..., sandbox=("corral", "my-policy.yaml"))         # a policy file

Each sample gets its own sandbox (``sample_init``), closed in ``sample_cleanup``;
``exec`` runs the command in it (``bash -c`` and ``python3 -`` as Inspect's tools send
them run in the corral shell); a refused command is not run (exit 126, the reason in
``stderr``, which Inspect's tools show the model); once an alert ends the episode,
``exec`` returns exit 137 with the rule. A scorer reads the verdict with
``sandbox().as_type(CorralSandboxEnvironment).episode.verdict``. File paths are
sandbox paths (``/workspace`` or relative to it, the per-sample working directory);
others are ``PermissionError``. ``user=`` other than ``None`` is refused
(``SandboxUserUnsupportedError``): corral runs every command as the sandbox's user.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any, Literal, Union, overload

from inspect_ai.util import ExecResult, OutputLimitExceededError, SandboxEnvironment, sandboxenv
from inspect_ai.util._sandbox.environment import SandboxUserUnsupportedError
from inspect_ai.util._sandbox.limits import SandboxEnvironmentLimits
from pydantic import BaseModel, ConfigDict

from ..errors import PathEscape
from .config import episodes_from_config
from .episode import Episode, EpisodeOver, Episodes

__all__ = ["CorralSandboxConfig", "CorralSandboxEnvironment"]

ENDED_EXIT = 137


class CorralSandboxConfig(BaseModel):
    """The ``corral`` sandbox's configuration (``sandbox=("corral", config)``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = "default"
    """A built-in policy name, a path to a policy file, or policy YAML."""
    backend: Literal["wasm", "bwrap", "gvisor"] = "wasm"
    run: str | None = None
    """The ``run`` tag (default: the task's name)."""
    end_on: tuple[str, ...] = ("high", "critical")
    """Alert severities that end the sample's episode."""
    fleet: bool | dict[str, Any] = False
    """Hold the samples' sandboxes on a :class:`~corral.fleet.Fleet` (``True``, or a
    dict of its options, e.g. ``{"local": True}`` or ``{"address": "auto"}``)."""


_episodes: dict[tuple[str, str], Episodes] = {}


def _config(config: Any) -> CorralSandboxConfig:
    if config is None:
        return CorralSandboxConfig()
    if isinstance(config, CorralSandboxConfig):
        return config
    if isinstance(config, str):  # Inspect passes a string config as a file name
        return CorralSandboxConfig(policy=config)
    if isinstance(config, dict):
        return CorralSandboxConfig.model_validate(config)
    raise TypeError(
        f"the corral sandbox takes a CorralSandboxConfig, a dict or a policy path, "
        f"not {type(config).__name__}"
    )


def _episodes_for(task_name: str, config: CorralSandboxConfig) -> Episodes:
    key = (task_name, config.model_dump_json())
    eps = _episodes.get(key)
    if eps is None:
        eps = _episodes[key] = episodes_from_config(
            {
                "corral": {
                    "policy": config.policy,
                    "backend": config.backend,
                    "run": config.run or task_name[:256],
                    "end_on": list(config.end_on),
                    "fleet": config.fleet,
                }
            }
        )
    return eps


@sandboxenv(name="corral")
class CorralSandboxEnvironment(SandboxEnvironment):
    """Inspect's sandbox environment on one corral episode."""

    def __init__(self, episode: Episode) -> None:
        super().__init__()
        self.episode = episode

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    def config_files(cls) -> list[str]:
        return []

    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return CorralSandboxConfig.model_validate(config)

    @classmethod
    async def task_init(cls, task_name: str, config: Any) -> None:
        _episodes_for(task_name, _config(config))  # a bad policy fails before any sample

    @classmethod
    async def sample_init(
        cls, task_name: str, config: Any, metadata: dict[str, str]
    ) -> dict[str, SandboxEnvironment]:
        eps = _episodes_for(task_name, _config(config))
        return {"default": CorralSandboxEnvironment(await eps.aopen())}

    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: Any,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for env in environments.values():
            if isinstance(env, CorralSandboxEnvironment):
                await env.episode.aclose()

    @classmethod
    async def task_cleanup(cls, task_name: str, config: Any, cleanup: bool) -> None:
        for key in [k for k in _episodes if k[0] == task_name]:
            _episodes.pop(key, None)

    # -- the sandbox ---------------------------------------------------------------------

    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user is not None:
            raise SandboxUserUnsupportedError(
                f"the corral sandbox cannot execute as {user!r}: every command runs as the "
                "sandbox's own user"
            )
        if not isinstance(cmd, list) or not cmd or not all(isinstance(a, str) for a in cmd):
            raise TypeError("cmd must be a non-empty list of str")
        stdin = input.decode("utf-8", errors="replace") if isinstance(input, bytes) else (
            input or ""
        )
        try:
            r = await asyncio.to_thread(
                self.episode.run_argv, cmd, cwd=cwd, env=env, stdin=stdin, timeout=timeout
            )
        except EpisodeOver as e:
            return ExecResult(success=False, returncode=ENDED_EXIT, stdout="", stderr=str(e))
        if r.error == "wall_time":
            raise TimeoutError(f"command timed out after {timeout} seconds: {shlex.join(cmd)}")
        stderr = r.stderr
        if self.episode.ended:
            stderr = f"{stderr.rstrip()}\n{self.episode._ended_text()}".lstrip()
        limit = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE
        if len(r.stdout.encode()) > limit or len(stderr.encode()) > limit:
            raise OutputLimitExceededError(
                SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE_STR, r.stdout[-limit:]
            )
        return ExecResult(
            success=r.exit_code == 0, returncode=r.exit_code, stdout=r.stdout, stderr=stderr
        )

    async def write_file(self, file: str, contents: str | bytes) -> None:
        try:
            await self.episode.aop("files.write", file, contents)
        except PathEscape as e:
            raise PermissionError(f"{e} (the corral sandbox's files are under /workspace)") from e
        except EpisodeOver as e:  # what Inspect's tools show the model
            raise PermissionError(str(e)) from e

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> Union[str | bytes]:  # noqa: UP007
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        try:
            raw = await self.episode.aop("files.read_bytes", file, max_bytes=limit + 1)
        except PathEscape as e:
            raise PermissionError(f"{e} (the corral sandbox's files are under /workspace)") from e
        except EpisodeOver as e:
            raise PermissionError(str(e)) from e
        if len(raw) > limit:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None)
        if not text:
            return raw
        return raw.decode("utf-8")  # newlines as they are (Inspect asks for newline="")
