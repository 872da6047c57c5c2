"""``corral policy check | explain | init | show``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from corral.policy import Policy, builtin_text, starter_text
from corral.policy.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_check_builtins() -> None:
    for name in ("default", "strict", "permissive"):
        result = run("check", name)
        assert result.exit_code == 0, result.output
        assert any(line.startswith(f"OK {name}: commands ") for line in result.output.splitlines())
        assert "warning" not in result.output


def test_check_reports_every_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "version: 1\ncomands: {}\ncommands:\n  deny:\n    - {mtach: x}\n"
        "network:\n  deny_cidrs: ['10.0.0.0/33']\n"
    )
    result = run("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:2:1: unknown top-level key 'comands'" in result.output
    assert f"{path}:5:8: commands.deny[0]: unknown key 'mtach'" in result.output
    assert f"{path}:7:16: network.deny_cidrs[0]: '10.0.0.0/33' is not a valid CIDR" in (
        result.output
    )
    assert "3 errors" in result.output


def test_check_warnings(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ncommands:\n  allow: [rm]\n  deny: ['rm *']\n")
    result = run("check", str(path))
    assert result.exit_code == 0
    assert "OK" in result.output
    assert "warning:" in result.output and "never applies" in result.output
    assert run("check", "--strict", str(path)).exit_code == 1


def test_check_missing_file(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_explain_command() -> None:
    result = run("explain", "default", "ssh -R 9000:localhost:22 x@y")
    assert result.exit_code == 0, result.output
    assert "decision:  DENY" in result.output
    assert "rule:      commands.deny[" in result.output
    assert "defined:   builtin:default:" in result.output
    assert "principle: no-exfiltration — Never open channels" in result.output
    assert "reason:    command 'ssh -R 9000:localhost:22 x@y' matches" in result.output


def test_explain_ask_and_allow() -> None:
    out = run("explain", "default", "git push origin main").output
    assert "decision:  ASK" in out
    assert "pattern:   git push *" in out
    assert "reason:    command 'git push origin main' matches" in out
    assert "git push publishes outside the sandbox" in out
    out = run("explain", "strict", "ls -la").output
    assert "decision:  ALLOW" in out
    assert "pattern:   ls" in out
    # an allow by default names the default, with no pattern to show
    out = run("explain", "default", "make test").output
    assert "decision:  ALLOW" in out and "rule:      commands.default" in out
    assert "pattern:" not in out


def test_explain_other_kinds() -> None:
    out = run("explain", "default", "169.254.169.254", "--kind", "net").output
    assert "decision:  DENY" in out and "network.deny_cidrs[3]" in out
    assert "pattern:   169.254.0.0/16" in out and "defined:   builtin:default:" in out
    out = run("explain", "permissive", "http://169.254.169.254/latest", "--kind", "net").output
    assert "network.metadata" in out
    out = run("explain", "default", "/root/.ssh/id_rsa", "--kind", "file").output
    assert "filesystem.deny[0]" in out
    out = run("explain", "default", "/workspace/x", "--kind", "file", "--op", "write").output
    assert "decision:  ALLOW" in out
    out = run("explain", "strict", "search/web", "--kind", "tool", "--args", '{"q": 1}').output
    assert "tools.default" in out
    out = run("explain", "strict", "print(1)", "--kind", "code").output
    assert "decision:  ASK" in out
    assert run("explain", "default", "x", "--kind", "nope").exit_code == 2
    assert run("explain", "default", "x", "--kind", "tool", "--args", "{").exit_code == 2
    assert run("explain", "default", "x", "--kind", "file", "--op", "eat").exit_code == 2


def test_explain_json(tmp_path: Path) -> None:
    result = run("explain", "default", "sudo su", "--json")
    data = json.loads(result.output)
    assert data["verdict"] == "deny"
    assert data["rule"].startswith("commands.deny[")
    assert data["principle"] == "no-privilege-escalation"
    assert data["rule_text"] == "su"
    assert data["principle_text"].startswith("Never gain privileges")


def test_explain_with_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 3\n")
    result = run("explain", str(path), "ls")
    assert result.exit_code == 1
    assert "unsupported version 3" in result.output


def test_init_writes_a_starter_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    result = run("init", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text() == starter_text()
    policy = Policy.load(path)
    assert policy.warnings == []
    assert policy.decide_command("make test").verdict == "allow"
    assert policy.decide_command("git push --force origin main").verdict == "deny"
    assert policy.decide_command("make deploy prod").verdict == "ask"
    check = run("check", str(path))
    assert check.exit_code == 0 and "warning" not in check.output


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("mine")
    result = run("init", str(path))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert path.read_text() == "mine"
    assert run("init", str(path), "--force").exit_code == 0
    assert path.read_text() == starter_text()


def test_show() -> None:
    result = run("show", "default")
    assert result.exit_code == 0
    assert result.output == builtin_text("default")
    listing = run("show").output
    for name in ("default", "strict", "permissive"):
        assert name in listing
    bad = run("show", "lenient")
    assert bad.exit_code == 1
    assert "no built-in policy named 'lenient'" in bad.output
