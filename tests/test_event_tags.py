"""Sandbox(tags=...): every event carries the tags and the step of its call."""

from __future__ import annotations

import math

import pytest

import corral
from corral.events import EventBus, check_tags


def _collect() -> tuple[EventBus, list]:
    bus = EventBus()
    events: list = []
    bus.subscribe(events.append)
    return bus, events


def test_every_event_carries_tags_and_step() -> None:
    bus, events = _collect()
    tags = {"run": "r1", "episode": 42, "temp": 0.5, "eval": False, "note": None}
    with corral.Sandbox(policy="default", bus=bus, tags=tags) as sb:
        assert sb.step == 0 and sb.tags == tags
        sb.run("echo one")  # step 1
        sb.python("print(2)")  # step 2
        sb.files.write("/workspace/a.txt", "x")  # step 3
        sb.files.read("/workspace/a.txt")  # step 4
        sb.exec(["echo", "five"])  # step 5 (exec -> run on wasm counts once)
        r = sb.run("xmrig -o stratum+tcp://pool.minexmr.com:4444 -u w")  # step 6
        assert r.exit_code == 126
        assert sb.step == 6
        # the monitor's own alerts say where they came from the same way
        assert sb.alerts and sb.alerts[0].tags == {**tags, "step": 6}
        assert sb.alerts[0].rule_tags  # the rule's labels
    assert events and all(e.tags == tags for e in events)
    steps = {e.step for e in events}
    assert steps == {0, 1, 2, 3, 4, 5, 6}
    assert [e.step for e in events if e.type == "sandbox.created"] == [0]
    alerts = [e for e in events if e.type == "monitor.alert"]
    assert alerts and all(e.step == 6 and e.tags["episode"] == 42 for e in alerts)
    # each call's own events are stamped with its number
    completed = [e.step for e in events if e.type == "action.completed"]
    assert completed == sorted(completed) and completed[0] == 1
    # an event round-trips through JSON with its tags and step
    ev = alerts[0]
    again = corral.events.Event.model_validate_json(ev.model_dump_json())
    assert again.tags == tags and again.step == 6


def test_untagged_sandbox_has_empty_tags() -> None:
    bus, events = _collect()
    with corral.Sandbox(bus=bus) as sb:
        sb.run("true")
    assert all(e.tags == {} for e in events)


@pytest.mark.parametrize(
    ("tags", "error", "words"),
    [
        ("run=r1", TypeError, "must be a dict"),
        ({1: "x"}, TypeError, "key 1 must be a str"),
        ({"": "x"}, ValueError, "1-64 printable"),
        ({"a\nb": 1}, ValueError, "printable"),
        ({"k" * 65: 1}, ValueError, "1-64"),
        ({"run": ["r1"]}, TypeError, "'run' must be a str, int, float, bool or None"),
        ({"run": {"a": 1}}, TypeError, "not dict"),
        ({"x": math.nan}, ValueError, "finite"),
        ({"x": math.inf}, ValueError, "finite"),
        ({"x": "v" * 257}, ValueError, "at most 256"),
        ({f"k{i}": i for i in range(33)}, ValueError, "at most 32"),
        ({f"k{i}": "v" * 200 for i in range(30)}, ValueError, "bytes of JSON"),
        ({"step": 3}, ValueError, "'step' is reserved"),
        ({"episode": 10**5000}, ValueError, "64-bit"),
        ({"episode": -(2**63) - 1}, ValueError, "64-bit"),
    ],
)
def test_bad_tags_are_refused_clearly(tags: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        check_tags(tags)
    with pytest.raises(error):
        corral.Sandbox(tags=tags)  # type: ignore[arg-type]


def test_tags_are_copied() -> None:
    tags = {"run": "r1"}
    with corral.Sandbox(tags=tags) as sb:
        tags["run"] = "changed"
        assert sb.tags == {"run": "r1"}
