"""Events for the API: each tenant's recent events and alerts, and live streams.

The :class:`EventHub` subscribes to the server's :class:`~corral.events.EventBus`. An
event is kept only for the tenant that owns its session (events of sessions the server
did not create are ignored), numbered with a per-tenant stream id, and pushed to that
tenant's open streams. A stream that falls more than ``queue_size`` events behind is
ended (``overflow``) rather than buffering without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import Event, EventBus

#: how many matched events are kept by id (for an alert's evidence)
_BY_ID = 5000
#: what those may weigh, in multiples of a tenant's ``backlog_weight``
_BY_ID_WEIGHTS = 8
#: what one JSON value costs in memory beyond its text (a Python object and a reference)
_VALUE_WEIGHT = 48


def weight(data: dict[str, Any]) -> int:
    """What keeping an event's JSON data costs, roughly in bytes: its text plus
    ``_VALUE_WEIGHT`` a value (at least: separators inside strings count too)."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return len(text) + _VALUE_WEIGHT * sum(map(text.count, (",", ":", "[", "{")))


@dataclass
class Subscriber:
    """One open event stream."""

    tenant: str
    sandbox: str | None
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[tuple[int, dict[str, Any]] | None]
    overflow: bool = False

    def push(self, item: tuple[int, dict[str, Any]]) -> None:  # on the loop's thread
        if self.overflow:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflow = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)


@dataclass
class _Kept:
    """The newest items, at most ``count`` of them and about ``weight`` in all (the
    newest one is kept whatever it weighs)."""

    count: int
    weight: int
    items: deque[tuple[Any, int]] = field(default_factory=deque)
    total: int = 0

    def add(self, item: Any, w: int) -> None:
        self.items.append((item, w))
        self.total += w
        while len(self.items) > self.count or (self.total > self.weight and len(self.items) > 1):
            self.total -= self.items.popleft()[1]

    def __iter__(self) -> Any:
        return (item for item, _ in self.items)


@dataclass
class _Tenant:
    events: _Kept
    alerts: _Kept
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    subs: list[Subscriber] = field(default_factory=list)


class EventHub:
    """Keeps and fans out the events of the sandboxes the server owns."""

    def __init__(
        self,
        bus: EventBus,
        owner: Callable[[str], str | None],
        *,
        backlog: int = 1000,
        queue_size: int = 2000,
        max_streams: int = 32,
        on_event: Callable[[Event], None] | None = None,
        backlog_weight: int = 256 * 1024 * 1024,
    ) -> None:
        self._owner = owner
        self._backlog = backlog
        self._backlog_weight = backlog_weight
        self._queue_size = queue_size
        self._max_streams = max_streams
        self._on_event = on_event
        self._lock = threading.Lock()
        self._tenants: dict[str, _Tenant] = {}
        self._by_id: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self._by_id_weight = 0
        self._unsubscribe = bus.subscribe(self._publish)

    def close(self) -> None:
        self._unsubscribe()

    def _tenant(self, name: str) -> _Tenant:
        t = self._tenants.get(name)
        if t is None:
            t = self._tenants[name] = _Tenant(
                events=_Kept(self._backlog, self._backlog_weight),
                alerts=_Kept(self._backlog, self._backlog_weight),
            )
        return t

    def kept_by_id_weight(self) -> int:
        """What the events kept by id (for alerts' evidence) weigh in all."""
        with self._lock:
            return self._by_id_weight

    def _publish(self, event: Event) -> None:  # on the thread that emitted
        tenant = self._owner(event.session)
        if tenant is None:
            return
        if self._on_event is not None:
            self._on_event(event)
        data = event.model_dump(mode="json")
        w = weight(data)  # an imported event can be 16 MB of values: kept by weight too
        with self._lock:
            t = self._tenant(tenant)
            item = (next(t.ids), data)
            t.events.add(item, w)
            old = self._by_id.pop(event.id, None)
            if old is not None:
                self._by_id_weight -= old[1]
            self._by_id[event.id] = (data, w)
            self._by_id_weight += w
            while len(self._by_id) > 1 and (
                len(self._by_id) > _BY_ID
                or self._by_id_weight > _BY_ID_WEIGHTS * self._backlog_weight
            ):
                self._by_id_weight -= self._by_id.popitem(last=False)[1][1]
            if event.type == "monitor.alert":
                t.alerts.add(data["data"], w)
            subs = list(t.subs)
        for sub in subs:
            if sub.sandbox is not None and sub.sandbox != event.session:
                continue
            with contextlib.suppress(RuntimeError):  # the stream's loop has closed
                sub.loop.call_soon_threadsafe(sub.push, item)

    # -- reading ----------------------------------------------------------------------

    def recent(
        self, tenant: str, sandbox: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            items = list(self._tenant(tenant).events)
        out = [
            (i, e)
            for i, e in items
            if i > after and (sandbox is None or e.get("session") == sandbox)
        ]
        return out[-limit:] if limit > 0 else []

    def alerts(self, tenant: str, sandbox: str | None = None) -> list[dict[str, Any]]:
        """The tenant's alerts, newest last, each evidence item with the event it names
        (``event_data``) while that event is still kept."""
        with self._lock:
            alerts = list(self._tenant(tenant).alerts)
            by_id = {k: v[0] for k, v in self._by_id.items()}
        out = []
        for alert in alerts:
            if sandbox is not None and alert.get("session") != sandbox:
                continue
            alert = dict(alert)
            evidence = []
            for item in alert.get("evidence") or []:
                item = dict(item)
                ev = by_id.get(item.get("event") or "")
                if ev is not None and ev.get("session") == alert.get("session"):
                    item["event_data"] = ev
                evidence.append(item)
            alert["evidence"] = evidence
            out.append(alert)
        return out

    # -- live streams -----------------------------------------------------------------

    def subscribe(self, tenant: str, sandbox: str | None) -> Subscriber | None:
        """A new stream, or ``None`` when the tenant has ``max_streams`` open already."""
        sub = Subscriber(
            tenant, sandbox, asyncio.get_running_loop(), asyncio.Queue(self._queue_size)
        )
        with self._lock:
            t = self._tenant(tenant)
            if len(t.subs) >= self._max_streams:
                return None
            t.subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            t = self._tenant(sub.tenant)
            t.subs = [s for s in t.subs if s is not sub]
