""" "Allow always" is bound to what was decided: the action's kind, the program that
runs and the rule that asked, never to the argument list alone."""

from __future__ import annotations

from typing import Any

from corral.events import ExecAction, SpawnAction
from corral.policy import ApprovalAnswer, ApprovalGate, ApprovalRequest, Policy
from corral.policy.approvers import describe_action, memory_key

ASK_ALL = Policy.from_dict({"version": 1, "commands": {"default": "ask"}})
DEFAULT = Policy.builtin("default")


class Recorder:
    who = "the test"

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    def ask(self, request: ApprovalRequest) -> Any:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else ApprovalAnswer.DENY


def ssh(exe: str | None = "/usr/bin/ssh") -> SpawnAction:
    return SpawnAction(argv=["ssh", "-V"], exe=exe, pid=7)


def test_spawn_of_another_program_with_the_same_argv_is_asked_again() -> None:
    # the same rule (commands.default) decides both: only the program tells them apart
    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(ASK_ALL, approver)
    assert gate.decide(ssh(), "s").verdict == "allow"
    assert gate.decide(ssh(), "s").verdict == "allow"  # remembered: same program, same argv
    assert len(approver.requests) == 1
    forged = ssh("/usr/bin/apt-get")
    d = gate.decide(forged, "s")
    assert d.verdict == "deny" and len(approver.requests) == 2
    assert "/usr/bin/apt-get" in approver.requests[-1].summary


def test_spawn_memory_under_the_default_policy() -> None:
    # 'ssh user@host' is asked under default ('ssh -V' runs): allow always covers that
    # program only, and another asked program with the same argv is asked again
    def remote(exe: str) -> SpawnAction:
        return SpawnAction(argv=["ssh", "user@host"], exe=exe, pid=7)

    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(DEFAULT, approver)
    assert gate.decide(remote("/usr/bin/ssh"), "s").verdict == "allow"
    assert gate.decide(remote("/usr/bin/ssh"), "s").verdict == "allow"
    assert len(approver.requests) == 1
    assert gate.decide(remote("/usr/bin/kubectl"), "s").verdict == "deny"
    assert len(approver.requests) == 2
    # the question names the program that would really run
    assert "kubectl" in approver.requests[-1].reason


def test_exec_approval_never_covers_a_spawn() -> None:
    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(ASK_ALL, approver)
    assert gate.decide(ExecAction(argv=["ssh", "-V"]), "s").verdict == "allow"
    assert gate.decide(ssh("/usr/bin/apt-get"), "s").verdict == "deny"
    assert gate.decide(ssh(), "s").verdict == "deny"
    assert len(approver.requests) == 3


def test_exec_memory_is_bound_to_the_command_name() -> None:
    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(ASK_ALL, approver)
    assert gate.decide(ExecAction(argv=["ssh", "-V"]), "s").verdict == "allow"
    assert gate.decide(ExecAction(argv=["ssh", "-V"], cwd="/tmp"), "s").verdict == "allow"
    assert len(approver.requests) == 1
    assert memory_key(ExecAction(argv=["ssh", "-V"]))[:2] == ("exec", "ssh")


def test_spawn_path_is_normalised_and_relative_paths_are_never_remembered() -> None:
    approver = Recorder(*[ApprovalAnswer.ALLOW_ALWAYS] * 3)
    gate = ApprovalGate(ASK_ALL, approver)
    assert gate.decide(ssh("/usr/bin/../bin/ssh"), "s").verdict == "allow"
    assert gate.decide(ssh("/usr/bin/ssh"), "s").verdict == "allow"
    assert len(approver.requests) == 1
    rel = SpawnAction(argv=["./x"], exe="./x")
    assert gate.decide(rel, "s").verdict == "allow"
    assert gate.decide(rel, "s").verdict == "allow"
    assert len(approver.requests) == 3  # ./x in another directory is another program


def test_the_rule_that_asked_is_part_of_the_memory() -> None:
    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(ASK_ALL, approver)
    gate.decide(ssh(), "s")
    ((rule, kind, exe, argv),) = gate.remembered("s")
    assert (rule, kind, exe, argv) == ("commands.default", "spawn", "/usr/bin/ssh", ("ssh", "-V"))


def test_describe_spawn_names_the_real_program() -> None:
    assert describe_action(ssh()) == "start process: ssh -V"
    assert describe_action(ssh("/usr/bin/apt-get")) == (
        "start process: /usr/bin/apt-get (named ssh -V)"
    )
