"""The loop and pipeline fast paths of issue 15's second round give what bash and GNU give.

A word that is one ``$name`` or ``"$name"`` (taken without building segments), an
assignment's lone ``$((expr))``, a variable read as a number in arithmetic, the
three-argument integer ``test``/``[``, ``sort -n`` keyed without a tuple per line:
each against bash or GNU sort on random and edge-case values, with the general path
forced where the fast one has a twin to compare with.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.files import Workspace
from corral.shell import expand as expand_mod
from corral.shell.builtins.text import _num_value, _num_values, _sort_numeric
from corral.shell.session import new_shell
from corral.shell.testing import BuiltinBench

from .gnu_compare import BASH, builtin_as_gnu, needs_gnu

_FILES = ("a.txt", "b.txt", "ab", "x y")


@pytest.fixture
def root():
    with tempfile.TemporaryDirectory(prefix="corral-loopfast-") as d:
        for name in _FILES:
            (Path(d) / name).write_text("x\n")
        yield Path(d)


def _corral(root: Path, script: str) -> tuple[bytes, int]:
    sh = new_shell(Workspace(root, Budget(wall_s=60)))
    status, out, _err, _ = sh.run(script, deadline=time.monotonic() + 30)
    return out, status


def _bash(root: Path, script: str) -> tuple[bytes, int]:
    p = subprocess.run(
        [BASH, "-c", script], cwd=root, capture_output=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(root)},
    )  # fmt: skip
    return p.stdout, p.returncode


def _q(v: str) -> str:
    return "'" + v.replace("'", "'\\''") + "'"


_VALUES = [
    "", "a", "a b", " lead", "trail ", "1", "10", "*", "a*", "*.txt", "?", "[ab]", "x:y",
    "1 2", "caf\u00e9", "a\tb", "a\nb", "::", "-n", "\\*", "x y",
]  # fmt: skip
_IFS = [None, " \t\n", ":", "", " 1", "*", "a"]


@pytest.mark.skipif(not Path(BASH).exists(), reason="no bash")
@pytest.mark.parametrize("seed", range(3))
def test_lone_variable_words_are_bash(root, seed):
    """``$x``, ``"$x"`` and ``y=$x`` (the fast path) in command words, with every IFS and
    values holding IFS characters, glob characters, nothing; unset ones; ``set -f``;
    ``set -u``; arrays and name references (their value is the general path's)."""
    rnd = random.Random(seed)
    for _ in range(40):
        x = rnd.choice(_VALUES)
        ifs = rnd.choice(_IFS)
        lines = [f"x={_q(x)}", "arr=(first 'se cond')", "declare -n ref=x"]
        if ifs is not None:
            lines.append(f"IFS={_q(ifs)}")
        if rnd.random() < 0.3:
            lines.append("set -f")
        lines += [
            "printf '<%s>' $x \"$x\" pre$x $arr \"$arr\" $ref \"$ref\" $nosuch \"$nosuch\"; echo",
            'y=$x; printf "[%s]" "$y" $y; echo',
            'for w in $x "$x"; do printf "{%s}" "$w"; done; echo',
            "[ $x = $x ] 2>/dev/null; echo $?",
        ]
        if rnd.random() < 0.3:
            lines.append('(set -u; echo "$x" $x; echo $nosuch; echo after) 2>/dev/null; echo "u:$?"')
        script = "\n".join(lines) + "\n"
        assert _corral(root, script) == _bash(root, script), script


@pytest.mark.skipif(not Path(BASH).exists(), reason="no bash")
def test_variables_read_in_arithmetic_are_bash(root):
    """A variable read as a number (``$((i+1))``, ``i++``, ``(( ))``): decimal digits,
    leading zeros (octal), signs, spaces, bases, expressions, huge values, non-ASCII."""
    values = [
        "0", "7", "00", "010", "-010", " 12 ", "08", "0x1f", "2#101", "99999999999999999999",
        "9223372036854775807", "-9223372036854775808", "1+2", "", "  ", "-0", "\u0663",
        "x", "12abc",
    ]  # fmt: skip
    for v in values:
        script = (
            f"x=5; i={_q(v)}\n(echo $((i+1)) $((i*2))) 2>/dev/null; echo \"s:$?\"\n"
            "( ((i++)); echo $i; y=$((i)); echo $y) 2>/dev/null; echo \"s:$?\"\n"
        )
        assert _corral(root, script) == _bash(root, script), v


@pytest.mark.skipif(not Path(BASH).exists(), reason="no bash")
def test_three_argument_integer_test_is_bash(root):
    """``[ A -op B ]`` (the fast path) and ``test``: spaces, signs, leading zeros, what is
    not an integer (status 2), every operator."""
    values = ["5", " 5", "5 ", "+3", "-0", "010", "1e3", "", "x", "-7", "0", "٣", "12"]
    rnd = random.Random(1)
    lines = []
    for _ in range(150):
        a, b = rnd.choice(values), rnd.choice(values)
        op = rnd.choice(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"])
        cmd = rnd.choice(["[", "test"])
        end = " ]" if cmd == "[" else ""
        lines.append(f"{cmd} {_q(a)} {op} {_q(b)}{end} 2>/dev/null; echo $?")
    lines.append("[ 1 -lt 2 -a 3 -gt 4 ]; echo $?")
    lines.append("[ ! -lt 2 ] 2>/dev/null; echo $?")
    script = "\n".join(lines) + "\n"
    assert _corral(root, script) == _bash(root, script)


def _numeric_lines(rnd: random.Random, n: int) -> list[bytes]:
    pieces = [
        b"", b"0", b"00", b"7", b"-7", b"-0", b"007", b"12", b"3.5", b"-3.50", b".5", b"-.5",
        b"1" * 25, b"-" + b"9" * 30, b"abc", b"+4", b"1e3", b"\xff", b"caf\xc3\xa9", b"5.",
    ]  # fmt: skip
    out = []
    for _ in range(n):
        lead = rnd.choice([b"", b"", b" ", b"   ", b"\t", b" \t "])
        tail = rnd.choice([b"", b" w", b" w%d" % rnd.randrange(50), b"\tx", b"x", b" "])
        num = rnd.choice(pieces) if rnd.random() < 0.5 else b"%d" % rnd.randrange(-50, 500)
        out.append(lead + num + tail)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_numeric_keys_are_the_regex_keys(seed):
    """``_num_values`` (a digit word read without the regex) gives ``_num_value``'s
    numbers, and ``_sort_numeric`` the order of ``sort(key=(_num_value, line))``."""
    rnd = random.Random(seed)
    lines = _numeric_lines(rnd, 3000)
    assert _num_values(lines) == [_num_value(x) for x in lines]
    ours = list(lines)
    _sort_numeric(ours)
    assert ours == sorted(lines, key=lambda x: (_num_value(x), x))


@needs_gnu("sort")
@pytest.mark.parametrize("spill", [False, True])
@pytest.mark.parametrize("seed", range(2))
def test_sort_numeric_is_gnu_sort(seed, spill, monkeypatch):
    """``sort -n`` (keys read in one pass, then a stable sort on numbers alone) against
    GNU sort: blanks and tabs before numbers, signs, fractions, leading zeros, numbers
    longer than 18 digits, lines without a number, ties broken by the whole line, -z, and
    runs spilled to disk and merged."""
    from corral.shell.builtins import external_sort

    if spill:
        monkeypatch.setattr(external_sort, "run_bytes", lambda _mb: 20000)
    rnd = random.Random(seed)
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(10):
            rows = _numeric_lines(rnd, rnd.choice([0, 1, 9, 400, 20000]))
            args = ["sort", "-n", *rnd.choice([[], [], ["-z"], ["-s"], ["-r"]])]
            sep = b"\0" if "-z" in args else b"\n"
            data = sep.join(rows) + (sep if rnd.random() < 0.8 else b"")
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C"})


def test_plans_name_only_lone_named_variables_and_arithmetic():
    """The fast paths are taken only for words that are one named variable or one
    unquoted arithmetic expansion; specials, positionals and mixed words are not."""
    plan = expand_mod._plan
    assert plan("$x", True, False, False).var == "x"
    assert plan('"$x"', True, False, False).var_quoted
    assert plan("$((i+1))", True, True, False).arith == "i+1"
    for word in ("$1", "$@", "$?", "${x}y", "a$x", '"$((1))"', "$x$y", "${x:-d}"):
        p = plan(word, True, False, False)
        assert p is None or (p.var is None and p.arith is None), word


@needs_gnu("grep")
@pytest.mark.parametrize("seed", range(3))
def test_literal_grep_across_dense_and_sparse_chunks_is_gnu_grep(seed):
    """ASCII literal patterns (looked for in a chunk's bytes, the check skipped while most
    lines match): chunks of 64 KiB that switch between most lines matching, few and none,
    ``-v``, ``-c``, several patterns, a needle at a chunk's edge, non-ASCII text."""
    rnd = random.Random(seed)
    # (valid UTF-8 only: GNU grep takes a file with encoding errors for binary data)
    words = [b"alpha", b"beta", b"gamma", b"caf\xc3\xa9", b"\xce\xbb", b"needle", b"need"]
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(8):
            rows = []
            for _block in range(rnd.randint(1, 6)):
                share = rnd.choice([0.0, 0.02, 0.5, 0.9, 1.0])
                for _ in range(rnd.choice([10, 3000])):
                    row = b" ".join(rnd.choice(words[:5]) for _ in range(rnd.randint(0, 6)))
                    if rnd.random() < share:
                        # at a word's edge (never inside a character)
                        k = rnd.choice([0, len(row), *(i for i, c in enumerate(row) if c == 32)])
                        row = row[:k] + rnd.choice([b"needle", b"NEEDLE", b"x.y"]) + row[k:]
                    rows.append(row)
            data = b"\n".join(rows) + (b"\n" if rnd.random() < 0.8 else b"")
            pats = rnd.choice([["needle"], ["need"], ["x.y"], ["needle", "gamma"], ["zzz"]])
            args = ["grep", *rnd.choice([[], ["-v"], ["-c"], ["-vc"], ["-F"]])]
            for p in pats:
                args += ["-e", p]
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})


def test_short_forms_are_kept_per_text_and_bounded():
    """An expression's short form is worked out once per text; the memo stays bounded
    under many distinct texts; a text the tokenizer refuses keeps nothing and raises
    each time."""
    from corral.shell import arith as arith_mod
    from corral.shell.arith import Arith, ArithError

    memo = arith_mod._SHORT_FORMS
    memo.clear()
    vals = {"i": "3"}
    a = Arith(lambda n, i: vals.get(n), lambda n, i, v: vals.__setitem__(n, str(v)))
    for k in range(5000):
        assert a.eval(f"i + {k}") == 3 + k
    assert len(memo) <= memo.max_entries and memo.total_cost <= memo.max_cost
    assert memo._data["i + 4999"][0] == (arith_mod._BINARY_FORM, "+", "name", "i", "num", "4999")
    for _ in range(2):
        with pytest.raises(ArithError):
            a.eval("i $ 2")
    assert "i $ 2" not in memo._data
    assert a.eval("i++") == 3 and vals["i"] == "4"
    assert a.eval("i && 0") == 0  # && and || go through the grammar (they skip)
    assert memo._data["i && 0"][0] == (arith_mod._GRAMMAR,)


@pytest.mark.skipif(not Path(BASH).exists(), reason="no bash")
def test_builtins_see_the_environment_of_their_start(root):
    """A built-in's environment is made when it first reads it: exported variables, the
    command's own assignments over them, nothing unexported, in every built-in that reads
    it (env, printenv, awk's ENVIRON), also in a loop whose variables change."""
    script = (
        "export A=1; B=2\n"
        "A=3 printenv A; printenv B; echo \"s:$?\"\n"
        "env | grep -c '^A=1$'; C=5 env | grep '^C='\n"
        "C=6 awk 'BEGIN { print ENVIRON[\"A\"], ENVIRON[\"C\"], (\"B\" in ENVIRON) }'\n"
        "for v in x y; do export A=$v; printenv A; A=z$v printenv A; done\n"
        "printenv A\n"
    )
    assert _corral(root, script) == _bash(root, script)
