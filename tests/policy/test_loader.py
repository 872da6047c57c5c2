"""Loading policies from every source; built-ins; origins; the starter file."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from corral.policy import BUILTIN_NAMES, Policy, PolicyError, builtin_text, load, starter_text
from corral.policy.loader import builtin, from_yaml

TEXT = "version: 1\ncommands:\n  default: deny\n  allow: [ls]\n"


def test_load_from_every_source(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(TEXT)
    policies = [
        load(path),
        load(str(path)),
        load(TEXT),
        load({"version": 1, "commands": {"default": "deny", "allow": ["ls"]}}),
        Policy.load(path),
        Policy.from_yaml(TEXT),
        Policy.from_dict({"version": 1, "commands": {"default": "deny", "allow": ["ls"]}}),
    ]
    for policy in policies:
        assert policy.decide_command("ls").verdict == "allow"
        assert policy.decide_command("cat").verdict == "deny"
    assert load(policies[0]) is policies[0]
    assert load("default") is Policy.builtin("default")
    assert policies[0].source == str(path)
    with pytest.raises(TypeError):
        load(3)


def test_builtins() -> None:
    assert BUILTIN_NAMES == ("default", "permissive", "strict")
    for name in BUILTIN_NAMES:
        policy = Policy.builtin(name)
        assert policy.source == f"builtin:{name}"
        assert policy.model.description
        assert builtin_text(name).startswith(f"# corral built-in policy: {name}")
        assert policy.warnings == []
    with pytest.raises(PolicyError, match="no built-in policy named 'lax'"):
        builtin("lax")


def test_builtin_summaries() -> None:
    default = Policy.builtin("default")
    assert default.commands_default == "allow"
    assert default.network_default == "ask"
    assert default.model.network.registries is False
    assert default.filesystem_default == "deny"
    assert not default.has_tools
    strict = Policy.builtin("strict")
    assert strict.commands_default == "deny"
    assert strict.has_tools and strict.model.tools == []
    permissive = Policy.builtin("permissive")
    assert permissive.commands_default == "allow"
    assert permissive.network_default == "allow"
    assert not permissive.has_filesystem


def test_rule_origins_point_at_the_file() -> None:
    policy = from_yaml(
        "version: 1\ncommands:\n  allow:\n    - ls\n  deny:\n    - {match: sudo}\n"
        "tools:\n  - {method: 'a/*'}\n",
        source="mine.yaml",
    )
    assert policy.rule_info("commands.allow[0]").origin == "mine.yaml:4:7"
    info = policy.rule_info("commands.deny[0]")
    assert (info.origin, info.text, info.verdict) == ("mine.yaml:6:7", "sudo", "deny")
    assert policy.rule_info("tools[0]").origin == "mine.yaml:8:5"
    assert policy.rule_info("network.default") is None


def test_starter_loads_cleanly() -> None:
    policy = from_yaml(starter_text(), source="starter.yaml")
    assert policy.warnings == []
    assert "stay-in-scope" in policy.principles
    assert policy.model.approvals.timeout_s == 120


def test_policy_error_pickles(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        from_yaml("version: 1\nx: 1\n", source="s.yaml")
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert copy.problems == info.value.problems


def test_rule_counts() -> None:
    counts = Policy.builtin("strict").rule_counts()
    assert counts["commands.allow"] > 20
    assert counts["tools"] == 0
    assert counts["network.deny_cidrs"] == 7


def test_bench_runs() -> None:
    from corral.policy import bench

    figures = bench.run(2)
    assert figures["rules"] == 200
    assert figures["exec_mean_us"] > 0
    assert {"net_mean_us", "file_mean_us", "tool_mean_us", "cached_mean_us"} <= set(figures)


def test_doctests() -> None:
    import doctest

    import corral.policy
    import corral.policy.bench

    for module in (corral.policy, corral.policy.bench):
        result = doctest.testmod(module)
        assert result.failed == 0
        assert result.attempted > 0


def test_rule_info_for_files_and_network() -> None:
    default = Policy.builtin("default")
    info = default.rule_info("filesystem.deny[0]")
    assert (info.text, info.verdict) == ("**/.ssh/**", "deny")
    assert info.origin.startswith("builtin:default:")
    assert default.rule_info("network.deny_cidrs[3]").text == "169.254.0.0/16"
    assert default.rule_info("filesystem.read[0]").verdict == "allow"
    assert default.rule_info("filesystem.deny[999]") is None
    assert default.rule_info("network.metadata") is None
    layered = from_yaml(
        "version: 1\nextends: [default]\nfilesystem:\n  deny: ['**/.ssh/**', '/x/**']\n",
        source="u.yaml",
    )
    # a repeated entry keeps its first position; new entries point at the new file
    assert layered.rule_info("filesystem.deny[0]").origin.startswith("builtin:default:")
    new = len(default.model.filesystem.deny)
    assert layered.rule_info(f"filesystem.deny[{new}]").origin == "u.yaml:4:24"


def test_empty_sections_are_present_and_empty() -> None:
    policy = from_yaml("version: 1\ncommands:\ntools:\nnetwork:\n")
    assert policy.has_commands and policy.commands_default == "deny"
    assert policy.has_tools and policy.decide_tool("a/b").verdict == "deny"
    assert policy.decide_net("example.com").verdict == "deny"
