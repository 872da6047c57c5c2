"""The shell's fast paths (issue 15) give exactly what the general paths give.

Word plans (the structure of a word, cached per text) against the step-by-step
expansion they replace; the short arithmetic forms against the full grammar; the
batch paths of uniq, cut and grep against the line-by-line ones; the caches stay
bounded; the wall budget still stops loops whose commands all take fast paths;
a pipeline stage's buffered output still reaches the next stage command by
command. (bash itself is the reference in tests/conformance, group speed-paths.)
"""

from __future__ import annotations

import itertools
import random
import re
import tempfile
import time
from pathlib import Path

import pytest

from corral.budget import Budget
from corral.files import Workspace
from corral.shell import arith as arith_mod
from corral.shell import expand as expand_mod
from corral.shell.arith import Arith, ArithError
from corral.shell.session import new_shell
from corral.shell.testing import BuiltinBench

from .gnu_compare import builtin_as_gnu, needs_gnu


@pytest.fixture
def shell():
    root = Path(tempfile.mkdtemp(prefix="corral-speed-"))
    for name in ("a.txt", "b.txt", "c d.txt"):
        (root / name).write_text("x\n")
    sh = new_shell(Workspace(root, Budget(wall_s=60)))
    sh.run(
        "x='a b'; e=; star='*'; arr=(1 '2 3' ''); declare -A m=([k]=v); set -- p 'q r' ''",
        deadline=time.monotonic() + 30,
    )
    return sh


# Words of every kind the planner knows, and some it refuses (unterminated).
_WORDS = [
    "",
    "plain",
    "a\\ b",
    "'single $x'",
    '"double $x ${x} $(echo hi)"',
    '""',
    "''",
    "$x",
    '"$x"',
    "pre${x}post",
    "$e$x$e",
    '"$@"',
    "$@",
    "$*",
    '"$*"',
    '"${arr[@]}"',
    "${arr[@]}",
    "${#arr[@]}",
    "${m[k]}",
    "${x:-dflt}",
    '"${x:-"in quotes"}"',
    "${e:-$x}",
    "${x/a/A}",
    "${x^^}",
    "${#x}",
    "$((1 + 2 * 3))",
    "$[4 + 5]",
    "$(echo sub)",
    "`echo tick`",
    "`echo \\`nested\\``",
    "$'ansi\\tc\\x41'",
    '$"locale"',
    "~",
    "~/dir",
    "~nosuchuser",
    "a:~/b",
    "*.txt",
    "[ab].txt",
    "[",
    "x[",
    "\\*",
    "$star",
    '"$star"',
    "$",
    '"a$"',
    "$1$2$3",
    "${1}${2}",
    "$#$?",
    "\\$x",
    '"\\$x \\" \\\\"',
    "'unterminated",
    '"unterminated',
    "$(unterminated",
    "${unterminated",
]


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # the same error, from either path
        return ("error", type(e).__name__, str(e))


@pytest.mark.parametrize(
    "mode",
    [
        {"tilde": False},
        {"tilde": True},
        {"tilde": True, "assignment": True},
        {"heredoc": True},
    ],
    ids=["plain", "tilde", "assignment", "heredoc"],
)
def test_word_plans_expand_as_the_step_by_step_expansion(shell, mode):
    ex = shell.expander
    for word in _WORDS:
        planned = _outcome(lambda w=word: ex.segments(w, **mode))
        stepwise = _outcome(lambda w=word: ex._segments_slow(w, **mode))
        assert planned == stepwise, word


def test_plans_hold_structure_not_values(shell):
    """The same word, planned once, follows the variables, IFS and glob options."""
    out = []
    for script in (
        "v='1 2'; echo $v",
        "v='3:4'; IFS=:; echo $v; unset IFS",
        "echo *.txt",
        "set -f; echo *.txt; set +f",
        "shopt -s nullglob; echo *.none [ x[; shopt -u nullglob",
        "echo *.none",
    ):
        status, stdout, _err, _ex = shell.run(script, deadline=time.monotonic() + 30)
        assert status == 0
        out.append(stdout.decode())
    assert out == [
        "1 2\n",
        "3 4\n",
        "a.txt b.txt c d.txt\n",
        "*.txt\n",
        "[ x[\n",
        "*.none\n",
    ]


def test_word_plan_cache_is_bounded(shell):
    memo = expand_mod._PLANS
    memo.clear()
    for k in range(expand_mod._PLAN_CACHE_SIZE + 500):
        shell.expander.words([f"w{k}"])
    assert len(memo) <= expand_mod._PLAN_CACHE_SIZE
    big = "y" * (expand_mod._PLAN_MAX_CHARS + 1)
    before = len(memo)
    assert shell.expander.words([big, big]) == [big, big]
    assert len(memo) == before  # long words are not kept
    # many distinct words of many steps: the estimated size stays under its cap
    memo.clear()
    for k in range(3000):
        word = "".join(f"\\{c}" for c in f"{k:04d}" * 100)  # 800 escapes each
        assert shell.expander.words([word]) == [f"{k:04d}" * 100]
    assert memo.total_cost <= memo.max_cost
    assert len(memo) < 3000


def test_arithmetic_token_cache_is_bounded():
    memo = arith_mod._TOKENS
    memo.clear()
    vals: dict[str, str] = {}
    a = Arith(lambda n, i: vals.get(n), lambda n, i, v: vals.__setitem__(n, str(v)))
    for k in range(3000):
        assert a.eval(f"{k} + 1") == k + 1
    assert len(memo) <= memo.max_entries
    for k in range(3000):
        assert a.eval(" + ".join([str(k)] * 200)) == 200 * k
    assert memo.total_cost <= memo.max_cost
    long = " + ".join(["1"] * 600)  # longer than the memo keeps
    assert a.eval(long) == 600


class _FullGrammar(Arith):
    def _short(self, toks):  # type: ignore[override]
        return None


_EXPRS = [
    "x", "7", "0x1f", "010", "2#101", "x + y", "x - 3", "3 * y", "y / x", "x % y", "x ** y",
    "x << 2", "y >> 1", "x & y", "x | y", "x ^ y", "x < y", "x >= 3", "x == y", "x != y",
    "x && y", "x || z", "x++", "x--", "x = 9", "x += y", "x -= 2", "x *= y", "x /= 2",
    "x %= 4", "x <<= 1", "x **= 2", "z = x", "u + 1", "r + 1", "r", "s", "s + 1", "x / z",
    "y / 0", "x ** -1", "5 = 3", "x ++ y", "x y", "+", "x +", "(x)", "-x", "!x", "~x",
    "x , y", "x ? y : z", "a[1] + 1", "big * big", "9223372036854775807 + 1",
]  # fmt: skip


@pytest.mark.parametrize("expr", _EXPRS)
def test_short_arithmetic_matches_the_grammar(expr):
    def run(cls: type[Arith]) -> tuple[object, dict[str, str]]:
        vals = {"x": "6", "y": "4", "z": "0", "r": "x+y", "s": "abc", "big": "4294967296"}

        def get(name: str, index: str | None) -> str | None:
            return vals.get(name if index is None else f"{name}[{index}]")

        def set_(name: str, index: str | None, v: int) -> None:
            vals[name if index is None else f"{name}[{index}]"] = str(v)

        try:
            result: object = cls(get, set_).eval(expr)
        except ArithError as e:
            result = ("error", str(e))
        return result, vals

    assert run(Arith) == run(_FullGrammar)


@pytest.mark.parametrize(
    "script",
    [
        "while :; do i=$((i+1)); done",
        "while true; do x=1; done",
        "i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done",
        "for ((;;)); do :; done",
        "for ((;;)); do ((i++)); done",
    ],
)
def test_the_deadline_stops_loops_of_fast_commands(script):
    sh = new_shell(Workspace(Path(tempfile.mkdtemp(prefix="corral-speed-")), Budget()))
    t = time.monotonic()
    status, _out, _err, exceeded = sh.run(script, deadline=t + 0.5)
    assert exceeded == "wall_time" and status == 137
    assert time.monotonic() - t < 20  # did not hang


def test_a_stage_hands_on_its_output_command_by_command():
    """The pipe between stages is buffered, but every built-in's output is passed
    on when it ends: an endless producer still feeds ``head``."""
    sh = new_shell(Workspace(Path(tempfile.mkdtemp(prefix="corral-speed-")), Budget()))
    t = time.monotonic()
    status, out, _err, exceeded = sh.run(
        "while :; do echo x; sleep 0.01; done | head -2; echo ${PIPESTATUS[1]}",
        deadline=t + 30,
    )
    assert (status, out, exceeded) == (0, b"x\nx\n0\n", None)


def _groups_reference(lines: list[bytes], flag: str) -> bytes:
    out = []
    for body, run in itertools.groupby(lines):
        n = len(list(run))
        if (flag == "-d" and n == 1) or (flag == "-u" and n > 1):
            continue
        out.append((b"%7d %s\n" % (n, body)) if flag == "-c" else body + b"\n")
    return b"".join(out)


@pytest.mark.parametrize("flag", ["", "-c", "-d", "-u"])
def test_uniq_runs_across_batches(flag):
    rnd = random.Random(5)
    lines: list[bytes] = []
    while sum(map(len, lines)) < 3 * 1024 * 1024:  # several 1 MiB batches
        word = b"w%d" % rnd.randrange(50)
        lines.extend([word] * rnd.choice([1, 1, 1, 2, 3, 70000]))
    with BuiltinBench() as bb:
        bb.write("in", b"\n".join(lines) + b"\n")
        r = bb.run(["uniq", *([flag] if flag else []), "in"])
        assert r.status == 0, r.err
        assert r.stdout == _groups_reference(lines, flag)
        last = bb.run(["uniq", "-c"], stdin=b"a\na\nb")  # no final newline
        assert last.stdout == b"      2 a\n      1 b\n"


@pytest.mark.parametrize("spec", ["1", "2-3", "1,3-4", "3-", "-2", "2,2-3,5-"])
def test_cut_fields_match_the_definition(spec):
    rnd = random.Random(9)
    rows = []
    for _ in range(60000):
        rows.append(b":".join(b"f%d" % rnd.randrange(100) for _ in range(rnd.randint(0, 7))))

    def picked(row: bytes) -> bytes | None:
        if b":" not in row:
            return row
        fields = row.split(b":")
        keep = set()
        for part in spec.split(","):
            lo, dash, hi = part.partition("-")
            a = int(lo) if lo else 1
            b = (int(hi) if hi else len(fields)) if dash else a
            keep.update(range(a, b + 1))
        return b":".join(f for i, f in enumerate(fields, 1) if i in keep)

    with BuiltinBench() as bb:
        bb.write("in", b"\n".join(rows) + b"\n")
        r = bb.run(["cut", "-d:", "-f", spec, "in"])
        assert r.status == 0, r.err
        assert r.stdout == b"".join(picked(row) + b"\n" for row in rows)
        s = bb.run(["cut", "-s", "-d:", "-f", spec, "in"])
        assert s.stdout == b"".join(picked(row) + b"\n" for row in rows if b":" in row)


@pytest.mark.parametrize("args", [["w7"], ["-v", "w7"], ["-i", "W1"], ["-v", "-F", "w1"],
                                  ["w1.*w2"], ["-v", "^w3"]])  # fmt: skip
@pytest.mark.parametrize("nul_at", [None, 300_000])
def test_grep_batches_select_what_line_by_line_selects(args, nul_at):
    """Plain output goes by chunks; ``-n`` goes line by line: the same lines (and
    the same stop at binary input, with its message)."""
    rnd = random.Random(3)
    data = b"".join(b"w%d w%d\n" % (rnd.randrange(40), rnd.randrange(40)) for _ in range(60000))
    if nul_at is not None:
        data = data[:nul_at] + b"\0" + data[nul_at:]
    with BuiltinBench() as bb:
        bb.write("in", data)
        fast = bb.run(["grep", *args, "in"])
        slow = bb.run(["grep", "-n", *args, "in"])
        assert fast.status == slow.status
        assert fast.stderr == slow.stderr
        numbered = [line.partition(b":")[2] for line in slow.stdout.splitlines()]
        assert fast.stdout.splitlines() == numbered


# grep over whole chunks (``_Matcher.chunk_hits``): against GNU grep where the two agree
# by construction (text without NUL bytes or invalid UTF-8: GNU calls those binary by
# rules of its own), and against corral's own line-by-line path (``-b`` forces it) on
# every kind of input.

_GREP_WORDS = [b"foo", b"bar", b"Foo", b"BAR", b"foo_bar", b"x", b"xx", b"a.b", b"a-b", b"123",
               b"w1", b"w12", b"\t", b"  ", b"", b"end", b"$", b"^"]  # fmt: skip
_GREP_UTF8 = [b"caf\xc3\xa9", b"\xc3\x89t\xc3\xa9", b"\xe2\x82\xac"]
_GREP_BRE = ["foo", "fo*", "^foo", "bar$", "^$", "^", "$", "x*", "[[:space:]]", "[^a-z ]", "\\s",
             "\\S\\+", "a.b", "\\bfoo\\b", "\\<w1", "w1\\>", "\\w\\+_", "f.o\\|BAR", "x\\{2\\}",
             "[0-9][0-9]*", ".t.", "^.*$", "o b", "\\(foo\\|bar\\) ", "end$", "^[a-z]*$", "a\\.b",
             "[.]", " $", "^ ", "\\s$", "[[:space:]]x", "o[^o]"]  # fmt: skip
_GREP_ERE = ["foo|bar", "(x|w1)2?", "^(foo|bar)$", "[0-9]{2,}", "a.b|^$", "o+ b", "\\bx+\\b",
             "(^| )x( |$)", "\\s+$", "^\\s*$"]  # fmt: skip
_GREP_FIXED = ["foo", "a.b", "x", "o b", "$", "", "caf"]
_GREP_FLAGS = ["", "-c", "-v", "-n", "-o", "-i", "-w", "-x", "-vc", "-nv", "-in", "-iw", "-wx",
               "-m 3", "-m 1 -c", "-m 2 -n", "-l", "-L", "-q", "-H", "-ow", "-on", "-cw", "-vx",
               "-nH", "-oi", "-vn -m 5", "-c -x"]  # fmt: skip


def _grep_data(rnd: random.Random, kind: str) -> bytes:
    words = _GREP_WORDS + (_GREP_UTF8 if kind != "ascii" else [])
    if kind in ("invalid", "nul"):
        words = [*words, b"\xff\xfe", b"\xc3"]
    n = rnd.choice([0, 1, 7, 300, 25000])  # 25,000 lines: several 64 KiB chunks
    dense = rnd.random() < 0.5  # mostly one word: most lines match (the line-by-line switch)
    lines = [
        b" ".join(rnd.choice(words[:3] if dense and rnd.random() < 0.8 else words)
                  for _ in range(rnd.randint(0, 6)))
        for _ in range(n)
    ]  # fmt: skip
    data = b"\n".join(lines) + (b"\n" if rnd.random() < 0.7 else b"")
    if kind == "crlf":
        data = data.replace(b"\n", b"\r\n")
    if kind == "nul" and data:
        p = rnd.randrange(len(data))
        data = data[:p] + b"\0" + data[p:]
    return data


def _grep_case(rnd: random.Random, kind: str) -> list[str]:
    mode = rnd.choice("GEF")
    pool = {"G": _GREP_BRE, "E": _GREP_ERE, "F": _GREP_FIXED}[mode]
    pats = ["-e", rnd.choice(pool)]
    if rnd.random() < 0.15:
        pats += ["-e", rnd.choice(pool)]
    return ["grep", f"-{mode}", *rnd.choice(_GREP_FLAGS).split(), *pats]


def _without_offsets(out: bytes, args: list[str]) -> bytes:
    """``grep -b``'s output without the byte offsets (after the name and the number)."""
    letters = set("".join(a[1:] for a in args if re.fullmatch(r"-[A-Za-z]+", a)))
    if letters & set("clLq"):
        return out
    skip = ("H" in letters) + ("n" in letters)
    return b"\n".join(
        b":".join([*parts[:skip], *parts[skip + 1 :]]) if ln else ln
        for ln in out.split(b"\n")
        for parts in [ln.split(b":", skip + 1)]
    )


@needs_gnu("grep")
@pytest.mark.parametrize("seed", range(4))
def test_grep_by_chunks_is_gnu_grep(seed):
    rnd = random.Random(seed)
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(60):
            kind = rnd.choice(["ascii", "utf8", "crlf"])
            data = _grep_data(rnd, kind)
            args = _grep_case(rnd, kind)
            if kind != "ascii" and any(p in args for p in ("\\w\\+_", "[^a-z ]", ".t.")):
                continue  # classes of non-ASCII characters: GNU's locale tables
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}, what=(kind, args))


@pytest.mark.parametrize("seed", range(3))
def test_grep_by_chunks_selects_what_line_by_line_selects(seed):
    rnd = random.Random(100 + seed)
    with BuiltinBench() as bb:
        for _ in range(60):
            kind = rnd.choice(["ascii", "utf8", "crlf", "invalid", "nul"])
            data = _grep_data(rnd, kind)
            args = _grep_case(rnd, kind)
            if "-o" in " ".join(args):
                continue  # -o -b gives each match's offset: another output
            bb.write("in", data)
            fast = bb.run([*args, "in"])
            slow = bb.run([*args, "-b", "in"])  # -b: line by line
            assert fast.status == slow.status, (kind, args)
            assert fast.stderr == slow.stderr, (kind, args)
            assert fast.stdout == _without_offsets(slow.stdout, args), (kind, args)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "args", [["-E", "(a*)*b"], ["-cE", "(a|aa)+$"], ["-wE", "(x+x+)+y"], ["-x", "\\(a*\\)*c"]]
)
def test_grep_by_chunks_stays_linear_on_pathological_patterns(args):
    with BuiltinBench() as bb:
        bb.write("in", (b"a" * 200_000 + b"\n") * 8 + b"x" * 100_000 + b"\n")
        t0 = time.monotonic()
        r = bb.run(["grep", *args, "in"])
        assert r.status in (0, 1), r.err
        assert time.monotonic() - t0 < 60  # did not hang (linear: well under a second)


@needs_gnu("cut")
@pytest.mark.parametrize("seed", range(3))
def test_cut_one_range_is_gnu_cut(seed):
    """``cut -f`` with one range (a comprehension per batch) against GNU cut: lines
    without the delimiter, with fewer fields, empty ones, -s, another output delimiter,
    no final newline, non-ASCII and invalid UTF-8 bytes."""
    rnd = random.Random(seed)
    cells = [b"", b"a", b"bb", b"caf\xc3\xa9", b"\xff", b" ", b"x y"]
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(25):
            delim = rnd.choice([b",", b" ", b":", b"\t"])
            rows = [
                delim.join(rnd.choice(cells) for _ in range(rnd.randint(1, 6)))
                for _ in range(rnd.choice([1, 50, 30000]))
            ]
            data = b"\n".join(rows) + (b"\n" if rnd.random() < 0.8 else b"")
            spec = rnd.choice(["1", "2", "3", "1-2", "2-4", "2-", "-3", "5", "1-1"])
            args = ["cut", "-d", delim.decode(), "-f", spec]
            args += rnd.choice([[], [], ["-s"], ["--output-delimiter=|"], ["-s", "--output-delimiter=::"]])
            builtin_as_gnu(bb, d, args, data)


@needs_gnu("sort")
@pytest.mark.parametrize("spill", [False, True])
@pytest.mark.parametrize("seed", range(2))
def test_sort_unique_through_a_set_is_gnu_sort(seed, spill, monkeypatch):
    """``sort -u`` without keys holds distinct lines in a set (and goes back to a list
    when most lines differ): the same output as GNU sort, in memory and in spilled runs."""
    from corral.shell.builtins import external_sort

    if spill:
        monkeypatch.setattr(external_sort, "run_bytes", lambda _mb: 20000)
    rnd = random.Random(seed)
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(12):
            distinct = rnd.choice([1, 3, 50, 2000, 10**9])
            rows = [b"w%d" % rnd.randrange(distinct) for _ in range(rnd.choice([0, 1, 9, 30000]))]
            rows += [b"", b"caf\xc3\xa9", b"\xff"] * rnd.randint(0, 2)
            rnd.shuffle(rows)
            data = b"\n".join(rows) + (b"\n" if rnd.random() < 0.8 else b"")
            args = ["sort", "-u", *rnd.choice([[], ["-r"], ["-z"]])]
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C"})


# grep's one ASCII needle (``_Matcher.needle_search``): a batch filtered by a C search for
# the escaped literal instead of ``needle in line`` per line.

_NEEDLES = ["w1", "a.b", "x*", "[", "\\", "(", "$", "^", "w", "aaaa", "1", "caf", "a b", "-"]


@needs_gnu("grep")
@pytest.mark.parametrize("seed", range(3))
def test_grep_one_needle_is_gnu_grep(seed):
    """Dense and sparse matches, regex characters in ``-F`` needles, ``-v -c -n -m``, lines
    with bytes that are not UTF-8, no final newline, empty input, a megabyte line."""
    rnd = random.Random(500 + seed)
    words = [b"w1", b"w12", b"w2", b"a.b", b"axb", b"x*", b"[", b"\\", b"(", b"$", b"^", b"aaaaa",
             b"caf\xc3\xa9", b"\xff\xfe", b"\xc3", b"", b"a b", b"-"]  # fmt: skip
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(30):
            n = rnd.choice([0, 1, 5, 400, 30000])
            dense = rnd.random() < 0.5
            lines = [
                b" ".join(rnd.choice(words[:2] if dense and rnd.random() < 0.9 else words)
                          for _ in range(rnd.randint(0, 5)))
                for _ in range(n)
            ]  # fmt: skip
            if n and rnd.random() < 0.2:
                lines[rnd.randrange(n)] = b"w1" * rnd.randint(0, 1) + b"z" * 1_100_000 + b"aaaa"
            data = b"\n".join(lines) + (b"\n" if rnd.random() < 0.7 else b"")
            needle = rnd.choice(_NEEDLES)
            plain = re.fullmatch(r"[A-Za-z0-9 ]+", needle) is not None
            mode = ["-F"] if not plain or rnd.random() < 0.5 else []
            flags = rnd.choice([[], [], ["-v"], ["-c"], ["-n"], ["-vc"], ["-m", "7"], ["-vn"]])
            args = ["grep", *mode, *flags, "-e", needle]
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
                           what=(args, n, dense))  # fmt: skip


@pytest.mark.timeout(120)
def test_grep_one_needle_stays_linear():
    """A needle that almost matches everywhere (``a…ab`` over runs of ``a``): the literal
    search does not restart from each position."""
    with BuiltinBench() as bb:
        bb.write("in", (b"a" * 1_000_000 + b"\n") * 4 + b"a" * 255 + b"b\n")
        t0 = time.monotonic()
        r = bb.run(["grep", "-c", "a" * 255 + "b", "in"])
        assert (r.status, r.stdout) == (0, b"1\n"), r.err
        assert time.monotonic() - t0 < 60  # did not hang (linear: well under a second)


def test_first_of_runs_is_groupby():
    from corral.shell.builtins.external_sort import first_of_runs

    rnd = random.Random(9)
    for n in [0, 1, 2, 3, 10, 1000]:
        for alphabet in (1, 2, 5, 10**6):
            lines = sorted(b"%d" % rnd.randrange(alphabet) for _ in range(n))
            assert first_of_runs(lines) == [k for k, _ in itertools.groupby(lines)]


@needs_gnu("sort")
@pytest.mark.parametrize("seed", range(3))
def test_sort_n_with_one_leading_number_is_gnu_sort(seed):
    """``sort -n`` when the first and last lines (by bytes) begin with the same number and
    the byte after it (``uniq -c`` of distinct lines, text without numbers): the byte
    order, as GNU sort gives it; and the near misses (another number between, a number
    that goes on, decimals, signs, blanks, lines that are only the number)."""
    rnd = random.Random(700 + seed)
    heads = [b"      1 ", b"1 ", b"1", b"10", b"1.5", b"1.", b"-0 ", b"-1 ", b"\t3\t", b" 2x", b"",
             b"w", b"007 ", b"7 ", b"1.50 ", b"\xff"]  # fmt: skip
    tails = [b"", b"a", b"b c", b"word1 word2", b"\xc3\xa9", b"\xfe", b" ", b"9", b".5", b"0"]
    with BuiltinBench() as bb, tempfile.TemporaryDirectory() as d:
        for _ in range(25):
            common = rnd.choice(heads)
            n = rnd.choice([0, 1, 2, 3, 40, 20000])
            rows = [
                (common if rnd.random() < 0.95 else rnd.choice(heads)) + rnd.choice(tails)
                + (b"%d" % rnd.randrange(50) if rnd.random() < 0.5 else b"")
                for _ in range(n)
            ]  # fmt: skip
            data = b"\n".join(rows) + (b"\n" if rnd.random() < 0.8 else b"")
            args = ["sort", "-n", *rnd.choice([[], [], ["-u"]])]
            builtin_as_gnu(bb, d, args, data, env={"LC_ALL": "C"}, what=(common, n, args))
        # the first and the last line share the number's text but not the byte after it
        for rows in ([b"1 a", b"10 b", b"1x"], [b"-1 a", b"-10", b"-1z"], [b"1.5 a", b"1.55", b"1.5z"],
                     [b"  1 a", b"  10", b"  1z"], [b"1", b"12", b"1a"], [b"1.", b"1.0x", b"1.z"]):  # fmt: skip
            builtin_as_gnu(bb, d, ["sort", "-n"], b"\n".join(rows) + b"\n", env={"LC_ALL": "C"})
