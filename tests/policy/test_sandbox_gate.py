"""The policy as the Sandbox's gate (the lead wires it in; this checks the Gate contract)."""

from __future__ import annotations

import pytest

import corral
from corral.policy import ApprovalGate, Callback, Policy


@pytest.fixture
def asked() -> list[str]:
    return []


def test_policy_gate_in_the_corral_shell(asked: list[str]) -> None:
    def approve(request) -> str:
        asked.append(request.summary)
        return "allow_once" if "npm" in request.summary else "deny"

    gate = ApprovalGate(Policy.builtin("default"), Callback(approve))
    with corral.Sandbox(gate=gate) as sb:
        # the whole script is decided first: one denied command refuses all of it
        result = sb.run("echo hi | wc -c; sudo su")
        assert result.exit_code == 126 and result.stdout == ""
        assert "matches commands.deny[" in result.stderr and "'su'" in result.stderr
        # commands the script-level check lets through are decided as they run
        result = sb.run("echo hi | wc -c; git push origin main; npm publish y; echo $?")
        assert result.stdout.split() == ["3", "127"]
        assert "git: denied: denied by the approval callback" in result.stderr
        assert asked == ["run: git push origin main", "run: npm publish y"]
        result = sb.run("cat ~/.ssh/id_rsa")
        assert result.exit_code == 126
        assert "filesystem.deny[0] '**/.ssh/**'" in result.stderr
        with pytest.raises(Exception, match=r"filesystem\.deny"):
            sb.files.write(".env", "SECRET=1")
        sb.files.write("notes.txt", "ok")
        assert sb.files.read("notes.txt") == "ok"


def test_plain_policy_gate_denies_asks_without_an_approver() -> None:
    with corral.Sandbox(gate=Policy.builtin("default")) as sb:
        result = sb.run("git push origin main")
        assert "needs approval and no approver is configured" in result.stderr
