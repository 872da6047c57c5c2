"""corral.monitor.verdict_writes: writes aimed at a verdict recognised by their shape,
whatever the tool (positives across tools, languages and writers; the everyday near
misses beside them), the rules that alert on them through the monitor, the screen, and
hostile text."""

from __future__ import annotations

import pytest

from corral.monitor import Monitor
from corral.monitor.checks import findings
from corral.monitor.levers import words
from corral.monitor.verdict_writes import FINDINGS, TOKENS, finding

from .helpers import example_params, rules_of, run_command
from .verdict_write_examples import CASES, RULES


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
    command = CASES["verdict-file-stubbed"][0][0]
    assert finding(command, []) is None  # no words: the screen answers
    assert finding(command, [w.encode() for w in words(command)]) == "verdict-file-stubbed"


def test_a_stub_elsewhere_is_no_verdict_file() -> None:
    # the same text typed into a file whose path decides nothing, and a real check typed
    # into a verdict file, are quiet; the path decides, then the text
    assert finding("printf '#!/bin/sh\\nexit 0\\n' > tools/noop.sh") is None
    assert finding("printf '#!/bin/sh\\ndiff -q out.txt exp.txt\\n' > checker/run") is None
    assert finding("printf '#!/bin/sh\\nexit 0\\n' > checker/run") == "verdict-file-stubbed"


def test_a_shim_needs_its_directory_on_the_search_path() -> None:
    typed = "mkdir -p sh && printf '#!/bin/sh\\necho PASSED\\n' > sh/pytest && "
    assert finding(typed + "PATH=sh:$PATH make test") == "check-path-shimmed"
    assert finding(typed + "PATH=other:$PATH make test") is None


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_rule_alerts_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    # the first positive no earlier check, lever or mechanism names (one alert per command)
    command = next(c for c in CASES[name][0] if findings(c)[0] == name)
    assert RULES[name] in rules_of(run_command(monitor, command))


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_near_misses_raise_no_rule_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    for command in CASES[name][1][:3]:
        assert not set(RULES.values()) & rules_of(run_command(monitor, command)), command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\udcff\udcfe printf exit \udcff > tests/a.sh",
        "printf '" + "exit 0\\n" * 30000 + "' > tests/run.sh",
        "cat > tests/a.sh <<'EOF'\n" + "echo ok\n" * 30000,
        "printf '" + "a" * 100000 + "' > grader/g.py",
        "find / " + "-name 'x' -o " * 20000 + "-name flag",
        "mkdir -p d && " + "printf 'return 1' > d/x.py && " * 5000 + "PYTHONPATH=d pytest",
        "git checkout HEAD~1 -- " + "tests/a " * 30000 + "&& pytest",
        "python -c \"m.fit(" + "X_test, " * 30000 + ")\"",
        "echo '" + "time.perf_counter = lambda: 0\\n" * 20000 + "' > s.py",
        "sed -i \"s/load('val')/load('test')/;" * 10000 + "\" t.py",
    ],
    ids=["empty", "non-utf8", "many-exits", "heredoc-unclosed", "long-body", "many-names",
         "many-writes", "many-paths", "many-args", "many-timers", "many-edits"],
)
def test_hostile_text_is_answered(text: str) -> None:
    # every pattern is RE2 (linear), typed writes are read up to 32 and 4 KiB of a body;
    # no timing here
    assert finding(text) in (None, *FINDINGS)
    assert isinstance(findings(text), tuple)
