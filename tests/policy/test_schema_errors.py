"""Every class of mistake in a policy file is reported with file, line, column and message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from corral.errors import CorralError
from corral.policy import Policy, PolicyError, Problem
from corral.policy.loader import from_dict, from_yaml, load_file


def problems(tmp_path: Path, text: str, name: str = "policy.yaml") -> list[Problem]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    with pytest.raises(PolicyError) as info:
        load_file(path)
    for problem in info.value.problems:
        assert problem.source == str(path)
    return info.value.problems


def only(tmp_path: Path, text: str) -> Problem:
    found = problems(tmp_path, text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def at(problem: Problem) -> tuple[int | None, int | None]:
    return problem.line, problem.column


def test_unknown_top_level_key(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        principles: {}
        comands:
          allow: [ls]
        """,
    )
    assert at(p) == (3, 1)
    assert p.path == ""
    assert p.message.startswith("unknown top-level key 'comands'")
    assert "did you mean 'commands'" in p.message
    assert str(p).endswith(":3:1: unknown top-level key 'comands' (did you mean 'commands'?)")


def test_unknown_key_in_a_rule(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        commands:
          deny:
            - sudo
            - {mtach: "ssh * -R *"}
        """,
    )
    assert at(p) == (5, 8)
    assert p.path == "commands.deny[1]"
    assert p.message == (
        "unknown key 'mtach' (expected one of: match, regex, program, args, principle, reason)"
    )
    assert str(p).endswith(
        "policy.yaml:5:8: commands.deny[1]: unknown key 'mtach' "
        "(expected one of: match, regex, program, args, principle, reason)"
    )


def test_unknown_key_in_a_section(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        network:
          alow: [pypi.org]
        """,
    )
    assert at(p) == (3, 3)
    assert p.path == "network"
    assert p.message.startswith("unknown key 'alow' (expected one of: default, allow, ask, deny")


def test_invalid_cidr(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        network:
          deny_cidrs: ["10.0.0.0/8", "10.0.0.0/33"]
        """,
    )
    assert at(p) == (3, 30)
    assert p.path == "network.deny_cidrs[1]"
    assert p.message == "'10.0.0.0/33' is not a valid CIDR"


def test_invalid_host_pattern(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        network:
          allow:
            - pypi.org
            - "bad host"
            - "pypi.org:443"
            - "*.*.example.com"
        """,
    )
    assert [(p.line, p.column, p.path) for p in found] == [
        (5, 7, "network.allow[1]"),
        (6, 7, "network.allow[2]"),
        (7, 7, "network.allow[3]"),
    ]
    assert "'bad host' is not a valid host pattern" in found[0].message
    assert "host patterns have no port" in found[1].message


def test_undeclared_principle(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        principles:
          no-tunnels: "Never open tunnels."
        commands:
          deny:
            - {match: "ssh * -R *", principle: no-tunels}
        """,
    )
    assert at(p) == (6, 40)
    assert p.path == "commands.deny[0]"
    assert p.message.startswith("principle 'no-tunels' is not declared (declared: no-tunnels)")


def test_undeclared_principle_on_a_tool(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        tools:
          - method: "email/send"
            principle: x
        """,
    )
    assert at(p) == (4, 16)
    assert p.path == "tools[0]"
    assert "principle 'x' is not declared (declared: none)" in p.message


def test_principle_from_an_extended_policy_is_declared(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nextends: [default]\n"
        "commands:\n  deny: [{match: 'git push --force*', principle: human-oversight}]\n"
    )
    policy = load_file(path)
    assert "human-oversight" in policy.principles


def test_yaml_syntax_error(tmp_path: Path) -> None:
    p = only(
        tmp_path,
        """
        version: 1
        commands:
          allow: [ls, "cat *"
          deny: [sudo]
        """,
    )
    assert p.line == 4
    assert p.column is not None
    assert p.message.startswith("YAML syntax error:")


def test_yaml_syntax_error_bad_indentation(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  allow: [ls]\n deny: [sudo]\n")
    assert p.line == 4
    assert p.message.startswith("YAML syntax error:")


def test_document_that_is_not_a_mapping(tmp_path: Path) -> None:
    p = only(tmp_path, "- ls\n- cat\n")
    assert at(p) == (1, 1)
    assert p.message == "the policy must be a mapping of sections (got a list)"


def test_empty_document(tmp_path: Path) -> None:
    p = only(tmp_path, "# nothing here\n")
    assert "the policy is empty" in p.message


def test_wrong_version(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 2\ncommands: {default: allow}\n")
    assert at(p) == (1, 10)
    assert p.path == "version"
    assert p.message == "unsupported version 2 (this corral reads version 1)"


def test_missing_version(tmp_path: Path) -> None:
    p = only(tmp_path, "commands:\n  default: allow\n")
    assert at(p) == (1, 1)
    assert p.message == "missing required key 'version'"


def test_wrong_type(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  allow: {ls: 1}\n")
    assert at(p) == (3, 10)
    assert p.path == "commands.allow"
    assert p.message == "expected a list, got a mapping"


def test_wrong_choice(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  default: maybe\n")
    assert at(p) == (3, 12)
    assert p.path == "commands.default"
    assert p.message == "expected 'allow', 'deny' or 'ask', got the string 'maybe'"


def test_boolean_where_a_command_was_meant(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  allow: [ls, true]\n")
    assert at(p) == (3, 15)
    assert p.path == "commands.allow[1]"
    assert "got the boolean true; quote it ('true') if you mean the command" in p.message


def test_yes_no_on_off_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\ncommands:\n  allow: [yes, no]\nmonitor:\n  on: {critical: kill, high: ask}\n"
    )
    policy = load_file(path)
    assert [r.match for r in policy.model.commands.allow] == ["yes", "no"]
    assert policy.model.monitor.on == {"critical": "kill", "high": "ask"}


def test_duplicate_key(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  allow: [ls]\n  allow: [cat]\n")
    assert at(p) == (4, 3)
    assert p.path == "commands"
    assert p.message == "duplicate key 'allow' (first given on line 3)"


def test_invalid_regex(tmp_path: Path) -> None:
    p = only(tmp_path, 'version: 1\ncommands:\n  deny:\n    - {regex: "^curl (.*"}\n')
    assert at(p) == (4, 7)
    assert p.path == "commands.deny[0]"
    assert p.message.startswith("invalid regular expression '^curl (.*'")


def test_two_patterns_in_one_rule(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  deny:\n    - {match: sudo, regex: '^su$'}\n")
    assert p.path == "commands.deny[0]"
    assert p.message == "give only one of match, regex, program (got match and regex)"


def test_rule_without_a_pattern(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  deny:\n    - {reason: oops}\n")
    assert p.message == "a command rule needs one of the keys: match, regex, program"


def test_args_without_program(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  deny:\n    - {match: git, args: 'push *'}\n")
    assert p.message == "'args' can only be used together with 'program'"


def test_program_with_spaces(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  deny:\n    - {program: 'git push'}\n")
    assert "'program' must be one word" in p.message


def test_empty_pattern(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\ncommands:\n  deny: ['  ']\n")
    assert at(p) == (3, 10)
    assert p.message == "empty command pattern"


def test_empty_path_pattern(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\nfilesystem:\n  read: ['']\n")
    assert p.path == "filesystem.read[0]"
    assert p.message == "empty path pattern"


def test_bad_tool_rule(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        tools:
          - {method: "a//b"}
          - {method: "stripe/*", constraints: {amount: {lte: 5}}}
          - {method: "x/*", verdict: deny, max_calls: 3}
          - {method: "y/*", max_calls: 0}
          - {method: "z/*", verdit: ask}
        """,
    )
    assert [(p.line, p.path) for p in found] == [
        (3, "tools[0]"),
        (4, "tools[1]"),
        (5, "tools[2]"),
        (6, "tools[3].max_calls"),
        (7, "tools[4]"),
    ]
    assert "invalid method pattern 'a//b'" in found[0].message
    assert "amount" in found[1].message
    assert "a deny tool rule cannot have constraints or max_calls" in found[2].message
    assert found[3].message == "must be greater than 0, got 0"
    assert found[4].message.startswith("unknown key 'verdit' (expected one of: method,")


def test_bad_budgets(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "version: 1\nbudgets: {wall_s: -1, memory_mb: 1.5, bogus: 3, cpu_s: 'ten'}\n",
    )
    by_path = {p.path: p for p in found}
    assert by_path["budgets.wall_s"].message == "must be greater than 0, got -1"
    assert by_path["budgets.memory_mb"].message == "expected a whole number, got the number 1.5"
    assert by_path["budgets.cpu_s"].message == "expected a number, got the string 'ten'"
    assert by_path["budgets"].message.startswith("unknown key 'bogus' (expected one of: wall_s")
    assert at(by_path["budgets"]) == (2, 39)


def test_bad_monitor_and_approvals(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        monitor: {on: {critical: explode, severe: kill}}
        approvals: {timeout_s: 0, default: ask}
        """,
    )
    messages = {p.path: p.message for p in found}
    assert messages["monitor.on.critical"].startswith("expected 'kill', 'pause'")
    assert "severe" in messages["monitor.on.severe"] or "severe" in str(found)
    assert messages["approvals.timeout_s"] == "must be greater than 0, got 0"
    assert messages["approvals.default"] == "expected 'allow' or 'deny', got the string 'ask'"


def test_extends_unknown_name(tmp_path: Path) -> None:
    p = only(tmp_path, "version: 1\nextends: [defualt]\n")
    assert at(p) == (2, 11)
    assert p.path == "extends[0]"
    assert "cannot extend 'defualt': no built-in policy of that name" in p.message


def test_extends_a_file_with_problems_reports_that_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("version: 1\ncommands: {alow: [ls]}\n")
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nextends: [base.yaml]\n")
    with pytest.raises(PolicyError) as info:
        load_file(path)
    (p,) = info.value.problems
    assert p.source.endswith("base.yaml")
    assert at(p) == (2, 12)


def test_extends_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nextends: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("version: 1\nextends: [a.yaml]\n")
    with pytest.raises(PolicyError) as info:
        load_file(tmp_path / "a.yaml")
    assert "circular extends" in str(info.value)


def test_every_problem_is_listed_in_order(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        comands: {}
        commands:
          default: maybe
          deny:
            - {match: "ssh * -R *", principle: nope}
            - {mtach: "x"}
        network:
          deny_cidrs: ["10.0.0.0/33"]
        """,
    )
    assert [p.line for p in found] == [2, 4, 6, 7, 9]
    assert [p.line for p in found] == sorted(p.line for p in found)


def test_policy_error_message_and_type(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ncomands: {}\nnetwork: {deny_cidrs: [x]}\n")
    with pytest.raises(CorralError) as info:
        Policy.load(path)
    text = str(info.value)
    assert text.startswith(f"2 problems in policy {path}:")
    assert f"{path}:2:1: unknown top-level key 'comands'" in text
    assert f"{path}:3:24: network.deny_cidrs[0]: 'x' is not a valid CIDR" in text


def test_problems_from_text_and_dict() -> None:
    with pytest.raises(PolicyError) as info:
        from_yaml("version: 1\nfoo: 1\n", source="inline.yaml")
    assert str(info.value.problems[0]) == (
        "inline.yaml:2:1: unknown top-level key 'foo' (expected one of: version, extends, "
        "description, principles, commands, filesystem, network, tools, budgets, monitor, "
        "approvals, devices)"
    )
    with pytest.raises(PolicyError) as info:
        from_dict({"version": 1, "commands": {"deny": [{"mtach": "x"}]}})
    (p,) = info.value.problems
    assert (p.line, p.column) == (None, None)
    assert str(p) == (
        "<dict>: commands.deny[0]: unknown key 'mtach' "
        "(expected one of: match, regex, program, args, principle, reason)"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file"):
        load_file(tmp_path / "nope.yaml")
