"""Bash glob patterns: matching (case, [[ == ]], ${x#pat}) and pathname expansion.

A pattern is a string where a backslash makes the next character literal;
the expander escapes quoted text that way, so ``"*"`` never globs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from .. import saferegex

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


@functools.lru_cache(maxsize=1024)
def to_regex(pattern: str, anchored: bool = True, greedy: bool = True) -> re.Pattern[str]:
    body = _translate(pattern, ".*" if greedy else ".*?")
    return saferegex.compile(("^" + body + r"\Z") if anchored else body, re.S)


def _extglob_end(pattern: str, i: int) -> int:
    """``pattern[i]`` is ``(`` of an extglob group: index of its ``)``."""
    depth = 0
    j = i
    while j < len(pattern):
        c = pattern[j]
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
            j = i + 1
            neg = False
            if j < n and pattern[j] in "!^":
                neg = True
                j += 1
            parts: list[str] = []
            first = True
            closed = False
            while j < n:
                ch = pattern[j]
                if ch == "]" and not first:
                    closed = True
                    break
                first = False
                if ch == "[" and pattern.startswith("[:", j):
                    end = pattern.find(":]", j + 2)
                    if end > 0 and pattern[j + 2 : end] in _CLASSES:
                        parts.append(_CLASSES[pattern[j + 2 : end]])
                        j = end + 2
                        continue
                if ch == "\\" and j + 1 < n:
                    parts.append(re.escape(pattern[j + 1]))
                    j += 2
                    continue
                if ch == "-" and parts and j + 1 < n and pattern[j + 1] != "]":
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
            if not closed:
                out.append(re.escape("["))
                i += 1
                continue
            if parts:
                out.append("[" + ("^" if neg else "") + "".join(parts) + "]")
            else:  # only reversed ranges: nothing (or, negated, any character)
                out.append("." if neg else "(?!)")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def match(pattern: str, text: str) -> bool:
    return to_regex(pattern).match(text) is not None


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
    repl: str,
    mode: str,
    check: Callable[[], None] | None = None,
    limit: int | None = None,
) -> str:
    """``${v/pat/repl}`` (mode "" first, "/" all, "#" prefix, "%" suffix).
    ``check`` is called now and then (the call's deadline); a result longer
    than ``limit`` raises ``OverflowError``."""
    if pattern == "":
        if mode == "#":
            return repl + value
        if mode == "%":
            return value + repl
        return value
    rx = to_regex(pattern)
    if mode == "#":
        m = to_regex(pattern, anchored=False).match_longest(value)
        return value if m is None else repl + value[m.end() :]
    if mode == "%":
        for k in range(0, len(value) + 1):
            if rx.match(value[k:]):
                return value[:k] + repl
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
            out.append(repl)
            size += s - i + len(repl)
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
