"""The events a server keeps for a tenant (its stream's backlog, its alerts, the events
alerts name) are bounded by what they weigh, not only by how many: a tenant posting
1,000 events of 300,000 values each through POST /v1/events made the server keep
300 million objects (tens of GB) for its stream backlog."""

from __future__ import annotations

import time

from corral.events import Event, EventBus
from corral.server.stream import EventHub, weight


def _event(session: str, seq: int, values: int, type_: str = "episode.ended") -> Event:
    data: dict[str, object] = {"x": [[] for _ in range(values)]}
    if type_ == "monitor.alert":
        data.update(rule="r", session=session)
    return Event(session=session, seq=seq, time=time.time(), type=type_, data=data)  # type: ignore[arg-type]


def test_a_tenants_backlog_is_bounded_by_weight() -> None:
    bus = EventBus()
    hub = EventHub(bus, lambda s: s.split("-")[0], backlog=1000, backlog_weight=1_000_000)
    heavy = weight(_event("alice-1", 1, 2_000).model_dump(mode="json"))
    assert heavy > 2_000 * 20  # values weigh more than their bytes
    for i in range(60):
        bus.publish(_event("alice-1", i + 1, 2_000, "monitor.alert" if i % 2 else "episode.ended"))
    bus.publish(_event("bob-1", 1, 1))
    kept = hub.recent("alice")
    assert 0 < len(kept) <= 1_000_000 // heavy + 1
    assert kept[-1][1]["seq"] == 60  # the newest are kept
    assert len(hub.alerts("alice")) <= 1_000_000 // heavy + 1
    assert sum(weight(e) for _, e in kept) <= 1_000_000 + heavy
    assert len(hub.recent("bob")) == 1  # another tenant's own backlog
    # the events alerts name are bounded by weight too, across tenants
    assert hub.kept_by_id_weight() <= 8 * 1_000_000 + heavy


def test_light_events_still_fill_the_backlog_by_count() -> None:
    bus = EventBus()
    hub = EventHub(bus, lambda s: s.split("-")[0], backlog=50)
    for i in range(80):
        bus.publish(_event("alice-1", i + 1, 1))
    kept = hub.recent("alice")
    assert [e["seq"] for _, e in kept] == list(range(31, 81))
