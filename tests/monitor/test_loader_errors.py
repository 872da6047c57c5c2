"""Bad rule files: every problem, with file, line, column and what was expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from corral.monitor import Monitor, RulesError, load_file, load_text, pack_names


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_text(textwrap.dedent(text).lstrip("\n"), "rules.yaml")
    return [str(p) for p in info.value.problems]


def test_every_problem_reported_with_positions() -> None:
    got = problems(
        """
        version: 1
        rulez: []
        rules:
          - id: a
            title: A
            severity: severe
            technique: 1496
            mtach: {program: x}
          - id: b
            title: B
            severity: low
            match: {progam: nmap}
          - id: c
            title: C
            severity: low
            match: {program: {regexp: x}}
          - id: d
            severity: low
            match: {line: {regex: '(unclosed'}}
        """
    )
    assert got == [
        "rules.yaml:2:1: unknown key 'rulez' in the rule file (did you mean 'rules'? expected "
        "one of: version, name, description, lists, disable, rules)",
        "rules.yaml:4:5: rules[0]: a rule needs exactly one of: match, threshold, sequence",
        "rules.yaml:6:15: rules[0].severity: expected one of low, medium, high, critical, "
        "got the string 'severe'",
        "rules.yaml:7:16: rules[0].technique: expected an ATT&CK technique id like T1496 or "
        "T1552.001, got the number 1496",
        "rules.yaml:8:5: rules[0]: unknown key 'mtach' in a rule (did you mean 'match'? "
        "expected one of: id, title, severity, technique, description, response, tags, "
        "enabled, match, threshold, sequence)",
        got[5],
        got[6],
        "rules.yaml:17:5: rules[3]: missing required key 'title'",
        got[8],
    ]
    assert got[5].startswith(
        "rules.yaml:12:13: rules[1].match: unknown field 'progam' (did you mean 'program'?"
    )
    assert got[6].startswith(
        "rules.yaml:16:23: rules[2].match.program: unknown operator 'regexp' (expected one of: equals, in, glob, regex"
    )
    assert got[8].startswith(
        "rules.yaml:19:27: rules[3].match.line.regex: invalid regular expression '(unclosed'"
    )


def test_threshold_and_sequence_errors() -> None:
    got = problems(
        """
        rules:
          - id: t
            title: T
            severity: low
            threshold: {match: {kind: net}, distinct: prot, within_s: -1, group_by: [host, hots]}
          - id: s
            title: S
            severity: low
            sequence:
              within_s: 10
              steps: [{program: a}]
          - id: s2
            title: S2
            severity: low
            sequence:
              within_s: 10
              bind: {f: [path]}
              steps:
                - {program: a}
                - match: {program: b}
                  bind: {f: nofield}
                  extra: 1
        """
    )
    text = "\n".join(got)
    assert "rules.yaml:5:16: rules[0].threshold: missing required key 'count'" in text
    assert (
        "rules.yaml:5:47: rules[0].threshold.distinct: unknown field 'prot' (did you mean 'port'?"
        in text
    )
    assert (
        "rules.yaml:5:63: rules[0].threshold.within_s: expected seconds (a number greater than 0), got the number -1"
        in text
    )
    assert (
        "rules.yaml:5:84: rules[0].threshold.group_by[1]: unknown field 'hots' (did you mean 'host'?"
        in text
    )
    assert (
        "rules.yaml:11:14: rules[1].sequence.steps: expected a list of at least 2 steps, got a list of 1 item"
        in text
    )
    assert (
        "rules.yaml:17:17: rules[2].sequence.bind.f: expected a list of 2 entries (a field, a list of fields or null per step), got a list of 1 item"
        in text
    )
    assert "rules.yaml:21:21: rules[2].sequence.steps[1].bind.f: unknown field 'nofield'" in text
    assert (
        "rules.yaml:22:11: rules[2].sequence.steps[1]: unknown key 'extra' in a sequence step (expected one of: match, bind)"
        in text
    )


def test_value_errors() -> None:
    got = problems(
        """
        lists:
          ports: [22, 80]
        rules:
          - id: v
            title: V
            severity: low
            match:
              port: {regex: '2.'}
              program: {'>': 3}
          - id: w
            title: W
            severity: low
            match: {host: $nolist, kind: exec}
          - id: x
            title: X
            severity: low
            match: {program: nmap, path: /etc/shadow}
          - id: x
            title: dup
            severity: low
            match: {port: $ports, any: []}
        """
    )
    text = "\n".join(got)
    assert (
        "rules.yaml:8:21: rules[0].match.port.regex: operator 'regex' needs a text field; 'port' is a number"
        in text
    )
    assert (
        "rules.yaml:9:22: rules[0].match.program.>: operator '>' needs a number field; 'program' is text"
        in text
    )
    assert "rules.yaml:13:19: rules[1].match.host: unknown list '$nolist' (lists: ports)" in text
    assert (
        "rules.yaml:17:12: rules[2].match: this condition can never match: no event has all of the fields program (exec/spawn), path (file)"
        in text
    )
    assert "rules.yaml:18:9: rules[3].id: duplicate rule id 'x' (first at rules[2].id)" in text
    assert (
        "rules.yaml:21:32: rules[3].match.any: expected a non-empty list of conditions, got an empty list"
        in text
    )


def test_yaml_errors() -> None:
    assert problems("rules: [\n") == [
        "rules.yaml:2:1: YAML syntax error: expected the node content, but found '<stream end>' (while parsing a flow node)"
    ]
    assert problems("rules: []\nrules: []\n") == [
        "rules.yaml:2:1: duplicate key 'rules' (first given on line 1)"
    ]
    assert problems("") == ["rules.yaml: the rule file is empty (expected a mapping with 'rules:')"]
    assert problems("- a\n") == [
        "rules.yaml:1:1: a rule file must be a mapping with 'rules:' (got a list of 1 item)"
    ]
    assert problems("version: 2\nrules: []\n") == [
        "rules.yaml:1:10: version: unsupported version 2 (this corral reads version 1)"
    ]


def test_files_and_monitor_report_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - id: x\n    title: X\n    severity: low\n    match: {programme: a}\n"
    )
    with pytest.raises(RulesError) as info:
        load_file(bad)
    assert str(info.value.problems[0]).startswith(
        f"{bad}:5:13: rules[0].match: unknown field 'programme'"
    )
    with pytest.raises(RulesError):
        Monitor(rules_files=[bad], baseline=False)
    with pytest.raises(RulesError) as info:
        load_file(tmp_path / "missing.yaml")
    assert str(info.value.problems[0]) == f"{tmp_path / 'missing.yaml'}: no such file"
    with pytest.raises(RulesError) as info:
        Monitor(packs=["nopack"], baseline=False)
    assert "no rule pack named 'nopack'" in str(info.value)
    assert "default" in pack_names()


def test_yaml_12_booleans_and_the_on_map() -> None:
    pack = load_text("rules:\n  - {id: a, title: A, severity: low, match: {program: yes}}\n")
    assert pack.rules[0].id == "a"
    with pytest.raises(ValueError, match="unknown response 'explode'"):
        Monitor(baseline=False, on={"high": "explode"})
    with pytest.raises(ValueError, match="unknown severity 'huge'"):
        Monitor(baseline=False, on={"huge": "kill"})


def test_sequence_unless_errors_are_positioned() -> None:
    got = problems(
        """
        rules:
          - id: s
            title: S
            severity: low
            sequence:
              within_s: 10
              unless: {kind: file, paht: x}
              steps: [{program: a}, {program: b}]
        """
    )
    assert any(
        p.startswith("rules.yaml:7:28: rules[0].sequence.unless: unknown field 'paht' (did you mean")
        for p in got
    ), got
