"""``declare -f``/``type`` print a function as bash 5.2 does, byte for byte.

bash re-prints a function from its parse tree in its own layout; corral's
``shell/printer.py`` does the same over corral's tree. Each shape below, and a few
hundred generated ones, is defined in ``/bin/bash`` and in the corral shell, and
``declare -f`` must print the same bytes.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.files import Workspace
from corral.shell.session import new_shell

BASH = shutil.which("bash") or "/bin/bash"


def _bash_ok() -> bool:
    try:
        out = subprocess.run([BASH, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "version 5.2" in out


pytestmark = pytest.mark.skipif(not _bash_ok(), reason="needs GNU bash 5.2 at /bin/bash")

SHAPES = [
    "f() { echo hi; }",
    "f() { echo hi; x=1   y=\"a b\" cmd 'q'  >out 2>&1; }",
    'f() { if [ -n "$1" ]; then echo yes; elif [[ $a == b* && -f x ]]; then :; else echo no; fi; }',
    'f() { for i in 1 2 "3"; do echo $i; done; for i; do echo; done; }',
    "f() { for ((i=0;i<3;i++)); do echo $i; done; }",
    "f() { for (( i = 0 ; i < 3 ; i++ )); do :; done; for ((;;)); do break; done; }",
    "f() { for ((i=0;;i++)); do :; done; for ((; i<3 ;)); do :; done; }",
    'f() { while read -r l; do echo "$l"; done < file; until false; do break; done; }',
    "f() { case $x in a|b) echo ab;& c) ;; *) echo other;; esac; }",
    "f() { case $x in (a) echo a ;;& b) echo b; echo c ;; esac; }",
    "f() { (cd /tmp && ls) | wc -l & { echo a; echo b; } > /dev/null 2>&1; }",
    "f() { ((x++)); ((y = x * 2)); ((  z  )); }",
    "f() { ! true || false && echo z; }",
    'f() { a=(1   2  "3"); a+=(4); b[2]=x; local v=$(echo hi) w=`date`; }',
    "f() {\n  cat <<EOF\nbody $x\nEOF\n  echo after\n}",
    "f() {\n  cat <<'E2' | tr a b\nraw $x\nE2\n  echo done ; return 3\n}",
    "f() {\n  cat <<-EOF\n\ttab $x\n\tEOF\n}",
    'f() {\n  cat <<"Q" > out; echo after\nq\nQ\n}',
    "f() {\n  cat <<A; cat <<B\na\nA\nb\nB\n}",
    'function f { g() { echo nested; }; echo "$@"; }',
    "f() ( echo sub )",
    "f() { x=$(echo   a;  echo b |  cat); y=`echo   q`; z=$'a\\nb' w=$\"hi\"; }",
    "f() { (a; b); (c); ( d & ); }",
    "f() { [[ ! -f x && ( a == b || c =~ ^a(b)$ ) ]]; [[ $x ]]; [[ $x && ! $y ]]; }",
    "f() { a |& b; ! a | b; echo >&2; echo <&3; echo 2>&-; }",
    "f() { echo <&-; echo >&-; cat <> f; cat 3<> f; }",
    'f() { echo >|f; echo &>f; echo &>>f; cat <<<"$x"; }',
    "f() { exec {fd}>f; exec {fd}>&-; echo 2>>f; echo >&$fd; }",
    "f() { a && b || c; a & b & }",
    "f() { while a; b; do c; done; if a; b; then c; fi; }",
    "f() { case x in (a) ;; esac; case y in *) ;; esac; }",
    'f() { local -a arr=(a b); declare -A m=([k]=v); echo ${x:-y} "${@}" $((1+2)); }',
    "function f { echo; } >&2",
    "f() { echo; } > out 2>&1",
    "f() { { a; b; } | c; { a; } & }",
    'f() { echo a\\ b "q\\"" \'x\'"y" ; }',
    'f() { x=$(if a; then b; fi); y="$(  cat   f )"; }',
    "f() { echo 'it'\"'\"'s' $'it\\'s'; }",
    "f() { f &>/dev/null & }",
    "f() {\n  # a comment\n  echo a # trailing\n  # more\n}",
    "f() { if a; then b; else c; fi > out; }",
    "f() { while :; do break; done 2>/dev/null | cat; }",
    'f() { case "$1" in -h|--help) usage; exit 0 ;; -*) echo bad >&2; return 1 ;; esac; }',
    "f() { test -f x && { echo yes; echo again; } || echo no; }",
    "f() { g() { h() { :; }; }; }",
    "f() { cat 3<&0-; }",
    "f() { if a; then :; elif b; then :; elif c; then :; fi; }",
    "f() {\n  for x in a b; do\n    cat <<EOF\n$x\nEOF\n  done\n}",
    "f() {\n  cat <<EOF && echo ok\nbody\nEOF\n}",
    "f() {\n  cat <<EOF &\nbody\nEOF\n  wait\n}",
    "f() {\n  { cat <<EOF\nin group\nEOF\n  }\n}",
    'f() { a=(); b=( "x y"   z ); }',
    "f() { coproc cat; coproc N { cat; }; coproc M ( cat ); }",
    "f() { x=$(echo a\necho b); y=$(a; b\nc &\nd); }",
    "f() { z=$(if a; then\n b\n c; fi\n echo); }",
    "f() { q=$(cat <<E\nhi\nE\n); }",
    "f() { w=$( { a; b; } ); v=$( (a) ); }",
]


def _bash_declare(script: str, names: list[str]) -> str:
    text = script + "\n" + "".join(f"declare -f {n}\n" for n in names)
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run(
            [BASH, "--norc", "--noprofile", "-c", text],
            capture_output=True, text=True, timeout=30, cwd=d,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        )  # fmt: skip
    return p.stdout


@pytest.fixture(scope="module")
def shell():  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as d:
        yield new_shell(Workspace(Path(d), Budget(wall_s=60)))


def _corral_declare(sh, script: str, names: list[str]) -> str:  # type: ignore[no-untyped-def]
    sh.state.functions.clear()
    text = script + "\n" + "".join(f"declare -f {n}\n" for n in names)
    _status, out, _err, _ = sh.run(text, deadline=time.monotonic() + 30)
    return out.decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("src", SHAPES, ids=[f"shape{i}" for i in range(len(SHAPES))])
def test_shape_prints_as_bash(shell, src: str) -> None:  # type: ignore[no-untyped-def]
    expected = _bash_declare(src, ["f"])
    assert expected, f"bash printed nothing for {src!r}"
    assert _corral_declare(shell, src, ["f"]) == expected


# -- generated shapes ---------------------------------------------------------------------

_WORDS = ["a", "b c", '"$x"', "'q r'", "${y:-z}", "$(echo s)", "*.txt", "$1", "--opt=1"]
_REDIRS = ["> out", "2>/dev/null", ">>log", "< in", "2>&1", ">&2", "&>all", "<<<'w'", "3>f"]


def _simple(rng: random.Random) -> str:
    cmd = rng.choice(["echo", "cat", "grep -n", "printf '%s\\n'", "test -n", "x=1", "wc -l"])
    if cmd == "x=1":
        return rng.choice(["x=1", "y=$((x+1))", "arr=(1  2)", 'v="$x" w=2 env'])
    args = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 3)))
    red = " " + rng.choice(_REDIRS) if rng.random() < 0.3 else ""
    return f"{cmd} {args}".rstrip() + red


def _compound(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.35:
        base = _simple(rng)
        r = rng.random()
        if r < 0.15:
            return f"{base} | {_simple(rng)}"
        if r < 0.25:
            return f"{base} && {_simple(rng)}"
        if r < 0.32:
            return f"{base} || {_simple(rng)}"
        if r < 0.36:
            return f"! {base}"
        return base
    body = _list(rng, depth - 1)
    kind = rng.choice(["if", "ifelse", "while", "until", "for", "forin", "case", "sub", "group",
                       "arith", "cond", "afor"])  # fmt: skip
    red = " " + rng.choice(_REDIRS) if rng.random() < 0.2 else ""
    if kind == "if":
        return f"if {_simple(rng)}; then {body}; fi{red}"
    if kind == "ifelse":
        return (
            f"if {_simple(rng)}; then {body}; elif {_simple(rng)}; then :; else {_simple(rng)}; fi"
        )
    if kind in ("while", "until"):
        return f"{kind} {_simple(rng)}; do {body}; done{red}"
    if kind == "for":
        return f"for v in {rng.choice(_WORDS)} {rng.choice(_WORDS)}; do {body}; done{red}"
    if kind == "forin":
        return f"for v; do {body}; done"
    if kind == "afor":
        return f"for ((i=0; i<{rng.randint(1, 9)}; i++)); do {body}; done"
    if kind == "case":
        arms = " ".join(
            f"{rng.choice(['a', 'b|c', '*.txt', '[0-9]', '(x'])}) {_list(rng, depth - 1)} "
            f"{rng.choice([';;', ';;', ';&', ';;&'])}"
            for _ in range(rng.randint(1, 3))
        )
        subject = rng.choice([w for w in _WORDS if w != "b c"])  # one word: `case b c` is an error
        return f"case {subject} in {arms} *) : ;; esac"
    if kind == "sub":
        return f"( {body} ){red}"
    if kind == "group":
        return f"{{ {body}; }}{red}"
    if kind == "arith":
        return rng.choice(["((x++))", "(( y = x * 2 ))", "((z))"])
    return rng.choice(["[[ -f $f ]]", "[[ $a == b* || -z $c ]]", "[[ $s =~ ^[0-9]+$ ]]"])


def _list(rng: random.Random, depth: int) -> str:
    parts = [_compound(rng, depth) for _ in range(rng.randint(1, 3))]
    out = parts[0]
    for p in parts[1:]:
        out += rng.choice(["; ", "; ", "\n", " & "]) + p
    return out


def _generated(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"f{k}() {{\n{_list(rng, 3)}\n}}" for k in range(n)]


def test_generated_shapes_print_as_bash(shell) -> None:  # type: ignore[no-untyped-def]
    """300 random function bodies (compound commands nested three deep, lists with
    ``;``, newlines and ``&``, pipelines, redirections): every one prints as in bash."""
    shapes = _generated(300, seed=15)
    names = [f"f{k}" for k in range(len(shapes))]
    script = "\n".join(shapes)
    expected = _bash_declare(script, names)
    # every function defined and printed (a syntax error in the generated text would make
    # both sides print nothing, and the comparison pass without testing anything)
    assert all(f"\n{n} () \n" in "\n" + expected for n in names), expected[-500:]
    got = _corral_declare(shell, script, names)
    if got != expected:  # name the first function that differs
        exp_parts = expected.split("\nf")
        got_parts = got.split("\nf")
        for k, (e, g) in enumerate(zip(exp_parts, got_parts, strict=False)):
            assert g == e, f"function f{k} differs; its source:\n{shapes[k]}"
    assert got == expected


def test_listing_builtins_match_bash(shell) -> None:  # type: ignore[no-untyped-def]
    script = (
        "b() { echo b; }; a() { for i in 1; do :; done; }; export -f b; readonly -f a\n"
        "declare -f; echo ---; declare -F; echo ---; declare -F a zz b; echo rc=$?\n"
        "type a; type -t a b if echo; type -a b; echo ---; typeset -f b; echo ---\n"
        "declare -pf b; echo ---; export -f; echo ---; declare -fx; echo ---\n"
        "command -V a; command -v a; declare -f zz; echo rc=$?\n"
    )
    with tempfile.TemporaryDirectory() as d:
        expected = subprocess.run(
            [BASH, "--norc", "-c", script], capture_output=True, text=True, cwd=d,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, timeout=30,
        ).stdout  # fmt: skip
    shell.state.functions.clear()
    shell.state.options = {o for o in shell.state.options if not o.startswith("f")}
    _, out, _, _ = shell.run(script, deadline=time.monotonic() + 30)
    assert out.decode() == expected


def test_printed_function_runs_again(shell) -> None:  # type: ignore[no-untyped-def]
    """The printed text is a definition: eval'ing it gives a function that behaves the same."""
    shell.state.functions.clear()
    script = (
        'f() { local n=0; for w in "$@"; do case $w in a*) n=$((n+1));; esac; done; '
        'echo "$n"; }\n'
        'src=$(declare -f f); unset -f f; eval "${src/f ()/g ()}"; g ab c ad'
    )
    _, out, err, _ = shell.run(script, deadline=time.monotonic() + 30)
    assert out.decode() == "2\n", err


def test_huge_and_deep_bodies_do_not_hang(shell) -> None:  # type: ignore[no-untyped-def]
    """A function of 5,000 commands and one nested 60 deep print in bounded time."""
    shell.state.functions.clear()
    wide = "w() {\n" + "".join(f"  echo {k} >> out{k % 7}\n" for k in range(5000)) + "}\n"
    deep = "d() { " + "if true; then " * 60 + ":" + "; fi" * 60 + "; }\n"
    t0 = time.monotonic()
    _, out, err, _ = shell.run(wide + deep + "declare -f w d | wc -l", deadline=t0 + 60)
    assert time.monotonic() - t0 < 60
    lines = int(out.decode().strip())
    assert lines > 5000, err
