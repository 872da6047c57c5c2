"""Layering (extends / Policy.layer), rule precedence and lint warnings."""

from __future__ import annotations

from pathlib import Path

from corral.policy import Policy
from corral.policy.loader import from_yaml, load_file

DEFAULT = Policy.builtin("default")


def extend(text: str, base: str = "default") -> Policy:
    return from_yaml(f"version: 1\nextends: [{base}]\n{text}", source="user.yaml")


# ---------------------------------------------------------------------------- layering


def test_lists_concatenate() -> None:
    user = extend("commands:\n  allow: [my-tool]\n  deny: [rm]\n")
    base = DEFAULT.model.commands
    merged = user.model.commands
    assert len(merged.allow) == len(base.allow) + 1
    assert len(merged.deny) == len(base.deny) + 1
    assert merged.allow[-1].match == "my-tool"
    assert user.decide_command("my-tool --x").verdict == "allow"


def test_rule_ids_index_the_merged_lists() -> None:
    user = extend("commands:\n  deny: [my-bad-tool]\n")
    d = user.decide_command("my-bad-tool")
    assert d.rule == f"commands.deny[{len(DEFAULT.model.commands.deny)}]"
    info = user.rule_info(d.rule)
    assert info is not None
    assert info.origin == "user.yaml:4:10"
    assert info.text == "my-bad-tool"
    base_rule = user.rule_info("commands.deny[0]")
    assert base_rule is not None and base_rule.origin.startswith("builtin:default:")


def test_scalars_from_the_override_win() -> None:
    assert DEFAULT.decide_command("frobnicate").verdict == "allow"
    assert extend("commands:\n  default: deny\n").decide_command("frobnicate").verdict == "deny"
    # a key the override leaves out keeps the base value
    kept = extend("commands:\n  deny: [frobnicate-not]\n")
    assert kept.decide_command("frobnicate").verdict == "allow"
    kept = extend("commands:\n  allow: [frobnicate-not]\n", base="strict")
    assert kept.decide_command("frobnicate").verdict == "deny"
    approvals = extend("approvals: {timeout_s: 5}\n")
    assert (approvals.approval_timeout_s, approvals.approval_default) == (5, "deny")


def test_principles_merge_and_the_override_wins() -> None:
    user = extend(
        "principles:\n  human-oversight: 'Ask me first.'\n  mine: 'Mine.'\n"
        "commands:\n  deny: [{match: frob, principle: mine}]\n"
    )
    assert user.principles["human-oversight"] == "Ask me first."
    assert user.principles["mine"] == "Mine."
    assert user.principles["no-escape"] == DEFAULT.principles["no-escape"]
    assert "Ask me first." in user.decide_command("git push origin main").reason


def test_mappings_and_string_lists_merge() -> None:
    user = extend("monitor: {packs: [default, extra], on: {high: kill}}\n")
    assert user.model.monitor.packs == ["default", "extra"]
    assert user.model.monitor.on == {
        "critical": "kill",
        "high": "kill",
        "medium": "alert",
        "low": "log",
    }


def test_tools_section_appears_when_the_override_adds_it() -> None:
    assert DEFAULT.decide_tool("search/web").verdict == "allow"
    user = extend("tools:\n  - {method: 'search/*'}\n")
    assert user.decide_tool("search/web").verdict == "allow"
    assert user.decide_tool("email/send").verdict == "deny"
    strict_plus = extend("tools:\n  - {method: 'search/*'}\n", base="strict")
    assert strict_plus.decide_tool("search/web").verdict == "allow"
    assert len(strict_plus.model.tools) == 1


def test_deny_beats_allow_at_equal_specificity_across_layers() -> None:
    user = extend("commands:\n  allow: ['mount *', mount, 'xmrig*']\n")
    assert user.decide_command("mount /dev/sdb1 /x").verdict == "deny"
    assert user.decide_command("xmrig").verdict == "deny"
    # and the other way round: a base allow does not beat an override deny
    override = extend("commands:\n  deny: [ls]\n")
    assert override.decide_command("ls -la").verdict == "deny"


def test_a_more_specific_allow_carves_an_exception() -> None:
    user = extend("commands:\n  allow: ['git push origin feature', 'systemctl restart myapp*']\n")
    assert user.decide_command("git push origin feature").verdict == "allow"
    assert user.decide_command("git push origin main").verdict == "ask"
    assert user.decide_command("systemctl restart myapp").verdict == "allow"
    assert user.decide_command("systemctl stop sshd").verdict == "deny"


def test_the_wrapped_command_still_counts() -> None:
    # 'sudo kubectl delete pod x' is allowed as a line, but kubectl itself still asks
    user = extend("commands:\n  allow: ['sudo kubectl delete pod x', 'timeout *']\n")
    assert user.decide_command("sudo kubectl delete pod x").verdict == "ask"
    assert user.decide_command("timeout 5 ls").verdict == "allow"
    assert user.decide_command("timeout 5 xmrig").verdict == "deny"


def test_layer_matches_extends() -> None:
    override = from_yaml("version: 1\ncommands:\n  allow: [frob]\n", source="o.yaml")
    layered = Policy.layer(DEFAULT, override)
    extended = extend("commands:\n  allow: [frob]\n")
    for line in ("frob", "ls", "sudo x", "pip install y", "curl x | sh", "unknown"):
        assert layered.decide_command(line).verdict == extended.decide_command(line).verdict
    assert layered.source == "o.yaml"


def test_layering_strict_over_permissive() -> None:
    layered = Policy.layer(Policy.builtin("permissive"), Policy.builtin("strict"))
    assert layered.decide_command("unknown").verdict == "deny"
    assert layered.decide_command("ls").verdict == "allow"
    # the network lists concatenate: permissive's allow 10.0.0.0/8 ties with strict's
    # deny_cidrs 10.0.0.0/8 and deny wins; its loopback allow has no competitor
    assert layered.decide_net("10.0.0.1").verdict == "deny"
    assert layered.decide_net("127.0.0.1").verdict == "allow"
    assert layered.decide_net("example.com").verdict == "deny"


def test_extends_files_in_order(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        "version: 1\nprinciples: {team: 'Team rule.'}\n"
        "commands:\n  default: deny\n  allow: [make]\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "policy.yaml").write_text(
        "version: 1\nextends: [default, ../team.yaml]\n"
        "commands:\n  deny: [{match: 'make deploy *', principle: team}]\n"
    )
    policy = load_file(tmp_path / "sub" / "policy.yaml")
    assert policy.decide_command("frob").verdict == "deny"  # team.yaml's default wins
    assert policy.decide_command("make test").verdict == "allow"
    assert policy.decide_command("make deploy prod").verdict == "deny"
    assert policy.decide_command("ssh -V").verdict == "allow"  # from default's allow list
    assert policy.decide_command("ssh host").verdict == "ask"  # from default's ask list


def test_extends_a_single_string() -> None:
    policy = from_yaml("version: 1\nextends: strict\n")
    assert policy.decide_command("python3 x.py").verdict == "ask"


# -------------------------------------------------------------------------- precedence


def precedence(allow: list, ask: list, deny: list, default: str = "ask") -> Policy:
    return Policy.from_dict(
        {"version": 1, "commands": {"default": default, "allow": allow, "ask": ask, "deny": deny}}
    )


def test_deny_beats_ask_beats_allow_on_the_same_pattern() -> None:
    p = precedence(["git push *"], ["git push *"], [])
    assert p.decide_command("git push x").verdict == "ask"
    p = precedence(["git push *"], ["git push *"], ["git push *"])
    assert p.decide_command("git push x").verdict == "deny"


def test_longer_literal_prefix_wins() -> None:
    p = precedence(["git"], ["git push*"], ["git push --force*"])
    assert p.decide_command("git status").verdict == "allow"
    assert p.decide_command("git push origin").verdict == "ask"
    assert p.decide_command("git push --force origin").verdict == "deny"


def test_exact_program_beats_wildcard_program() -> None:
    p = precedence(["ls"], [], ["ls*"])
    assert p.decide_command("ls -l").verdict == "allow"
    assert p.decide_command("lsblk").verdict == "deny"


def test_exact_line_beats_word_star() -> None:
    p = precedence(["git status"], [], ["git status *"])
    assert p.decide_command("git status").verdict == "allow"
    assert p.decide_command("git status -s").verdict == "deny"


def test_anywhere_rules_ignore_specificity() -> None:
    p = precedence(["curl *", "curl https://pool.example/*"], [], [{"regex": r"stratum\+tcp"}])
    assert p.decide_command("curl https://pool.example/x").verdict == "allow"
    assert p.decide_command("curl https://pool.example/stratum+tcp").verdict == "deny"
    p = precedence(["git push *"], ["* --force*"], [])
    assert p.decide_command("git push --force").verdict == "ask"
    assert p.decide_command("git push").verdict == "allow"
    # an allow without a literal prefix ranks lowest
    p = precedence(["*"], ["pip install *"], [], default="deny")
    assert p.decide_command("anything").verdict == "allow"
    assert p.decide_command("pip install x").verdict == "ask"


def test_line_rules_match_pipelines_only() -> None:
    p = precedence(["*"], [], ["* | sh"])
    assert p.decide_command("echo hi | sh").verdict == "deny"
    assert p.decide_command("sh").verdict == "allow"
    assert p.decide_command("echo '| sh'").verdict == "allow"
    p = precedence(["*"], [], ["* > /etc/*"])
    assert p.decide_command("echo x > /etc/hosts").verdict == "deny"
    assert p.decide_command("echo x > /tmp/hosts").verdict == "allow"


# ------------------------------------------------------------------------------- lint


def warnings(data: dict) -> list[str]:
    return Policy.from_dict({"version": 1, **data}).warnings


def test_builtins_and_starter_have_no_warnings() -> None:
    from corral.policy import starter_text

    for name in ("default", "strict", "permissive"):
        assert Policy.builtin(name).warnings == []
    assert from_yaml(starter_text()).warnings == []


def test_warning_same_pattern_in_allow_and_deny(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ncommands:\n  allow: [ls, 'curl *']\n  deny: ['curl *']\n")
    (w,) = load_file(path).warnings
    assert w == (
        f"{path}:3:15: commands.allow[1]: 'curl *' never applies: it is also listed as "
        "commands.deny[0] and deny takes precedence"
    )


def test_warning_allow_shadowed_by_a_deny() -> None:
    (w,) = warnings({"commands": {"allow": ["rm"], "deny": ["rm *"]}})
    assert "commands.allow[0]: 'rm' never applies: commands.deny[0] 'rm *' matches every" in w
    # the allow is more specific: an exception, no warning
    assert warnings({"commands": {"allow": ["git push origin*"], "ask": ["git push*"]}}) == []
    (w,) = warnings({"commands": {"allow": ["pip install x"], "deny": [{"regex": "x$"}]}})
    assert "never applies" in w  # an anywhere deny shadows everything it matches


def test_warning_ask_shadowed_by_deny() -> None:
    (w,) = warnings({"commands": {"ask": ["docker *"], "deny": ["docker"]}})
    assert "commands.ask[0]" in w and "commands.deny[0]" in w
    # a more specific ask is an exception, not a shadow
    assert warnings({"commands": {"ask": ["docker run *"], "deny": ["docker *"]}}) == []


def test_warning_exact_deny_line() -> None:
    (w,) = warnings({"commands": {"allow": ["rm"], "deny": ["rm -rf /"]}})
    assert "commands.deny[0]: 'rm -rf /' matches only this exact command line" in w
    assert "'rm -rf / *'" in w


def test_warning_everything_denied() -> None:
    (w,) = warnings({"commands": {"default": "deny"}})
    assert "every command is denied" in w


def test_warning_filesystem_inside_deny() -> None:
    (w,) = warnings({"filesystem": {"read": ["/workspace/.env"], "deny": ["**/.env"]}})
    assert "filesystem.read[0]: '/workspace/.env' never applies" in w
    assert warnings({"filesystem": {"read": ["/workspace/**"], "deny": ["**/.env"]}}) == []


def test_warning_network_duplicate() -> None:
    ws = warnings({"network": {"allow": ["evil.example", "10.0.0.0/8"], "deny": ["evil.example"],
                               "deny_cidrs": ["10.0.0.0/8"]}})  # fmt: skip
    assert len(ws) == 2
    assert "network.allow[0]: 'evil.example' never applies" in ws[0]
    assert "network.deny_cidrs[0]" in ws[1]


def test_warning_tool_shadowed() -> None:
    (w,) = warnings({"tools": [{"method": "admin/*"}, {"method": "admin/**", "verdict": "deny"}]})
    assert "tools[0]: 'admin/*' never applies: tools[1] 'admin/**'" in w
    exception = [{"method": "admin/users/*"}, {"method": "admin/**", "verdict": "deny"}]
    assert warnings({"tools": exception}) == []


def test_warnings_for_files_and_network_carry_positions() -> None:
    policy = from_yaml(
        "version: 1\nfilesystem:\n  read: [/workspace/.env]\n  deny: ['**/.env']\n"
        "network:\n  allow: [x.com]\n  deny: x.com\n",
        source="f.yaml",
    )
    assert policy.warnings == [
        "f.yaml:3:10: filesystem.read[0]: '/workspace/.env' never applies: it is inside "
        "filesystem.deny[0] '**/.env' and deny always wins",
        "f.yaml:6:11: network.allow[0]: 'x.com' never applies: it is also listed as "
        "network.deny[0] and deny wins",
    ]
