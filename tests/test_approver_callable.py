"""Sandbox(approver=...) takes a plain function (sync or async) as well as an approver
object; anything else is refused when the sandbox is made, with a clear message."""

from __future__ import annotations

import asyncio
import logging

import pytest

import corral
from corral import Sandbox
from corral.policy import ApprovalAnswer, ApprovalRequest, Terminal
from corral.policy.approvers import as_approver

#: a policy that asks about package installs (the built-in ``default`` now lets
#: contained installs run), so the approver is what these tests exercise
ASKS = {
    "version": 1,
    "commands": {"default": "allow", "ask": ["pip install *", "npm install *"]},
}


def test_plain_function_answers_with_a_bool(caplog):
    asked: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return "ruff" in request.summary

    bus = corral.EventBus()
    types: list[str] = []
    bus.subscribe(lambda e: types.append(e.type))
    with caplog.at_level(logging.ERROR), Sandbox(policy=ASKS, approver=approve, bus=bus) as sb:
        r = sb.run("pip install ruff; echo status=$?; pip install evil; echo status=$?")
    assert r.stdout == "status=127\nstatus=126\n", r.stderr
    assert [q.summary for q in asked] == ["run: pip install ruff", "run: pip install evil"]
    assert "AttributeError" not in caplog.text
    assert types.count("approval.requested") == 2 and types.count("approval.answered") == 2


def test_plain_function_answers_allow_always():
    calls: list[str] = []

    def approve(request: ApprovalRequest) -> str:
        calls.append(request.summary)
        return "allow_always"

    with Sandbox(policy=ASKS, approver=approve) as sb:
        for _ in range(3):
            sb.run("npm install left-pad")
    assert calls == ["run: npm install left-pad"]


def test_async_function_is_awaited():
    async def approve(request: ApprovalRequest) -> ApprovalAnswer:
        await asyncio.sleep(0)
        return ApprovalAnswer.ALLOW_ONCE if "ruff" in request.summary else ApprovalAnswer.DENY

    with Sandbox(policy=ASKS, approver=approve) as sb:
        r = sb.run("pip install ruff; echo $?; pip install evil; echo $?")
    assert r.stdout == "127\n126\n"


def test_async_function_in_an_async_sandbox():
    async def main() -> str:
        async def approve(request: ApprovalRequest) -> bool:
            return True

        async with corral.AsyncSandbox(policy=ASKS, approver=approve) as sb:
            r = await sb.run("pip install ruff; echo $?")
            return r.stdout

    assert asyncio.run(main()) == "127\n"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("yes", "got str"),
        (42, "got int"),
        (Terminal, "got the class Terminal"),
        (type("HasAsk", (), {"ask": 3})(), "not callable"),
    ],
)
def test_anything_else_is_a_type_error_at_construction(value, words):
    with pytest.raises(TypeError) as info:
        Sandbox(policy=ASKS, approver=value)
    assert words in str(info.value) and "approver" in str(info.value)


def test_type_error_comes_before_the_missing_policy_error():
    with pytest.raises(TypeError):
        Sandbox(approver=42)
    with pytest.raises(ValueError, match="needs a policy"):
        Sandbox(approver=lambda r: True)


def test_as_approver_keeps_objects_and_wraps_functions():
    class Mine:
        def ask(self, request):
            return "deny"

    mine = Mine()
    assert as_approver(mine) is mine
    wrapped = as_approver(lambda r: True)
    assert hasattr(wrapped, "ask")
