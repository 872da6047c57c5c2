"""Redirections and keywords the corral shell learnt late, checked against real bash.

Each script runs through ``/bin/bash`` (with GNU coreutils) in a temporary directory
and through the corral shell (``Sandbox.run``) on a workspace holding the same files;
stdout and the exit status must agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corral import Budget, Sandbox

from .gnu_compare import TABLE_FILES as FILES
from .gnu_compare import corral, gnu
from .gnu_compare import needs_gnu as needs_gnu_tool


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=30)) as s:
        yield s


needs_gnu = needs_gnu_tool("numfmt")


SCRIPTS = [
    "echo hi > f; exec 3<>f; read -u 3 x; echo $x; echo more >&3; exec 3>&-; cat f",
    "cat 0<a",
    "cat 0<>a; ls",
    "cat <> new; ls new; wc -c < new",
    "echo x 1<>h; cat h",
    "echo 0>x; cat x; echo 0 >y; cat y",
    "cat <a 0<b",
    "cat a 0<b",
    "echo a 2>err 0<b; cat err",
    "seq 3 > n; while read -r l 0<&3; do echo $l; done 3<n",
    "seq 3 > n; exec 4<n; read -u4 a; read -u 4 b; echo $a$b",
    "read -u 7 x 2>/dev/null; echo $?",
    "printf 'abcdef' > r; exec 5<>r; read -n 2 -u 5 p; printf 'XY' >&5; exec 5>&-; cat r; echo; echo $p",
    "echo '<>' \"<>\" a\\<\\>b",
    "shopt -s lastpipe; echo a | read v; echo $v",
    "shopt -u lastpipe; unset v; echo a | read v; echo \"[$v]\"",
    "shopt -s lastpipe; printf '1\\n2\\n' | while read l; do last=$l; done; echo $last",
    "time true 2>/dev/null; echo ok",
    "{ time echo timed; } 2>/dev/null",
    "time (echo sub) 2>/dev/null",
    "time { echo a; echo b; } 2>/dev/null",
    "time for i in 1 2; do echo $i; done 2>/dev/null",
    "echo \"a; time { x\"",
    "if true; then time { echo in; }; fi 2>/dev/null",
    "f(){ echo fn; }; time f 2>/dev/null",
    "time -p [[ 1 == 1 ]] 2>/dev/null && echo y",
    "set -o posix; echo ok",
    "exec {fd}>out; echo $fd; echo hi >&$fd; exec {fd}>&-; cat out",
    "exec {a}<>f {b}>g; echo $a $b; ls f g",
    "unset q; exec {q}>&- 2>/dev/null; echo $?",
    "echo x > f; unset z; cat <f {z}<g; echo \"[$z]\"",
    "echo {x}>y; cat y",
    "f() { echo \"f:$1\"; }; export -f f; bash -c 'f x'; printf 'f y\n' > s.sh; bash s.sh",
    "g() { echo g; }; bash -c g 2>/dev/null; echo $?; export -f g; export -fn g; bash -c g 2>/dev/null; echo $?",
    "export -f nofn 2>/dev/null; echo $?",
    "sleep 5 & kill %1; wait; echo $?",
    "sleep 5 & kill $!; wait $!; echo $?",
    "sleep 5 & p=$!; kill -9 $p; wait $p; echo $?",
    "while true; do :; done & kill %1; wait %1; echo $?",
    "kill -l",
    "kill -l 9 SIGTERM 143 RTMIN+3 64",
    "kill -l 99 2>/dev/null; echo $?",
    "sleep 3 & sleep 4 & jobs; kill %1; sleep 0.2; jobs; kill %2; wait; echo $?",
    "kill %5 2>/dev/null; echo $?; kill 99999 2>/dev/null; echo $?; kill 2>/dev/null; echo $?",
    "kill -n 9 %9 2>/dev/null; echo $?; kill -0 $$; echo $?; kill -s FOO %1 2>/dev/null; echo $?",
    "sleep 0.1 & sleep 0.5; jobs; jobs; echo end",
    "(exit 3) & sleep 0.3; jobs",
    "wait 12345 2>/dev/null; echo $?; wait %3 2>/dev/null; echo $?",
    "set -o emacs; set +o history; set -B; set -h; echo ok",
]


@needs_gnu
@pytest.mark.parametrize("script", SCRIPTS)
def test_same_as_bash(sb: Sandbox, script: str) -> None:
    want = gnu(script, FILES)
    got = corral(sb, script, FILES)
    assert got == want, f"script: {script}\nbash:   {want!r}\ncorral: {got!r}"


def test_killing_the_shell_ends_the_run(sb: Sandbox) -> None:
    r = sb.run("kill -9 $$; echo after")
    assert (r.stdout, r.exit_code) == ("", 137)


def test_kill_stops_a_busy_background_loop(sb: Sandbox) -> None:
    r = sb.run("while :; do :; done & sleep 0.2; kill $!; wait $!; echo status=$?")
    assert r.stdout == "status=143\n"


def test_time_reports_on_stderr(sb: Sandbox) -> None:
    r = sb.run("time sleep 0.2")
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert [x.split("\t")[0] for x in lines] == ["real", "user", "sys"]
    assert lines[0] >= "real\t0m0.2"
    r = sb.run("time -p true")
    assert [x.split()[0] for x in r.stderr.strip().splitlines()] == ["real", "user", "sys"]


def test_read_write_redirection_stays_in_the_workspace(sb: Sandbox) -> None:
    for script in ("cat 0<>/etc/passwd", "exec 3<>/tmp/x", "echo x 1<>../../etc/hostname"):
        r = sb.run(script + "; echo status=$?")
        assert "status=0" not in r.stdout, script
        assert "outside /workspace" in r.stderr, script


def test_read_write_redirection_is_charged_to_the_disk_budget() -> None:
    with Sandbox(budget=Budget(disk_mb=1)) as s:
        r = s.run("exec 3<>big; yes | head -c 3000000 >&3; echo status=$?")
        assert "status=0" not in r.stdout
        assert "disk budget" in r.stderr


SYNTAX = [
    "printf 'echo one\\necho two\\nif then\\necho three\\n' > s.sh; bash s.sh; echo $?",
    "printf 'echo a\\nexit 3\\nif then\\n' > s.sh; bash s.sh; echo $?",
    "printf 'x=1\\nif [ $x = 1 ]; then\\n echo yes\\nfi\\n(( \\nfoo\\n' > s.sh; bash s.sh; echo $?",
    "bash -c $'echo a\\nif then\\necho b'; echo $?",
    "bash -c 'echo a; if then'; echo $?",
    "printf 'f() {\\n echo in f\\n}\\nf\\ncase x in\\n' > s.sh; bash s.sh; echo $?",
]


@needs_gnu
@pytest.mark.parametrize("script", SYNTAX)
def test_script_runs_until_its_syntax_error(sb: Sandbox, script: str) -> None:
    want = gnu(script + " 2>/dev/null", FILES)
    got = corral(sb, script + " 2>/dev/null", FILES)
    assert got == want, f"script: {script}\nbash:   {want!r}\ncorral: {got!r}"


def test_top_level_runs_until_its_syntax_error(sb: Sandbox) -> None:
    r = sb.run("echo a\nif then\necho b")
    assert (r.stdout, r.exit_code) == ("a\n", 2)
    assert "line 2: syntax error" in r.stderr


def test_a_huge_script_with_a_late_error_stays_bounded() -> None:
    """Looking for the part that parses costs bounded work, and the wall budget ends it."""
    body = "echo x\n" * 20_000 + "if then\n"
    with Sandbox(budget=Budget(wall_s=120)) as s:
        s.files.write("/workspace/big.sh", body)
        r = s.run("bash big.sh | tail -1; echo done")
    assert r.stdout == "x\ndone\n"
    assert "line 20001: syntax error" in r.stderr
