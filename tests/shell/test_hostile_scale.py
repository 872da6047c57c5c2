"""Hostile lines that cost time growing with the square (or worse) of their length.

Each shape here once burned a call's whole wall budget in the shell worker from a line
of a few kilobytes (or, for ``!(…)`` groups, 72 characters): a scan to the end of the
text per ``((``, per extglob ``@(``, per unclosed ``[``; a walk of every job ever
started per ``&``; a glob translation that doubled with each ``!(…)``. The fixed
matchers are checked against the old scans (kept here as the reference) on random
texts, and the hostile shapes must finish far inside a "did not hang" bound (the
machines are shared: the bound is generous, the old code took minutes).
"""

from __future__ import annotations

import contextlib
import random
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget
from corral.files import Workspace
from corral.saferegex import RegexTooExpensive
from corral.shell import interp, parser, pattern
from corral.shell.interp import Shell
from corral.shell.lexer import ShellSyntaxError
from corral.shell.rewrite import close_paren
from corral.shell.session import new_shell

# -- the old scans: the reference -----------------------------------------------------


def _close_paren_scan(text: str, i: int, *, line: bool = False) -> int | None:
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        elif c == "\n" and line:
            return None
        i += 1
    return None


def _extglob_end_scan(p: str, i: int) -> int:
    depth, j = 0, i
    while j < len(p):
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _bracket_scan(p: str, i: int) -> tuple[str, int] | None:
    n, j, neg = len(p), i + 1, False
    if j < n and p[j] in "!^":
        neg, j = True, j + 1
    parts: list[str] = []
    first = True
    while j < n:
        ch = p[j]
        if ch == "]" and not first:
            if parts:
                return "[" + ("^" if neg else "") + "".join(parts) + "]", j + 1
            return ("." if neg else "(?!)"), j + 1
        first = False
        if ch == "[" and p.startswith("[:", j):
            end = p.find(":]", j + 2)
            if end > 0 and p[j + 2 : end] in pattern._CLASSES:
                parts.append(pattern._CLASSES[p[j + 2 : end]])
                j = end + 2
                continue
        if ch == "\\" and j + 1 < n:
            parts.append(re.escape(p[j + 1]))
            j += 2
            continue
        if ch == "-" and parts and j + 1 < n and p[j + 1] != "]":
            hi_at = j + 2 if p[j + 1] == "\\" and j + 2 < n else j + 1
            if ord(p[j - 1]) > ord(p[hi_at]):
                parts.pop()
                j = hi_at + 1
                continue
            parts.append("-")
            j += 1
            continue
        parts.append(re.escape(ch) if ch != "-" else r"\-")
        j += 1
    return None


_PAREN_ALPHABET = "(((()))\n a$x\"'"
_GLOB_ALPHABET = "[[]]]!^-\\\\az09:*?()|@+"


def _texts(alphabet: str, n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 24))) for _ in range(n)]


def test_close_paren_matches_the_scan() -> None:
    for text in _texts(_PAREN_ALPHABET, 3000, 1):
        for i, c in enumerate(text):
            if c == "(":
                for line in (False, True):
                    assert close_paren(text, i, line=line) == _close_paren_scan(
                        text, i, line=line
                    ), (text, i, line)


def test_extglob_groups_match_the_scan() -> None:
    # asked only for a "(" after one of !@*+? (which is no backslash: the "(" stands
    # where a scan from the pattern's start would read a character of its own)
    for text in _texts(_GLOB_ALPHABET, 3000, 2):
        for i, c in enumerate(text):
            if c == "(" and i and text[i - 1] in "!@*+?":
                assert pattern._extglob_end(text, i) == _extglob_end_scan(text, i), (text, i)


def test_bracket_expressions_match_the_scan() -> None:
    # a range ending in a character class is undefined in POSIX; corral's "-" before
    # `[:name:]` is a plain "-" (the old scan took `[` as the range's end)
    undefined = re.compile(r"-\[:(" + "|".join(pattern._CLASSES) + r"):\]")
    for text in _texts(_GLOB_ALPHABET + "[:alpha:][:digit:]", 4000, 3):
        if undefined.search(text):
            continue
        for i, c in enumerate(text):
            if c == "[":
                got = pattern._bracket(text, i, set())
                assert got == _bracket_scan(text, i), (text, i)


def test_doomed_positions_give_the_same_translation() -> None:
    # one translation shares what its unclosed scans walked: each `[` alone agrees
    for text in _texts(_GLOB_ALPHABET, 3000, 4):
        whole = pattern._translate(text, ".*")
        again = pattern._translate(text, ".*")
        assert whole == again
        for i, c in enumerate(text):
            if c == "[":
                assert pattern._bracket(text, i, set()) == _bracket_scan(text, i), (text, i)


# -- the hostile shapes ---------------------------------------------------------------

#: seconds: the old code took 20 s to minutes on each of these; the fixed one < 1 s
_DID_NOT_HANG = 20.0
_SIZE = 64_000


@pytest.mark.parametrize(
    "unit", ["*?[", "[\\]", "[", "@(", "!(", "+(a", "[:", "[a-", "[!]"], ids=repr
)
def test_hostile_glob_patterns_translate_in_one_pass(unit: str) -> None:
    text = unit * (_SIZE // len(unit))
    t = time.monotonic()
    with contextlib.suppress(RegexTooExpensive):  # refused by name is fine; a hang is not
        pattern.to_regex(text)
    assert time.monotonic() - t < _DID_NOT_HANG


@pytest.mark.parametrize("groups", [18, 24, 2000])
def test_negated_groups_are_refused_before_they_double(groups: int) -> None:
    t = time.monotonic()
    with pytest.raises(RegexTooExpensive, match=r"pattern too complex: \d+ !\(\.\.\.\) groups"):
        pattern.to_regex("!(a)" * groups)
    assert time.monotonic() - t < _DID_NOT_HANG
    assert pattern.match("!(a)!(b)", "xy")  # a few are still translated


@pytest.fixture
def sh() -> Iterator[Shell]:
    with tempfile.TemporaryDirectory() as d:
        yield new_shell(Workspace(Path(d), Budget(wall_s=120)))


def _run(sh: Shell, script: str) -> tuple[int, str, str]:
    status, out, err, _ = sh.run(script, deadline=time.monotonic() + 120)
    return status, out.decode(), err.decode()


@pytest.mark.parametrize("unit", ["((", "$((", "@(", "!("], ids=repr)
def test_hostile_parentheses_parse_in_one_pass(sh: Shell, unit: str) -> None:
    t = time.monotonic()
    status, _, _ = _run(sh, "echo " + unit * (_SIZE // len(unit)))
    assert time.monotonic() - t < _DID_NOT_HANG
    assert status == 2  # a syntax error, as bash says


def test_a_pattern_too_complex_is_an_error_not_a_crash(sh: Shell) -> None:
    status, out, err = _run(sh, "shopt -s extglob\ncase xyz in " + "!(a)" * 20 + ") echo m;; esac")
    assert status == 2 and out == ""
    assert "pattern too complex" in err and "internal error" not in err


def test_the_job_table_stays_small(sh: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    stop = Shell._stop_jobs

    def measured(self: Shell) -> None:
        sizes.append(len(self.jobs))
        stop(self)

    monkeypatch.setattr(Shell, "_stop_jobs", measured)
    n = interp.MAX_ENDED_JOBS + interp.MAX_JOBS + 200
    got = _run(sh, f"for i in $(seq {n}); do true & done; wait; echo $((1 + 1))")
    assert got == (0, "2\n", "")
    # bounded by what runs at once plus what ended and is remembered (not n)
    assert 0 < sizes[-1] <= interp.MAX_ENDED_JOBS + interp.MAX_JOBS
    assert _run(sh, "sleep 0.2 & wait %1; echo $?") == (0, "0\n", "")
    assert _run(sh, "true & j=$!; for i in $(seq 200); do true & done; wait $j; echo $?")[:2] == (
        0,
        "0\n",
    )


def test_brace_products_are_counted_before_they_are_made(sh: Shell) -> None:
    # 800 pairs: the old expansion built 131,072 lists of 4,000 pieces (gigabytes)
    # before its count check
    t = time.monotonic()
    status, _, err = _run(sh, "echo " + "{a,b}" * 800 + "; echo after")
    assert time.monotonic() - t < _DID_NOT_HANG
    assert status != 0 and "brace expansion: too many words" in err
    assert _run(sh, "echo x{1..3}{a,b}")[1] == "x1a x1b x2a x2b x3a x3b\n"


def test_process_substitutions_of_one_command_are_bounded(sh: Shell) -> None:
    # 8,000 `<(echo)` on one command: each walked all the earlier ones (34 s at 64 KB)
    t = time.monotonic()
    status, _, err = _run(sh, "cat " + "<(echo) " * 8000)
    assert time.monotonic() - t < _DID_NOT_HANG
    assert status != 0 and "process substitution: too many for one command" in err
    assert _run(sh, "cat <(echo a) <(echo b)")[:2] == (0, "a\nb\n")


# -- tree-sitter-bash's own costs: long broken pipelines, nested `a=(` ----------------


def _stages(text: str) -> str | None:
    try:
        parser._check_pipelines(text)
    except ShellSyntaxError as e:
        return str(e)
    return None


_OPEN = "a|" * (parser.MAX_PIPELINE + 10)


@pytest.mark.parametrize(
    "text",
    [
        _OPEN,
        _OPEN + "a )",
        _OPEN + "&&",
        "a | " * (parser.MAX_PIPELINE + 10),
        "x=1|" * (parser.MAX_PIPELINE + 10),
        "a|&" * (parser.MAX_PIPELINE + 10),
        'echo "$(' + _OPEN,
        "echo $(" + _OPEN,
        "echo `" + _OPEN,
        "echo <(" + _OPEN,
        "{ " + _OPEN,
        "a|$(b;)|" * parser.MAX_PIPELINE,  # a list inside a stage does not end the pipeline
        "a|(b)|" * parser.MAX_PIPELINE,
        "a|a) " * 10 + _OPEN,  # a stray `)` does not reset the count
    ],
    ids=lambda t: repr(t[:12]),
)
def test_a_pipeline_too_long_for_the_parser_is_refused_before_it(text: str) -> None:
    # tree-sitter-bash's error recovery on these took memory growing with the square of
    # the stages (4,000: ~240 MB, 16,000: ~4 GB): the worker died
    assert "a pipeline of more than 2048 commands" in (_stages(text) or "")


@pytest.mark.parametrize(
    "text",
    [
        "a|" * (parser.MAX_PIPELINE - 1) + "a",
        "echo '" + _OPEN + "'",
        'echo "' + _OPEN + '"',
        "# " + _OPEN + "\necho ok",
        "echo " + "a\\|" * 3000,
        ("a|" * 100 + "a;") * 100,
        ("a|" * 100 + "a\n") * 100,
        "[[ $x =~ " + "a|" * 50 + "b ]] && " * 100 + "true",
    ],
    ids=lambda t: repr(t[:12]),
)
def test_pipes_that_are_not_one_long_pipeline_pass(text: str) -> None:
    assert _stages(text) is None


def test_a_long_pipeline_runs_and_a_longer_one_is_a_syntax_error(sh: Shell) -> None:
    assert _run(sh, "echo a|" + "cat|" * 1500 + "wc -c") == (0, "2\n", "")
    status, out, err = _run(sh, "echo before\n" + "a|" * 8000)
    assert (status, out) == (2, "before\n")
    assert "a pipeline of more than 2048 commands" in err


def test_the_parser_is_stopped_past_its_cpu_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # nested `a=(` costs tree-sitter-bash time growing with the square of the line
    monkeypatch.setattr(parser, "MAX_PARSE_CPU_S", 0.3)
    t = time.monotonic()
    with pytest.raises(parser.ParseTooCostly, match=r"more than 0\.3 s of CPU"):
        parser.parse.__wrapped__("echo hi\n" + "a=(" * 40_000)
    assert time.monotonic() - t < _DID_NOT_HANG
    # the parser is usable afterwards (a stopped parse resumes unless it is reset)
    assert parser.parse.__wrapped__("echo " + "x " * 3000) is not None
    tree, err = parser.parse_until_error("echo hi\n" + "a=(" * 40_000)
    assert tree is None and isinstance(err, parser.ParseTooCostly)


@pytest.mark.timeout(120)
def test_the_parser_is_stopped_near_the_workers_memory_budget() -> None:
    import corral

    with corral.Sandbox(budget=Budget(memory_mb=64)) as sb:  # memory runs out before 2 s
        r = sb.run("echo hi\n" + "a=(" * 40_000)
        # (on a loaded machine the 2 s of CPU can come first: stopped all the same)
        stopped = ("memory to read (corral stops there)", "of CPU to read (corral stops there)")
        assert r.exit_code == 2 and any(s in r.stderr for s in stopped), r
        assert "internal error" not in r.stderr
        assert sb.run("echo still").stdout == "still\n"
