"""rLLM: a sandbox for rLLM's ``Sandbox`` protocol, one corral episode per sandbox.

Read against rLLM's ``rllm/sandbox/protocol.py`` (``Sandbox``: ``exec``, ``upload_file``,
``upload_dir``, ``start_agent_process``, ``get_endpoint``, ``close``) and its reference
backend ``rllm/sandbox/backends/local.py`` (``exec`` returns stdout and raises
``subprocess.CalledProcessError`` on a non-zero exit; ``create_local_sandbox(name,
**kwargs)`` is the factory shape ``SandboxOrchestrator(sandbox_factory=...)`` takes).
rLLM is not on PyPI: this is tested against that protocol, not the package.

``exec`` runs in the corral sandbox; a refused command is a ``CalledProcessError``
(exit 126) whose ``stderr`` says why, and a call after the episode ended raises
:class:`EpisodeEndedError` (a ``RuntimeError``, which rLLM's ``_safe_exec`` turns into
the text the agent reads). Remote paths: ``/workspace/...`` and relative paths as they
are; any other absolute path (rLLM uploads to ``/app/...``) is placed under
``/workspace`` (``/app/x`` → ``/workspace/app/x``), as rLLM's local backend places it
under its work directory. A corral sandbox serves no ports: ``start_agent_process``
and ``get_endpoint`` refuse with :class:`PortsUnsupported` (rLLM's persistent worker
mode needs them; run rLLM's tools and environments against ``exec`` instead).

::

    from corral.integrations.rllm import create_corral_sandbox
    sb = create_corral_sandbox("task-7", policy="default", run="exp1")
"""

from __future__ import annotations

import posixpath
import subprocess
from pathlib import Path
from typing import Any

from .config import episodes_from_config
from .episode import Episode, Episodes
from .episode import EpisodeOver as EpisodeEndedError

__all__ = ["CorralSandbox", "EpisodeEndedError", "PortsUnsupported", "create_corral_sandbox"]

#: directories rLLM's local backend skips when uploading a tree
SKIP_DIRS = frozenset(
    {".venv", "venv", ".git", "__pycache__", "node_modules", ".tox", ".mypy_cache", ".pytest_cache"}
)


class PortsUnsupported(NotImplementedError):
    """A corral sandbox serves no ports to the outside."""


def guest_path(remote_path: str) -> str:
    """Where a remote path of rLLM's lands in the sandbox (see the module's doc)."""
    if not isinstance(remote_path, str) or not remote_path or "\0" in remote_path:
        raise ValueError(f"remote path must be a non-empty str without NUL: {remote_path!r}")
    norm = posixpath.normpath(remote_path)
    if not norm.startswith("/"):
        return norm
    if norm == "/workspace" or norm.startswith("/workspace/"):
        return norm
    return "/workspace" + norm


class CorralSandbox:
    """rLLM's ``Sandbox`` protocol on one corral episode."""

    def __init__(self, name: str, episode: Episode) -> None:
        self.name = name
        self.episode = episode

    def exec(self, command: str, timeout: float | None = None, user: str | None = None) -> str:
        """Run ``command`` in the corral shell: its stdout, ``CalledProcessError`` on a
        non-zero exit (126 and the reason when refused), ``TimeoutExpired`` after
        ``timeout`` seconds, :class:`EpisodeEndedError` once the episode ended.
        ``user`` is accepted for the protocol: corral runs every command as the
        sandbox's own user."""
        if not isinstance(command, str):
            raise TypeError(f"command must be a str, not {type(command).__name__}")
        r = self.episode.op("run", command, timeout=timeout)
        if r.error == "wall_time":
            raise subprocess.TimeoutExpired(command, timeout or 0, r.stdout, r.stderr)
        stderr = r.stderr
        if self.episode.ended:
            stderr = f"{stderr.rstrip()}\n{self.episode._ended_text()}".lstrip()
        if r.exit_code:
            raise subprocess.CalledProcessError(r.exit_code, command, r.stdout, stderr)
        return str(r.stdout)

    def _write(self, remote: str, data: bytes) -> None:
        self.episode.op("files.write", guest_path(remote), data)  # makes the parents

    def upload_file(self, local_path: str, remote_path: str) -> None:
        self._check_open()
        self.episode.upload(local_path, guest_path(remote_path))

    def upload_dir(self, local_path: str, remote_path: str) -> None:
        """Copy a directory tree in (symlinks are not followed; virtualenvs, ``.git``
        and caches are skipped, as rLLM's local backend skips them)."""
        self._check_open()
        if not Path(local_path).is_dir():
            raise NotADirectoryError(f"not a directory: {local_path}")
        self.episode.upload(local_path, guest_path(remote_path), skip=SKIP_DIRS)

    def start_agent_process(self, command: str, port: int) -> None:
        raise PortsUnsupported(
            "a corral sandbox serves no ports: rLLM's worker-server mode cannot run in it "
            "(use exec() from the trainer's side instead)"
        )

    def get_endpoint(self, port: int) -> tuple[str, dict[str, str]]:
        raise PortsUnsupported("a corral sandbox serves no ports")

    def close(self) -> None:
        self.episode.close()

    def _check_open(self) -> None:
        if self.episode.ended or self.episode.closed:
            raise EpisodeEndedError(
                f"this sandbox's episode is over (rule {self.episode.ended_rule})",
                self.episode.ended_rule,
            )

    @property
    def verdict(self) -> str:
        return self.episode.verdict


_default: dict[str, Episodes] = {}


def create_corral_sandbox(name: str, *, episodes: Episodes | None = None, **config: Any) -> Any:
    """rLLM's sandbox factory shape: ``create_corral_sandbox(name, **kwargs)``.
    ``config``: the keys of :func:`~corral.integrations.config.episodes_from_config`;
    unknown keys (rLLM passes backend-specific ones) are ignored."""
    if episodes is None:
        import json

        key = json.dumps(config, sort_keys=True, default=repr)
        episodes = _default.get(key)
        if episodes is None:
            episodes = _default[key] = episodes_from_config(config)
    return CorralSandbox(name, episodes.open(episode=str(name)[:256]))
