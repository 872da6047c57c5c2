"""Every action becomes a typed, JSON-serialisable event."""

from __future__ import annotations

import corral
from corral import Budget, Event, EventBus, Sandbox
from corral.events import Decision, ExecAction


def test_run_emits_lifecycle_action_and_budget_events():
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with Sandbox(bus=bus, budget=Budget(wall_s=0.5)) as sb:
        sb.python("print(1)")
        sb.python("while True: pass")
        session = sb.session
    types = [e.type for e in seen]
    assert types == [
        "sandbox.created",
        "action.requested",
        "interpreter.started",
        "action.completed",
        "action.requested",
        "action.completed",
        "budget.exceeded",
        "sandbox.closed",
    ]
    assert all(e.session == session for e in seen)
    assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
    done = seen[3]
    assert done.action.kind == "code" and done.action.code == "print(1)"
    assert done.outcome["exit_code"] == 0 and done.outcome["usage"]["wall_s"] > 0
    assert seen[6].data["budget"] == "wall_time"


def test_events_round_trip_through_json():
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with Sandbox(bus=bus, tools={"t": lambda v: v}) as sb:
        sb.python("t(v=[1, {'a': 'b'}])")
        sb.files.write("f.txt", "x")
    for ev in seen:
        again = Event.model_validate_json(ev.model_dump_json())
        assert again == ev


def test_subscriber_filter_unsubscribe_and_failures_do_not_break_sandbox():
    bus = EventBus()
    only_closed: list[str] = []
    unsub_calls: list[str] = []

    def broken(ev: Event) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(broken)
    bus.subscribe(lambda e: only_closed.append(e.type), types=["sandbox.closed"])
    unsub = bus.subscribe(lambda e: unsub_calls.append(e.type))
    with Sandbox(bus=bus) as sb:
        unsub()
        assert sb.python("print('still fine')").stdout == "still fine\n"
    assert only_closed == ["sandbox.closed"]
    assert unsub_calls == ["sandbox.created"]


def test_gate_can_deny_code_files_and_tools():
    class DenyJS:
        def decide(self, action, session):
            if action.kind == "code" and action.language == "js":
                return Decision(verdict="deny", rule="no-js", reason="JavaScript is off")
            if action.kind == "file" and action.path.endswith(".secret"):
                return Decision(verdict="deny", rule="no-secrets", reason="secret file")
            if action.kind == "tool":
                return Decision(verdict="ask", rule="ask-tools", reason="tools need a person")
            return Decision(verdict="allow")

    bus = EventBus()
    denied: list[Event] = []
    bus.subscribe(denied.append, types=["action.denied"])
    with Sandbox(bus=bus, gate=DenyJS(), tools={"t": lambda: 1}) as sb:
        r = sb.js("console.log(1)")
        assert r.exit_code == 126 and r.error == "denied"
        assert "JavaScript is off" in r.stderr
        assert sb.python("print(2)").stdout == "2\n"
        try:
            sb.files.write("x.secret", "s")
            raise AssertionError("should be denied")
        except corral.ActionDenied as e:
            assert "no-secrets" in str(e)
        r = sb.python("t()")
        assert r.error_type == "ToolDenied" and "no approver" in r.stderr
    assert [e.decision.rule for e in denied] == ["no-js", "no-secrets", "ask-tools"]


def test_action_types_validate():
    a = ExecAction(argv=["ls", "-l"], line="ls -l")
    assert a.kind == "exec" and a.cwd == "/workspace"
    ev = Event(session="s", seq=1, type="action.requested", action=a)
    assert '"argv":["ls","-l"]' in ev.model_dump_json()
