"""Human-in-the-loop approvals: Terminal, Callback, Queue and the ApprovalGate."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from typing import Any

import pytest
from rich.console import Console

from corral.events import CodeAction, ExecAction, FileAction, NetAction, ToolAction
from corral.policy import (
    ApprovalAnswer,
    ApprovalGate,
    ApprovalRequest,
    Approver,
    Callback,
    Policy,
    Queue,
    Terminal,
)
from corral.policy.approvers import coerce_answer, describe_action, memory_key

POLICY = Policy.builtin("default")
PIP = ExecAction(argv=["git", "push", "origin", "main"])
LS = ExecAction(argv=["ls"])
SUDO = ExecAction(argv=["sudo", "su"])

ASKING = Policy.from_dict(
    {
        "version": 1,
        "principles": {"oversight": "A person approves outside effects."},
        "commands": {"default": "ask"},
        "network": {"ask": ["*"]},
        "tools": [{"method": "email/*", "verdict": "ask", "principle": "oversight"}],
        "filesystem": {"ask": ["/workspace/**"]},
        "approvals": {"timeout_s": 0.2, "default": "deny"},
    }
)


class Recorder:
    """An approver answering from a script, counting questions."""

    who = "the test"

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    def ask(self, request: ApprovalRequest) -> Any:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else ApprovalAnswer.DENY


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=200)


# ---------------------------------------------------------------------------- gate


def test_gate_passes_allow_and_deny_through_without_asking() -> None:
    approver = Recorder()
    gate = ApprovalGate(POLICY, approver)
    assert gate.decide(LS, "s").verdict == "allow"
    assert gate.decide(SUDO, "s").verdict == "deny"
    assert approver.requests == []


def test_gate_asks_and_allows_once() -> None:
    approver = Recorder(ApprovalAnswer.ALLOW_ONCE, ApprovalAnswer.ALLOW_ONCE)
    gate = ApprovalGate(POLICY, approver)
    d = gate.decide(PIP, "s1")
    assert d.verdict == "allow"
    assert d.rule == "commands.ask[0]"
    assert d.principle == "human-oversight"
    assert d.reason.startswith("approved by the test (allow once): command 'git push origin main'")
    (request,) = approver.requests
    assert request.session == "s1"
    assert request.rule == "commands.ask[0]"
    assert request.principle == "human-oversight"
    assert request.principle_text == POLICY.principles["human-oversight"]
    assert request.timeout_s == 120
    assert request.default == "deny"
    assert request.summary == "run: git push origin main"
    gate.decide(PIP, "s1")
    assert len(approver.requests) == 2  # once means once


def test_gate_deny() -> None:
    d = ApprovalGate(POLICY, Recorder("deny")).decide(PIP, "s")
    assert d.verdict == "deny"
    assert d.reason.startswith("denied by the test: ")


def test_allow_always_is_remembered_per_session_and_action() -> None:
    approver = Recorder(ApprovalAnswer.ALLOW_ALWAYS)
    gate = ApprovalGate(POLICY, approver)
    assert gate.decide(PIP, "s1").verdict == "allow"
    again = gate.decide(ExecAction(argv=["git", "push", "origin", "main"], cwd="/tmp"), "s1")
    assert again.verdict == "allow"
    assert again.reason.startswith("approved earlier in this session (allow always)")
    assert len(approver.requests) == 1
    assert gate.remembered("s1") == {
        ("commands.ask[0]", "exec", "git", ("git", "push", "origin", "main"))
    }
    # another argv, another session: asked again (and denied by the empty script)
    assert gate.decide(ExecAction(argv=["git", "push", "origin", "dev"]), "s1").verdict == "deny"
    assert gate.decide(PIP, "s2").verdict == "deny"
    assert len(approver.requests) == 3
    gate.forget("s1")
    assert gate.decide(PIP, "s1").verdict == "deny"
    assert gate.remembered("s1") == frozenset()


def test_allow_always_keys() -> None:
    approver = Recorder(*[ApprovalAnswer.ALLOW_ALWAYS] * 4)
    gate = ApprovalGate(ASKING, approver)
    # net: same host, any port
    assert gate.decide(NetAction(host="Example.com", port=443), "s").verdict == "allow"
    assert gate.decide(NetAction(host="example.com", port=8080), "s").verdict == "allow"
    # tool: same method, any arguments
    assert gate.decide(ToolAction(name="email/send", args={"to": "a"}), "s").verdict == "allow"
    assert gate.decide(ToolAction(name="email/send", args={"to": "b"}), "s").verdict == "allow"
    # file: same path and kind
    assert gate.decide(FileAction(op="read", path="/workspace/a"), "s").verdict == "allow"
    assert gate.decide(FileAction(op="stat", path="/workspace/a"), "s").verdict == "allow"
    # code: same code
    assert gate.decide(CodeAction(language="shell", code="foo"), "s").verdict == "allow"
    assert gate.decide(CodeAction(language="shell", code="foo"), "s").verdict == "allow"
    assert len(approver.requests) == 4
    assert gate.decide(NetAction(host="other.com"), "s").verdict == "deny"
    assert gate.decide(ToolAction(name="email/list"), "s").verdict == "deny"
    assert gate.decide(FileAction(op="write", path="/workspace/a"), "s").verdict == "deny"


def test_memory_key_definition() -> None:
    assert memory_key(PIP) == ("exec", "git", ("git", "push", "origin", "main"))
    assert memory_key(NetAction(host="[::1]", port=1)) == ("net", "::1")
    assert memory_key(NetAction(host="", url="https://X.org/a")) == ("net", "x.org")
    assert memory_key(ToolAction(name="a/b", args={"x": 1})) == ("tool", "a/b")
    assert memory_key(FileAction(op="delete", path="/w/x")) == ("file", "write", "/w/x")
    assert memory_key("ls | wc") == ("line", "ls | wc")
    assert memory_key(CodeAction(language="python", code="1"))[:2] == ("code", "python")


def test_timeout_uses_the_policy_default() -> None:
    d = ApprovalGate(POLICY, Recorder(ApprovalAnswer.TIMEOUT)).decide(PIP, "s")
    assert d.verdict == "deny"
    assert d.reason.startswith("no answer within 120 s: default deny: ")
    lenient = Policy.from_dict(
        {"version": 1, "commands": {"default": "ask"}, "approvals": {"default": "allow"}}
    )
    d = ApprovalGate(lenient, Recorder(None)).decide(LS, "s")
    assert d.verdict == "allow"
    assert d.reason.startswith("no answer within 120 s: default allow: ")


def test_gate_timeout_override() -> None:
    approver = Recorder(ApprovalAnswer.TIMEOUT)
    d = ApprovalGate(POLICY, approver, timeout_s=0.5).decide(PIP, "s")
    assert approver.requests[0].timeout_s == 0.5
    assert d.reason.startswith("no answer within 0.5 s: default deny")


def test_failing_approver_denies() -> None:
    class Broken:
        def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
            raise RuntimeError("boom")

    d = ApprovalGate(POLICY, Broken()).decide(PIP, "s")
    assert d.verdict == "deny"
    assert "the approver failed (RuntimeError: boom)" in d.reason
    d = ApprovalGate(POLICY, Recorder("perhaps")).decide(PIP, "s")
    assert d.verdict == "deny"
    assert "not an approval answer" in d.reason


def test_on_approval_records_questions_and_answers() -> None:
    seen: list[tuple[ApprovalRequest, ApprovalAnswer]] = []
    gate = ApprovalGate(
        POLICY,
        Recorder("y", "n"),
        on_approval=lambda req, ans: seen.append((req, ans)),
    )
    gate.decide(PIP, "s")
    gate.decide(ExecAction(argv=["npm", "publish"]), "s")
    assert [a for _, a in seen] == [ApprovalAnswer.ALLOW_ONCE, ApprovalAnswer.DENY]
    assert seen[1][0].summary == "run: npm publish"


def test_broken_on_approval_does_not_break_the_decision() -> None:
    def boom(req: ApprovalRequest, ans: ApprovalAnswer) -> None:
        raise ValueError("x")

    assert ApprovalGate(POLICY, Recorder("y"), on_approval=boom).decide(PIP, "s").verdict == "allow"


def test_events_object_without_approval_types_is_left_alone() -> None:
    emitted: list[str] = []

    class Events:
        def emit(self, type_: str, **fields: Any) -> None:
            emitted.append(type_)

    gate = ApprovalGate(POLICY, Recorder("y"), events=Events())
    assert gate.decide(PIP, "s").verdict == "allow"
    assert all(t.startswith("approval.") for t in emitted)


def test_request_to_dict_is_json() -> None:
    approver = Recorder("y")
    ApprovalGate(POLICY, approver).decide(PIP, "s")
    data = approver.requests[0].to_dict()
    assert json.loads(json.dumps(data))["action"]["argv"] == ["git", "push", "origin", "main"]
    assert data["rule"] == "commands.ask[0]"


def test_coerce_answer() -> None:
    assert coerce_answer("Y") is ApprovalAnswer.ALLOW_ONCE
    assert coerce_answer("allow-always") is ApprovalAnswer.ALLOW_ALWAYS
    assert coerce_answer(True) is ApprovalAnswer.ALLOW_ONCE
    assert coerce_answer(False) is ApprovalAnswer.DENY
    assert coerce_answer(None) is ApprovalAnswer.TIMEOUT
    with pytest.raises(ValueError):
        coerce_answer(3)


def test_describe_action() -> None:
    assert describe_action(NetAction(host="h", port=1, url="http://h:1/x")) == (
        "connect to h:1 (http://h:1/x)"
    )
    assert describe_action(ToolAction(name="a/b", args={"x": 1})) == 'call tool a/b({"x": 1})'
    assert describe_action(CodeAction(language="python", code="a\nb\nc")) == (
        "run python code: a (+2 more lines)"
    )
    assert describe_action(FileAction(op="write", path="/w")) == "write file /w"


def test_approvers_satisfy_the_protocol() -> None:
    for approver in (Terminal(input_fn=lambda p: "y"), Callback(lambda r: "y"), Queue()):
        assert isinstance(approver, Approver)


# ------------------------------------------------------------------------ Terminal


def test_terminal_reads_answers_from_input_fn() -> None:
    console = quiet_console()
    prompts: list[str] = []

    def input_fn(prompt: str) -> str:
        prompts.append(prompt)
        return "y"

    gate = ApprovalGate(POLICY, Terminal(input_fn=input_fn, console=console))
    d = gate.decide(PIP, "s")
    assert d.verdict == "allow"
    assert d.reason.startswith("approved by a person (allow once)")
    shown = console.file.getvalue()
    assert "approval needed" in shown
    assert "git push origin main" in shown
    assert "commands.ask[0]" in shown
    assert "human-oversight" in shown
    assert prompts and "[a]lways" in prompts[0]


def test_terminal_allow_always_then_remembered() -> None:
    calls = []

    def input_fn(prompt: str) -> str:
        calls.append(prompt)
        return "a"

    gate = ApprovalGate(POLICY, Terminal(input_fn=input_fn, console=quiet_console()))
    assert gate.decide(PIP, "s").verdict == "allow"
    assert gate.decide(PIP, "s").verdict == "allow"
    assert len(calls) == 1


def test_terminal_reprompts_on_nonsense_and_denies_on_empty() -> None:
    answers = iter(["maybe", "n"])
    console = quiet_console()
    terminal = Terminal(input_fn=lambda p: next(answers), console=console)
    assert ApprovalGate(POLICY, terminal).decide(PIP, "s").verdict == "deny"
    assert "please answer y, a or n" in console.file.getvalue()
    empty = Terminal(input_fn=lambda p: "", console=quiet_console())
    assert ApprovalGate(POLICY, empty).decide(PIP, "s").verdict == "deny"


def test_terminal_reads_a_stream() -> None:
    stream = io.StringIO("y\na\n")
    terminal = Terminal(stream, console=quiet_console())
    gate = ApprovalGate(POLICY, terminal)
    assert gate.decide(PIP, "s").reason.startswith("approved by a person (allow once)")
    d = gate.decide(PIP, "s")
    assert d.reason.startswith("approved by a person (allow always in this session)")


def test_terminal_end_of_input_denies() -> None:
    console = quiet_console()
    terminal = Terminal(io.StringIO(""), console=console)
    d = ApprovalGate(POLICY, terminal).decide(PIP, "s")
    assert d.verdict == "deny"
    assert "input closed" in console.file.getvalue()

    def eof(prompt: str) -> str:
        raise EOFError

    assert (
        ApprovalGate(POLICY, Terminal(input_fn=eof, console=quiet_console()))
        .decide(PIP, "s")
        .verdict
        == "deny"
    )


def test_terminal_times_out() -> None:
    release = threading.Event()

    def input_fn(prompt: str) -> str:
        release.wait(5)
        return "y"

    console = quiet_console()
    gate = ApprovalGate(POLICY, Terminal(input_fn=input_fn, console=console), timeout_s=0.2)
    started = time.monotonic()
    d = gate.decide(PIP, "s")
    elapsed = time.monotonic() - started
    release.set()
    assert d.verdict == "deny"
    assert d.reason.startswith("no answer within 0.2 s: default deny")
    assert 0.15 < elapsed < 3
    assert "no answer within 0.2 s" in console.file.getvalue()


def test_terminal_late_answer_is_not_used_for_the_next_question() -> None:
    release = threading.Event()
    answers = iter(["y", "n"])

    def input_fn(prompt: str) -> str:
        release.wait(5)
        return next(answers)

    terminal = Terminal(input_fn=input_fn, console=quiet_console())
    gate = ApprovalGate(POLICY, terminal, timeout_s=0.2)
    assert gate.decide(PIP, "s").verdict == "deny"  # timed out
    release.set()
    time.sleep(0.1)  # the late "y" arrives now and must be dropped
    d = ApprovalGate(POLICY, terminal, timeout_s=2).decide(PIP, "s")
    assert d.verdict == "deny"
    assert d.reason.startswith("denied by a person")


def test_terminal_policy_timeout_and_default_allow() -> None:
    policy = Policy.from_dict(
        {
            "version": 1,
            "commands": {"default": "ask"},
            "approvals": {"timeout_s": 0.2, "default": "allow"},
        }
    )
    release = threading.Event()
    terminal = Terminal(input_fn=lambda p: str(release.wait(5)), console=quiet_console())
    d = ApprovalGate(policy, terminal).decide(LS, "s")
    release.set()
    assert d.verdict == "allow"
    assert d.reason.startswith("no answer within 0.2 s: default allow")


# ------------------------------------------------------------------------ Callback


def test_callback_sync() -> None:
    for value, verdict in [
        ("allow_once", "allow"),
        (ApprovalAnswer.ALLOW_ALWAYS, "allow"),
        (True, "allow"),
        (False, "deny"),
        ("deny", "deny"),
        (None, "deny"),
    ]:
        d = ApprovalGate(POLICY, Callback(lambda r, v=value: v)).decide(PIP, "s")
        assert d.verdict == verdict, value
    d = ApprovalGate(POLICY, Callback(lambda r: "y", who="the bot")).decide(PIP, "s")
    assert d.reason.startswith("approved by the bot (allow once)")


def test_callback_gets_the_request() -> None:
    seen: list[ApprovalRequest] = []

    def fn(request: ApprovalRequest) -> str:
        seen.append(request)
        return "deny"

    ApprovalGate(POLICY, Callback(fn)).decide(PIP, "sess")
    assert seen[0].session == "sess"
    assert seen[0].decision.verdict == "ask"


def test_callback_sync_timeout() -> None:
    release = threading.Event()

    def slow(request: ApprovalRequest) -> str:
        release.wait(5)
        return "allow_once"

    started = time.monotonic()
    d = ApprovalGate(POLICY, Callback(slow), timeout_s=0.2).decide(PIP, "s")
    release.set()
    assert d.verdict == "deny"
    assert d.reason.startswith("no answer within 0.2 s: default deny")
    assert time.monotonic() - started < 3


def test_callback_raising_denies() -> None:
    def bad(request: ApprovalRequest) -> str:
        raise KeyError("nope")

    d = ApprovalGate(POLICY, Callback(bad)).decide(PIP, "s")
    assert d.verdict == "deny"
    assert "the approver failed" in d.reason


def test_callback_async_with_asyncio_run() -> None:
    async def fn(request: ApprovalRequest) -> str:
        await asyncio.sleep(0)
        return "allow_always"

    d = ApprovalGate(POLICY, Callback(fn)).decide(PIP, "s")
    assert d.verdict == "allow"
    assert "allow always" in d.reason


def test_callback_returning_an_awaitable() -> None:
    async def answer() -> str:
        return "y"

    assert ApprovalGate(POLICY, Callback(lambda r: answer())).decide(PIP, "s").verdict == "allow"


def test_callback_async_timeout() -> None:
    async def slow(request: ApprovalRequest) -> str:
        await asyncio.sleep(5)
        return "y"

    started = time.monotonic()
    d = ApprovalGate(POLICY, Callback(slow), timeout_s=0.2).decide(PIP, "s")
    assert d.verdict == "deny"
    assert d.reason.startswith("no answer within 0.2 s")
    assert time.monotonic() - started < 3


def test_callback_async_on_a_given_loop() -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    seen_loops: list[asyncio.AbstractEventLoop] = []

    async def fn(request: ApprovalRequest) -> str:
        seen_loops.append(asyncio.get_running_loop())
        return "allow_once"

    async def slow(request: ApprovalRequest) -> str:
        await asyncio.sleep(5)
        return "y"

    try:
        assert ApprovalGate(POLICY, Callback(fn, loop=loop)).decide(PIP, "s").verdict == "allow"
        assert seen_loops == [loop]
        gate = ApprovalGate(POLICY, Callback(slow, loop=loop), timeout_s=0.2)
        assert gate.decide(PIP, "s").verdict == "deny"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_callback_async_from_inside_a_running_loop() -> None:
    async def fn(request: ApprovalRequest) -> str:
        return "y"

    async def main() -> str:
        return ApprovalGate(POLICY, Callback(fn)).decide(PIP, "s").verdict

    assert asyncio.run(main()) == "allow"


# --------------------------------------------------------------------------- Queue


def ask_in_thread(gate: ApprovalGate, action: Any, session: str = "s") -> dict[str, Any]:
    box: dict[str, Any] = {}

    def run() -> None:
        box["decision"] = gate.decide(action, session)

    box["thread"] = threading.Thread(target=run, daemon=True)
    box["thread"].start()
    return box


def test_queue_answer_allows() -> None:
    queue = Queue()
    gate = ApprovalGate(POLICY, queue, timeout_s=5)
    box = ask_in_thread(gate, PIP)
    request = queue.wait_for_request(timeout=5)
    assert request is not None
    assert [r.id for r in queue.pending()] == [request.id]
    assert queue.get(request.id) is request
    assert request.to_dict()["summary"] == "run: git push origin main"
    assert queue.answer(request.id, "allow_once") is True
    box["thread"].join(5)
    assert box["decision"].verdict == "allow"
    assert box["decision"].reason.startswith("approved by a person (allow once)")
    assert queue.pending() == []
    assert queue.answer(request.id, "deny") is False  # already answered


def test_queue_unknown_id_and_bad_answer() -> None:
    queue = Queue()
    assert queue.answer("nope", "deny") is False
    with pytest.raises(ValueError):
        queue.answer("nope", "timeout")
    assert queue.wait_for_request(timeout=0.05) is None


def test_queue_timeout() -> None:
    queue = Queue()
    gate = ApprovalGate(POLICY, queue, timeout_s=0.2)
    started = time.monotonic()
    d = gate.decide(PIP, "s")
    assert d.verdict == "deny"
    assert d.reason.startswith("no answer within 0.2 s: default deny")
    assert 0.15 < time.monotonic() - started < 3
    assert queue.pending() == []


def test_queue_several_pending_answered_out_of_order() -> None:
    notified: list[str] = []
    queue = Queue(on_request=lambda r: notified.append(r.id))
    gate = ApprovalGate(POLICY, queue, timeout_s=5)
    first = ask_in_thread(gate, PIP, "a")
    queue.wait_for_request(timeout=5)
    second = ask_in_thread(gate, ExecAction(argv=["npm", "publish"]), "b")
    deadline = time.monotonic() + 5
    while len(queue.pending()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    pending = queue.pending()
    assert [r.session for r in pending] == ["a", "b"]
    assert notified == [r.id for r in pending]
    assert queue.answer(pending[1].id, ApprovalAnswer.DENY)
    second["thread"].join(5)
    assert second["decision"].verdict == "deny"
    assert queue.answer(pending[0].id, "a")
    first["thread"].join(5)
    assert first["decision"].verdict == "allow"
    assert gate.decide(PIP, "a").reason.startswith("approved earlier in this session")


def test_queue_answer_after_timeout_is_refused() -> None:
    queue = Queue()
    gate = ApprovalGate(POLICY, queue, timeout_s=0.2)
    box = ask_in_thread(gate, PIP)
    request = queue.wait_for_request(timeout=5)
    assert request is not None
    box["thread"].join(5)
    assert box["decision"].verdict == "deny"
    assert queue.answer(request.id, "allow_once") is False
