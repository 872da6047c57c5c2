"""The policy wired through every face of the Sandbox, with real approvers."""

from __future__ import annotations

import time

import pytest

import corral
from corral import Sandbox
from corral.audit import AuditLog, iter_entries
from corral.policy import Callback, Policy, PolicyError, Queue


def test_ask_answered_by_callback_end_to_end():
    asked = []

    def answer(request):
        asked.append(request.summary)
        return "allow_once" if "feature" in request.summary else "deny"

    with Sandbox(policy="default", approver=Callback(answer)) as sb:
        r = sb.run(
            "git push origin feature; echo status=$?; git push origin main; echo status=$?"
        )
        # allowed means it ran: the wasm tier's git (dulwich) does not push (status 1)
        assert r.stdout == "status=1\nstatus=126\n", r.stderr
        assert "'push' is not supported by corral's git" in r.stderr
        assert "corral: git: denied: denied by the approval callback" in r.stderr
    assert asked == ["run: git push origin feature", "run: git push origin main"]


@pytest.mark.parametrize(
    "script",
    [
        "echo 'echo hi' | sh",
        "printf 'echo hi' | bash -s",
        "x=1; echo 'echo hi' | sh && echo after",
    ],
)
def test_a_whole_line_ask_is_asked_before_the_script_runs(script):
    """A rule about a whole line (``… | sh``) is put to the approver about the script
    before it runs: once the script runs, each command is decided alone, and ``sh``
    alone no rule asks about (it ran unasked before)."""
    with Sandbox(policy="default") as sb:
        r = sb.run(script)
        assert r.exit_code == 126 and r.stdout == "", r.stdout
        assert "pipes text into a shell" in r.stderr and "no approver" in r.stderr
    asked = []

    def answer(request):
        asked.append((request.summary, request.decision.rule))
        return "allow_once"

    with Sandbox(policy="default", approver=Callback(answer)) as sb:
        r = sb.run(script)
        assert r.exit_code == 0 and r.stdout.startswith("hi\n"), r.stderr
    assert len(asked) == 1 and asked[0][1].startswith("commands.ask["), asked
    refusals = []
    with Sandbox(policy="default", approver=Callback(lambda req: refusals.append(1) or "deny")) as sb:
        r = sb.run(script)
        assert r.exit_code == 126 and r.stdout == "" and refusals == [1]


def test_an_ask_about_one_command_is_still_asked_when_the_command_runs():
    """A script whose ask is about one of its commands runs; the command is asked about
    when (if) it is reached."""
    with Sandbox(policy="default") as sb:
        r = sb.run("echo start; false && git push origin main; echo end")
        assert r.stdout == "start\nend\n", r.stderr


def test_denied_command_reads_like_bash_and_names_rule_and_principle():
    with Sandbox(policy="default") as sb:
        r = sb.run("ssh -R 9000:localhost:22 x@y")
        assert r.exit_code == 126 and r.error == "denied"
        assert "commands.deny" in r.stderr and "principle no-exfiltration" in r.stderr
        assert sb.run("echo fine").stdout == "fine\n"


def test_allow_always_is_remembered_and_audited(tmp_path):
    bus = corral.EventBus()
    calls = []

    def always(request):
        calls.append(request.summary)
        return "allow_always"

    with AuditLog(tmp_path / "audit.db") as log:
        log.attach(bus)
        with Sandbox(policy="default", approver=Callback(always), bus=bus) as sb:
            for _ in range(3):
                sb.run("npm publish left-pad")
    assert calls == ["run: npm publish left-pad"]  # asked once, then remembered
    entries = list(iter_entries(tmp_path / "audit.db"))
    answered = [e for e in entries if e.body.get("type") == "approval.answered"]
    assert len(answered) == 1 and answered[0].body["data"]["answer"] == "allow_always"
    assert corral.audit.verify(tmp_path / "audit.db").ok


def test_no_answer_before_timeout_means_the_policy_default(tmp_path):
    policy = Policy.from_yaml(
        "version: 1\nextends: [default]\napprovals: {timeout_s: 0.3, default: deny}\n"
    )
    queue = Queue()
    with Sandbox(policy=policy, approver=queue) as sb:
        t0 = time.monotonic()
        r = sb.run("git push origin slowpoke; echo $?")
        assert r.stdout == "126\n"
        assert "no answer within 0.3 s" in r.stderr
        assert time.monotonic() - t0 < 5


def test_queue_approver_answered_from_another_thread():
    import threading

    queue = Queue()

    def person():
        req = queue.wait_for_request(timeout=10)
        assert req is not None
        queue.answer(req.id, "allow_once")

    t = threading.Thread(target=person)
    t.start()
    with Sandbox(policy="default", approver=queue) as sb:
        r = sb.run("git push origin via-queue; echo $?")
    t.join()
    assert r.stdout == "1\n", r.stderr  # allowed, ran: the wasm tier's git does not push
    assert "not supported by corral's git" in r.stderr


def test_policy_governs_code_files_and_tools():
    policy = Policy.from_yaml(
        """
version: 1
extends: [default]
filesystem:
  deny: ["/workspace/secrets/**"]
tools:
  - {method: "pay", constraints: {amount: "<=100"}}
"""
    )

    def pay(amount: int) -> str:
        return f"paid {amount}"

    with Sandbox(policy=policy, tools=[pay]) as sb:
        with pytest.raises(corral.ActionDenied, match=r"filesystem\.deny"):
            sb.files.write("secrets/key.txt", "x")
        assert sb.python("print(pay(amount=50))").stdout == "paid 50\n"
        r = sb.python("pay(amount=500)")
        assert r.error_type == "ToolDenied" and "amount must be <= 100" in r.stderr
        r = sb.run("tool pay --amount 500")
        assert r.exit_code == 126


def test_strict_policy_needs_approval_for_code():
    with Sandbox(policy="strict") as sb:
        r = sb.python("print(1)")
        assert r.exit_code == 126 and r.error == "denied"
        assert "no approver" in r.stderr
        assert sb.run("ls").exit_code == 0


def test_policy_budget_applies():
    policy = Policy.from_yaml("version: 1\nextends: [default]\nbudgets: {wall_s: 1}\n")
    with Sandbox(policy=policy) as sb:
        assert sb.budget.wall_s == 1
        r = sb.run("while true; do :; done")
        assert r.budget_exceeded == "wall_time"


def test_broken_policy_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\ncomands:\n  allow: [ls]\n")
    with pytest.raises(PolicyError) as info:
        Sandbox(policy=str(bad))
    assert "policy.yaml:2:1" in str(info.value) and "comands" in str(info.value)


def test_approver_without_policy_is_refused():
    with pytest.raises(ValueError, match="needs a policy"):
        Sandbox(approver=Callback(lambda r: "deny"))


def test_cli_policy_check_explain_and_run(tmp_path):
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "corral", *args], capture_output=True, text=True, timeout=120
        )

    p = cli("policy", "explain", "default", "git push origin main")
    assert p.returncode == 0 and "ask" in p.stdout
    p = cli("run", "--policy", "default", "sudo -i")
    assert p.returncode == 126 and "sudo" in p.stderr
    starter = tmp_path / "p.yaml"
    assert cli("policy", "init", str(starter)).returncode == 0
    assert cli("policy", "check", str(starter)).returncode == 0
