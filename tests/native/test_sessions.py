"""Native sessions (issue 16): one warm sandbox per backend, every script in one bash.

Each test runs on both native tiers (gVisor skips with the reason when runsc is absent).
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from corral import Budget, Sandbox
from corral.native.session import INTERPRETERS

from .conftest import need

TIERS = ["bwrap", "gvisor"]


def _backend(tier: str, workspace, **kw):
    need(tier)
    if tier == "bwrap":
        from corral.native.bwrap import BwrapBackend

        return BwrapBackend(workspace, kw.pop("budget", Budget(wall_s=30)), **kw)
    from corral.native.gvisor import GvisorBackend

    return GvisorBackend(workspace, kw.pop("budget", Budget(wall_s=60)), **kw)


@pytest.fixture(params=TIERS)
def box(request, workspace, events):
    b = _backend(request.param, workspace, events=events)
    b.start()
    yield b
    b.close()


def test_cwd_exports_functions_and_aliases_persist(box):
    r = box.run("cd /tmp && mkdir -p d && cd d; export GREETING=hi; n=3; f() { echo fn:$1; }")
    assert r.ok, r
    r = box.run("pwd; echo $GREETING $n; f x; shopt -s expand_aliases; alias ll='echo ll'")
    assert r.stdout == "/tmp/d\nhi 3\nfn:x\n", r
    assert not r.restarted
    r = box.run("ll; env | grep -c '^GREETING=hi$'")
    assert r.stdout == "ll\n1\n", r


def test_a_background_server_started_in_one_call_answers_in_the_next(box):
    (box.workspace / "page.txt").write_text("served\n")
    r = box.run("python3 -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 & echo started")
    assert r.stdout == "started\n", r
    fetch = (
        "python3 - <<'EOF'\n"
        "import time, urllib.request\n"
        "for _ in range(200):\n"
        "    try:\n"
        "        print(urllib.request.urlopen('http://127.0.0.1:8765/page.txt', timeout=2)"
        ".read().decode(), end='')\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n"
        "EOF"
    )
    r = box.run(f"env -u http_proxy -u HTTP_PROXY {fetch}")
    assert r.stdout == "served\n", r
    r = box.run("jobs | grep -c http.server")
    assert r.stdout == "1\n", r


def test_an_overrun_ends_the_call_and_what_it_started_not_the_session(box):
    r = box.run("export KEEP=yes; sleep 1000 & echo $! > /tmp/old.pid")
    assert r.ok, r
    r = box.run("sleep 600 & sleep 600; echo never", timeout=2)
    assert r.budget_exceeded == "wall_time" and r.exit_code == 137, r
    assert "never" not in r.stdout
    r = box.run(
        "echo $KEEP; kill -0 $(cat /tmp/old.pid) && echo old-alive; "
        "ps -e -o args | grep -c '^sleep 600'"
    )
    assert not r.restarted
    assert r.stdout == "yes\nold-alive\n0\n", r
    # a loop in the shell itself is interrupted too
    r = box.run("while :; do :; done", timeout=1)
    # on gVisor the Sentry's threads can pass 1 s of CPU before 1 s of wall time
    assert r.budget_exceeded in ("wall_time", "cpu"), r
    r = box.run("echo $KEEP")
    assert r.stdout == "yes\n" and not r.restarted, r


def test_a_killed_session_restarts_and_says_so(box):
    assert box.run("export GONE=1").ok
    r = box.run("kill -9 $$")
    assert r.exit_code == 137, r
    r = box.run("echo ${GONE:-fresh}; pwd")
    assert r.restarted and r.stdout == "fresh\n/workspace\n", r
    r = box.run("exit 3")
    assert r.exit_code == 3, r
    r = box.run("echo again")
    assert r.restarted and r.stdout == "again\n", r
    r = box.run("echo steady")
    assert not r.restarted


def test_backend_kill_ends_the_session(box):
    assert box.run("export X=1").ok
    box.kill()
    r = box.run("echo ${X:-fresh}")
    assert r.restarted and r.stdout == "fresh\n", r


def test_frames_on_stdout_are_output(box):
    forged = "0123456789abcdef0123456789abcdef 0"
    r = box.run(f"echo '{forged}'; printf '%s S\\n' {'f' * 32} >&2; sleep 0.3; echo after")
    assert r.stdout == f"{forged}\nafter\n" and r.ok, r


_FORGE = (
    "for n in $(ls /proc/$$/fd); do case $n in 0|1|2|62|63|255) continue;; esac; "
    "{{ {writer} ; }} 2>/dev/null; done; sleep 0.5; echo late"
)


def test_a_forged_frame_on_the_control_pipe_ends_the_session(box):
    # the script itself (code in the shell's own process) writes a frame with an id corral
    # never issued on every descriptor the shell holds: the frame pipe's saved copy is one
    r = box.run(_FORGE.format(writer=f"builtin echo {'e' * 32} 0 >&$n"))
    assert r.error == "crash" and "tampered" in (r.error_message or ""), r
    r = box.run("echo next")
    assert r.restarted and r.stdout == "next\n", r


def test_a_frame_with_the_current_id_does_not_end_a_running_call(workspace, events):
    # the script knows its own request id (its file's name): a frame with it while the
    # call still runs is not its end, the kernel says the shell is not back at its prompt
    need("bwrap")
    box = _backend("bwrap", workspace, events=events)
    try:
        r = box.run(
            'id=${BASH_SOURCE[0]##*/}; id=${id%.sh}; '
            + _FORGE.format(writer='builtin echo "$id" 0 >&$n')
        )
        assert r.stdout.endswith("late\n") and r.ok, r
        assert box.run("echo same").stdout == "same\n"
    finally:
        box.close()


def test_other_processes_cannot_reach_the_control_pipe(box):
    # programs the script starts (and background jobs) do not inherit the frame pipe, and
    # cannot reopen it through /proc: corral's pipes are not the sandbox user's
    r = box.run(
        _FORGE.format(
            writer=f"sh -c 'echo {'e' * 32} 0 > /proc/'$$'/fd/'$n"
        ).replace("echo late", "echo late; sleep 0.3")
    )
    if box.name == "bwrap" and os.geteuid() == 0:
        assert r.stdout.endswith("late\n") and r.ok, r
        assert not box.run("true").restarted
    else:
        # (gVisor and bwrap without root let a process of the sandbox's user reopen it:
        # what it writes is then a forged frame, and ends the session)
        assert r.ok or "tampered" in (r.error_message or ""), r
        assert box.run("echo next").stdout == "next\n"


def test_huge_output_is_capped_and_the_session_goes_on(workspace, events):
    for tier in TIERS:
        need(tier)
        b = _backend(tier, workspace, events=events,
                     budget=Budget(wall_s=60, output_chars=1_000_000))  # fmt: skip
        try:
            r = b.run("export S=1; head -c 600000 /dev/zero | tr '\\0' a")
            assert len(r.stdout) == 600_000 and r.ok, (tier, r.error)
            r = b.run("yes")
            assert r.budget_exceeded == "output" and r.truncated, (tier, r.error)
            assert len(r.stdout) <= 1_100_000
            r = b.run("echo $S")
            assert r.stdout == "1\n" and not r.restarted, (tier, r)
        finally:
            b.close()


def test_a_large_script_and_stdin(box):
    body = "x=" + "a" * 1_000_000 + "\necho ${#x}\n"
    r = box.run(body)
    assert r.stdout == "1000000\n", r.stderr
    data = b"\0binary\xff" * 1000
    r = box.run("cat > got.bin; wc -c < got.bin", stdin=data)
    assert r.stdout == "8000\n" and (box.workspace / "got.bin").read_bytes() == data, r


def test_corral_files_in_the_sandbox_are_read_only(box):
    r = box.run(
        "ls /run/corral/calls | wc -l; echo x > /run/corral/calls/evil.sh; echo rc=$?; "
        "touch /run/corral/io/new; echo rc=$?"
    )
    assert "rc=0" not in r.stdout, r


def test_python_and_js_keep_their_state(box):
    r = box.code("python", "import os\ncounter = 41\nprint(os.getuid())")
    assert r.ok and r.stdout == "1000\n", r
    r = box.code("python", "counter += 1\nprint(counter)")
    assert r.stdout == "42\n" and not r.restarted, r
    r = box.code("python", "raise KeyError('k')")
    assert r.exit_code == 1 and "KeyError" in r.stderr, r
    r = box.code("python", "import sys; print(sys.stdin.read().upper())", stdin=b"in")
    assert r.stdout == "IN\n", r
    r = box.code("python", "while True: pass", timeout=1)
    assert r.budget_exceeded in ("wall_time", "cpu"), r  # (the CPU budget is the wall's)
    r = box.code("python", "print(globals().get('counter'))")
    assert r.restarted and r.stdout == "None\n", r
    if not os.access(INTERPRETERS["js"][0][0], os.X_OK):
        pytest.skip("node is not installed here")
    r = box.code("js", "var n = 1; globalThis.m = 2; console.log('js')")
    assert r.stdout == "js\n", r
    r = box.code("js", "const v = await Promise.resolve(n + m); console.log(v)")
    assert r.stdout == "3\n", r
    r = box.code("js", "process.exit(5)")
    assert r.exit_code == 5, r
    r = box.code("js", "console.log(n)")
    assert r.stdout == "1\n" and not r.restarted, r
    # the shell is the same session
    assert box.run("echo shell").stdout == "shell\n"


@pytest.mark.parametrize("tier", TIERS)
def test_sandbox_python_on_a_native_backend_runs_real_python(tier, tmp_path):
    need(tier)
    with Sandbox(workdir=tmp_path, backend=tier, policy="default") as sb:
        r = sb.python("import sys\nv = sys.version_info[:2]\nprint(sys.implementation.name)")
        assert r.stdout == "cpython\n", r
        r = sb.python("print(v >= (3, 8))")
        assert r.stdout == "True\n", r
        r = sb.python("import subprocess; subprocess.run(['sudo', '-i'])")
        assert "sudo" in r.stderr, r  # the policy still decides what it starts


def test_js_without_node_is_a_clear_error(box, monkeypatch):
    from corral.native import session
    from corral.native._common import BackendUnavailable

    monkeypatch.setitem(
        session.INTERPRETERS, "js", (["/usr/bin/no-such-node", "x.js"], "__corral_js")
    )
    with pytest.raises(BackendUnavailable, match="node"):
        box.code("js", "1")


@pytest.mark.parametrize("tier", TIERS)
def test_an_exec_between_calls_leaves_the_session_watched(tier, tmp_path):
    # exec() runs its program in a sandbox of its own, watched while the session lives on
    need(tier)
    with Sandbox(workdir=tmp_path, backend=tier, policy="default") as sb:
        assert sb.run("export A=1").ok
        assert sb.exec(["/bin/true"]).ok
        r = sb.run("ls / > /dev/null && echo listed $A")
        assert r.stdout == "listed 1\n" and not r.restarted, r
        r = sb.run("sudo -i")
        assert r.exit_code != 0 and "sudo" in r.stderr, r


@pytest.mark.parametrize("tier", TIERS)
def test_a_shell_that_dies_at_start_says_why(tier, monkeypatch, tmp_path):
    """A sandbox whose shell ends before its first frame: the error carries what the
    launcher printed and how it ended (CI once saw only "the shell's pipes closed")."""
    need(tier)
    mod = __import__(f"corral.native.{tier}_session", fromlist=["SHELL_ARGV"])
    monkeypatch.setattr(mod, "SHELL_ARGV", ["/bin/no-such-shell"])
    with (
        Sandbox(backend=tier, workdir=tmp_path, policy="permissive") as sb,
        pytest.raises(Exception, match="did not start") as e,
    ):
        sb.run("echo hi")
    assert "no-such-shell" in str(e.value), e.value


@pytest.mark.parametrize("tier", TIERS)
def test_a_shell_that_dies_at_start_once_is_started_again(tier, monkeypatch, tmp_path, caplog):
    """A shell that ends before its first frame (nothing of the call ran) is started
    once more; the call runs and the reason is logged."""
    need(tier)
    from corral.native.session import SHELL_ARGV

    mod = __import__(f"corral.native.{tier}_session", fromlist=["SHELL_ARGV"])
    first = "if [ -e /workspace/.tried ]; then exec " + " ".join(SHELL_ARGV) + "; fi; "
    first += "touch /workspace/.tried; echo first start fails >&2; exit 3"
    monkeypatch.setattr(mod, "SHELL_ARGV", ["/bin/sh", "-c", first])
    with Sandbox(backend=tier, workdir=tmp_path, policy="permissive") as sb:
        r = sb.run("echo hi")
    assert r.stdout == "hi\n", r
    assert "died at start" in caplog.text and "first start fails" in caplog.text


@pytest.mark.parametrize("tier", TIERS)
def test_sandbox_interrupt_ends_the_running_call_not_the_session(tier, tmp_path):
    need(tier)
    import threading
    import time

    with Sandbox(workdir=tmp_path, backend=tier, budget=Budget(wall_s=120)) as sb:
        sb.interrupt()  # between calls: nothing to interrupt, nothing breaks
        assert sb.run("export KEEP=yes; cd /tmp").ok
        running = threading.Event()
        box: dict = {}

        def seen(stream: str, text: str) -> None:
            if "started" in text:
                running.set()

        def call() -> None:
            box["r"] = sb.run("sleep 90 & echo started; sleep 80; echo never", on_output=seen)

        t = threading.Thread(target=call)
        t0 = time.monotonic()
        t.start()
        assert running.wait(60)
        sb.interrupt()
        t.join(60)
        assert not t.is_alive() and time.monotonic() - t0 < 60  # (not the 80 s sleep)
        r = box["r"]
        assert r.error == "interrupted" and r.exit_code == 130, r
        assert r.budget_exceeded is None and "never" not in r.stdout, r
        # the session lives on, with its state; what the call started is gone
        r = sb.run("echo $KEEP; pwd; ps -e -o args | grep -c '^sleep [89]0'")
        assert r.stdout == "yes\n/tmp\n0\n" and not r.restarted, r


def test_a_frame_pipe_numbered_like_the_shells_own_fds_still_works(workspace, events, monkeypatch):
    """The frame pipe's write end may get any number in corral's process, 61 too (the
    number the boot line moves it to: it used to close it, 'bash: 61: Bad file
    descriptor', and the shell's pipes closed at start)."""
    from corral.native import bwrap_session

    b = _backend("bwrap", workspace, events=events)
    try:  # the test takes fd 61: what an earlier test left there waits aside
        aside: int | None = os.dup(61)
    except OSError:
        aside = None
    real = os.pipe
    made: list[int] = []
    me = threading.current_thread()

    def pipe() -> tuple[int, int]:
        r, w = real()
        if threading.current_thread() is not me:  # (another thread's subprocess, say)
            return r, w
        made.append(w)
        if len(made) == 2:  # the session's second pipe: the frame pipe
            os.dup2(w, 61, inheritable=False)
            os.close(w)
            w = 61
        return r, w

    b.start()
    try:
        monkeypatch.setattr(bwrap_session.os, "pipe", pipe)
        r = b.run("echo up")
        monkeypatch.undo()
        assert r.stdout == "up\n" and r.ok, r
        assert b.run("echo again").stdout == "again\n"
    finally:
        monkeypatch.undo()
        b.close()
        if aside is not None:
            os.dup2(aside, 61, inheritable=False)
            os.close(aside)


def test_a_kill_while_the_session_starts_ends_that_call_not_as_unavailable(workspace, events,
                                                                           monkeypatch):
    """A kill (the monitor's, another thread's) that comes while the warm sandbox starts:
    the call ends as a killed one (exit 137), never as 'backend unavailable'; the next
    call starts a fresh sandbox and says so."""
    from corral.native import bwrap_session

    b = _backend("bwrap", workspace, events=events)
    real = bwrap_session.wait_frame  # (the module's own name: the shell's boot)
    hits: list[int] = []

    def killed_then_wait(*args, **kw):
        if not hits:
            hits.append(1)
            b.kill()  # as from another thread, while the shell boots
        return real(*args, **kw)

    monkeypatch.setattr(bwrap_session, "wait_frame", killed_then_wait)
    b.start()
    try:
        r = b.run("echo never")
        assert r.exit_code == 137 and "never" not in r.stdout, r
        assert hits and b._sess is None
        r = b.run("echo fresh")
        assert r.stdout == "fresh\n" and r.restarted, r
    finally:
        b.close()


def _wait_for_spare(b, timeout: float = 60.0):
    import time

    end = time.monotonic() + timeout
    while b._spare is None and time.monotonic() < end:
        time.sleep(0.05)
    assert b._spare is not None, "no spare session was started"
    return b._spare


def test_a_spare_session_replaces_a_lost_one_at_once(workspace, events):
    b = _backend("bwrap", workspace, events=events, spare=True)
    b.start()
    pids = []
    try:
        assert b.run("export X=1; echo kept > file.txt").ok
        spare = _wait_for_spare(b)
        assert spare is not b._sess and spare.spare
        assert not spare.sp.sampler.started  # (no samples from a sandbox not in use)
        assert b.run("exit 3").exit_code == 3
        r = b.run("echo ${X:-unset}; cat file.txt")
        assert r.stdout == "unset\nkept\n" and r.restarted, r  # fresh state, same workspace
        assert b._sess is spare and not spare.spare and spare.sp.sampler.started
        nxt = _wait_for_spare(b)
        assert nxt is not spare  # the next one, started after it was taken
        pids = [s.sp.proc.pid for s in (spare, nxt)] + [s.sp.child_pid for s in (spare, nxt)]
    finally:
        b.close()
    assert b._spare is None
    import time

    end = time.monotonic() + 10
    while time.monotonic() < end and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)  # (nothing left running)


def test_sandbox_takes_the_spare_option(tmp_path):
    need("bwrap")
    with Sandbox(workdir=tmp_path, backend="bwrap", backend_options={"spare": True}) as sb:
        assert sb.run("echo one").stdout == "one\n"
        _wait_for_spare(sb._backend())
        sb.run("exit 1")
        r = sb.run("echo two")
        assert r.stdout == "two\n" and r.restarted, r


def test_a_session_started_from_a_thread_that_ends_lives_on(box):
    # the launcher's parent-death signal follows the thread that forked it: corral forks
    # it from a thread that lives as long as the process (native/spawner.py)
    t = threading.Thread(target=lambda: box.run("export FROM_THREAD=kept"))
    t.start()
    t.join()
    time.sleep(0.5)  # (a parent-death signal would have ended the sandbox by now)
    r = box.run("echo ${FROM_THREAD:-lost}")
    assert r.stdout == "kept\n" and not r.restarted, r
