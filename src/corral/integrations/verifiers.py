"""verifiers: a runtime for verifiers v1 on one corral episode.

Read against verifiers 0.4.0 (``verifiers/v1/runtimes/base.py``: ``Runtime`` —
``start``, ``stop``/``teardown``/``cleanup``, ``run(argv, env) -> ProgramResult``,
``run_program``, ``read(path, max_bytes)`` over ``_read``, ``write``, ``alive``,
``with_env``, ``with_user``, ``process_env``; ``verifiers/v1/runtimes/__init__.py``:
``provision_runtime`` starts inside ``try`` and stops in ``finally``; a rollout may
borrow a live runtime, ``Agent.run(runtime=...)``). verifiers 0.4.0 pins
``mcp==2.0.0`` against corral's ``mcp>=2.3``, so it is not installed here: this is
tested against that protocol (the same calls, in the same order), not the package.
verifiers' runtime types are a closed union (``RuntimeConfig``), so a corral runtime is
handed to a rollout as a live runtime rather than named in a config.

What a corral runtime does not do: serve ports (``expose``), long-lived processes
(``open_process``, ``run_background``) or ``uv`` scripts (they download ``uv`` and
packages; the sandbox has no network unless its policy grants it); each raises
``NotImplementedError`` saying so. ``run`` returns exit 126 with the reason for a
command the policy refuses, and exit 137 with the rule once an alert ended the episode.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from .config import episodes_from_config
from .episode import Episode, EpisodeOver, Episodes

try:
    from verifiers.v1.runtimes.base import ProgramResult  # type: ignore[import-not-found]
except ImportError:  # verifiers/v1/runtimes/base.py, mirrored

    @dataclass(frozen=True)
    class ProgramResult:  # type: ignore[no-redef]
        exit_code: int
        stdout: str
        stderr: str


__all__ = ["CorralRuntime", "ProgramResult", "ReadLimitExceeded"]

ENDED_EXIT = 137


class ReadLimitExceeded(ValueError):
    """``read(path, max_bytes)``: the file is larger than ``max_bytes``."""


@dataclass
class CorralRuntimeConfig:
    type: str = "corral"
    network_restricted: bool = False


@dataclass
class CorralRuntimeInfo:
    id: str | None = None
    borrowed: bool = False


class CorralRuntime:
    """verifiers v1's ``Runtime`` protocol on a corral episode (made at ``start()``)."""

    is_local: bool = True
    supports_user: ClassVar[bool] = False
    scripts_dir: ClassVar[str] = "/workspace/.vf-scripts"

    def __init__(
        self,
        name: str | None = None,
        *,
        episodes: Episodes | None = None,
        **config: Any,
    ) -> None:
        self.name = name or f"corral-{uuid.uuid4().hex[:12]}"
        self._episodes = episodes or episodes_from_config({"corral": config})
        self.config = CorralRuntimeConfig()
        self.info = CorralRuntimeInfo()
        self.env: dict[str, str] = {}
        self.user: str | None = None
        self.home: str | None = None
        self.stopped = False
        self._box: dict[str, Episode | None] = {"episode": None}  # shared by views

    @property
    def type(self) -> str:
        return self.config.type

    @property
    def episode(self) -> Episode:
        ep = self._box["episode"]
        if ep is None:
            raise RuntimeError("this runtime is not started")
        return ep

    @property
    def supports_live_processes(self) -> bool:
        return False

    @property
    def network_restricted(self) -> bool:
        return False

    @property
    def published_port(self) -> int | None:
        return None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if self.stopped:
            raise RuntimeError("this runtime was stopped")
        if self._box["episode"] is None:
            ep = await self._episodes.aopen(episode=self.name[:256])
            self._box["episode"] = ep
            self.info.id = ep.tags.get("episode") and str(ep.tags["episode"])

    async def stop(self) -> None:
        self.stopped = True
        await asyncio.shield(self.teardown())

    async def teardown(self) -> None:
        await asyncio.to_thread(self.cleanup)

    def cleanup(self) -> None:
        ep = self._box["episode"]
        if ep is not None:
            ep.close()

    async def alive(self) -> bool:
        ep = self._box["episode"]
        return ep is not None and not ep.closed and not ep.ended

    # -- processes -----------------------------------------------------------------------

    def process_env(self, env: dict[str, str]) -> dict[str, str]:
        home = {} if self.home is None else {"HOME": self.home}
        return {**self.env, **home, **env}

    def with_env(self, env: dict[str, str]) -> CorralRuntime:
        view = copy.copy(self)
        view.env = dict(env)
        return view

    def with_user(self, user: str | None, home: str | None = None) -> CorralRuntime:
        if user is not None:
            raise ValueError("CorralRuntime cannot run commands as another user")
        return copy.copy(self)

    async def run(self, argv: list[str], env: dict[str, str]) -> Any:
        full = self.process_env(dict(env or {}))
        try:
            r = await asyncio.to_thread(self.episode.run_argv, list(argv), env=full)
        except EpisodeOver as e:
            return ProgramResult(exit_code=ENDED_EXIT, stdout="", stderr=str(e))
        stderr = r.stderr
        if self.episode.ended:
            stderr = f"{stderr.rstrip()}\n{self.episode._ended_text()}".lstrip()
        return ProgramResult(exit_code=r.exit_code, stdout=r.stdout, stderr=stderr)

    async def run_program(self, argv: list[str], env: dict[str, str]) -> Any:
        return await self.run(argv, env)

    async def open_process(self, argv: list[str], env: dict[str, str]) -> Any:
        raise NotImplementedError("CorralRuntime does not support live processes")

    async def run_background(self, argv: list[str], env: dict[str, str], log: str) -> None:
        raise NotImplementedError("CorralRuntime does not support run_background")

    async def prepare_uv_script(self, *args: Any, **kwargs: Any) -> list[str]:
        raise NotImplementedError(
            "CorralRuntime does not run uv scripts (they download uv and packages)"
        )

    async def run_uv_script(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "CorralRuntime does not run uv scripts (they download uv and packages)"
        )

    # -- files ---------------------------------------------------------------------------

    async def read(self, path: str, max_bytes: int | None = None) -> bytes:
        if max_bytes is None:
            return await self._read(path)
        if max_bytes < 0:
            raise ValueError("max_bytes must be non-negative")
        data = await self._read(path, max_bytes=max_bytes + 1)
        if len(data) > max_bytes:
            raise ReadLimitExceeded(f"read {path!r}: over the {max_bytes} byte limit")
        return data

    async def _read(self, path: str, max_bytes: int | None = None) -> bytes:
        data: bytes = await self.episode.aop("files.read_bytes", path, max_bytes=max_bytes)
        return data

    async def write(self, path: str, data: bytes) -> None:
        await self.episode.aop("files.write", path, data)

    # -- networking ----------------------------------------------------------------------

    def host_url(self, url: str) -> str:
        return url

    async def prepare_setup(self) -> None:
        return None

    async def prepare_execution(self, routes: list[str] | None) -> None:
        return None

    async def expose(self, port: int) -> str:
        raise NotImplementedError("a corral sandbox serves no ports")
