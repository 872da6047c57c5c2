"""SWE-ReX: a deployment and a runtime on one corral episode.

Read against swe-rex 1.4.0 (``swerex/deployment/abstract.py``: ``AbstractDeployment``;
``swerex/runtime/abstract.py``: ``AbstractRuntime`` and its request/response models;
``swerex/runtime/local.py`` for the behaviour of ``check``, exit codes and errors) and
tested against it. SWE-agent and other SWE-ReX users take any ``AbstractDeployment``::

    from corral.integrations.swerex import CorralDeployment
    deployment = CorralDeployment(policy="default", run="exp1", name="task-7")
    await deployment.start()
    runtime = deployment.runtime          # create_session / run_in_session / execute / ...
    ...
    await deployment.stop()

Differences from a container, by design: every named session shares the sandbox's one
corral shell (its working directory and variables), so sessions are names, not separate
shells; file paths are sandbox paths (``/workspace`` or relative to it); interactive
programs (``is_interactive_command``) are not supported; a command the policy refuses
is not run (exit 126, the reason in its output). Once an alert ends the episode, every
command observes that (exit 137, the rule in the output; ``NonZeroExitCodeError`` with
``check="raise"``) and ``is_alive`` answers false with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from typing import Any

from swerex.deployment.abstract import AbstractDeployment
from swerex.exceptions import (
    CommandTimeoutError,
    DeploymentNotStartedError,
    NonZeroExitCodeError,
    SessionDoesNotExistError,
    SessionExistsError,
)
from swerex.runtime.abstract import (
    AbstractRuntime,
    BashAction,
    BashInterruptAction,
    BashObservation,
    CloseBashSessionResponse,
    CloseResponse,
    Command,
    CommandResponse,
    CreateBashSessionResponse,
    IsAliveResponse,
    ReadFileResponse,
    UploadResponse,
    WriteFileResponse,
)

from .config import episodes_from_config
from .episode import Episode, EpisodeOver, Episodes

__all__ = ["CorralDeployment", "CorralRuntime"]

ENDED_EXIT = 137


def _budget_stopped(result: Any) -> bool:
    return getattr(result, "error", None) == "wall_time"


class CorralRuntime(AbstractRuntime):
    """SWE-ReX's runtime protocol on one corral episode."""

    def __init__(self, episode: Episode, *, logger: logging.Logger | None = None) -> None:
        self.episode = episode
        self.logger = logger or logging.getLogger("corral.integrations.swerex")
        self._sessions: set[str] = set()

    # -- liveness ------------------------------------------------------------------------

    async def is_alive(self, *, timeout: float | None = None) -> IsAliveResponse:
        if self.episode.ended:
            return IsAliveResponse(is_alive=False, message=self.episode._ended_text())
        if self.episode.closed:
            return IsAliveResponse(is_alive=False, message="the corral sandbox is closed")
        return IsAliveResponse(is_alive=True)

    # -- sessions ------------------------------------------------------------------------

    async def create_session(self, request: Any) -> CreateBashSessionResponse:
        if request.session in self._sessions:
            raise SessionExistsError(f"session {request.session!r} already exists")
        out = []
        for path in request.startup_source:
            r = await self._run(f"source {shlex.quote(path)}", timeout=request.startup_timeout)
            out.append(r.stdout + r.stderr)
        self._sessions.add(request.session)
        return CreateBashSessionResponse(output="".join(out))

    async def run_in_session(self, action: Any) -> BashObservation:
        if action.session not in self._sessions:
            raise SessionDoesNotExistError(f"session {action.session!r} does not exist")
        if isinstance(action, BashInterruptAction):
            return BashObservation(output="", exit_code=0)  # nothing runs between calls
        assert isinstance(action, BashAction)
        if action.is_interactive_command or action.is_interactive_quit:
            raise NotImplementedError(
                "corral runs no interactive programs (is_interactive_command)"
            )
        try:
            r = await self._run(action.command, timeout=action.timeout)
        except EpisodeOver as e:
            return self._ended(action, str(e))
        if _budget_stopped(r):
            raise CommandTimeoutError(
                f"timeout after {action.timeout} seconds while running command "
                f"{action.command!r}"
            )
        output = (r.stdout + r.stderr).rstrip("\n")
        if self.episode.ended:
            output += f"\n{self.episode._ended_text()}"
        exit_code = None if action.check == "ignore" else r.exit_code
        if action.check == "raise" and r.exit_code != 0:
            msg = (
                f"Command {action.command!r} failed with exit code {r.exit_code}. "
                f"Here is the output:\n{output!r}"
            )
            if action.error_msg:
                msg = f"{action.error_msg}: {msg}"
            raise NonZeroExitCodeError(msg)
        return BashObservation(output=output, exit_code=exit_code)

    def _ended(self, action: Any, text: str) -> BashObservation:
        if action.check == "raise":
            raise NonZeroExitCodeError(text)
        return BashObservation(output=text, exit_code=ENDED_EXIT, failure_reason=text)

    async def close_session(self, request: Any) -> CloseBashSessionResponse:
        if request.session not in self._sessions:
            raise SessionDoesNotExistError(f"session {request.session!r} does not exist")
        self._sessions.discard(request.session)
        return CloseBashSessionResponse()

    # -- commands and files --------------------------------------------------------------

    async def _run(self, script: str, timeout: float | None = None) -> Any:
        return await self.episode.aop("run", script, timeout=timeout)

    async def execute(self, command: Command) -> CommandResponse:
        cmd = command.command
        if isinstance(cmd, str) and command.shell:  # a shell line of the harness's own
            argv = ["bash", "-c", cmd]
        else:
            argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        try:
            r = await asyncio.to_thread(
                self.episode.run_argv,
                argv,
                cwd=command.cwd,
                env=command.env,
                timeout=command.timeout,
            )
        except EpisodeOver as e:
            if command.check:
                raise NonZeroExitCodeError(str(e)) from None
            return CommandResponse(stdout="", stderr=str(e), exit_code=ENDED_EXIT)
        if _budget_stopped(r):
            raise CommandTimeoutError(
                f"Timeout ({command.timeout}s) exceeded while running command"
            )
        stdout, stderr = r.stdout, r.stderr
        if command.merge_output_streams:
            stdout, stderr = stdout + stderr, ""
        if command.check and r.exit_code != 0:
            msg = (
                f"Command {command.command!r} failed with exit code {r.exit_code}. "
                f"Stdout:\n{stdout!r}\nStderr:\n{stderr!r}"
            )
            if command.error_msg:
                msg = f"{command.error_msg}: {msg}"
            raise NonZeroExitCodeError(msg)
        return CommandResponse(stdout=stdout, stderr=stderr, exit_code=r.exit_code)

    async def read_file(self, request: Any) -> ReadFileResponse:
        raw = await self.episode.aop("files.read_bytes", request.path)
        text = raw.decode(request.encoding or "utf-8", errors=request.errors or "strict")
        return ReadFileResponse(content=text)

    async def write_file(self, request: Any) -> WriteFileResponse:
        await self.episode.aop("files.write", request.path, request.content)
        return WriteFileResponse()

    async def upload(self, request: Any) -> UploadResponse:
        await asyncio.to_thread(self.episode.upload, request.source_path, request.target_path)
        return UploadResponse()

    async def close(self) -> CloseResponse:
        await self.episode.aclose()
        return CloseResponse()


class CorralDeployment(AbstractDeployment):
    """A SWE-ReX deployment whose runtime is one corral episode (see the module doc).

    Args:
        name: the episode tag (default: a fresh id).
        episodes: an :class:`~corral.integrations.Episodes` (a fleet, a policy, ...);
            else ``config`` holds the keys of
            :func:`~corral.integrations.config.episodes_from_config`.
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        episodes: Episodes | None = None,
        logger: logging.Logger | None = None,
        **config: Any,
    ) -> None:
        self.logger = logger or logging.getLogger("corral.integrations.swerex")
        self._episodes = episodes or episodes_from_config({"corral": config})
        self._name = name
        self._runtime: CorralRuntime | None = None
        self._hooks: list[Any] = []

    def add_hook(self, hook: Any) -> None:
        self._hooks.append(hook)

    async def is_alive(self, *, timeout: float | None = None) -> IsAliveResponse:
        if self._runtime is None:
            raise DeploymentNotStartedError()
        return await self._runtime.is_alive(timeout=timeout)

    async def start(self, *args: Any, **kwargs: Any) -> None:
        if self._runtime is not None:
            return
        for hook in self._hooks:
            on_step = getattr(hook, "on_custom_step", None)
            if on_step is not None:
                on_step("Starting the corral sandbox")
        ep = await self._episodes.aopen(episode=self._name) if self._name else (
            await self._episodes.aopen()
        )
        self._runtime = CorralRuntime(ep, logger=self.logger)

    async def stop(self, *args: Any, **kwargs: Any) -> None:
        if self._runtime is not None:
            await self._runtime.close()

    @property
    def runtime(self) -> CorralRuntime:
        if self._runtime is None:
            raise DeploymentNotStartedError()
        return self._runtime

    @property
    def episode(self) -> Episode:
        return self.runtime.episode
