"""Every rule of the default pack, with examples it catches and near misses it does not."""

from __future__ import annotations

import re

import pytest

from corral.monitor import Monitor, builtin_pack

from .helpers import Feed, feed_all, rules_of, run_command
from .rule_examples import EXAMPLES, Example

PACK = builtin_pack("default")
RULE_IDS = [r.id for r in PACK.rules]


def _alerted(example: Example) -> set[str]:
    monitor = Monitor(baseline=False)
    if isinstance(example, str):
        return rules_of(run_command(monitor, example))
    return rules_of(feed_all(monitor, example(Feed())))


def _cases(positive: bool) -> list[object]:
    out = []
    for rule_id, (pos, neg) in EXAMPLES.items():
        for i, ex in enumerate(pos if positive else neg):
            label = ex if isinstance(ex, str) else f"trace{i}"
            out.append(pytest.param(rule_id, ex, id=f"{rule_id}:{label[:50]}"))
    return out


def test_every_rule_has_examples() -> None:
    missing = [rid for rid in RULE_IDS if rid not in EXAMPLES or not all(EXAMPLES[rid])]
    assert not missing, f"rules without a positive and a negative example: {missing}"
    unknown = sorted(set(EXAMPLES) - set(RULE_IDS))
    assert not unknown, f"examples for rules that do not exist: {unknown}"


def test_pack_size_and_techniques() -> None:
    assert len(PACK.rules) >= 60
    for rule in PACK.rules:
        assert rule.title and rule.severity in ("low", "medium", "high", "critical")
        if rule.technique is not None:
            assert re.fullmatch(r"T\d{4}(\.\d{3})?", rule.technique)
    with_technique = [r for r in PACK.rules if r.technique]
    assert len(with_technique) >= len(PACK.rules) - 2  # only behaviour rules lack one
    kinds = {r.kind for r in PACK.rules}
    assert kinds == {"match", "threshold", "sequence"}


@pytest.mark.parametrize(("rule_id", "example"), _cases(True))
def test_rule_catches(rule_id: str, example: Example) -> None:
    got = _alerted(example)
    assert rule_id in got, f"{rule_id} missed {example!r} (raised: {sorted(got)})"


@pytest.mark.parametrize(("rule_id", "example"), _cases(False))
def test_rule_ignores_near_miss(rule_id: str, example: Example) -> None:
    got = _alerted(example)
    assert rule_id not in got, f"{rule_id} fired on {example!r}"
