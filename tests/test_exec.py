"""`corral exec` and `Sandbox.exec`: any program in a native sandbox, this terminal passed
through (a real pty via pexpect, real pipes, real bubblewrap)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from corral import Sandbox
from corral.native.doctor import available

needs_bwrap = pytest.mark.skipif(
    not available("bwrap")[0], reason=f"bubblewrap unavailable: {available('bwrap')[1]}"
)


def native(backend: str) -> None:
    ok, why = available(backend)
    if not ok:
        pytest.skip(f"{backend} unavailable: {why}")


BACKENDS = pytest.mark.parametrize("backend", ["bwrap", "gvisor"])

CORRAL = [sys.executable, "-m", "corral"]

ASK_HEAD = """\
version: 1
extends: permissive
commands:
  ask:
    - match: "head *"
      reason: head needs a person
approvals:
  timeout_s: 30
  default: deny
"""


def corral_exec(*args: str, stdin: str = "", env: dict | None = None, timeout: float = 60):
    return subprocess.run(
        [*CORRAL, "exec", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


def spawn(*args: str, env: dict | None = None) -> pexpect.spawn:
    child = pexpect.spawn(
        CORRAL[0],
        [*CORRAL[1:], "exec", *args],
        env=dict(os.environ, TERM="xterm-256color", **(env or {})),
        encoding="utf-8",
        timeout=30,
        dimensions=(33, 101),
    )
    return child


# ----------------------------------------------------------------------------- pipes


@BACKENDS
def test_pipes_relay_stdin_stdout_stderr_and_the_exit_code(backend):
    native(backend)
    r = corral_exec(
        "--backend",
        backend,
        "--",
        "sh",
        "-c",
        "sort; echo to-err >&2; [ -t 0 ] || echo no-tty; exit 3",
        stdin="b\na\n",
    )
    assert r.returncode == 3
    assert r.stdout == "a\nb\nno-tty\n"
    assert r.stderr == "to-err\n"


@needs_bwrap
def test_a_large_output_streams_through_without_a_cap():
    r = corral_exec("--", "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x")
    assert r.returncode == 0
    assert len(r.stdout) == 3_000_000 and set(r.stdout) == {"x"}


@needs_bwrap
def test_host_environment_does_not_leak_but_env_options_do():
    r = corral_exec("-e", "GIVEN=yes", "--", "sh", "-c", "env", env={"HOST_SECRET_TOKEN": "s3cr3t"})
    assert r.returncode == 0
    assert "GIVEN=yes" in r.stdout
    assert "s3cr3t" not in r.stdout and "HOST_SECRET_TOKEN" not in r.stdout


@needs_bwrap
def test_workspace_is_the_given_directory(tmp_path):
    (tmp_path / "in.txt").write_text("from host\n")
    r = corral_exec(
        "--workspace", str(tmp_path), "--", "sh", "-c", "cat in.txt; echo made > out.txt; pwd"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\n/workspace\n"
    assert (tmp_path / "out.txt").read_text() == "made\n"
    assert (tmp_path / "out.txt").stat().st_uid == os.getuid()  # handed back


@needs_bwrap
def test_copy_keeps_the_workspace_unchanged(tmp_path):
    (tmp_path / "keep.txt").write_text("original\n")
    r = corral_exec(
        "--workspace", str(tmp_path), "--copy", "--", "sh", "-c", "echo changed > keep.txt"
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "keep.txt").read_text() == "original\n"


@needs_bwrap
def test_policy_refuses_the_program_itself():
    r = corral_exec("--policy", "strict", "--", "curl", "-s", "http://example.com")
    assert r.returncode == 126
    assert "curl: denied:" in r.stderr and r.stdout == ""


@needs_bwrap
def test_policy_refuses_a_program_started_inside(tmp_path):
    # the policy cannot see into run.sh before it runs; the start of date is refused as it starts
    (tmp_path / "run.sh").write_text("date 2>/dev/null; echo rc=$?\necho after\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nextends: permissive\ncommands:\n  deny:\n    - program: date\n")
    r = corral_exec("--policy", str(policy), "--workspace", str(tmp_path), "--", "sh", "run.sh")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "rc=126\nafter\n"


@needs_bwrap
def test_wall_time_budget_stops_it():
    t0 = time.monotonic()
    r = corral_exec("--timeout", "1", "--", "sleep", "30")
    assert time.monotonic() - t0 < 20
    assert r.returncode == 137
    assert "wall-time budget of 1 s exceeded" in r.stderr


def test_bad_input_gets_clear_errors(tmp_path):
    r = corral_exec()
    assert r.returncode == 2 and "nothing to run" in r.stderr
    r = corral_exec("--backend", "docker", "--", "true")
    assert r.returncode == 2 and "unknown backend 'docker'" in r.stderr
    r = corral_exec("-e", "NOEQUALS", "--", "true")
    assert r.returncode == 2 and "expected NAME=VALUE" in r.stderr
    r = corral_exec("--workspace", str(tmp_path / "missing"), "--", "true")
    assert r.returncode == 2 and "not a directory" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncommands:\n  allow: [\n")
    r = corral_exec("--policy", str(bad), "--", "true")
    assert r.returncode == 2 and "bad.yaml" in r.stderr and "Traceback" not in r.stderr


def test_wasm_backend_runs_it_in_the_corral_shell():
    r = corral_exec("--backend", "wasm", "--", "echo", "hi there", "$HOME")
    assert r.returncode == 0
    assert r.stdout == "hi there $HOME\n"  # an argv: no expansion


# ----------------------------------------------------------------------------- a terminal


@BACKENDS
def test_interactive_shell_with_job_control_ctrl_c_and_window_size(backend):
    native(backend)
    c = spawn("--backend", backend, "--", "bash", "--norc", "-i")
    c.expect(r"\$ ")
    c.sendline("stty size; echo TERM=$TERM; [ -t 0 ] && echo is-a-tty")
    c.expect("33 101")
    c.expect("TERM=xterm-256color")
    c.expect("is-a-tty")
    c.sendline("sleep 60")
    time.sleep(0.5)
    c.sendcontrol("c")  # reaches the program inside, not corral
    c.expect(r"\$ ")
    c.setwinsize(40, 120)  # followed inside (SIGWINCH)
    c.sendline("stty size")
    c.expect("40 120")
    c.sendline("exit 7")
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 7


@BACKENDS
def test_the_host_terminal_is_not_handed_in(backend):
    native(backend)
    code = (
        "import fcntl, termios\n"
        "try:\n"
        "    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n"
        "    print('INJECTED')\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n"
    )
    c = spawn("--backend", backend, "--", "python3", "-c", code)
    c.expect(["refused", "INJECTED"])
    assert c.after == "refused"
    c.expect(pexpect.EOF)


@needs_bwrap
def test_an_approval_question_gets_the_terminal_back(tmp_path):
    policy = tmp_path / "ask.yaml"
    policy.write_text(ASK_HEAD)
    c = spawn("--policy", str(policy), "--", "bash", "--norc", "-i")
    c.expect(r"\$ ")
    c.sendline("echo abc | head -c 2; echo; echo done-one")
    c.expect(r"Allow\?")
    c.sendline("y")
    c.expect("ab")
    c.expect("done-one")
    c.expect(r"\$ ")
    c.sendline("echo abc | head -c 1; echo; echo done-two")
    c.expect(r"Allow\?")
    c.sendline("n")
    c.expect("Operation not permitted")
    c.expect("done-two")
    c.sendline("exit")
    c.expect(pexpect.EOF)


@needs_bwrap
def test_sigterm_stops_the_sandbox_and_cleans_up(tmp_path):
    c = spawn("--workspace", str(tmp_path), "--", "bash", "--norc", "-i")
    c.expect(r"\$ ")
    c.sendline("touch made-inside; sleep 313.7")  # a value no other test sleeps
    deadline = time.monotonic() + 10
    while not (tmp_path / "made-inside").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    c.kill(signal.SIGTERM)
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 143
    # nothing of the sandbox is left when corral exits (it waits until the kernel has
    # ended the sandbox's pid namespace) and the workspace is the user's again; the look
    # is repeated for up to 5 s, as a loaded machine may still be reaping
    gone = time.monotonic() + 5
    while True:
        out = subprocess.run(["pgrep", "-f", "sleep 313.7"], capture_output=True, text=True)
        if out.stdout.strip() == "" or time.monotonic() > gone:
            break
        time.sleep(0.05)
    assert out.stdout.strip() == ""
    assert (tmp_path / "made-inside").stat().st_uid == os.getuid()


# ----------------------------------------------------------------------------- the API


@needs_bwrap
def test_sandbox_exec_captures_and_reports_events(tmp_path):
    seen = []
    with Sandbox(backend="bwrap", policy="permissive", workspace=tmp_path) as sb:
        sb.events.bus.subscribe(seen.append)
        r = sb.exec(["sh", "-c", "echo $0 $1", "first", "second arg"], stdin="")
    assert r.exit_code == 0 and r.stdout == "first second arg\n"
    kinds = [(e.type, e.action.kind if e.action else None) for e in seen]
    assert ("action.requested", "exec") in kinds
    assert ("action.completed", "exec") in kinds
    # the program itself was decided once, as exec; its own start is not asked again
    spawns = [e for e in seen if e.action is not None and e.action.kind == "spawn"]
    assert all(e.action.argv[:2] != ["sh", "-c"] for e in spawns if e.type == "action.denied")


def test_sandbox_exec_bad_arguments(tmp_path):
    with Sandbox() as sb:
        with pytest.raises(TypeError):
            sb.exec("echo hi")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            sb.exec([])
        with pytest.raises(ValueError, match="NUL"):
            sb.exec(["echo", "a\0b"])
        with pytest.raises(ValueError, match="native backend"):
            sb.exec(["echo"], terminal=True)
        assert sb.exec(["echo", "a b", "*"]).stdout == "a b *\n"


def test_sandbox_env_is_checked():
    with pytest.raises(ValueError, match="variable name"):
        Sandbox(env={"A=B": "x"})
    with pytest.raises(TypeError):
        Sandbox(env={"A": 1})  # type: ignore[dict-item]


def test_exec_help_names_the_separator():
    r = subprocess.run([*CORRAL, "exec", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "after --" in r.stdout
    assert Path(__file__).exists()


def test_async_sandbox_exec():
    import asyncio

    from corral import AsyncSandbox

    async def main():
        async with AsyncSandbox() as sb:
            return await sb.exec(["printf", "%s-", "a", "b"])

    assert asyncio.run(main()).stdout == "a-b-"


@needs_bwrap
def test_monitor_alerts_show_on_stderr_as_they_happen(tmp_path):
    # refused starts raise monitor alerts (the run goes on); the program then waits:
    # an alert must be on stderr, as plain text, before it ends
    (tmp_path / "run.sh").write_text(
        "for i in 1 2 3; do ssh -R 1:localhost:22 x@y 2>/dev/null; done\n"
        "echo waiting >&2\nsleep 60\n"
    )
    proc = subprocess.Popen(
        [*CORRAL, "exec", "--policy", "default", "--workspace", str(tmp_path), "--",
         "bash", "/workspace/run.sh"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 50
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("corral monitor:"):
                break
        assert lines and lines[-1].startswith("corral monitor: "), lines
        assert proc.poll() is None  # still running: shown as it happened, not at exit
        assert "[yellow]" not in "".join(lines)
    finally:
        proc.kill()
        proc.wait(10)


def test_await_exit_waits_for_the_process_and_no_longer():
    from corral.native.bwrap import _await_exit

    p = subprocess.Popen(["sleep", "30"])
    fd = os.pidfd_open(p.pid)
    try:
        assert not _await_exit(fd, 0.05)  # alive: the wait ends at its timeout
        p.kill()
        assert _await_exit(fd, 10)  # readable once it ended (before it is reaped)
    finally:
        p.wait()
        os.close(fd)
