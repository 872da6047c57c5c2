"""One sandbox per MCP session, created on the session's first tool call.

The key of a session: its ``Mcp-Session-Id`` over streamable HTTP, a fixed key over
stdio (one client per process). Sandboxes are closed when the HTTP session ends
(``DELETE``), when idle longer than ``idle_timeout_s``, and when the server stops.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from ..errors import CorralError
from .approvals import ElicitingApprover

__all__ = ["SandboxFactory", "SandboxSessions", "SessionUnavailable"]

log = logging.getLogger("corral.mcp")

#: ``factory(approver=...)`` -> a new Sandbox; pass the approver to ``Sandbox(approver=)``
#: when the sandbox has a policy (it answers the policy's ``ask`` rules). A factory
#: without an ``approver`` parameter is called with no arguments.
SandboxFactory = Callable[..., Any]


class SessionUnavailable(CorralError):
    """No sandbox for this request: every slot is in use, the server is stopping, or the
    request belongs to no session."""


@dataclass
class Session:
    key: str
    sandbox: Any
    approver: ElicitingApprover
    lock: anyio.Lock = field(default_factory=anyio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    busy: int = 0


class SandboxSessions:
    """The sandboxes of an MCP server, by session key."""

    def __init__(
        self,
        factory: SandboxFactory,
        *,
        fallback: Any = None,
        max_sessions: int = 64,
        idle_timeout_s: float | None = 1800.0,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.factory = factory
        self.fallback = fallback
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self._sessions: dict[str, Session] = {}
        self._creating = anyio.Lock()
        self._closed = False

    def __len__(self) -> int:
        return len(self._sessions)

    def keys(self) -> list[str]:
        return list(self._sessions)

    def get(self, key: str) -> Session | None:
        return self._sessions.get(key)

    async def acquire(self, key: str) -> Session:
        """The session's sandbox, created on first use (in a worker thread), marked busy
        (not closed as idle) until :meth:`release`."""
        session = self._sessions.get(key)
        if session is None:
            session = await self._create(key)
        session.busy += 1
        return session

    def release(self, session: Session) -> None:
        session.busy -= 1
        session.last_used = time.monotonic()

    async def _create(self, key: str) -> Session:
        async with self._creating:
            session = self._sessions.get(key)
            if session is not None:
                return session
            if self._closed:
                raise SessionUnavailable("the MCP server is shutting down")
            if len(self._sessions) >= self.max_sessions:
                await self.reap_idle()
            if len(self._sessions) >= self.max_sessions:
                raise SessionUnavailable(
                    f"all {self.max_sessions} sandboxes of this MCP server are in use; "
                    "end a session (or wait for an idle one to expire) and retry"
                )
            approver = ElicitingApprover(self.fallback)
            sandbox = await anyio.to_thread.run_sync(_make, self.factory, approver)
            session = Session(key, sandbox, approver)
            self._sessions[key] = session
            return session

    async def close(self, key: str) -> None:
        session = self._sessions.pop(key, None)
        if session is not None:
            await anyio.to_thread.run_sync(_close, session)

    async def reap_idle(self) -> int:
        """Close the sandboxes idle longer than ``idle_timeout_s``; how many."""
        if self.idle_timeout_s is None:
            return 0
        now = time.monotonic()
        stale = [
            k
            for k, s in self._sessions.items()
            if not s.busy and now - s.last_used > self.idle_timeout_s
        ]
        for key in stale:
            await self.close(key)
        return len(stale)

    async def aclose(self) -> None:
        self._closed = True
        for key in list(self._sessions):
            await self.close(key)

    def close_all(self) -> None:
        """Close every sandbox now (from synchronous code)."""
        self._closed = True
        while self._sessions:
            _, session = self._sessions.popitem()
            _close(session)


def _make(factory: SandboxFactory, approver: ElicitingApprover) -> Any:
    """``factory(approver=...)``, or ``factory()`` for a factory that takes no approver
    (its sandbox then answers ``ask`` its own way, e.g. with its own approver or a deny)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: no signature to read
        params = None
    takes = params is None or any(
        p.kind is inspect.Parameter.VAR_KEYWORD or p.name == "approver" for p in params
    )
    return factory(approver=approver) if takes else factory()


def _close(session: Session) -> None:
    with contextlib.suppress(Exception):
        session.sandbox.close()


def make_factory(
    *,
    policy: Any = "default",
    backend: str = "wasm",
    **sandbox_options: Any,
) -> SandboxFactory:
    """A :data:`SandboxFactory` for ``Sandbox(policy=, backend=, ...)`` (the policy is
    loaded once, here, so a bad one fails before any client connects)."""
    from ..policy import load
    from ..sandbox import Sandbox

    pol = load(policy) if policy is not None else None

    def factory(*, approver: Any = None) -> Any:
        return Sandbox(
            policy=pol,
            approver=approver if pol is not None else None,
            backend=backend,
            **sandbox_options,
        )

    factory.policy = pol  # type: ignore[attr-defined]
    return factory
