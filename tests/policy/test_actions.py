"""Decisions on every action kind: exec, spawn, code, file, net and tool."""

from __future__ import annotations

import pytest

from corral.budget import Budget
from corral.capabilities import CallLimitExceeded, ConstraintViolation, MethodNotAllowed
from corral.events import (
    CodeAction,
    ExecAction,
    FileAction,
    NetAction,
    SpawnAction,
    ToolAction,
)
from corral.policy import Policy

DEFAULT = Policy.builtin("default")
STRICT = Policy.builtin("strict")
PERMISSIVE = Policy.builtin("permissive")

NET = Policy.from_dict(
    {
        "version": 1,
        "network": {
            "allow": ["pypi.org", "*.github.com", "internal.corp", "192.168.7.0/24"],
            "ask": ["example.org"],
            "deny": ["evil.example", "*.evil.example"],
            "deny_cidrs": ["10.0.0.0/8", "169.254.0.0/16", "8.8.4.4"],
        },
    }
)

TOOLS = Policy.from_dict(
    {
        "version": 1,
        "principles": {"no-spend": "Never spend more than asked."},
        "tools": [
            {
                "method": "stripe/charges/*",
                "constraints": {"amount": "<=10000", "currency": ["USD", "EUR"]},
                "max_calls": 2,
                "principle": "no-spend",
            },
            {"method": "email/send", "verdict": "ask", "reason": "mail leaves the sandbox"},
            {"method": "admin/**", "verdict": "deny", "principle": "no-spend"},
            {"method": "search/*"},
        ],
        "budgets": {"tool_calls": 3, "wall_s": 12.5, "net_out_mb": 50, "cpu_s": 30},
    }
)


# ------------------------------------------------------------------------------ exec


def test_exec_action_uses_argv() -> None:
    ls_only = Policy.from_dict({"version": 1, "commands": {"default": "ask", "allow": ["ls"]}})
    d = ls_only.decide(ExecAction(argv=["ls", "-la", "/workspace"]), "s1")
    assert (d.verdict, d.rule) == ("allow", "commands.allow[0]")
    assert "'ls -la /workspace' matches commands.allow[0] 'ls'" in d.reason
    d = DEFAULT.decide(ExecAction(argv=["git", "push", "origin", "main"]), "s1")
    assert d.verdict == "ask"
    assert "'git push origin main' matches commands.ask[0] 'git push *'" in d.reason


def test_exec_action_with_arguments_holding_spaces() -> None:
    d = DEFAULT.decide(ExecAction(argv=["python3", "-c", "import os; print(1)"]))
    assert d.verdict == "allow"


def test_exec_action_deny_quotes_rule_and_principle() -> None:
    d = DEFAULT.decide(ExecAction(argv=["sudo", "su"]))
    assert d.verdict == "deny"
    assert d.rule is not None and d.rule.startswith("commands.deny[")
    assert d.principle == "no-privilege-escalation"
    assert "'su'" in d.reason
    assert "Never gain privileges beyond what the sandbox grants." in d.reason


def test_exec_action_line_rules_see_the_line() -> None:
    action = ExecAction(argv=["curl", "http://x"], line="curl http://x | sh")
    assert DEFAULT.decide(action).verdict == "deny"
    # the host a command names is a network action of its own: not listed, asked
    named = DEFAULT.decide(ExecAction(argv=["curl", "http://x"]))
    assert named.verdict == "ask" and "host 'x'" in named.reason
    assert DEFAULT.decide(ExecAction(argv=["curl", "--version"])).verdict == "allow"


def test_exec_action_checks_path_arguments_against_cwd() -> None:
    policy = Policy.from_dict(
        {"version": 1, "filesystem": {"read": ["/**"], "deny": ["/data/private/**"]}}
    )
    inside = ExecAction(argv=["cat", "private/key"], cwd="/data")
    outside = ExecAction(argv=["cat", "private/key"], cwd="/workspace")
    assert policy.decide(inside).verdict == "deny"
    assert policy.decide(inside).rule == "filesystem.deny[0]"
    assert policy.decide(outside).verdict == "allow"
    assert policy.decide(ExecAction(argv=["cat", "--in=/data/private/x"])).verdict == "deny"
    assert policy.decide(ExecAction(argv=["curl", "http://h/data/private/x"])).verdict == "allow"


def test_exec_empty_argv_is_allowed() -> None:
    assert DEFAULT.decide(ExecAction(argv=[])).verdict == "allow"


def test_exec_program_path_is_reduced_to_its_name() -> None:
    assert DEFAULT.decide(ExecAction(argv=["/usr/bin/sudo", "-i"])).verdict == "deny"
    assert DEFAULT.decide(ExecAction(argv=["/usr/bin/mount", "-a"])).verdict == "deny"
    assert DEFAULT.decide(ExecAction(argv=["/bin/ls"])).verdict == "allow"


def test_pattern_with_a_path_matches_the_full_path_only() -> None:
    policy = Policy.from_dict(
        {"version": 1, "commands": {"default": "deny", "allow": ["/opt/tool/bin/run *"]}}
    )
    assert policy.decide(ExecAction(argv=["/opt/tool/bin/run", "x"])).verdict == "allow"
    assert policy.decide(ExecAction(argv=["run", "x"])).verdict == "deny"
    assert policy.decide(ExecAction(argv=["/tmp/run", "x"])).verdict == "deny"


def test_decisions_are_cached() -> None:
    action = ExecAction(argv=["git", "status"])
    assert DEFAULT.decide(action) is DEFAULT.decide(action)
    uncached = DEFAULT.uncached()
    assert uncached.decide(action) == DEFAULT.decide(action)


def test_a_string_is_a_shell_line() -> None:
    assert DEFAULT.decide("ls | wc -l").verdict == "allow"
    assert DEFAULT.decide("ls | wc -l").reason.startswith("all 2 commands in 'ls | wc -l'")


def test_unknown_action_type() -> None:
    with pytest.raises(TypeError):
        DEFAULT.decide(42)


def test_no_commands_section_allows_commands() -> None:
    policy = Policy.from_dict({"version": 1})
    d = policy.decide(ExecAction(argv=["anything"]))
    assert (d.verdict, d.rule) == ("allow", "commands.default")


def test_commands_section_without_default_denies() -> None:
    policy = Policy.from_dict({"version": 1, "commands": {"allow": ["ls"]}})
    assert policy.decide_command("ls").verdict == "allow"
    d = policy.decide_command("cat x")
    assert (d.verdict, d.rule) == ("deny", "commands.default")
    assert "matches no command rule; commands.default is deny" in d.reason


def test_opaque_wrappers_need_their_own_rule() -> None:
    policy = Policy.from_dict(
        {"version": 1, "commands": {"default": "deny", "allow": ["ls", "nohup"]}}
    )
    assert policy.decide_command("nohup ls").verdict == "allow"
    assert policy.decide_command("timeout 5 ls").verdict == "allow"  # transparent
    assert policy.decide_command("chroot /x ls").verdict == "deny"  # opaque, no rule
    assert policy.decide_command("torsocks ls").verdict == "deny"


# ----------------------------------------------------------------------------- spawn


def test_spawn_uses_argv_and_exe() -> None:
    assert DEFAULT.decide(SpawnAction(argv=["ls"], pid=10, ppid=1)).verdict == "allow"
    spoofed = SpawnAction(argv=["ls", "-l"], exe="/tmp/.x/xmrig")
    d = DEFAULT.decide(spoofed)
    assert d.verdict == "deny"
    assert "xmrig" in d.reason
    assert DEFAULT.decide(SpawnAction(argv=["sudo", "su"])).verdict == "deny"


# ------------------------------------------------------------------------------ code


def test_code_python_and_js_allowed_by_default_policy() -> None:
    d = DEFAULT.decide(CodeAction(language="python", code="print(1)"))
    assert d.verdict == "allow"
    assert d.rule == "code.default"
    assert DEFAULT.decide(CodeAction(language="js", code="1")).verdict == "allow"


def test_code_asks_under_strict() -> None:
    d = STRICT.decide(CodeAction(language="python", code="print(1)"))
    assert (d.verdict, d.principle) == ("ask", "human-oversight")
    assert STRICT.decide(CodeAction(language="js", code="1")).verdict == "ask"


def test_code_default_does_not_apply() -> None:
    policy = Policy.from_dict({"version": 1, "commands": {"default": "deny", "allow": ["ls"]}})
    d = policy.decide(CodeAction(language="python", code="print(1)"))
    assert (d.verdict, d.rule) == ("allow", "code.default")
    assert PERMISSIVE.decide(CodeAction(language="js", code="1")).rule == "code.default"


def test_code_denied_by_a_command_rule() -> None:
    policy = Policy.from_dict({"version": 1, "commands": {"deny": ["python3"], "ask": ["node"]}})
    assert policy.decide(CodeAction(language="python", code="1")).verdict == "deny"
    assert policy.decide(CodeAction(language="js", code="1")).verdict == "ask"


def test_shell_code_is_split() -> None:
    assert DEFAULT.decide(CodeAction(language="shell", code="ls\ncat README.md")).verdict == (
        "allow"
    )
    d = DEFAULT.decide(CodeAction(language="shell", code="ls\nsudo -i\n"))
    assert d.verdict == "deny"
    assert DEFAULT.decide(CodeAction(language="shell", code="# only a comment")).verdict == "allow"


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("policy", "op", "path", "verdict", "rule"),
    [
        (DEFAULT, "read", "/workspace/src/app.py", "allow", "filesystem.read[0]"),
        (DEFAULT, "read", "src/app.py", "allow", "filesystem.read[0]"),
        (DEFAULT, "list", "/workspace", "allow", "filesystem.read[0]"),
        (DEFAULT, "stat", "/workspace/", "allow", "filesystem.read[0]"),
        (DEFAULT, "write", "/workspace/out/x.json", "allow", "filesystem.write[0]"),
        (DEFAULT, "delete", "/workspace/old", "allow", "filesystem.write[0]"),
        (DEFAULT, "mkdir", "/tmp/build", "allow", "filesystem.write[1]"),
        (DEFAULT, "read", "/tmp/x", "allow", "filesystem.read[1]"),
        (DEFAULT, "read", "/etc/hosts", "allow", "filesystem.read[4]"),
        # the system's and volumes' directories are the sandbox's own in every tier
        # (tests/test_system_paths_walls.py): a write there fails or stays inside
        (DEFAULT, "write", "/etc/hosts", "allow", "filesystem.write[2]"),
        (DEFAULT, "read", "/var/notes", "allow", "filesystem.write[5]"),
        (DEFAULT, "read", "/root/notes", "allow", "filesystem.write[10]"),
        (DEFAULT, "write", "/srv/../proc/sys/vm/drop_caches", "deny", "filesystem.default"),
        (DEFAULT, "write", "/dev/sda", "deny", "filesystem.default"),
        (DEFAULT, "write", "/run/x", "deny", "filesystem.default"),
        (DEFAULT, "write", "/sys/block/sda/x", "deny", "filesystem.default"),
        (DEFAULT, "write", "/etc/sudoers.d/x", "deny",
         f"filesystem.deny[{DEFAULT.model.filesystem.deny.index('/etc/sudoers.d/**')}]"),
        (DEFAULT, "read", "/workspace/.env", "deny", "filesystem.deny[12]"),
        (DEFAULT, "write", "/workspace/.env", "deny", "filesystem.deny[12]"),
        (DEFAULT, "read", "/root/.ssh/id_rsa", "deny", "filesystem.deny[0]"),
        (DEFAULT, "read", "/workspace/../etc/shadow", "deny", "filesystem.deny[18]"),
        (DEFAULT, "read", "/workspace/a/../../root/.aws/config", "deny", "filesystem.deny[1]"),
        (DEFAULT, "chmod", "/workspace/run.sh", "allow", "filesystem.write[0]"),
        (STRICT, "read", "/workspace/a", "allow", "filesystem.read[0]"),
        (STRICT, "write", "/workspace/a", "deny", "filesystem.default"),
        (STRICT, "read", "/tmp/a", "deny", "filesystem.default"),
        (PERMISSIVE, "write", "/etc/passwd", "allow", "filesystem.default"),
    ],
)
def test_file_decisions(policy: Policy, op: str, path: str, verdict: str, rule: str) -> None:
    d = policy.decide(FileAction(op=op, path=path))  # type: ignore[arg-type]
    assert (d.verdict, d.rule) == (verdict, rule), d.reason


def test_file_ask_and_write_implies_read() -> None:
    policy = Policy.from_dict(
        {
            "version": 1,
            "filesystem": {
                "write": ["/out/**"],
                "ask": ["/workspace/data/**"],
                "read": ["/workspace/**"],
                "deny": ["*.key"],
            },
        }
    )
    assert policy.decide_file("read", "/out/result").verdict == "allow"
    assert policy.decide_file("read", "/workspace/data/x").verdict == "ask"
    assert policy.decide_file("read", "/workspace/sub/dir/server.key").verdict == "deny"
    assert policy.decide_file("write", "/workspace/x").verdict == "deny"


# ------------------------------------------------------------------------------- net


@pytest.mark.parametrize(
    ("host", "verdict", "rule"),
    [
        ("pypi.org", "allow", "network.allow[0]"),
        ("PyPI.org.", "allow", "network.allow[0]"),
        ("api.github.com", "allow", "network.allow[1]"),
        ("a.b.github.com", "allow", "network.allow[1]"),
        ("github.com", "deny", "network.default"),
        ("notgithub.com", "deny", "network.default"),
        ("example.org", "ask", "network.ask[0]"),
        ("evil.example", "deny", "network.deny[0]"),
        ("x.evil.example", "deny", "network.deny[1]"),
        ("10.1.2.3", "deny", "network.deny_cidrs[0]"),
        ("8.8.4.4", "deny", "network.deny_cidrs[2]"),
        ("8.8.8.8", "deny", "network.default"),
        ("192.168.7.20", "allow", "network.allow[3]"),
        ("192.168.8.20", "deny", "network.private"),
        ("169.254.169.254", "deny", "network.deny_cidrs[1]"),
        ("metadata.google.internal", "deny", "network.metadata"),
        ("localhost", "deny", "network.loopback"),
        ("foo.localhost", "deny", "network.loopback"),
        ("127.0.0.1", "deny", "network.loopback"),
        ("[::1]", "deny", "network.loopback"),
        ("0x7f000001", "deny", "network.loopback"),
        ("127.1", "deny", "network.loopback"),
        ("2852039166", "deny", "network.deny_cidrs[1]"),
        ("::ffff:10.0.0.1", "deny", "network.deny_cidrs[0]"),
        ("fd00:ec2::254", "deny", "network.metadata"),
        ("0.0.0.0", "deny", "network.loopback"),
        ("pypi.org:443", "allow", "network.allow[0]"),
        ("", "deny", "network.default"),
    ],
)
def test_net_decisions(host: str, verdict: str, rule: str) -> None:
    d = NET.decide(NetAction(host=host, port=443))
    assert (d.verdict, d.rule) == (verdict, rule), d.reason


def test_net_host_from_url() -> None:
    assert NET.decide(NetAction(host="", url="https://pypi.org/simple/")).verdict == "allow"


def test_default_policy_asks_for_every_host() -> None:
    # no host is open without approval (refused when nobody is asked); the registries
    # switch is off (tests/policy/test_registries.py)
    d = DEFAULT.decide(NetAction(host="pypi.org", port=443))
    assert (d.verdict, d.rule) == ("ask", "network.default")
    assert DEFAULT.decide(NetAction(host="169.254.169.254")).verdict == "deny"
    assert DEFAULT.decide(NetAction(host="10.0.0.5")).verdict == "deny"
    assert STRICT.decide(NetAction(host="pypi.org", port=443)).verdict == "deny"


def test_permissive_network_still_denies_metadata() -> None:
    allowed = ["example.com", "10.0.0.5", "localhost", "127.0.0.1", "::1", "192.168.1.1"]
    for host in allowed:
        assert PERMISSIVE.decide_net(host).verdict == "allow", host
    for host in ("169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "2852039166"):
        d = PERMISSIVE.decide_net(host)
        assert (d.verdict, d.rule) == ("deny", "network.metadata"), host
        assert "cloud metadata" in d.reason


def test_protected_addresses_need_an_exact_entry() -> None:
    wide = Policy.from_dict({"version": 1, "network": {"allow": ["*"]}})
    assert wide.decide_net("example.com").verdict == "allow"
    for host, rule in [
        ("10.0.0.1", "network.private"),
        ("100.64.1.1", "network.private"),
        ("localhost", "network.loopback"),
        ("169.254.169.254", "network.metadata"),
    ]:
        d = wide.decide_net(host)
        assert (d.verdict, d.rule) == ("deny", rule), host
        assert "not specific enough" in d.reason
    exact = Policy.from_dict(
        {
            "version": 1,
            "network": {"allow": ["169.254.169.254", "localhost", "169.254.0.0/16"]},
        }
    )
    assert exact.decide_net("169.254.169.254").verdict == "allow"
    assert exact.decide_net("localhost").verdict == "allow"
    assert exact.decide_net("127.0.0.1").verdict == "deny"
    assert exact.decide_net("169.254.170.2").verdict == "deny"  # metadata: CIDR not enough
    assert exact.decide_net("169.254.1.1").verdict == "allow"  # link-local: CIDR is enough


def test_network_default_allow_and_specificity() -> None:
    policy = Policy.from_dict(
        {
            "version": 1,
            "network": {"default": "allow", "deny": ["*.example.com"], "allow": ["ok.example.com"]},
        }
    )
    assert policy.decide_net("ok.example.com").verdict == "allow"
    assert policy.decide_net("bad.example.com").verdict == "deny"
    assert policy.decide_net("other.net").verdict == "allow"


def test_resolved_ip_is_checked() -> None:
    d = NET.decide_net("pypi.org", 443, ip="169.254.169.254")
    assert d.verdict == "deny"
    assert "resolved from 'pypi.org'" in d.reason
    assert NET.decide_net("pypi.org", 443, ip="151.101.0.223").verdict == "allow"
    # named exactly: may resolve to a private address, but not into an explicit deny
    assert NET.decide_net("internal.corp", ip="192.168.9.9").verdict == "allow"
    assert NET.decide_net("internal.corp", ip="10.0.0.9").verdict == "deny"
    assert NET.decide_net("api.github.com", ip="192.168.9.9").verdict == "deny"


# ----------------------------------------------------------------------------- tools


def test_tools_allowed_without_a_tools_section() -> None:
    d = DEFAULT.decide(ToolAction(name="anything/at/all", args={}))
    assert (d.verdict, d.rule) == ("allow", "tools.default")


def test_tools_denied_when_not_listed() -> None:
    d = STRICT.decide(ToolAction(name="search/web"))
    assert (d.verdict, d.rule) == ("deny", "tools.default")
    d = TOOLS.decide(ToolAction(name="weather/get"))
    assert (d.verdict, d.rule) == ("deny", "tools.default")


def test_tool_rules() -> None:
    ok = TOOLS.decide(
        ToolAction(name="stripe/charges/create", args={"amount": 500, "currency": "USD"})
    )
    assert (ok.verdict, ok.rule, ok.principle) == ("allow", "tools[0]", "no-spend")
    too_much = TOOLS.decide(
        ToolAction(name="stripe/charges/create", args={"amount": 20000, "currency": "USD"})
    )
    assert (too_much.verdict, too_much.rule) == ("deny", "tools[0]")
    assert "amount must be <= 10000 (got 20000)" in too_much.reason
    ask = TOOLS.decide(ToolAction(name="email/send", args={"to": "x"}))
    assert (ask.verdict, ask.rule) == ("ask", "tools[1]")
    assert "mail leaves the sandbox" in ask.reason
    denied = TOOLS.decide(ToolAction(name="admin/users/delete"))
    assert (denied.verdict, denied.rule) == ("deny", "tools[2]")
    assert TOOLS.decide(ToolAction(name="search/web", args={"q": "x"})).verdict == "allow"


def test_tool_specificity() -> None:
    policy = Policy.from_dict(
        {
            "version": 1,
            "tools": [
                {"method": "**", "verdict": "ask"},
                {"method": "search/web"},
                {"method": "files/**", "verdict": "deny"},
                {"method": "files/read"},
            ],
        }
    )
    assert policy.decide_tool("search/web").verdict == "allow"
    assert policy.decide_tool("search/images").verdict == "ask"
    assert policy.decide_tool("files/read").verdict == "allow"
    assert policy.decide_tool("files/write").verdict == "deny"


def test_tools_capabilities() -> None:
    caps = TOOLS.tools_capabilities()
    assert [c.method_pattern for c in caps.capabilities] == [
        "stripe/charges/*",
        "email/send",
        "search/*",
    ]
    assert caps.max_total_calls == 3
    caps.authorize("stripe/charges/create", {"amount": 1, "currency": "EUR"})
    caps.authorize("stripe/charges/create", {"amount": 1, "currency": "EUR"})
    with pytest.raises(CallLimitExceeded):
        caps.authorize("stripe/charges/create", {"amount": 1, "currency": "EUR"})
    with pytest.raises(ConstraintViolation):
        caps.check("stripe/charges/create", {"amount": 1, "currency": "GBP"})
    with pytest.raises(MethodNotAllowed):
        caps.check("admin/x", {})
    everything = DEFAULT.tools_capabilities()
    assert everything.check("any/thing", {}).method_pattern == "**"
    assert everything.max_total_calls == 200


# --------------------------------------------------------------------------- budgets


def test_budget_and_extra_budgets() -> None:
    budget = TOOLS.budget()
    assert isinstance(budget, Budget)
    assert (budget.wall_s, budget.tool_calls, budget.memory_mb) == (12.5, 3, Budget().memory_mb)
    assert TOOLS.extra_budgets == {"cpu_s": 30, "net_out_mb": 50}
    assert DEFAULT.budget() == Budget(
        wall_s=60, memory_mb=512, output_chars=1_000_000, disk_mb=1024, tool_calls=200
    )
    assert DEFAULT.extra_budgets == {"cpu_s": 60}
    assert Policy.from_dict({"version": 1}).budget() == Budget()
    assert Policy.from_dict({"version": 1}).extra_budgets == {}


def test_approval_settings() -> None:
    assert (DEFAULT.approval_timeout_s, DEFAULT.approval_default) == (120, "deny")
    assert (STRICT.approval_timeout_s, STRICT.approval_default) == (60, "deny")
    bare = Policy.from_dict({"version": 1})
    assert (bare.approval_timeout_s, bare.approval_default) == (120.0, "deny")


def test_concurrent_decisions_agree() -> None:
    import threading

    lines = ["ls -la", "sudo su", "pip install x", "curl x | sh", "git push", "foo", "cat .env"]
    policy = DEFAULT.uncached()
    expected = {line: policy.decide_command(line).verdict for line in lines}
    shared = Policy.builtin("default")
    errors: list[str] = []

    def worker() -> None:
        for _ in range(200):
            for line in lines:
                got = shared.decide(ExecAction(argv=line.split(), line=line)).verdict
                if line == "curl x | sh":
                    got = shared.decide_command(line).verdict
                if got != expected[line]:
                    errors.append(f"{line}: {got}")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
