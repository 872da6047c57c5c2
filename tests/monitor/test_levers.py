"""corral.monitor.levers: verification tools' verdict levers (positives across tools and
spellings, the everyday near misses beside them), the rules that alert on them through
the monitor, the table's form, and its cost on hostile text."""

from __future__ import annotations

import pytest

from corral import saferegex
from corral.monitor import Monitor
from corral.monitor.checks import findings
from corral.monitor.levers import FINDINGS, LEVERS, TOKENS, finding, words

from .helpers import example_params, rules_of, run_command
from .lever_examples import CASES, RULES


@pytest.mark.parametrize(("name", "command"), example_params(CASES, True))
def test_lever_is_found(name: str, command: str) -> None:
    assert finding(command) == name, f"{command!r} gave {finding(command)}"
    assert name in findings(command)


@pytest.mark.parametrize(("name", "command"), example_params(CASES, False))
def test_near_miss_is_quiet(name: str, command: str) -> None:
    assert findings(command) == (), f"{command!r} gave {findings(command)}"


def test_every_finding_has_cases_and_a_rule() -> None:
    assert set(CASES) == set(FINDINGS) == set(RULES)
    assert {lv.finding for lv in LEVERS} == set(FINDINGS)
    for pos, neg in CASES.values():
        assert len(pos) >= 8 and len(neg) >= 8


def test_lever_table_is_well_formed() -> None:
    for lv in LEVERS:
        assert lv.finding in FINDINGS and lv.tools and lv.tokens
        for t in (*lv.tokens, *lv.also):
            assert t.isascii() and t.isalpha() and t == t.lower(), t
        for pattern in (lv.pattern, lv.context, lv.unless):
            if pattern is not None:
                saferegex.compile(pattern)  # RE2-compilable, Python syntax
                assert r"\w" not in pattern  # ASCII classes: the pack cache stays small


def test_every_positive_holds_a_word_of_its_lever() -> None:
    # the screen: a lever is tested only on a text holding one of its words
    for pos, _ in CASES.values():
        for command in pos:
            assert not TOKENS.isdisjoint(words(command)), command


def test_words_split_on_ascii_punctuation_only() -> None:
    assert words("A-b_c.D=1 \u00e9t\u00e9/x j8") == ["a", "b", "c", "d", "\u00e9t\u00e9", "x", "j"]


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_rule_alerts_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    command = CASES[name][0][0]
    assert RULES[name] in rules_of(run_command(monitor, command))


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_near_misses_raise_no_lever_rule_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    for command in CASES[name][1][:3]:
        assert not set(RULES.values()) & rules_of(run_command(monitor, command)), command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\udcff\udcfe sorry \udcff admit",
        "pytest --reruns " + "9" * 100000,
        "sed -i 's/" + "set -" * 50000 + "/x/' test.sh",
        "rm " + "crash-" * 50000,
        "printf '" + "catch (Throwable t) {" * 20000 + "' > T.java",
        "jq '" + ".status=" * 50000 + "' results/r.json",
    ],
    ids=["empty", "non-utf8", "long-count", "long-sed", "many-crash", "throwables", "jq"],
)
def test_hostile_text_is_answered(text: str) -> None:
    # every pattern is RE2 (linear); no timing here: speed is benchmarks/' business
    assert finding(text) in (None, *FINDINGS)
    assert isinstance(findings(text), tuple)
