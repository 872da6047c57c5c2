"""The coreutils of ``builtins/coreutils2.py`` checked against the real GNU tools.

Each script runs through ``/bin/bash`` (with GNU coreutils) in a temporary directory
and through the corral shell (``Sandbox.run``) on a workspace holding the same files;
stdout and the exit status must agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corral import Budget, Sandbox

from .gnu_compare import TABLE_FILES, corral, gnu
from .gnu_compare import needs_gnu as needs_gnu_tool

FILES = {k: TABLE_FILES[k] for k in ("a", "b", "c", "e", "n", "j1", "j2", "m1", "m2", "bin")}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=30)) as s:
        yield s


needs_gnu = needs_gnu_tool("split")

CMP = [
    "cmp a b; echo $?",
    "cmp a c; echo $?",
    "cmp c a; echo $?",
    "cmp a e; echo $?",
    "cmp -l a b; echo $?",
    "cmp -b a b",
    "cmp -bl a b",
    "cmp a nof; echo $?",
    "cmp a a; echo $?",
    "cmp -s a b; echo $?",
    "cmp -n 5 a b; echo $?",
    "cmp -i 4 a b; echo $?",
    "cmp a b 4 4; echo $?",
    "cmp -l c a; echo $?",
    "cmp bin bin; echo $?",
    "cat a | cmp - b; echo $?",
    "cmp -x a b; echo $?",
]

SPLIT = [
    "split -l 3 n; head x*",
    "split -n 3 -d n p; ls p*; cat p01",
    "split -b 5 -a 1 --additional-suffix=.t n q; ls q*; cat qb.t",
    "split -n l/3 n r; wc -c r*",
    "split -n l/5 n r; wc -c r*",
    "split -n r/3 n r; head r*",
    "split -n 2/3 n",
    "split -n l/2/3 n",
    "split -l 1 -a 1 n s; echo $?; ls s* | wc -l",
    "split -l 0 n; echo $?",
    "seq 1 1000 | split -l1; ls | sed -n '649,652p'",
    "seq 1 100 | split -l1 -d; ls | sed -n '89,92p'",
    "split -b 1 -a 1 bin; echo $?; ls x* | wc -l",
    "split -C 5 n; head x*",
    "split -l2 -d --verbose n y",
    "seq 1 10 | split -n 3; echo $?; wc -c x*",
    "split -e -n 20 c; ls",
    "split -n 20 c; ls | wc -l",
    "split -x -l 1 bin; ls | wc -l",
    "split -b 2K bin; ls x*",
]

JOIN = [
    "join j1 j2",
    "join -a1 j1 j2",
    "join -a2 j1 j2",
    "join -a1 -a2 j1 j2",
    "join -v1 j1 j2",
    "join -v2 j1 j2",
    "join -v1 -v2 j1 j2",
    "join -o 1.2,2.2,0 j1 j2",
    "join -a1 -a2 -e E -o auto j1 j2",
    "join -a1 -a2 -e E -o 0,1.2,2.2 j1 j2",
    "join -t, j1 j2; echo $?",
    "printf 'x,1,a\\ny,2,b\\n' > p; printf '1,one\\n2,two\\n' > q; join -t, -1 2 -2 1 p q",
    "printf 'k  1\\n  k 2\\n' > w; printf 'k z\\n' > v; join w v",
    "join -i <(printf 'A 1\\nb 2\\n') <(printf 'a x\\nB y\\n')",
    "printf 'id n\\n1 a\\n' > h1; printf 'id m\\n1 b\\n' > h2; join --header h1 h2",
    "join j1; echo $?",
    "join -1 0 j1 j2; echo $?",
    "join - j2 < j1",
    "join m1 m2",
    "join -j 1 -o 1.1,1.2,1.3 j1 j2",
]

TIMEOUT = [
    "timeout 0.3 sleep 5; echo $?",
    "timeout 5 echo hi; echo $?",
    "timeout x sleep 1; echo $?",
    "timeout 1 nosuchcommand 2>/dev/null; echo $?",
    "timeout 2 sh -c 'exit 3'; echo $?",
    "timeout -s KILL 0.2 sleep 3; echo $?",
    "timeout --preserve-status 0.2 sleep 3; echo $?",
    "timeout 0.3 sh -c 'sleep 3 | cat'; echo $?; echo after",
    "timeout 0 echo no-limit; echo $?",
    "timeout; echo $?",
]

HEX = [
    "xxd a",
    "xxd bin",
    "xxd -p bin",
    "xxd -u -c 4 -g 2 bin | head -3",
    "xxd -l 5 -s 2 a",
    "xxd -g 0 a",
    "xxd -g 1 -c 8 bin | tail -2",
    "xxd -p bin | xxd -r -p | cmp - bin; echo $?",
    "xxd bin | xxd -r | cmp - bin; echo $?",
    "echo '00000010: 4142 4344  ABCD' | xxd -r | xxd -p",
    "printf '4142\\nzz43 44\\n' | xxd -r -p | xxd -p",
    "xxd e; echo $?",
    "xxd nof; echo $?",
    "xxd a out; cat out",
    "hexdump -C a",
    "hexdump -C bin",
    "hexdump -C e; echo $?",
    "printf '\\0%.0s' {1..64} | hexdump -C",
    "printf '\\0%.0s' {1..64} | hexdump -Cv",
    "printf 'abcdefghijklmnop' | hexdump -C",
    "hexdump -C -n 20 -s 3 bin",
    "hexdump -C a b",
    "hd c",
]

ALL = CMP + SPLIT + JOIN + TIMEOUT + HEX


@needs_gnu
@pytest.mark.parametrize("script", ALL)
def test_same_as_gnu(sb: Sandbox, script: str) -> None:
    want = gnu(script, FILES)
    got = corral(sb, script, FILES)
    assert got == want, f"script: {script}\ngnu:    {want!r}\ncorral: {got!r}"


def test_timeout_stops_a_busy_loop(sb: Sandbox) -> None:
    """A shell loop that never sleeps is stopped too, and the run goes on."""
    r = sb.run("timeout 0.3 sh -c 'while true; do :; done'; echo status=$?")
    assert r.stdout == "status=124\n"


def test_timeout_leaves_the_call_budget_alone() -> None:
    """The call's own wall budget still ends a run that ``timeout`` would let go on."""
    with Sandbox(budget=Budget(wall_s=1)) as s:
        r = s.run("timeout 60 sleep 30; echo not-reached")
    assert "not-reached" not in r.stdout


def test_split_writes_only_inside_the_workspace(sb: Sandbox) -> None:
    r = sb.run("seq 3 | split -l1 - /tmp/evil; echo $?")
    assert r.stdout.strip() == "1"
    assert "outside /workspace" in r.stderr


def test_help_texts(sb: Sandbox) -> None:
    for name in ("timeout", "cmp", "split", "join", "xxd", "hexdump", "sudo", "doas"):
        r = sb.run(f"{name} --help")
        assert r.stdout.startswith(f"Usage: {name} "), name


@pytest.mark.parametrize(
    ("line", "out", "status"),
    [
        ("sudo echo hi", "hi\n", 0),
        ("sudo -u postgres -E FOO=3 sh -c 'echo $FOO'", "3\n", 0),
        ("echo x | sudo tee f >/dev/null; cat f", "x\n", 0),
        ("sudo -- ls -d .", ".\n", 0),
        ("doas -u x printf '%s\\n' a b", "a\nb\n", 0),
        ("sudo -v", "", 0),
        ("sudo false", "", 1),
        ("sudo", "", 1),
        ("sudo -i", "", 1),
        ("sudo -e notes.txt", "", 1),
    ],
)
def test_sudo_runs_the_command_as_the_sandbox_user(sb: Sandbox, line, out, status) -> None:
    """Nothing inside the sandbox is privileged: sudo/doas run their command as the
    sandbox's own user (the policy decides the line as that command)."""
    r = sb.run(line)
    assert (r.stdout, r.exit_code) == (out, status), r.stderr


def test_sudo_under_default_is_decided_as_its_command() -> None:
    with Sandbox(policy="default", monitor=False) as s:
        r = s.run("sudo ls -d . && sudo -u nobody true; echo rc=$?")
        assert r.stdout == ".\nrc=0\n", r.stderr
        r = s.run("sudo -i")
        assert r.exit_code == 126 and "denied" in r.stderr
        r = s.run("sudo apt-get install -y jq")  # decided as the install: no apt in wasm
        assert r.exit_code == 127 and "corral: denied" not in r.stderr, r.stderr
