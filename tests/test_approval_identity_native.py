""" "Allow always" on bwrap: a later execve of another program under the same argv is
asked about again (the native monitor reports the real path)."""

from __future__ import annotations

import pytest

from corral import Budget, Sandbox
from corral.policy import ApprovalRequest
from tiers import needs

needs_bwrap = needs("bwrap")

POLICY = {
    "version": 1,
    "commands": {"default": "ask", "allow": ["python3", "cat", "echo"]},
}


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> str:
        self.asked.append(request)
        return self.answers.pop(0) if self.answers else "deny"


@needs_bwrap
@pytest.mark.parametrize(
    "forge",
    [
        "exec -a ssh /usr/bin/apt-get -V",
        'python3 -c \'import os; os.execv("/usr/bin/apt-get", ["ssh", "-V"])\'',
    ],
)
def test_allow_always_for_ssh_does_not_run_apt_get(forge: str) -> None:
    answers = Answers("allow_always")  # the second question (if any) is denied
    with Sandbox(
        backend="bwrap", policy=POLICY, approver=answers, monitor=False, budget=Budget(wall_s=60)
    ) as sb:
        r = sb.run("ssh -V 2>&1; ssh -V 2>&1")
        assert r.stdout.count("OpenSSH") == 2, (r.stdout, r.stderr)
        assert len(answers.asked) == 1
        r = sb.run(forge + " 2>&1; echo status=$?")
    out = r.stdout + r.stderr
    # apt-get run as `ssh -V` complains "E: Command line option 'V' ... is not understood"
    assert "not understood" not in out and "E:" not in out, out
    assert "status=0" not in out, out
    assert len(answers.asked) == 2, [q.summary for q in answers.asked]
    assert "/usr/bin/apt-get" in answers.asked[1].summary
