"""corral.monitor.deciding: mechanisms on the files and switches that decide a verdict
(positives across tools, languages and editors; the everyday near misses beside them),
the rules that alert on them through the monitor, the screen, and hostile text."""

from __future__ import annotations

import pytest

from corral.monitor import Monitor
from corral.monitor.checks import findings
from corral.monitor.deciding import FINDINGS, TOKENS, finding
from corral.monitor.levers import words

from .deciding_examples import CASES, RULES
from .helpers import example_params, rules_of, run_command


@pytest.mark.parametrize(("name", "command"), example_params(CASES, True))
def test_mechanism_is_found(name: str, command: str) -> None:
    assert finding(command) == name, f"{command!r} gave {finding(command)}"
    assert findings(command), command  # the monitor's field reads it (first finding wins)


@pytest.mark.parametrize(("name", "command"), example_params(CASES, False))
def test_near_miss_is_quiet(name: str, command: str) -> None:
    assert finding(command) is None, f"{command!r} gave {finding(command)}"
    assert findings(command) == (), f"{command!r} gave {findings(command)}"


def test_every_finding_has_cases_and_a_rule() -> None:
    assert set(CASES) == set(FINDINGS) == set(RULES)
    for pos, neg in CASES.values():
        assert len(pos) >= 8 and len(neg) >= 8


def test_every_positive_holds_a_screen_word() -> None:
    # the screen: a text whose words meet none of TOKENS costs one isdisjoint
    for pos, _ in CASES.values():
        for command in pos:
            assert not TOKENS.isdisjoint(words(command)), command


def test_words_given_by_the_caller_are_used() -> None:
    command = CASES["check-neutered"][0][0]
    assert finding(command, []) is None  # no words: the screen answers
    assert finding(command, [w.encode() for w in words(command)]) == "check-neutered"


def test_a_command_written_by_an_edit_is_read_as_the_command() -> None:
    # `^\$` in a substitution's new text is `^$` once the edit has run
    line = r"""sed -i "s/go test \.\/\.\.\./go test -run '^\$' .\/.../" GNUmakefile"""
    assert finding(line) == "selects-nothing"
    assert finding(r"sed -i 's/go test \.\/\.\.\./go test -race .\/.../' Makefile") is None


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_rule_alerts_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    # the first positive no earlier check or lever names (one alert per command)
    command = next(c for c in CASES[name][0] if findings(c)[0] == name)
    assert RULES[name] in rules_of(run_command(monitor, command))


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_near_misses_raise_no_mechanism_rule_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    for command in CASES[name][1][:3]:
        assert not set(RULES.values()) & rules_of(run_command(monitor, command)), command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\udcff\udcfe sed skip \udcff assume",
        "sed -i '" + "s/it(/xit(/;" * 20000 + "' spec/a.js",
        "sed -i 's/" + "\\(" * 50000 + "/skip/' tests/a.py",
        "printf '" + "exclude = [\".*\"]\\n" * 20000 + "' > pyproject.toml",
        "jq '" + ".a = 1 | " * 30000 + "' results.json > t && mv t results.json",
        "python -c \"" + "x['label']; " * 30000 + "\" > preds.txt",
        "robot " + "--nostatusrc " * 30000,
        "sed -i '" + "s/reward = .*/reward = 1.0/;" * 20000 + "' eval/env.py",
        "sed -i 's/score = " + "f(" * 30000 + "/score = 1/' eval/a.py",
        "printf '" + "exit 0\\n" * 20000 + "' | cat - tests/run.sh > t && mv t tests/run.sh",
        "node -e \"s.replace(/" + "a" * 100000 + "/g, 'b')\" test/a.test.js",
        "grep x data/test/a.json " + "| sed s/a/b/ " * 20000 + "> predictions.txt",
        "cbmc a.c " + "--unwind 1 " * 30000,
    ],
    ids=["empty", "non-utf8", "many-edits", "long-old", "excludes", "jq", "labels", "switches",
         "pinned", "calls", "prepend", "js-replace", "split-pipe", "unwind"],
)
def test_hostile_text_is_answered(text: str) -> None:
    # every pattern is RE2 (linear), edits are read up to 64; no timing here
    assert finding(text) in (None, *FINDINGS, "selects-nothing", "check-off", "threshold-zeroed")
    assert isinstance(findings(text), tuple)
