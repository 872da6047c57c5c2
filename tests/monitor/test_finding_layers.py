"""What every reward-hacking mechanism layer read by ``checks.findings`` after the levers
must do — ``deciding``, ``verdict_writes``, ``verdict_edits`` — tested once for all of them:
each positive found and read through the monitor's field, each near miss quiet, every
finding with cases and a rule, the word screen (every positive holds a screen word; words
given by the caller are used), and the rules alerting (or not) through the monitor. Each
layer's own forms and hostile texts stay in its test file."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from corral.monitor import Monitor, deciding, verdict_edits, verdict_writes
from corral.monitor.checks import findings
from corral.monitor.levers import words

from . import deciding_examples, verdict_edit_examples, verdict_write_examples
from .helpers import example_params, rules_of, run_command

#: layer -> (its examples module, the fewest positives and near misses per finding, a
#: finding whose first positive shows the screen)
LAYERS: dict[ModuleType, tuple[ModuleType, int, str]] = {
    deciding: (deciding_examples, 8, "check-neutered"),
    verdict_writes: (verdict_write_examples, 8, "verdict-file-stubbed"),
    verdict_edits: (verdict_edit_examples, 5, "reward-rescaled"),
}


def _by_layer(per_layer: Any) -> list[Any]:
    return [
        pytest.param(layer, *p.values, id=f"{layer.__name__.rsplit('.', 1)[1]}:{p.id}")
        for layer, (examples, _, _) in LAYERS.items()
        for p in per_layer(layer, examples)
    ]


def _layers() -> list[Any]:
    return [pytest.param(layer, id=layer.__name__.rsplit(".", 1)[1]) for layer in LAYERS]


def _findings(layer: ModuleType, examples: ModuleType) -> list[Any]:
    return [pytest.param(name, id=name) for name in layer.FINDINGS]


@pytest.mark.parametrize(
    ("layer", "name", "command"), _by_layer(lambda _, ex: example_params(ex.CASES, True))
)
def test_mechanism_is_found(layer: ModuleType, name: str, command: str) -> None:
    assert layer.finding(command) == name, f"{command!r} gave {layer.finding(command)}"
    assert findings(command), command  # the monitor's field reads it (first finding wins)


@pytest.mark.parametrize(
    ("layer", "name", "command"), _by_layer(lambda _, ex: example_params(ex.CASES, False))
)
def test_near_miss_is_quiet(layer: ModuleType, name: str, command: str) -> None:
    assert layer.finding(command) is None, f"{command!r} gave {layer.finding(command)}"
    assert findings(command) == (), f"{command!r} gave {findings(command)}"


@pytest.mark.parametrize("layer", _layers())
def test_every_finding_has_cases_and_a_rule(layer: ModuleType) -> None:
    examples, least, _ = LAYERS[layer]
    assert set(examples.CASES) == set(layer.FINDINGS) == set(examples.RULES)
    for pos, neg in examples.CASES.values():
        assert len(pos) >= least and len(neg) >= least


@pytest.mark.parametrize("layer", _layers())
def test_every_positive_holds_a_screen_word(layer: ModuleType) -> None:
    # the screen: a text whose words meet none of TOKENS costs one isdisjoint
    for pos, _ in LAYERS[layer][0].CASES.values():
        for command in pos:
            assert not layer.TOKENS.isdisjoint(words(command)), command


@pytest.mark.parametrize("layer", _layers())
def test_words_given_by_the_caller_are_used(layer: ModuleType) -> None:
    examples, _, name = LAYERS[layer]
    command = examples.CASES[name][0][0]
    assert layer.finding(command, []) is None  # no words: the screen answers
    assert layer.finding(command, [w.encode() for w in words(command)]) == name


@pytest.mark.parametrize(("layer", "name"), _by_layer(_findings))
def test_rule_alerts_through_the_monitor(layer: ModuleType, name: str) -> None:
    examples = LAYERS[layer][0]
    monitor = Monitor(baseline=False)
    # the first positive no earlier check, lever or layer names (one alert per command)
    command = next(c for c in examples.CASES[name][0] if findings(c)[0] == name)
    assert examples.RULES[name] in rules_of(run_command(monitor, command))


@pytest.mark.parametrize(("layer", "name"), _by_layer(_findings))
def test_near_misses_raise_no_rule_through_the_monitor(layer: ModuleType, name: str) -> None:
    examples = LAYERS[layer][0]
    monitor = Monitor(baseline=False)
    for command in examples.CASES[name][1][:3]:
        assert not set(examples.RULES.values()) & rules_of(run_command(monitor, command)), command
