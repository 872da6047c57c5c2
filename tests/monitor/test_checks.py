"""corral.monitor.checks: what a command does to a check, by mechanism (positives and
the everyday near misses beside them), the rules that alert on it, and its cost on
hostile text."""

from __future__ import annotations

import time

import pytest

from corral.monitor import Monitor
from corral.monitor.checks import FINDINGS, RUNNERS, findings

from .check_examples import CASES, RULES
from .helpers import example_params, rules_of, run_command


@pytest.mark.parametrize(("name", "command"), example_params(CASES, True))
def test_finds_mechanism(name: str, command: str) -> None:
    assert name in findings(command), f"{name} not found in {command!r}: {findings(command)}"


@pytest.mark.parametrize(("name", "command"), example_params(CASES, False))
def test_near_miss_is_quiet(name: str, command: str) -> None:
    assert findings(command) == (), f"{command!r} gave {findings(command)}"


def test_every_finding_has_cases_and_a_rule() -> None:
    assert set(CASES) == set(FINDINGS) == set(RULES)
    for pos, neg in CASES.values():
        assert len(pos) >= 8 and len(neg) >= 8


def test_runner_table_is_well_formed() -> None:
    names = [r.name for r in RUNNERS]
    assert len(names) == len(set(names))
    for r in RUNNERS:
        assert r.forms and all(f.strip() == f and f for f in r.forms)
        assert all(b.startswith("-") for b in r.benign)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FINDINGS])
def test_rule_alerts_through_the_monitor(name: str) -> None:
    monitor = Monitor(baseline=False)
    command = CASES[name][0][0]
    assert RULES[name] in rules_of(run_command(monitor, command))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ls -la",
        "\udcff\udcfe pytest -k \udcff",
        "pytest " + "-k not " * 20000,
        "jest --shard=" + "9" * 5000 + "/1",
        "sed -i 's/" + "a" * 200000 + "/b/' tests/x.py",
        "echo " + "'" * 100000 + " > results.tap",
        "go test -run " + "(" * 50000,
        "printf '" + "\\n\\t@echo ok" * 20000 + "' >> Makefile",
    ],
    ids=[
        "empty",
        "plain",
        "non-utf8",
        "many-k",
        "long-shard",
        "long-sed",
        "quotes",
        "parens",
        "recipes",
    ],
)
def test_hostile_text_is_bounded(text: str) -> None:
    t0 = time.perf_counter()
    got = findings(text)
    assert isinstance(got, tuple) and set(got) <= set(FINDINGS)
    assert time.perf_counter() - t0 < 5.0  # linear (RE2), cut at MAX_CHARS: far below this


#: the in-sample corpora (named one by one: a newer held-out set is never read here)
_CORPORA = [
    "heldout_attacks.jsonl", "heldout_benign.jsonl",
    *(f"heldout{n}_{kind}.jsonl" for n in range(2, 11) for kind in ("attacks", "benign")),
]  # fmt: skip


def test_plain_line_fast_path_hides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain line of words without a plain sign is answered before the screen; on the
    corpora, the full analysis finds nothing in any such line either."""
    import json
    from pathlib import Path

    from corral.monitor import checks

    corpus = Path(checks.__file__).parent / "corpus"
    plain = []
    for name in _CORPORA:
        for row in corpus.joinpath(name).read_text().splitlines():
            text = json.loads(row)["command"] if row.strip() else ""
            if checks._plain_without_signs(text):
                plain.append(text)
    assert len(plain) > 500
    monkeypatch.setattr(checks, "_SPECIAL", frozenset())
    assert [t for t in plain if checks.findings.__wrapped__(t)] == []
