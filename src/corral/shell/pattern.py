"""Bash glob patterns: matching (case, [[ == ]], ${x#pat}) and pathname expansion.

A pattern is a string where a backslash makes the next character literal;
the expander escapes quoted text that way, so ``"*"`` never globs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final

from .. import saferegex
from .rewrite import paren_pairs

_CLASSES = {
    "alpha": r"a-zA-Z",
    "digit": r"0-9",
    "alnum": r"a-zA-Z0-9",
    "upper": r"A-Z",
    "lower": r"a-z",
    "space": r" \t\n\r\f\v",
    "blank": r" \t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": r"0-9A-Fa-f",
    "word": r"a-zA-Z0-9_",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}


def has_magic(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?[" or (c in "!@+" and pattern[i + 1 : i + 2] == "("):
            return True
        i += 1
    return False


def glob_magic(pattern: str) -> bool:
    """Whether pathname expansion treats ``pattern`` as a pattern, as bash does: a
    ``*`` or ``?``, an extglob group, or a ``[`` closed by a later ``]`` (a lone
    ``[`` — the ``[`` command — is a plain word, even under nullglob)."""
    i = 0
    n = len(pattern)
    bracket = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?" or (c in "!@+" and pattern[i + 1 : i + 2] == "("):
            return True
        if c == "[":
            bracket = True
        elif c == "]" and bracket:
            return True
        i += 1
    return False


def unescape(pattern: str) -> str:
    return re.sub(r"\\(.)", r"\1", pattern, flags=re.S)


def escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


#: a ``!(…)`` group repeats the rest of its pattern inside its look-ahead, so the regex
#: doubles with each one that follows another: patterns are refused past this size
#: estimate (the pattern's length times 2 to the number of ``!(`` groups)
MAX_TRANSLATED: Final = 1 << 20


@functools.lru_cache(maxsize=1024)
def to_regex(
    pattern: str, anchored: bool = True, greedy: bool = True, nocase: bool = False
) -> re.Pattern[str]:
    """The regex of a glob ``pattern`` (``nocase``: letters match either case, bash's
    ``nocaseglob``/``nocasematch``)."""
    negated = pattern.count("!(")
    if negated and (negated > 20 or len(pattern) << negated > MAX_TRANSLATED):
        raise saferegex.RegexTooExpensive(
            f"pattern too complex: {negated} !(...) groups in {len(pattern):,} characters "
            f"(each one doubles the work; corral stops at {MAX_TRANSLATED:,})"
        )
    body = _translate(pattern, ".*" if greedy else ".*?")
    flags = re.S | re.I if nocase else re.S
    return saferegex.compile(("^" + body + r"\Z") if anchored else body, flags)


def _extglob_end(pattern: str, i: int) -> int:
    """``pattern[i]`` is ``(`` of an extglob group: index of its ``)``, or -1 (every
    group matched in one pass: a scan per group would make thousands of unclosed ``@(``
    cost minutes)."""
    return paren_pairs(pattern, escapes=True)[0].get(i, -1)


def _split_alternatives(text: str) -> list[str]:
    parts, depth, cur, i = [], 0, [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            cur.append(text[i : i + 2])
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _translate(pattern: str, star: str) -> str:
    out: list[str] = []
    doomed: set[int] = set()  # where a bracket expression's scan runs on unclosed
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c in "!@*+?" and i + 1 < n and pattern[i + 1] == "(":
            end = _extglob_end(pattern, i + 1)
            if end > 0:
                alts = "|".join(
                    _translate(a, star) for a in _split_alternatives(pattern[i + 2 : end])
                )
                if c == "!":
                    rest = _translate(pattern[end + 1 :], star)
                    out.append(f"(?:(?!(?:{alts}){rest}$).*?)")
                else:
                    out.append(f"(?:{alts})" + {"@": "", "*": "*", "+": "+", "?": "?"}[c])
                i = end + 1
                continue
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            out.append(star)
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            got = _bracket(pattern, i, doomed)
            if got is None:
                out.append(re.escape("["))
                i += 1
            else:
                piece, i = got
                out.append(piece)
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def match(pattern: str, text: str, nocase: bool = False) -> bool:
    return to_regex(pattern, nocase=nocase).match(text) is not None


def strip_prefix(value: str, pattern: str, longest: bool) -> str:
    if longest:
        m = to_regex(pattern, anchored=False).match_longest(value)
        return value if m is None else value[m.end() :]
    rng = range(0, len(value) + 1)
    rx = to_regex(pattern)
    for k in rng:
        if rx.match(value[:k]):
            return value[k:]
    return value


def strip_suffix(value: str, pattern: str, longest: bool) -> str:
    rng = range(0, len(value) + 1) if longest else range(len(value), -1, -1)
    rx = to_regex(pattern)
    for k in rng:
        if rx.match(value[k:]):
            return value[:k]
    return value


def replace(
    value: str,
    pattern: str,
    repl: str | Callable[[str], str],
    mode: str,
    check: Callable[[], None] | None = None,
    limit: int | None = None,
) -> str:
    """``${v/pat/repl}`` (mode "" first, "/" all, "#" prefix, "%" suffix).
    ``check`` is called now and then (the call's deadline); a result longer
    than ``limit`` raises ``OverflowError``. A callable ``repl`` makes the replacement
    from the matched text (bash's ``patsub_replacement``: ``&``)."""

    def rep(matched: str) -> str:
        return repl(matched) if callable(repl) else repl

    if pattern == "":
        if mode == "#":
            return rep("") + value
        if mode == "%":
            return value + rep("")
        return value
    rx = to_regex(pattern)
    if mode == "#":
        m = to_regex(pattern, anchored=False).match_longest(value)
        return value if m is None else rep(value[: m.end()]) + value[m.end() :]
    if mode == "%":
        for k in range(0, len(value) + 1):
            if rx.match(value[k:]):
                return value[:k] + rep(value[k:])
        return value
    out = []
    # The leftmost position with a non-empty match, the longest one there: RE2's
    # leftmost-longest search finds it in one pass instead of trying every slice.
    body = to_regex(pattern, anchored=False)
    i = 0
    n = len(value)
    size = 0
    while i <= n:
        if check is not None:
            check()
        m = body.search_longest(value, i)
        if m is None:
            break
        s, e = m.span()
        if e > s:
            out.append(value[i:s])
            piece = rep(value[s:e])
            out.append(piece)
            size += s - i + len(piece)
            if limit is not None and size + n - e > limit:
                raise OverflowError("pattern substitution result too large")
            i = e
            if mode != "/":
                break
            continue
        out.append(value[i : s + 1])
        size += s + 1 - i
        i = s + 1
    out.append(value[i:])
    return "".join(out)


def _bracket(pattern: str, i: int, doomed: set[int]) -> tuple[str, int] | None:
    """The bracket expression opened at ``pattern[i]``: its regex and where the pattern
    goes on, or None when no ``]`` closes it (the ``[`` is then a plain character).

    From its second character on, where a scan ends depends only on where it stands, so
    the positions an unclosed scan went through (``doomed``) end any later scan that
    reaches them: a pattern of thousands of unclosed ``[`` costs one pass, not one per
    ``[``."""
    n = len(pattern)
    j = i + 1
    neg = False
    if j < n and pattern[j] in "!^":
        neg = True
        j += 1
    parts: list[str] = []
    first = True
    walked: list[int] = []
    while j < n:
        if not first:
            if j in doomed:
                break
            walked.append(j)
        ch = pattern[j]
        if ch == "]" and not first:
            if parts:
                return "[" + ("^" if neg else "") + "".join(parts) + "]", j + 1
            # only reversed ranges: nothing (or, negated, any character)
            return ("." if neg else "(?!)"), j + 1
        first = False
        cls = _class_at(pattern, j)
        if cls is not None:
            parts.append(_CLASSES[cls])
            j += len(cls) + 4
            continue
        if ch == "\\" and j + 1 < n:
            parts.append(re.escape(pattern[j + 1]))
            j += 2
            continue
        if (
            ch == "-"
            and parts
            and j + 1 < n
            and pattern[j + 1] != "]"
            and _class_at(pattern, j + 1) is None  # POSIX: a class ends no range
        ):
            hi_at = j + 2 if pattern[j + 1] == "\\" and j + 2 < n else j + 1
            lo = pattern[j - 1]
            if ord(lo) > ord(pattern[hi_at]):  # a reversed range matches nothing
                parts.pop()
                j = hi_at + 1
                continue
            parts.append("-")
            j += 1
            continue
        parts.append(re.escape(ch) if ch not in "-" else r"\-")
        j += 1
    doomed.update(walked)
    return None


def _class_at(pattern: str, j: int) -> str | None:
    """The name of the ``[:name:]`` character class at ``pattern[j]``, if one is."""
    if not pattern.startswith("[:", j):
        return None
    end = pattern.find(":]", j + 2, j + 10)  # the longest name has 6 characters
    if end < 0:
        return None
    name = pattern[j + 2 : end]
    return name if name in _CLASSES else None
