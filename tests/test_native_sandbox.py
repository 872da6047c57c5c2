"""Sandbox(backend="bwrap"|"gvisor"): the same API, policy and events on real Linux isolation."""

from __future__ import annotations

import pytest

import corral
from corral import Budget, Sandbox
from tiers import needs, why_unavailable


def _available(backend: str) -> bool:
    return why_unavailable(backend) is None


needs_bwrap = needs("bwrap")


@needs_bwrap
def test_real_programs_with_the_same_api():
    with Sandbox(backend="bwrap", budget=Budget(wall_s=30)) as sb:
        sb.files.write("data.txt", "b\na\n")
        r = sb.run("sort data.txt | head -1; python3 -c 'import sys; print(sys.version_info[0])'")
        assert r.stdout == "a\n3\n", r.stderr
        r = sb.run("cat /etc/shadow; ls /root")
        assert r.exit_code != 0 and "root:" not in r.stdout


@needs_bwrap
def test_policy_decides_every_real_process_start():
    bus = corral.EventBus()
    spawns: list[tuple[str, list[str]]] = []
    bus.subscribe(
        lambda e: (
            spawns.append((e.type, e.action.argv))
            if e.action is not None and e.action.kind == "spawn"
            else None
        )
    )
    # the script pipes text into a shell: `default` asks about the whole line first (a
    # person approves it here); then every process it starts is decided as it starts
    approve = corral.policy.Callback(lambda request: "allow_once")
    with Sandbox(backend="bwrap", policy="default", approver=approve, bus=bus,
                 monitor=False) as sb:  # fmt: skip
        r = sb.run("echo aWQ= | base64 -d | sh")  # `id`, hidden in base64
        assert r.stdout.startswith("uid="), r.stderr
        r = sb.run("sudo -i")
        assert r.exit_code == 126 and "sudo" in r.stderr
    seen = [argv for _, argv in spawns]
    assert ["id"] in seen and ["sh"] in seen


@needs_bwrap
def test_network_is_refused_without_a_policy_that_allows_it():
    with Sandbox(backend="bwrap", budget=Budget(wall_s=30)) as sb:
        r = sb.run(
            "python3 -c \"import urllib.request as u; u.urlopen('http://example.com', timeout=5)\""
        )
        assert r.exit_code != 0


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend"):
        Sandbox(backend="docker")


def test_backend_options_are_checked():
    with pytest.raises(ValueError, match="native backends"):
        Sandbox(backend_options={"platform": "ptrace"})
    with pytest.raises(ValueError, match=r"unknown gvisor backend option.*'colour'.*platform"):
        Sandbox(backend="gvisor", backend_options={"colour": "red"})
    with pytest.raises(ValueError, match="'gate'"):
        Sandbox(backend="bwrap", backend_options={"gate": None})


@needs_bwrap
def test_backend_options_and_policy_budgets_reach_the_backend():
    from corral.native import NativeLimits

    limits = NativeLimits(processes=40)
    with Sandbox(backend="bwrap", backend_options={"limits": limits}) as sb:
        r = sb.run(":(){ :|:& };:; sleep 5", timeout=10)
        assert r.budget_exceeded == "processes"
        assert "40 processes" in r.error_message
    policy = {"version": 1, "extends": "permissive", "budgets": {"cpu_s": 1, "wall_s": 20}}
    with Sandbox(backend="bwrap", policy=policy) as sb:
        r = sb.run("python3 -c 'while True: pass'")
        assert r.budget_exceeded == "cpu", (r.error, r.error_message)
        assert "CPU budget of 1 s" in r.error_message


@needs_bwrap
@pytest.mark.parametrize(
    ("line", "out", "status"),
    [
        ("sudo echo hi", "hi\n", 0),
        ("sudo -Eu root FOO=1 sh -c 'echo $FOO'", "1\n", 0),
        ("doas -u x id -un", "corral\n", 0),
        ("sudo -D /tmp pwd", "/tmp\n", 0),
        ("sudo -- true; echo $?", "0\n", 0),
        ("sudo -s; echo $?", "1\n", 0),
        ("sudo -u; echo $?", "1\n", 0),
        ("sudo FOO=1; echo $?", "1\n", 0),
        ("sudo FOO=1 printenv FOO", "1\n", 0),
    ],
)
def test_sudo_runs_as_the_sandbox_user_on_bwrap(line, out, status):
    """corral's sudo/doas (first on PATH): nothing inside is privileged, so the command
    runs as the sandbox's own user (the policy decided it as that command)."""
    with Sandbox(backend="bwrap", policy="permissive", budget=Budget(wall_s=30)) as sb:
        r = sb.run(line)
        assert (r.stdout, r.exit_code) == (out, status), r.stderr


@needs_bwrap
def test_sudo_under_default_on_bwrap_is_decided_as_its_command():
    with Sandbox(backend="bwrap", policy="default", budget=Budget(wall_s=30)) as sb:
        assert sb.run("sudo ls -d .").stdout == ".\n"
        r = sb.run("sudo -i")
        assert r.exit_code == 126 and "denied" in r.stderr
        # a root install is the install, run as the sandbox's user: apt fails inside
        r = sb.run("sudo apt-get install -y jq")
        assert r.exit_code != 0 and "corral: denied" not in r.stderr
        assert "lock" in r.stderr or "root" in r.stderr, r.stderr
