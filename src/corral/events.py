"""Actions, decisions and events: the data every other part of corral shares.

An agent's request becomes an :class:`Action`; it is checked (the policy engine
plugs in as a :class:`Gate`), run, and reported on the :class:`EventBus` as
:class:`Event` objects that the monitor and the audit log subscribe to. Events
are pydantic models, so ``event.model_dump_json()`` and
``Event.model_validate_json()`` round-trip them.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import threading
import time
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
    "episode.ended",  # corral.fleet: an episode's sandbox ended (on_alert, TTL, reap ...)
    "fleet.alert",  # corral.fleet: a fleet-level rule fired (session "fleet")
]


class _EventIds:
    """Event ids: 32 hex digits, unique in this process and, with 64 random bits per
    process, across processes (a uuid4 costs ~3 µs, a notice's whole event ~10 µs).
    The first 16 digits are drawn from the OS once per process and again in a forked
    child (which would otherwise repeat its parent's ids); the last 16 count up."""

    def __init__(self) -> None:
        self._renew()
        os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self.prefix = os.urandom(8).hex()
        self._count = itertools.count(int.from_bytes(os.urandom(4), "big"))

    def __call__(self) -> str:
        # next() on itertools.count is atomic under the GIL: threads never share an id
        return f"{self.prefix}{next(self._count) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


new_event_id = _EventIds()

#: a tag's value: a JSON scalar
TagValue = str | int | float | bool | None


class Event(_Model):
    """One thing that happened in one sandbox session."""

    id: str = Field(default_factory=new_event_id)
    session: str
    seq: int
    time: float = Field(default_factory=time.time)
    type: EventType
    action: Action | None = None
    decision: Decision | None = None
    outcome: dict[str, Any] | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    # the sandbox's tags (``Sandbox(tags=...)``, e.g. run/episode) and the number of the
    # call (run/python/js/exec/files op) it happened in; 0 before the first call
    tags: dict[str, TagValue] = Field(default_factory=dict)
    step: int = 0


Subscriber = Callable[[Event], None]
MAX_TAGS = 32
MAX_TAG_KEY = 64
MAX_TAG_STR = 256
MAX_TAGS_JSON = 4096


def check_tags(tags: Any) -> dict[str, TagValue]:
    """Validate ``Sandbox(tags=...)``: at most 32 entries, keys non-empty printable
    ``str`` of at most 64 characters (``step`` is reserved), values JSON scalars
    (``str`` of at most 256 characters, 64-bit ``int``, finite ``float``, ``bool``,
    ``None``), 4 KiB of JSON in all.
    Returns a copy; anything else is a ``TypeError``/``ValueError`` naming the entry."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise TypeError(f"tags must be a dict of str to JSON scalars, not {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"tags: {len(tags)} entries, at most {MAX_TAGS} allowed")
    out: dict[str, TagValue] = {}
    for k, v in tags.items():
        if not isinstance(k, str):
            raise TypeError(f"tags: key {k!r} must be a str, not {type(k).__name__}")
        if not k or len(k) > MAX_TAG_KEY or not k.isprintable():
            raise ValueError(
                f"tags: key {k[:80]!r} must be 1-{MAX_TAG_KEY} printable characters"
            )
        if k == "step":
            raise ValueError("tags: 'step' is reserved (every event carries its own step)")
        if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            raise ValueError(f"tags: {k!r} is an int outside the 64-bit range")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"tags: {k!r} = {v!r} is not a finite number")
        if isinstance(v, str):
            if len(v) > MAX_TAG_STR:
                raise ValueError(f"tags: {k!r} is {len(v)} characters, at most {MAX_TAG_STR}")
        elif not (v is None or isinstance(v, bool | int | float)):
            raise TypeError(
                f"tags: {k!r} must be a str, int, float, bool or None, not {type(v).__name__}"
            )
        out[k] = v
    size = len(json.dumps(out, ensure_ascii=False))
    if size > MAX_TAGS_JSON:
        raise ValueError(f"tags: {size} bytes of JSON, at most {MAX_TAGS_JSON}")
    return out


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
    """Stamps events with one session's id, a gap-free sequence number, the
    session's tags and the current step (``next_step`` counts calls)."""

    def __init__(
        self, bus: EventBus, session: str, tags: dict[str, TagValue] | None = None
    ) -> None:
        self.bus = bus
        self.session = session
        self.tags = check_tags(tags)
        self.step = 0
        self._seq = itertools.count(1)
        self._lock = threading.RLock()

    def emit(self, type: EventType, **fields: Any) -> Event:
        with self._lock:
            fields.setdefault("tags", self.tags)
            fields.setdefault("step", self.step)
            ev = Event(session=self.session, seq=next(self._seq), type=type, **fields)
            self.bus.publish(ev)
        return ev

    def next_step(self) -> int:
        """Start the next call: later events carry its number."""
        with self._lock:
            self.step += 1
            return self.step
