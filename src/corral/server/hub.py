"""The server's sandboxes: who owns each, their locks, usage, caps and reaping.

Every call on a sandbox runs in the hub's worker threads (``Sandbox`` is synchronous),
never on the event loop; calls on one sandbox take its ``asyncio.Lock`` first, so at
most one thread per sandbox is busy (the rest wait as coroutines, up to
``max_waiting_calls``) and different sandboxes run in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..budget import Budget
from ..events import Event, EventBus
from ..policy.approvers import ApprovalAnswer
from ..sandbox import Sandbox
from .approvals import ServerApprovals
from .config import ServerConfig
from .models import CreateSandbox

log = logging.getLogger("corral.server")

T = TypeVar("T")

#: usage points kept per sandbox (for the dashboard's charts)
_USAGE_POINTS = 500


class ApiError(Exception):
    """A client error with its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(sandbox_id: str) -> ApiError:
    # the same answer for "no such sandbox" and "another tenant's sandbox"
    return ApiError(404, f"no sandbox {sandbox_id!r}")


@dataclass
class Entry:
    """One sandbox the server holds."""

    id: str
    tenant: str
    sandbox: Sandbox
    backend: str
    policy: str | None
    tags: dict[str, str]
    webhook: str | None
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    busy: bool = False
    calls: int = 0
    closed: bool = False
    usage: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_USAGE_POINTS))
    samples: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_USAGE_POINTS))
    net_in: int = 0
    net_out: int = 0
    #: who drives it: ``api`` (made through /v1) or ``mcp`` (an MCP session's sandbox:
    #: listed, watched and deletable here, its calls go through its MCP session)
    via: str = "api"

    @property
    def gone(self) -> bool:
        """Closed here, or by whoever drives it (an MCP session that ended)."""
        return self.closed or self.sandbox.closed

    def state(self, pending: set[str]) -> str:
        if self.closed:
            return "closed"
        stopped = self.sandbox._stopped
        if stopped is not None:
            return "paused" if stopped.startswith("paused") else "killed"
        if self.id in pending:
            return "waiting_approval"
        return "running" if self.busy else "idle"

    def describe(self, pending: set[str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "backend": self.backend,
            "policy": self.policy,
            "tags": dict(self.tags),
            "via": self.via,
            "state": self.state(pending),
            "created": self.created,
            "idle_s": round(time.monotonic() - self.last_used, 3),
            "calls": self.calls,
            "budget": self.sandbox.budget.to_dict(),
            "alerts": len(self.sandbox.alerts),
        }


def _session_name(session: str) -> bool:
    """Whether a client may name ``session`` in POST /v1/events (corral's own are hex
    ids, ``fleet-…``; ``Sandbox(session=...)`` any): 1-128 printable ASCII characters,
    no space."""
    return (
        0 < len(session) <= 128
        and session.isascii()
        and session.isprintable()
        and " " not in session
    )


class Hub:
    """Creates, finds, runs and closes the sandboxes of every tenant."""

    def __init__(self, config: ServerConfig, bus: EventBus, base_url: str) -> None:
        self.config = config
        self.limits = config.limits
        self.bus = bus
        self._entries: dict[str, Entry] = {}
        self._owners: dict[str, str] = {}  # every session ever created here → tenant
        #: sessions first seen in POST /v1/events (sandboxes running elsewhere)
        self._imported: set[str] = set()
        self._imported_by: dict[str, int] = {}  # tenant → sessions it imported
        self._lock = threading.Lock()
        self._reserved: dict[str, int] = {}  # sandboxes being created, per tenant
        self.pool = ThreadPoolExecutor(
            max_workers=self.limits.workers, thread_name_prefix="corral-call"
        )
        self.approvals = ServerApprovals(self._webhook_of, base_url)
        self._policies: dict[str, Any] = {}
        self._policy_lock = threading.Lock()
        #: the server's audit log (ownership notes), set by ``create_app``
        self.audit: Any = None

    # -- ownership ------------------------------------------------------------------------

    def owner(self, session: str) -> str | None:
        return self._owners.get(session)

    def adopt(self, session: str, tenant: str, *, imported: bool = False) -> None:
        """Record an earlier run's session (from the audit log) as ``tenant``'s;
        ``imported``: one first named in POST /v1/events (its events still come from
        the client)."""
        with self._lock:
            owner = self._owners.setdefault(session, tenant)
            if owner == tenant and imported and session not in self._imported:
                self._imported.add(session)
                self._imported_by[tenant] = self._imported_by.get(tenant, 0) + 1

    def note_owner(self, session: str, tenant: str, **extra: Any) -> None:
        """Write who owns ``session`` into the audit log (``note`` row, read back by
        :meth:`adopt` when the server starts again): without it a restarted server
        forgot the owner, and the first tenant to name the session took it."""
        if self.audit is not None:
            self.audit.append("note", {"corral_serve": {"tenant": tenant, **extra}}, session)

    def import_events(self, tenant: str, docs: list[dict[str, Any]]) -> int:
        """Events of sandboxes that run elsewhere (``POST /v1/events``: a fleet reporting
        here), published on the bus as ``tenant``'s: its stream, alerts and audit log.
        All or none: an event that is not one (422), a session another tenant owns (404,
        as for a sandbox that does not exist) or one of this server's own sandboxes (409:
        their events come from them, never from a client) refuses the batch."""
        from pydantic import ValidationError

        events: list[Event] = []
        for i, doc in enumerate(docs):
            try:
                events.append(Event.model_validate(doc))
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(x) for x in first.get("loc", ()))
                raise ApiError(422, f"events[{i}].{where}: {first.get('msg')}") from None
            if not _session_name(events[-1].session):
                # every session named here is remembered for good (who owns it)
                raise ApiError(
                    422, f"events[{i}].session: 1-128 printable ASCII characters, no space"
                )
        with self._lock:
            new: set[str] = set()
            for i, ev in enumerate(events):
                owner = self._owners.get(ev.session)
                if owner is not None and owner != tenant:
                    raise not_found(ev.session)
                if owner is not None and ev.session not in self._imported:
                    raise ApiError(
                        409, f"events[{i}]: session {ev.session} is a sandbox of this server"
                    )
                if owner is None:
                    new.add(ev.session)
            had = self._imported_by.get(tenant, 0)
            if new and had + len(new) > self.limits.max_imported_sessions:
                raise ApiError(
                    429,
                    f"tenant {tenant!r} has named {had} sessions in POST /v1/events; this "
                    f"server keeps at most {self.limits.max_imported_sessions}",
                )
            for session in new:
                self._owners[session] = tenant
                self._imported.add(session)
            self._imported_by[tenant] = had + len(new)
        for session in sorted(new):
            self.note_owner(session, tenant, imported=True)
        for ev in events:
            self.bus.publish(ev)
        return len(events)

    def sessions_of(self, tenant: str) -> set[str]:
        with self._lock:
            return {s for s, t in self._owners.items() if t == tenant}

    def _webhook_of(self, session: str) -> str | None:
        entry = self._entries.get(session)
        return entry.webhook if entry is not None else None

    def pending_sessions(self) -> set[str]:
        return {r.session for r in self.approvals.queue.pending()}

    # -- lookups --------------------------------------------------------------------------

    def get(self, tenant: str, sandbox_id: str) -> Entry:
        entry = self._entries.get(sandbox_id)
        if entry is None or entry.tenant != tenant or entry.gone:
            raise not_found(sandbox_id)
        return entry

    def list(self, tenant: str) -> list[Entry]:
        with self._lock:
            entries = [e for e in self._entries.values() if e.tenant == tenant and not e.gone]
        return sorted(entries, key=lambda e: e.created)

    def add_external(
        self, tenant: str, sandbox: Sandbox, policy: str | None, via: str
    ) -> Entry:
        """A sandbox made elsewhere in the server (an MCP session's) shown as
        ``tenant``'s: listed, its usage and events watched, deletable; its calls stay
        with whoever drives it (:meth:`call` refuses them). It leaves the list when it
        is closed there."""
        entry = Entry(
            id=sandbox.session, tenant=tenant, sandbox=sandbox, backend=str(sandbox.backend),
            policy=policy, tags={"via": via}, webhook=None, via=via,
        )  # fmt: skip
        with self._lock:
            self._owners.setdefault(sandbox.session, tenant)
            self._entries[sandbox.session] = entry
        self.note_owner(sandbox.session, tenant, sandbox=entry.id, tags=entry.tags)
        return entry

    # -- creating -------------------------------------------------------------------------

    def policy(self, name: str | None) -> Any:
        """The loaded policy called ``name`` (cached), or ``None`` for no policy."""
        if name is None:
            return None
        if name not in self.config.policy_names():
            raise ApiError(
                422,
                f"policy: unknown policy {name!r}; this server offers: "
                f"{', '.join(self.config.policy_names())}",
            )
        cached = self._policies.get(name)
        if cached is None:
            # one loader at a time: concurrent first creations wait instead of each
            # compiling the policy and its monitor's rule packs again
            with self._policy_lock:
                cached = self._policies.get(name)
                if cached is None:
                    cached = self._load_policy(name)
                    self._policies[name] = cached
        return cached

    def _load_policy(self, name: str) -> Any:
        from ..monitor import Monitor
        from ..policy import load

        policy = load(self.config.policies.get(name, name))
        Monitor.from_policy(policy)  # compiles (and caches) the rule packs it names
        return policy

    def warm(self) -> None:
        """Load the default policy and its rule packs before the first client asks."""
        if self.config.default_policy is not None:
            self.policy(self.config.default_policy)

    def _budget(self, policy: Any, req: CreateSandbox) -> Budget:
        ceiling = policy.budget() if policy is not None else Budget()
        if req.budgets is None:
            return ceiling
        changes: dict[str, Any] = {}
        for name, value in req.budgets.model_dump(exclude_none=True).items():
            limit = getattr(ceiling, name)
            if limit is not None and value > limit:
                raise ApiError(
                    422, f"budgets.{name}: {value} is more than this server allows ({limit})"
                )
            changes[name] = value
        return dataclasses.replace(ceiling, **changes)

    async def create(self, tenant: str, req: CreateSandbox) -> Entry:
        if req.backend not in self.config.backends:
            raise ApiError(
                422,
                f"backend: unknown backend {req.backend!r}; this server offers: "
                f"{', '.join(self.config.backends)}",
            )
        name = req.policy if req.policy is not None else self.config.default_policy
        policy = await self.run_blocking(self.policy, name)
        budget = self._budget(policy, req)
        with self._lock:
            live = sum(1 for e in self._entries.values() if e.tenant == tenant and not e.gone)
            if live + self._reserved.get(tenant, 0) >= self.limits.max_sandboxes_per_tenant:
                raise ApiError(
                    429,
                    f"tenant {tenant!r} already has {live} live sandboxes (the limit is "
                    f"{self.limits.max_sandboxes_per_tenant}); delete one first",
                )
            self._reserved[tenant] = self._reserved.get(tenant, 0) + 1
            session = uuid.uuid4().hex
            self._owners[session] = tenant  # before its first event
        try:
            sb = await self.run_blocking(self._make_sandbox, session, req.backend, policy, budget)
        except BaseException:
            with self._lock:
                self._owners.pop(session, None)
            raise
        finally:
            with self._lock:
                self._reserved[tenant] -= 1
        entry = Entry(
            id=session,
            tenant=tenant,
            sandbox=sb,
            backend=req.backend,
            policy=name,
            tags=dict(req.tags),
            webhook=getattr(policy, "approval_webhook", None),
        )
        with self._lock:
            self._entries[session] = entry
        return entry

    def _make_sandbox(self, session: str, backend: str, policy: Any, budget: Budget) -> Sandbox:
        kwargs: dict[str, Any] = {"bus": self.bus, "session": session, "budget": budget}
        if policy is not None:
            kwargs.update(policy=policy, approver=self.approvals.queue)
        return Sandbox(backend=backend, **kwargs)

    # -- running --------------------------------------------------------------------------

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def call(self, entry: Entry, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on ``entry``'s sandbox: one at a time, in a worker thread."""
        if entry.via != "api":
            raise ApiError(
                409,
                f"sandbox {entry.id} belongs to an {entry.via.upper()} session: call it "
                "through that session (here it can be watched and deleted)",
            )
        if entry.waiting >= self.limits.max_waiting_calls:
            raise ApiError(
                429,
                f"sandbox {entry.id} already has {entry.waiting} calls waiting (the limit is "
                f"{self.limits.max_waiting_calls})",
            )
        entry.waiting += 1
        try:
            await entry.lock.acquire()
        finally:
            entry.waiting -= 1
        try:
            if entry.closed:
                raise not_found(entry.id)
            entry.busy = True
            entry.last_used = time.monotonic()
            fut = asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        except BaseException:
            entry.lock.release()
            raise

        def done(_: Any) -> None:
            # the lock is held until the thread is done, even when the request went away
            entry.busy = False
            entry.calls += 1
            entry.last_used = time.monotonic()
            entry.lock.release()

        fut.add_done_callback(done)
        return await asyncio.shield(fut)

    async def close(self, entry: Entry) -> None:
        if entry.closed:
            return
        entry.closed = True
        # a question it waits on is denied and a running script interrupted; the call
        # then ends (the sandbox's lock) and calls queued behind it find it closed
        for request in self.approvals.queue.pending():
            if request.session == entry.id:
                self.approvals.queue.answer(request.id, ApprovalAnswer.DENY)
        with contextlib.suppress(Exception):
            entry.sandbox.interrupt()
        await self.run_blocking(entry.sandbox.close)
        with self._lock:
            self._entries.pop(entry.id, None)

    # -- usage ----------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Usage points from the sandboxes' events (on the emitting thread)."""
        entry = self._entries.get(event.session)
        if entry is None:
            return
        if event.type == "action.completed" and event.outcome:
            out = event.outcome
            for key_in, key_out in (("bytes_in", "net_in"), ("bytes_out", "net_out")):
                value = out.get(key_in)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    setattr(entry, key_out, getattr(entry, key_out) + value)
            usage = out.get("usage")
            if isinstance(usage, dict):
                entry.usage.append(
                    {
                        "time": event.time,
                        "cpu_s": usage.get("cpu_s") or 0.0,
                        "wall_s": usage.get("wall_s") or 0.0,
                        "memory_bytes": usage.get("memory_bytes") or 0,
                        "output_chars": usage.get("output_chars") or 0,
                        "net_in": entry.net_in,
                        "net_out": entry.net_out,
                    }
                )
        elif event.type == "resource.sample":  # a native tier's live sample
            d = event.data
            entry.samples.append(
                {
                    "time": event.time,
                    "cpu_pct": d.get("cpu_pct"),
                    "rss_bytes": int((d.get("rss_mb") or 0) * 2**20),
                    "procs": d.get("procs"),
                }
            )

    # -- reaping and shutdown -------------------------------------------------------------

    async def reap_idle(self) -> list[str]:
        """Close sandboxes unused for longer than the idle timeout; their ids."""
        cutoff = time.monotonic() - self.limits.idle_timeout_s
        with self._lock:
            for e in [e for e in self._entries.values() if e.via != "api" and e.gone]:
                self._entries.pop(e.id, None)  # closed by its own session
            idle = [
                e
                for e in self._entries.values()
                if not e.closed and not e.busy and not e.waiting and e.last_used < cutoff
                and e.via == "api"  # the MCP session reaps its own
            ]
        for entry in idle:
            log.info("closing idle sandbox %s of %s", entry.id, entry.tenant)
            with contextlib.suppress(Exception):
                await self.close(entry)
        return [e.id for e in idle]

    async def reaper(self) -> None:
        interval = max(0.05, min(self.limits.idle_timeout_s / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reap_idle()
            except Exception:
                log.exception("reaping idle sandboxes failed")

    def shutdown(self) -> None:
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.closed = True
            with contextlib.suppress(Exception):
                entry.sandbox.close()
        self.approvals.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
