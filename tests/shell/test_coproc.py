"""``coproc``: bash's behaviour on ordinary scripts (checked against /bin/bash), and
hostile ones: a coprocess that never reads while the shell writes a lot, one that
outlives the script, loops that start coprocesses until something gives, forged
descriptor numbers. None may hang the host or leak threads past the call."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.files import Workspace
from corral.shell.session import new_shell

BASH = shutil.which("bash")


@pytest.fixture
def shell():  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as d:
        yield new_shell(Workspace(Path(d), Budget(wall_s=60)))


def _run(sh, script: str, wall: float = 20.0) -> tuple[int, str, str, str | None]:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    status, out, err, exceeded = sh.run(script, deadline=t0 + wall)
    assert time.monotonic() - t0 < wall + 15, "the call did not end near its budget"
    return status, out.decode(), err.decode(), exceeded


def _coproc_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("corral-coproc")]


def _no_coproc_left() -> None:
    end = time.monotonic() + 10
    while _coproc_threads() and time.monotonic() < end:
        time.sleep(0.05)
    assert _coproc_threads() == [], "a coprocess thread outlived its call"


SAME_AS_BASH = [
    # round trips through cat, closing the write end, the exit status by wait
    'coproc cat\necho one >&${COPROC[1]}\nread -u ${COPROC[0]} a\necho "a=$a"\n'
    'exec {COPROC[1]}>&-\nwait $COPROC_PID; echo "status=$?"\n',
    # bash's descriptor numbers, a second coprocess while one runs, and after wait
    'coproc A { read; }\ncoproc B { read; } 2>/dev/null\necho "${A[@]} / ${B[@]}"\n'
    "echo x >&${A[1]}; echo y >&${B[1]}\nwait\necho done\n",
    'coproc X { read v; exit $v; }\npid=$X_PID\necho 7 >&${X[1]}\nwait $pid; echo "st=$?"\n'
    'echo "[${#X[@]}] [${X_PID-unset}]"\n',
    # a loop talking to a named coprocess; the descriptors used through copies
    "coproc SQ { while read -r n; do echo $((n*n)); done; }\nin=${SQ[0]} out=${SQ[1]}\n"
    'for i in 3 4; do echo $i >&$out; read -u $in r; echo "$i^2=$r"; done\n'
    "exec {SQ[1]}>&-; wait\n",
    # a closed end reads -1; the jobs table shows the coprocess
    'coproc { read; sleep 1; }\njobs\nexec {COPROC[1]}>&-\necho "${COPROC[@]}"\nwait; echo end\n',
    # forged descriptors: errors, not tracebacks
    'read -u 42 x; echo "rc=$?"; echo hi >&42; echo "rc=$?"\n'
    'exec {NOPE[1]}>&- 2>/dev/null; echo "rc=$?"\n',
]


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize("script", SAME_AS_BASH, ids=[f"s{k}" for k in range(len(SAME_AS_BASH))])
def test_same_as_bash(shell, script: str) -> None:  # type: ignore[no-untyped-def]
    assert BASH is not None
    with tempfile.TemporaryDirectory() as d:
        expected = subprocess.run(
            [BASH, "-c", script], capture_output=True, text=True, timeout=30, cwd=d,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        )  # fmt: skip
    status, out, _, _ = _run(shell, script)
    assert (out, status) == (expected.stdout, expected.returncode)
    _no_coproc_left()


def test_coprocess_that_never_reads_ends_at_the_wall_budget(shell) -> None:  # type: ignore[no-untyped-def]
    """The pipe fills; the shell's write waits within the budget, then the call ends."""
    status, out, _, exceeded = _run(
        shell,
        "coproc { sleep 100; }\nyes | head -c 10000000 >&${COPROC[1]}\necho unreachable",
        wall=2.0,
    )
    assert exceeded == "wall_time" and status == 137
    assert "unreachable" not in out
    _no_coproc_left()
    status, out, _, _ = _run(shell, "echo next call")  # the shell is still usable
    assert (status, out) == (0, "next call\n")


def test_read_from_a_silent_coprocess_ends_at_the_wall_budget(shell) -> None:  # type: ignore[no-untyped-def]
    _status, _, _, exceeded = _run(shell, "coproc { sleep 100; }\nread -u ${COPROC[0]} x", wall=2.0)
    assert exceeded == "wall_time"
    _no_coproc_left()


def test_coprocess_outliving_the_script_is_ended(shell) -> None:  # type: ignore[no-untyped-def]
    """cat waits for input the script never closes; a writer never read; one in a
    subshell; all end with the call, promptly."""
    script = (
        "coproc cat\n"
        "coproc W { while :; do echo spam; done; } 2>/dev/null\n"
        "( coproc S { sleep 100; } 2>/dev/null; echo in-subshell )\n"
        "echo done"
    )
    t0 = time.monotonic()
    status, out, _, exceeded = _run(shell, script, wall=30.0)
    assert (status, exceeded) == (0, None)
    assert out == "in-subshell\ndone\n"
    assert time.monotonic() - t0 < 20  # generous: it does not wait for the wall budget
    _no_coproc_left()


def test_starting_coprocesses_forever_is_bounded(shell) -> None:  # type: ignore[no-untyped-def]
    """Live ones pile up to the cap, then every start is refused with a clear error
    until a budget (the output one, filled by those errors, or the wall) ends the loop."""
    _status, _, err, exceeded = _run(shell, "while :; do coproc sleep 100; done", wall=3.0)
    assert exceeded in ("wall_time", "output")
    assert "too many coprocesses (corral allows 64 at once" in err
    _no_coproc_left()


def test_short_coprocesses_in_a_loop_do_not_pile_up(shell) -> None:  # type: ignore[no-untyped-def]
    """``coproc true`` replaced by the next one is reaped: descriptors stay few."""
    script = "for i in $(seq 300); do coproc true; done 2>/dev/null; wait; echo ${#COPROC[@]}"
    status, out, _, exceeded = _run(shell, script, wall=60.0)
    assert (status, exceeded) == (0, None)
    assert out == "0\n"
    assert len(shell.io) <= 3  # only stdin, stdout, stderr are left
    _no_coproc_left()


def test_forged_descriptor_closes_nothing_real(shell) -> None:  # type: ignore[no-untyped-def]
    """``{C[1]}>&-`` with C naming stdout's number closes it for the script (as bash
    does), but not the call's output: the next call prints again."""
    _, out, _, _ = _run(shell, "C=(0 1); echo before; exec {C[1]}>&-; echo after")
    assert out == "before\n"
    _status, out, _, _ = _run(shell, "echo again")
    assert out == "again\n"


def test_writing_a_closed_end_is_an_error_not_a_traceback(shell) -> None:  # type: ignore[no-untyped-def]
    script = (
        "coproc C { read; sleep 1; }\nfd=${C[1]}\nexec {C[1]}>&-\n"
        'echo x >&$fd; echo "rc=$?"\nexec {C[1]}>&-; echo "again rc=$?"\nwait'
    )
    _status, out, err, _ = _run(shell, script)
    assert out.startswith("rc=1\n")
    assert "Traceback" not in err and "Bad file descriptor" in err


def test_bad_name_is_refused(shell) -> None:  # type: ignore[no-untyped-def]
    _status, out, err, _ = _run(shell, 'coproc 1x { :; }; echo "rc=$?"')
    assert out == "rc=1\n"
    assert "`1x': not a valid identifier" in err


def test_loop_as_coprocess_says_what_to_do(shell) -> None:  # type: ignore[no-untyped-def]
    status, _, err, _ = _run(shell, "coproc while :; do :; done")
    assert status == 2
    assert "wrap it in braces" in err


def test_commands_in_a_coprocess_are_decided_by_the_gate() -> None:
    """Through the real sandbox (worker process): a coprocess's commands go through the
    policy like any other, and the worker survives a coprocess left running."""
    from corral.events import Decision

    class NoRm:
        def decide(self, action, session):  # type: ignore[no-untyped-def]
            if action.kind == "exec" and action.argv[0] == "rm":
                return Decision(verdict="deny", rule="no-rm", reason="deleting is not allowed")
            return Decision(verdict="allow")

    with Sandbox(budget=Budget(wall_s=20), gate=NoRm()) as sb:
        sb.files.write("keep.txt", "x")
        r = sb.run('coproc D { rm keep.txt; echo "rm=$?"; read; }\nread -u ${D[0]} l; echo "$l"')
        assert r.stdout == "rm=126\n"
        assert "corral: rm: denied: deleting is not allowed" in r.stderr
        assert sb.files.exists("keep.txt")
        r = sb.run(
            'coproc U { while read -r l; do echo "${l^^}"; done; }\n'
            'echo hi >&${U[1]}; read -u ${U[0]} a; echo "$a"\n'
            "coproc cat"
        )
        assert (r.exit_code, r.stdout) == (0, "HI\n")
        r = sb.run("echo still-here")
        assert r.stdout == "still-here\n"


@pytest.fixture
def many_threads() -> Iterator[None]:
    before = threading.active_count()
    yield
    end = time.monotonic() + 10
    while threading.active_count() > before + 2 and time.monotonic() < end:
        time.sleep(0.05)
    assert threading.active_count() <= before + 2


def test_threads_return_to_baseline(shell, many_threads) -> None:  # type: ignore[no-untyped-def]
    _run(shell, "".join(f"coproc C{i} {{ sleep 100; }} 2>/dev/null\n" for i in range(5)))


def test_kill_ends_a_coprocess_blocked_reading(shell) -> None:  # type: ignore[no-untyped-def]
    """cat waits on its input; ``kill`` ends it (its pipes close) and ``wait`` reports
    SIGTERM, well before the budget; its ends then read end-of-file, write EBADF."""
    script = (
        'coproc cat\npid=$COPROC_PID\nkill $pid\nwait $pid; echo "st=$?"\n'
        'echo "[${COPROC[@]}]"\ncoproc C2 { cat; }\nkill %%\n'
        'echo hi >&${C2[1]}; echo "w=$?"; read -u ${C2[0]} x; echo "r=$?"; wait'
    )
    t0 = time.monotonic()
    _, out, err, exceeded = _run(shell, script, wall=30.0)
    assert exceeded is None and time.monotonic() - t0 < 20
    assert out == "st=143\n[]\nw=1\nr=1\n"
    assert "Traceback" not in err
    _no_coproc_left()
