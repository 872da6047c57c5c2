"""The process monitor fails closed: a start it cannot read or decide in full never runs.

Each way of failing is forced here for real (a pointer into nothing, more arguments than
it reads, the sandbox killed while the gate decides, the supervisor breaking) and must end
as a denial reported as an event, never as a program that ran unchecked.
"""

from __future__ import annotations

from corral.budget import Budget
from corral.events import Decision, SpawnAction
from corral.native import BwrapBackend
from corral.native.monitor import Supervisor

from .conftest import Events, need

# the word the gate refuses, assembled at run time so that no script contains it
HIDE = "u=stra; u=${u}tum+tcp://pool:3333; "


class DenyWord:
    """Allows every program start unless the word is in one of its arguments."""

    def __init__(self, word: str = "stratum") -> None:
        self.word = word
        self.seen: list[list[str]] = []

    def decide(self, action, session=None):
        self.seen.append(list(action.argv))
        if any(self.word in a for a in action.argv):
            return Decision(verdict="deny", rule="test.word", reason=f"{self.word} seen")
        return Decision(verdict="allow", rule="test.allow", reason="ok")


def denied(events: Events) -> list[dict]:
    return [f for _, f in events.actions("spawn", ("action.denied",))]


def test_an_argument_far_down_a_long_argv_is_still_seen(workspace, events):
    need("bwrap")
    gate = DenyWord()
    with BwrapBackend(workspace, Budget(wall_s=20), gate=gate, events=events) as box:
        # past 4096 arguments, and past 256 KiB of them: both fit the kernel
        many = box.run(HIDE + 'touch many $(seq 5000) "$u"; echo rc=$?')
        big = box.run(
            HIDE + "a=$(head -c 100000 /dev/zero | tr '\\0' a); "
            'touch big "$a" "$a" "$a" "$u"; echo rc=$?'
        )
        ok = box.run("touch fine $(seq 5000); echo rc=$?")  # a long argv alone is fine
    assert "rc=126" in many.stdout and not (workspace / "many").exists(), many
    assert "rc=126" in big.stdout and not (workspace / "big").exists(), big
    assert "rc=0" in ok.stdout and (workspace / "fine").exists(), ok
    rules = [f["decision"].rule for f in denied(events)]
    assert rules.count("test.word") == 2, rules


def test_arguments_that_cannot_be_read_are_a_denial(workspace, events):
    need("bwrap")
    gate = DenyWord()
    # argv holds a pointer into unmapped memory; and an argv array that is not mapped
    code = (
        "import ctypes, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "arr = (ctypes.c_char_p * 3)(b'touch', None, None)\n"
        "ctypes.cast(ctypes.addressof(arr) + 8, ctypes.POINTER(ctypes.c_size_t))[0] = 8\n"
        "libc.execv(b'/usr/bin/touch', arr); print('bad-ptr', ctypes.get_errno())\n"
        "libc.execv(b'/usr/bin/touch', ctypes.c_void_p(0x10)); print('bad-argv', ctypes.get_errno())\n"
        "sys.stdout.flush()\n"
    )
    with BwrapBackend(workspace, Budget(wall_s=20), gate=gate, events=events) as box:
        r = box.run(["/usr/bin/python3", "-c", code])
        sup = box.last_supervisor
    assert "bad-ptr 1" in r.stdout and "bad-argv 1" in r.stdout, r  # EPERM: denied
    unchecked = [f for f in denied(events) if f["decision"].rule == "monitor.unchecked"]
    assert len(unchecked) == 2, denied(events)
    assert all("cannot be read" in f["decision"].reason for f in unchecked)
    assert all(f["data"]["caller"][0].endswith("python3") for f in unchecked)
    assert sup.error is None


def test_a_kill_while_the_start_is_decided_denies_it(workspace):
    """A monitor that kills the sandbox on seeing a start (its ``kill`` response) is told
    synchronously: the start it saw must not go on while the kill lands."""
    need("bwrap")

    class KillOnSight(Events):
        box: BwrapBackend

        def emit(self, type: str, **fields) -> None:
            super().emit(type, **fields)
            a = fields.get("action")
            if type == "action.requested" and isinstance(a, SpawnAction) and "miner" in a.argv:
                self.box.kill()

    events = KillOnSight()
    box = BwrapBackend(workspace, Budget(wall_s=20), events=events)
    events.box = box
    with box:
        r = box.run("touch before; touch miner; touch after")
        sup = box.last_supervisor
    assert r.exit_code == 137 or r.error, r
    assert (workspace / "before").exists()
    assert not (workspace / "miner").exists() and not (workspace / "after").exists()
    decisions = {tuple(a.argv): d for a, d in sup.spawns}
    assert decisions[("touch", "miner")].rule == "monitor.stopped"
    assert [f["decision"].rule for f in denied(events)] == ["monitor.stopped"]


def test_many_concurrent_starts_are_each_decided(workspace, events):
    """Under load (busy loops inside), 8 shells start 25 programs each at once: every start
    is decided by the gate, read in full, none let through unasked."""
    need("bwrap")
    gate = DenyWord("never-present")
    script = (
        "for i in 1 2; do (while :; do :; done) & done; busy=$(jobs -p); "
        "for j in 1 2 3 4 5 6 7 8; do "
        "(for k in $(seq 25); do /bin/echo start-$j-$k > /dev/null; done) & done; "
        'wait $(jobs -p | grep -v -x -F "$busy"); kill $busy; echo finished'
    )
    with BwrapBackend(workspace, Budget(wall_s=60), gate=gate, events=events) as box:
        r = box.run(script)
        sup = box.last_supervisor
    assert "finished" in r.stdout, r
    starts = sorted(a[1] for a in gate.seen if a[0] == "/bin/echo")
    want = sorted(f"start-{j}-{k}" for j in range(1, 9) for k in range(1, 26))
    assert starts == want
    assert [a.argv for a, _ in sup.spawns] == gate.seen
    assert sup.error is None and not denied(events)


def test_a_broken_decision_denies_and_reports(workspace, events, monkeypatch):
    need("bwrap")

    def broken(self, *args):
        raise RuntimeError("decision bug")

    monkeypatch.setattr(Supervisor, "_on_exec", broken)
    with BwrapBackend(workspace, Budget(wall_s=20), gate=DenyWord(), events=events) as box:
        r = box.run(["/usr/bin/touch", "ran"])
    assert not (workspace / "ran").exists() and r.exit_code != 0, r
    (f,) = denied(events)
    assert f["decision"].rule == "monitor.unchecked" and "decision bug" in f["decision"].reason


def test_a_broken_supervisor_fails_every_start(workspace, events, monkeypatch):
    """The supervisor's own loop breaking closes its listener: the kernel then fails the
    waiting start (ENOSYS) rather than leaving it waiting or letting it through."""
    need("bwrap")
    real = Supervisor._handle
    calls = []

    def breaks_after_the_launcher(self, fd, raw):
        calls.append(1)
        if len(calls) == 1:
            return real(self, fd, raw)  # bwrap's own start
        raise RuntimeError("supervisor bug")

    monkeypatch.setattr(Supervisor, "_handle", breaks_after_the_launcher)
    with BwrapBackend(workspace, Budget(wall_s=20), gate=DenyWord(), events=events) as box:
        r = box.run(["/usr/bin/touch", "ran"])
        sup = box.last_supervisor
    assert not (workspace / "ran").exists() and r.exit_code != 0, r
    assert sup.error and "supervisor bug" in sup.error
    assert any(f["decision"].rule == "monitor.error" for f in denied(events))
