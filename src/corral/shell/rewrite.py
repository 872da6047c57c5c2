"""Text rewrites the parser applies before tree-sitter-bash sees a script.

tree-sitter-bash refuses some valid bash; ``parser.py`` and ``parse_gaps.py`` rewrite
such text into text it parses, outside quotes, and mark what they changed with words a
script cannot write (they carry this process's random tag). This module holds the
shared pieces: the scan that finds trigger characters outside quotes and backslash
escapes, the matcher of a closing parenthesis, and the placeholders that stand for hidden
text until the tree is made.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import secrets
from collections.abc import Callable

#: placeholder -> text tree-sitter-bash cannot parse where it stands (an extglob such as
#: ``!(*.txt)`` in a command word, an arithmetic expression such as ``0x$b-0x$a``); a
#: parse removes its own placeholders once its tree is made
EXTGLOBS: dict[str, str] = {}
#: placeholders and marker words carry this process's random tag, so a script cannot
#: write one
TAG = secrets.token_hex(4)
_HOLE_IDS = itertools.count()
HOLE = re.compile(r"__corral_xg\d+x" + TAG + "__")

#: what a rewrite hook gives back: the replacement text and where to go on, or None.
#: It is called as ``at(text, i, in_dq)``: ``in_dq`` says whether ``i`` stands inside
#: double quotes (only when the scan enters them, ``enter_dq=True``)
Hook = Callable[[str, int, bool], tuple[str, int] | None]

_STOPS: dict[tuple[str, bool, str], re.Pattern[str]] = {}
#: a `#` after one of these (or at the start) begins a comment
_BEFORE_COMMENT = " \t\n;&|()"


def hole(content: str) -> str:
    """A placeholder standing for ``content`` until the tree is made."""
    key = f"__corral_xg{next(_HOLE_IDS)}x{TAG}__"
    EXTGLOBS[key] = content
    return key


def restore_holes(word: str) -> str:
    """``word`` with its placeholders replaced by the text they stand for."""
    if "__corral_xg" not in word:
        return word
    return HOLE.sub(lambda m: EXTGLOBS.get(m.group(0), m.group(0)), word)


def drop_holes(text: str) -> None:
    """Forget the placeholders ``text`` holds (its tree is made)."""
    if "__corral_xg" in text:
        for key in set(HOLE.findall(text)):
            EXTGLOBS.pop(key, None)


def rewrite_outside_quotes(text: str, triggers: str, at: Hook, *, enter_dq: bool = False,
                           words: str = "") -> str:  # fmt: skip
    """``text`` with ``at(text, i, in_dq)`` applied where one of ``triggers`` stands
    outside comments, single quotes and backslash escapes, and outside double quotes
    unless ``enter_dq``; the stretches in between are copied as they are (found by a regex, so a
    long script costs one scan, not a Python step per character). ``words``, a regex,
    adds triggers longer than a character (the hook is called at their start)."""
    stop = _STOPS.get((triggers, enter_dq, words))
    if stop is None:
        stop = _STOPS[(triggers, enter_dq, words)] = re.compile(
            "[#\\\\'\"" + re.escape(triggers) + "]" + ("|" + words if words else "")
        )
    out: list[str] = []
    i = 0
    n = len(text)
    in_dq = False
    while i < n:
        m = stop.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        j = m.start()
        out.append(text[i:j])
        c = text[j]
        if c == "\\":
            out.append(text[j : j + 2])
            i = j + 2
            continue
        if c == "#" and not in_dq and (j == 0 or text[j - 1] in _BEFORE_COMMENT):
            k = text.find("\n", j)
            k = n if k < 0 else k
            out.append(text[j:k])
            i = k
            continue
        if c == '"' and enter_dq:
            in_dq = not in_dq
            out.append(c)
            i = j + 1
            continue
        if (c == "'" and not in_dq) or c == '"':
            k = text.find(c, j + 1) if c == "'" else dq_end(text, j)
            k = n if k < 0 else k + 1
            out.append(text[j:k])
            i = k
            continue
        got = at(text, j, in_dq) if c in triggers or len(m.group(0)) > 1 else None
        if got is None:
            out.append(c)
            i = j + 1
        else:
            rep, i = got
            out.append(rep)
    return "".join(out)


def dq_end(text: str, i: int) -> int:
    """Where the double quote that closes the one at ``i`` is, or -1."""
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == '"':
            return j
        j += 1
    return -1


def close_paren(text: str, i: int, *, line: bool = False) -> int | None:
    """Where the ``)`` that closes the ``(`` at ``i`` is (nested pairs counted), or
    None; with ``line``, None as well when a newline comes first.

    Every ``(`` of a text is matched in one pass, kept for the last few texts: a hook
    asks once per ``(`` of a script, and a scan per ask would make a line of 40,000
    unclosed ``((`` cost minutes (n asks of n characters each)."""
    if text[i : i + 1] != "(":
        return None
    closes, newlines = paren_pairs(text)
    end = closes.get(i)
    if end is None or not line:
        return end
    k = bisect.bisect_right(newlines, i)
    return None if k < len(newlines) and newlines[k] < end else end


_PAREN_OR_NEWLINE = re.compile(r"[()\n]")
_ESCAPE_PAREN_OR_NEWLINE = re.compile(r"\\.|[()\n]", re.S)


@functools.lru_cache(maxsize=16)
def paren_pairs(text: str, escapes: bool = False) -> tuple[dict[int, int], list[int]]:
    """Each ``(`` of ``text`` that is closed -> its ``)``, all matched in one pass, and
    where the newlines are. With ``escapes``, a backslash makes the next character plain
    (a glob pattern's ``\\(``)."""
    closes: dict[int, int] = {}
    opened: list[int] = []
    newlines: list[int] = []
    for m in (_ESCAPE_PAREN_OR_NEWLINE if escapes else _PAREN_OR_NEWLINE).finditer(text):
        c, at = m.group(), m.start()
        if c == "(":
            opened.append(at)
        elif c == ")":
            if opened:
                closes[opened.pop()] = at
        elif c == "\n":
            newlines.append(at)
    return closes, newlines
