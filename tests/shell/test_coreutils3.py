"""The coreutils of ``builtins/coreutils3.py`` checked against the real GNU tools.

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


EXPR = [
    "expr 5 \\* 3 + 1",
    "expr 7 / 2; expr -7 / 2; expr 7 % -3; expr -7 % 3",
    "expr abc : 'a\\(.\\)'; expr abc : '.*'; expr abc : 'x'; echo $?",
    "expr length hello; expr substr hello 2 3; expr index hello lo",
    "expr substr hello 0 2; echo $?",
    "expr 1 / 0; echo $?",
    "expr a; expr 0; echo $?; expr ''; echo $?",
    "expr 3 \\< 10; expr 3 '<' abc; expr b \\> a; expr 10 = 010",
    "expr 1 +; echo $?",
    "expr 1 2; echo $?",
    "expr; echo $?",
    "expr a + 1; echo $?",
    "expr \\( 1 + 2 \\) \\* 3",
    "expr 0 \\| 5; expr 3 \\| 5; expr 0 \\| 0; expr '' \\| ''; echo $?",
    "expr 3 \\& 4; expr 0 \\& 4; echo $?",
    "expr 99999999999999999999 + 1",
    "expr match foobar 'fo*'; expr + length",
    "i=0; while [ $(expr $i \\< 5) = 1 ]; do i=$(expr $i + 1); done; echo $i",
    "expr \\( 1 + 2; echo $?",
]

OD = [
    "od bin | head -5",
    "od -c mixed",
    "od -t x1 -t c mixed",
    "od -A x -t d1 bin | tail -3",
    "od -t a mixed",
    "od -t x1z long | head -3",
    "od -t f4 bin | head -2",
    "od -t f8 bin | head -2",
    "od -An -tx1 -N5 a",
    "od -j 3 -N 4 -c long",
    "od -A d -t x8 mixed",
    "od -t u2 mixed; od -t d2 mixed",
    "od -t o4 -t x4 mixed",
    "od rep",
    "od -v rep | wc -l",
    "od -w4 -t x1 c",
    "od -b a; od -x a; od -d a; od -o a; od -i bin | head -2; od -l bin | head -2",
    "od -A n -t x2 e; echo $?",
    "od nof; echo $?",
    "od -t q1 a; echo $?",
    "od -t dS bin | head -2; od -t uC a",
    "printf abc | od -c",
]

FOLD = [
    "fold -w 10 long",
    "fold -s -w 10 long",
    "fold -w 5 -b tabs",
    "fold -w 5 tabs",
    "fold -sw 7 tabs",
    "echo abcdefghij klmnop qrstuv | fold -s -w 7",
    "printf 'abcdefghij' | fold -w 4",
    "fold -w 0 a; echo $?",
    "fold -3 c",
]

EXPAND = [
    "expand tabs | od -c",
    "expand -t 4 tabs | od -c",
    "expand -t 2,5,9 tabs | od -c",
    "expand -i tabs | od -c",
    "unexpand tabs | od -c",
    "unexpand -a tabs | od -c",
    "expand tabs | unexpand -a | od -c",
    "expand -t 4 tabs | unexpand -t 4 | od -c",
    "printf '        x        y\\n' | unexpand | od -c",
    "printf '        x        y\\n' | unexpand -a | od -c",
    "printf ' a  b   c\\n' | unexpand -a | od -c",
    "expand -t 0 tabs; echo $?",
]

MISC = [
    "numfmt --to=si 1500 1000 999 123456789 9999",
    "numfmt --to=iec 1023 1024 1536 10240000 1048575",
    "numfmt --from=iec 1K 1.5M; numfmt --from=si 1.5G; numfmt --from=auto 2Ki 3K",
    "numfmt --to=iec-i 2048; numfmt --padding=8 --to=si 5000; numfmt --padding=-6 --to=si 5000",
    "echo 'a 2000 b' | numfmt --field=2 --to=si; numfmt --suffix=B --to=si 3000",
    "numfmt abc; echo $?",
    "numfmt --to=si < nums",
    "numfmt --header --to=iec < nums",
    "numfmt --round=nearest --to=si 1440 1450; numfmt --round=down --to=si 1990",
    "numfmt --to=si -- -1500",
    "numfmt --from=si 1K --invalid=warn x 2>/dev/null; echo $?",
    "tsort pairs",
    "tsort loop; echo $?",
    "printf 'x\\n' | tsort; echo $?",
    "seq 1 6 | paste - - | tsort",
    "factor 12 97 1000000007 0 1 18446744073709551617",
    "factor 2305843009213693951 4611686018427387903 1208925819614629174706177",
    "echo 36 49 | factor",
    "factor -5 abc; echo $?",
    "which ls sort nope; echo $?",
    "printf hello | cksum; cksum a b; cksum bin",
    "printf hello | sum; sum a b; sum -s a; sum bin",
    "printf hello | b2sum; b2sum a | b2sum -c",
    "base32 long; base32 -w 20 a; base32 -w0 c; echo",
    "base32 bin | base32 -d | cmp - bin; echo $?",
    "echo '!!!' | base32 -d; echo $?",
    "truncate -s 100 t; wc -c t; truncate -s -10 t; wc -c t; truncate -s %64 t; wc -c t",
    "truncate -s '<50' t; wc -c t; truncate -s 10 a; cat a; truncate -s +3 a; od -c a",
    "truncate -c -s 5 nof; echo $?; ls nof; truncate a; echo $?",
    "truncate -r c a; wc -c a; truncate -s 1K a; wc -c a",
    "strings mixed; strings -n 3 mixed; strings -t x mixed; strings -f mixed",
    "strings -n 2 bin",
    "install -m 644 a d/x; echo $?; install -D -m 600 a d/x; stat -c %a d/x; cat d/x",
    "install -d -m 700 q/r; stat -c %a q q/r",
    "mkdir t; install -m 640 a b t; stat -c '%a %n' t/a t/b",
    "install -t t2 a; echo $?",
    "install -d -v q/r; install -v -D a d/x; install -v a d/x",
    "touch w; unlink w; ls w; unlink nof; echo $?; mkdir dd; unlink dd; echo $?",
    "link a a2; cat a2; link a a2; echo $?",
    "tty; echo $?; tty -s; echo $?",
]

ALL = EXPR + OD + FOLD + EXPAND + MISC


@needs_gnu
@pytest.mark.parametrize("script", ALL)
def test_same_as_gnu(sb: Sandbox, script: str) -> None:
    want = gnu(script, FILES)
    got = corral(sb, script, FILES)
    assert got == want, f"script: {script}\ngnu:    {want!r}\ncorral: {got!r}"


def test_shuf_is_a_permutation(sb: Sandbox) -> None:
    r = sb.run(
        "seq 1 200 | shuf > s; sort -n s | cmp - <(seq 1 200) && echo same; "
        "cmp -s s <(seq 1 200); echo $?"
    )
    assert r.stdout == "same\n1\n"
    r = sb.run("shuf -i 1-1000000 -n 3 | wc -l; shuf -e a b c | sort | tr -d '\\n'; echo")
    assert r.stdout == "3\nabc\n"
    r = sb.run("shuf -r -n 50 -e x y | sort -u | wc -l; shuf -o out -e q; cat out")
    assert r.stdout in ("2\nq\n", "1\nq\n")


def test_shuf_repeat_without_count_is_stopped_by_the_budget() -> None:
    with Sandbox(budget=Budget(wall_s=2)) as s:
        r = s.run("shuf -r -e a > /dev/null; echo not-reached")
    assert "not-reached" not in r.stdout
    assert r.error == "wall_time"


def test_truncate_charges_the_disk_budget() -> None:
    """A sparse file still counts: truncate cannot grow past the disk budget."""
    with Sandbox(budget=Budget(disk_mb=5)) as s:
        r = s.run("truncate -s 1G big; echo $?; wc -c < big")
        assert r.stdout == "1\n0\n"
        assert "disk budget" in r.stderr
        assert s.run("truncate -s 1M big; echo $?; wc -c < big").stdout == "0\n1048576\n"


def test_factor_of_a_hard_number_is_stopped_by_the_budget() -> None:
    """A 400-bit semiprime would take Pollard-rho ages: the wall budget ends it."""
    p, q = (1 << 199) + 1, (1 << 200) - 1
    with Sandbox(budget=Budget(wall_s=2)) as s:
        r = s.run(f"factor {p * q}; echo after")
    assert r.error == "wall_time" or "after" in r.stdout


def test_expr_regex_cannot_run_away(sb: Sandbox) -> None:
    r = sb.run("expr \"$(printf 'a%.0s' {1..5000})b\" : '\\(a*\\)*c'; echo $?")
    assert r.stdout.endswith("1\n")


def test_expr_deep_parentheses_are_an_error(sb: Sandbox) -> None:
    r = sb.run("expr $(printf '( %.0s' {1..3000}) 1 $(printf ') %.0s' {1..3000}); echo $?")
    assert r.stdout.strip().splitlines()[-1] in ("1", "2")
    assert "Traceback" not in r.stderr


def test_files_stay_inside_the_workspace(sb: Sandbox) -> None:
    for script in ("truncate -s 0 /etc/passwd", "install -m 777 a /tmp/x", "unlink /etc/hosts",
                   "od /etc/shadow", "strings /etc/passwd", "link a /tmp/a"):
        r = sb.run(script + "; echo $?")
        assert r.stdout.strip().splitlines()[-1] != "0", script
