"""The monitor raises exactly the frozen alerts on the shipped and held-out corpora
(computed by ``tests/monitor/corpus_alerts.py`` before the throughput work), so a
change to the engine's speed cannot change what it detects."""

from __future__ import annotations

import json

import pytest

from .corpus_alerts import FILES, compute, load

EXPECTED = load()


@pytest.mark.parametrize("name", FILES)
def test_corpus_alerts_unchanged(name: str) -> None:
    got = json.loads(json.dumps(compute(name)))
    want = EXPECTED[name]
    assert set(got) == set(want)
    diff = [line for line in want if got[line] != want[line]]
    assert not diff, f"{name}: alerts changed on lines {diff[:10]}: {got[diff[0]]} != {want[diff[0]]}"


def test_frozen_alerts_are_not_empty() -> None:
    rules = {r[0] for rows in EXPECTED.values() for item in rows.values() for r in item["rules"]}
    assert len(rules) > 50  # the corpora exercise most of the default pack
