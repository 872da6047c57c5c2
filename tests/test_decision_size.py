"""One host decision reads a bounded amount of text (the class: a hostile command whose
decision costs the host more than the call's wall budget).

The policy reads a command's arguments and line on the host, in the thread that runs
the call, and nothing interrupts it: an ``eval`` of a megabyte of ``a|a|…`` kept the
host busy for 50 s of a 5 s call (the worker accepted commands of up to 4 MiB). Every
exec decision now reads at most :data:`corral.budget.MAX_DECIDED_CHARS`, the same bound
as a whole script."""

from __future__ import annotations

import time

import pytest

import corral
from corral.budget import MAX_DECIDED_CHARS
from corral.events import ExecAction, SpawnAction
from corral.sandbox import MAX_SCRIPT_CHARS, too_large_to_decide


def test_the_script_and_a_command_share_one_bound() -> None:
    assert MAX_SCRIPT_CHARS == MAX_DECIDED_CHARS


@pytest.mark.parametrize(
    ("argv", "line", "refused"),
    [
        (["echo", "x" * (MAX_DECIDED_CHARS - 100)], "echo $x", False),
        (["eval", "a|" * (MAX_DECIDED_CHARS // 2)], 'eval "$b"', True),
        (["bash", "-c", "a;" * (MAX_DECIDED_CHARS // 2)], "bash -c x", True),
        (["echo"] + ["a"] * MAX_DECIDED_CHARS, "echo $a", True),  # many small words
        (["true"], "a|" * (MAX_DECIDED_CHARS // 2), True),  # the line alone
        (["echo", "é" * (MAX_DECIDED_CHARS // 2)], "", False),  # characters, not bytes
    ],
    ids=["big-word-under", "eval", "bash-c", "many-words", "line", "non-ascii-under"],
)
def test_an_exec_past_the_bound_is_refused_by_its_size(
    argv: list[str], line: str, refused: bool
) -> None:
    decision = too_large_to_decide(ExecAction(argv=argv, line=line))
    if not refused:
        assert decision is None
        return
    assert decision is not None and decision.verdict == "deny"
    assert decision.rule == "corral:command-size"
    assert f"at most {MAX_DECIDED_CHARS:,}" in decision.reason


def test_a_program_start_is_bounded_by_the_kernel_not_here() -> None:
    # a native program's argv is what Linux let it start with (2 MiB): `rm` of many files
    many = ["rm"] + [f"file{i:07d}.txt" for i in range(60_000)]
    assert too_large_to_decide(SpawnAction(argv=many)) is None


def test_the_sandbox_refuses_before_the_policy_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with corral.Sandbox(policy="default") as sb:
        policy = sb.gate

        def never(*_a: object, **_k: object) -> None:
            raise AssertionError("the policy read a command past the bound")

        monkeypatch.setattr(policy, "decide", never)
        decision = sb._decide(ExecAction(argv=["eval", "a|" * MAX_DECIDED_CHARS], line="eval x"))
        assert decision.verdict == "deny" and decision.rule == "corral:command-size"


@pytest.mark.timeout(120)
def test_a_huge_eval_ends_within_the_calls_wall() -> None:
    with corral.Sandbox(policy="default", budget=corral.Budget(wall_s=5)) as sb:
        start = time.monotonic()
        r = sb.run('b=$(printf "%*s" 400000 ""); b=${b// /a|}; eval "$b a"; echo "rc=$?"')
        took = time.monotonic() - start
        assert r.error is None and r.stdout == "rc=126\n", r
        assert "corral: eval: denied:" in r.stderr and "at most 524,288" in r.stderr
        assert took < 5, took
        assert sb.run("echo alive").stdout == "alive\n"
