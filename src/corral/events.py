"""Actions, decisions and events: the data every other part of corral shares.

An agent's request becomes an :class:`Action`; it is checked (the policy engine
plugs in as a :class:`Gate`), run, and reported on the :class:`EventBus` as
:class:`Event` objects that the monitor and the audit log subscribe to. Events
are pydantic models, so ``event.model_dump_json()`` and
``Event.model_validate_json()`` round-trip them.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("corral.events")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExecAction(_Model):
    kind: Literal["exec"] = "exec"
    argv: list[str]
    cwd: str = "/workspace"
    env: dict[str, str] = Field(default_factory=dict)
    line: str | None = None  # the shell line it came from


class CodeAction(_Model):
    kind: Literal["code"] = "code"
    language: Literal["python", "js", "shell"]
    code: str


class FileAction(_Model):
    kind: Literal["file"] = "file"
    op: Literal["read", "write", "delete", "list", "mkdir", "chmod", "stat"]
    path: str
    size: int | None = None


class NetAction(_Model):
    kind: Literal["net"] = "net"
    host: str
    port: int | None = None
    protocol: str | None = None
    url: str | None = None
    ip: str | None = None  # the address it resolved to, when decided on (proxy, curl)


class ToolAction(_Model):
    kind: Literal["tool"] = "tool"
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class SpawnAction(_Model):
    """A program start seen by a native tier's process monitor.

    ``argv`` is what the process asked for; ``exe`` the real program decided on (a system
    binary's path, also for a copy or link of one); ``path`` the file the kernel opened
    when it differs from ``exe``; ``origin`` where it comes from: ``system`` (a system
    binary), ``copy`` (a file whose sha256 is a system binary's that a rule names),
    ``memory`` (no file: memfd, deleted file, file descriptor) or ``user`` (any other
    file: the workspace, ``/tmp``); ``None`` when not identified.
    """

    kind: Literal["spawn"] = "spawn"
    argv: list[str]
    pid: int | None = None
    ppid: int | None = None
    exe: str | None = None
    path: str | None = None
    origin: Literal["system", "copy", "memory", "user"] | None = None
    sha256: str | None = None


Action = Annotated[
    ExecAction | CodeAction | FileAction | NetAction | ToolAction | SpawnAction,
    Field(discriminator="kind"),
]


class Decision(_Model):
    verdict: Literal["allow", "deny", "ask"]
    rule: str | None = None
    principle: str | None = None
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"


ALLOW = Decision(verdict="allow", reason="no policy installed")


class Gate(Protocol):
    """Decides on an action before it runs. The policy engine implements this."""

    def decide(self, action: Any, session: str) -> Decision: ...


EventType = Literal[
    "sandbox.created",
    "sandbox.closed",
    "backend.started",
    "backend.stopped",
    "interpreter.started",
    "interpreter.restarted",
    "action.requested",
    "action.denied",
    "action.completed",
    "budget.exceeded",
    "approval.requested",
    "approval.answered",
    "resource.sample",
    "monitor.alert",
    "session.killed",
    "session.paused",
]


class Event(_Model):
    """One thing that happened in one sandbox session."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    session: str
    seq: int
    time: float = Field(default_factory=time.time)
    type: EventType
    action: Action | None = None
    decision: Decision | None = None
    outcome: dict[str, Any] | None = None
    data: dict[str, Any] = Field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    """In-process publish/subscribe. Thread-safe; a failing subscriber is logged
    and never breaks the sandbox that published."""

    def __init__(self) -> None:
        self._subs: list[tuple[Subscriber, frozenset[str] | None]] = []
        self._lock = threading.Lock()

    def subscribe(self, fn: Subscriber, types: list[str] | None = None) -> Callable[[], None]:
        """Call ``fn(event)`` for every event (or only those of ``types``).
        Returns a function that unsubscribes."""
        entry = (fn, frozenset(types) if types else None)
        with self._lock:
            self._subs = [*self._subs, entry]

        def unsubscribe() -> None:
            with self._lock:
                self._subs = [s for s in self._subs if s is not entry]

        return unsubscribe

    def publish(self, event: Event) -> None:
        for fn, types in self._subs:
            if types is not None and event.type not in types:
                continue
            try:
                fn(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", fn, event.type)


#: The process-wide default bus; every sandbox publishes here unless given its own.
default_bus = EventBus()


class SessionEvents:
    """Stamps events with one session's id and a gap-free sequence number."""

    def __init__(self, bus: EventBus, session: str) -> None:
        self.bus = bus
        self.session = session
        self._seq = itertools.count(1)
        self._lock = threading.RLock()

    def emit(self, type: EventType, **fields: Any) -> Event:
        with self._lock:
            ev = Event(session=self.session, seq=next(self._seq), type=type, **fields)
            self.bus.publish(ev)
        return ev
