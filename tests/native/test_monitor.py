"""Process-level monitoring: every program start is a SpawnAction decided before it runs."""

from __future__ import annotations

import base64

from corral.budget import Budget
from corral.events import Decision, SpawnAction
from corral.native import BwrapBackend

from .conftest import need


class DenyProgram:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[SpawnAction] = []

    def decide(self, action, session):
        if isinstance(action, SpawnAction):
            self.seen.append(action)
            if action.argv and action.argv[0].rsplit("/", 1)[-1] == self.name:
                return Decision(
                    verdict="deny", rule="test.deny", reason=f"{self.name} is not allowed"
                )
        return Decision(verdict="allow", rule="test.allow", reason="ok")


def test_spawns_are_reported_with_real_argv(bwrap_box, events):
    r = bwrap_box.run("ls -la /workspace > /dev/null; echo 'x y' | tr x z")
    assert r.ok
    argvs = [f["action"].argv for t, f in events.actions("spawn")]
    # the script runs in the session's own shell (started unasked, as corral's own step):
    # the programs it starts are the spawns, nothing else (not the shell, not its loader)
    assert argvs == [["ls", "-la", "/workspace"], ["tr", "x", "z"]], argvs
    spawn = next(f["action"] for t, f in events.actions("spawn") if f["action"].argv[0] == "ls")
    assert spawn.exe == "/usr/bin/ls" and spawn.pid and spawn.ppid


def test_obfuscated_commands_are_seen_when_they_run(bwrap_box, events):
    payload = base64.b64encode(b"uname -s -n").decode()
    r = bwrap_box.run(
        f'eval "$(echo {payload} | base64 -d)"; python3 -c "import os; os.system(\'id -u\')"'
    )
    assert r.ok and "corral" in r.stdout
    argvs = [f["action"].argv for t, f in events.actions("spawn")]
    assert ["uname", "-s", "-n"] in argvs
    assert ["sh", "-c", "id -u"] in argvs and ["id", "-u"] in argvs


def test_gate_denies_before_the_program_runs(workspace, events):
    need("bwrap")
    gate = DenyProgram("touch")
    with BwrapBackend(workspace, Budget(wall_s=10), gate=gate, events=events) as box:
        r = box.run(
            "touch /workspace/pwned; echo rc=$?; sh -c 'exec touch /workspace/p2'; "
            "python3 -c \"import subprocess; subprocess.run(['touch', 'p3'])\"; echo done"
        )
    assert not (workspace / "pwned").exists() and not (workspace / "p2").exists()
    assert not (workspace / "p3").exists()
    assert "rc=126" in r.stdout and "done" in r.stdout
    assert "Operation not permitted" in r.stderr or "Permission denied" in r.stderr
    denied = [f for t, f in events.actions("spawn", ("action.denied",))]
    assert len(denied) >= 3
    assert denied[0]["decision"].rule == "test.deny"
    assert r.error_message and "touch" in r.error_message


def test_gate_failure_denies(workspace):
    need("bwrap")

    class Broken:
        def decide(self, action, session):
            raise RuntimeError("boom")

    with BwrapBackend(workspace, Budget(wall_s=10), gate=Broken()) as box:
        r = box.run(["/bin/echo", "hi"])
    assert r.exit_code != 0 and "hi" not in r.stdout


def test_connect_attempts_are_reported(bwrap_box, events):
    bwrap_box.run(
        "python3 -c \"import socket; s=socket.socket(); s.settimeout(1); s.connect_ex(('10.1.2.3', 3333))\""
    )
    nets = [f for t, f in events.actions("net") if f.get("data", {}).get("syscall") == "connect"]
    assert any(f["action"].host == "10.1.2.3" and f["action"].port == 3333 for f in nets)


def test_without_monitoring(workspace, events):
    need("bwrap")
    with BwrapBackend(workspace, Budget(wall_s=10), monitor=False, events=events) as box:
        assert box.run("ls").ok
    assert events.actions("spawn") == []
