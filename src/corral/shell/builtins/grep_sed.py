"""``grep`` / ``egrep`` / ``fgrep`` and ``sed``, and the POSIX regex translation they share.

POSIX basic (BRE) and extended (ERE) regular expressions are translated to Python
``re`` syntax by :func:`posix_to_python` (C locale: character classes are ASCII,
ranges are in code point order). Where POSIX wants the leftmost-*longest* match and
Python gives the leftmost-*first*, the top-level alternatives of a pattern are tried
one by one at the leftmost match position and the longest wins (nested alternations
keep Python's order).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import io
import itertools
import os
import re
import secrets
import stat as statmod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ... import saferegex
from .. import hostfs as hfs
from ..command import CommandContext, CommandError, UsageError, command, decode, encode

# ---------------------------------------------------------------------------
# POSIX regular expressions -> Python re
# ---------------------------------------------------------------------------


class RegexError(ValueError):
    """A POSIX regex that GNU would refuse; the message is GNU's wording."""


_WORD_CLASS = "[A-Za-z0-9_]"
# Case-sensitive even under -i, so that saferegex can write them as RE2 word boundaries.
_NOT_WORD = "(?-i:(?<![A-Za-z0-9_]))"
_NO_WORD_AFTER = "(?-i:(?![A-Za-z0-9_]))"

# Bracket-expression classes, as Python character-set fragments (C locale).
_CLASSES = {
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "0-9A-Za-z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
}

_ESCAPES = {
    "w": _WORD_CLASS,
    "W": "[^A-Za-z0-9_]",
    "s": "[ \\t\\n\\r\\f\\v]",
    "S": "[^ \\t\\n\\r\\f\\v]",
}

_ANCHOR_ESCAPES = {
    "b": "(?a:\\b)",
    "B": "(?a:\\B)",
    "<": "(?a:\\b(?=\\w))",
    ">": "(?a:\\b(?<=\\w))",
    "`": "\\A",
    "'": "\\Z",
}

_UNMATCHED_BRACKET = "Unmatched [, [^, [:, [., or [="
_RE_DUP_MAX = 32767
_COLON_CLASS = "character class syntax is [[:space:]], not [:space:]"


def _set_char(c: str) -> str:
    """One character inside a Python character set."""
    if c in "\\]-[^&~|":
        return "\\" + c
    if c == "\n":
        return "\\n"
    return c


@dataclass
class _Translated:
    alternatives: list[str]  # top-level alternatives, Python syntax
    groups: int
    backrefs: bool
    warnings: list[str]

    @property
    def python(self) -> str:
        return "|".join(self.alternatives)

    def variants(self) -> list[str]:
        """One pattern per top-level alternative in which the others can never
        match, so group numbers stay those of the whole pattern."""
        alts = self.alternatives
        if len(alts) < 2:
            return [self.python]
        return [
            "|".join(a if j == k else "(?!)" + a for j, a in enumerate(alts))
            for k in range(len(alts))
        ]


class _Translator:
    def __init__(self, pattern: str, extended: bool, multiline: bool) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.ere = extended
        self.ml = multiline
        self.groups = 0
        self.closed: set[int] = set()
        self.backrefs = False
        self.warnings: list[str] = []

    # Each alternative is a list of [text, kind]; kind: "atom", "quant", "anchor", "caret".

    def run(self) -> _Translated:
        p, n, ere = self.p, self.n, self.ere
        frames: list[tuple[list[list[list[str]]], int]] = []
        alts: list[list[list[str]]] = [[]]
        i = 0
        while i < n:
            c = p[i]
            i += 1
            cur = alts[-1]
            if c == "\\":
                if i >= n:
                    raise RegexError("Trailing backslash")
                c = p[i]
                i += 1
                if not ere and c == "(":
                    frames.append((alts, self._open()))
                    alts = [[]]
                elif not ere and c == ")":
                    if not frames:
                        raise RegexError("Unmatched ) or \\)")
                    alts = self._close(frames, alts)
                elif not ere and c == "|":
                    alts.append([])
                elif not ere and c == "{":
                    if self._at_start(cur):
                        cur.append([re.escape("{"), "atom"])
                    else:
                        q, i = self._interval(i, bre=True)
                        self._quantify(cur, q)
                elif not ere and c in "+?":
                    if self._at_start(cur):
                        cur.append([re.escape(c), "atom"])
                    else:
                        self._quantify(cur, c)
                elif c in "123456789":
                    num = int(c)
                    if num not in self.closed:
                        raise RegexError("Invalid back reference")
                    self.backrefs = True
                    cur.append([f"(?:\\{num})", "atom"])
                elif c in _ESCAPES:
                    cur.append([_ESCAPES[c], "atom"])
                elif c in _ANCHOR_ESCAPES:
                    cur.append([_ANCHOR_ESCAPES[c], "anchor"])
                else:
                    cur.append([re.escape(c), "atom"])
            elif c == "[":
                text, i = self._bracket(i)
                cur.append([text, "atom"])
            elif c == ".":
                cur.append([".", "atom"])
            elif c == "*" or (ere and c in "+?"):
                if self._at_start(cur):
                    if not ere:
                        cur.append([re.escape(c), "atom"])
                    else:  # GNU grep ignores it (with a warning); sed refuses it
                        self.warnings.append(f"{c} at start of expression")
                else:
                    self._quantify(cur, c)
            elif ere and c == "{":
                q, j = self._interval(i, bre=False)
                if q is None:
                    cur.append([re.escape("{"), "atom"])
                elif self._at_start(cur):
                    i = j
                    self.warnings.append("{...} at start of expression")
                else:
                    i = j
                    self._quantify(cur, q)
            elif ere and c == "(":
                frames.append((alts, self._open()))
                alts = [[]]
            elif ere and c == ")":
                if frames:
                    alts = self._close(frames, alts)
                else:
                    cur.append([re.escape(")"), "atom"])
            elif ere and c == "|":
                alts.append([])
            elif c == "^":
                if ere or not cur:
                    cur.append(["^", "caret"])
                else:
                    cur.append([re.escape(c), "atom"])
            elif c == "$":
                if ere or i == n or p.startswith("\\)", i) or p.startswith("\\|", i):
                    cur.append(["$" if self.ml else "\\Z", "anchor"])
                else:
                    cur.append([re.escape(c), "atom"])
            else:
                cur.append([re.escape(c), "atom"])
        if frames:
            raise RegexError("Unmatched ( or \\(")
        return _Translated(
            ["".join(t for t, _ in alt) for alt in alts],
            self.groups,
            self.backrefs,
            self.warnings,
        )

    @staticmethod
    def _at_start(cur: list[list[str]]) -> bool:
        return all(kind == "caret" for _, kind in cur)

    def _open(self) -> int:
        self.groups += 1
        return self.groups

    def _close(
        self, frames: list[tuple[list[list[list[str]]], int]], alts: list[list[list[str]]]
    ) -> list[list[list[str]]]:
        parent, num = frames.pop()
        body = "|".join("".join(t for t, _ in alt) for alt in alts)
        self.closed.add(num)
        parent[-1].append([f"({body})", "atom"])
        return parent

    @staticmethod
    def _quantify(cur: list[list[str]], q: str) -> None:
        last = cur[-1]
        if last[1] != "atom":
            last[0] = f"(?:{last[0]})"
        last[0] += q
        last[1] = "quant"

    def _interval(self, i: int, bre: bool) -> tuple[str | None, int]:
        """Parse ``m,n}`` (ERE) or ``m,n\\}`` (BRE) at ``i``; return (quantifier, end).
        ERE: (None, i) when it is not an interval (then ``{`` is literal)."""
        p, n = self.p, self.n
        j = i
        while j < n and p[j].isdigit():
            j += 1
        lo = p[i:j]
        comma = j < n and p[j] == ","
        hi = ""
        if comma:
            k = j + 1
            while k < n and p[k].isdigit():
                k += 1
            hi = p[j + 1 : k]
            j = k
        close = "\\}" if bre else "}"
        if not p.startswith(close, j):
            if not bre:
                return None, i
            if j >= n or (j == n - 1 and p[j] == "\\"):
                raise RegexError("Unmatched \\{")
            raise RegexError("Invalid content of \\{\\}")
        if not lo and not comma and not bre:
            return None, i
        end = j + len(close)
        low = int(lo) if lo else 0
        if not comma:
            if not lo:
                raise RegexError("Invalid content of \\{\\}")
            if low > _RE_DUP_MAX:
                raise RegexError("Regular expression too big")
            return f"{{{low}}}", end
        if hi:
            high = int(hi)
            if high < low:
                raise RegexError("Invalid content of \\{\\}")
            if high > _RE_DUP_MAX:
                raise RegexError("Regular expression too big")
            return f"{{{low},{high}}}", end
        if low > _RE_DUP_MAX:
            raise RegexError("Regular expression too big")
        return f"{{{low},}}", end

    def _collating(self, i: int) -> tuple[str, str, int]:
        """At ``[`` followed by ``.``, ``=`` or ``:`` -> (kind, name, index after)."""
        kind = self.p[i + 1]
        end = self.p.find(kind + "]", i + 2)
        if end < 0:
            raise RegexError(_UNMATCHED_BRACKET)
        return kind, self.p[i + 2 : end], end + 2

    def _bracket(self, i: int) -> tuple[str, int]:
        p, n = self.p, self.n
        neg = i < n and p[i] == "^"
        if neg:
            i += 1
        if i >= n:
            raise RegexError("Invalid regular expression")
        if i < n and p[i] == ":":
            close = p.find("]", i + 1)
            if close > i + 1 and p[close - 1] == ":" and "[" not in p[i:close]:
                raise RegexError(_COLON_CLASS)
        items: list[str] = []
        first = True
        while True:
            if i >= n:
                raise RegexError(_UNMATCHED_BRACKET)
            c = p[i]
            if c == "]" and not first:
                i += 1
                break
            first = False
            if c == "[" and i + 1 < n and p[i + 1] in ":.=":
                kind, name, i = self._collating(i)
                if kind == ":":
                    frag = _CLASSES.get(name)
                    if frag is None:
                        raise RegexError("Invalid character class name")
                    if i + 1 < n and p[i] == "-" and p[i + 1] != "]":
                        raise RegexError("Invalid range end")
                    items.append(frag)
                    continue
                if len(name) != 1:
                    raise RegexError("Invalid collation character")
                lo = name
            else:
                lo = c
                i += 1
            if i + 1 < n and p[i] == "-" and p[i + 1] != "]":
                i += 1
                if p[i] == "[" and i + 1 < n and p[i + 1] in ":.=":
                    kind, name, i = self._collating(i)
                    if kind == ":" or len(name) != 1:
                        raise RegexError("Invalid range end")
                    hi = name
                else:
                    hi = p[i]
                    i += 1
                if ord(hi) < ord(lo):
                    raise RegexError("Invalid range end")
                items.append(_set_char(lo) + "-" + _set_char(hi))
            else:
                items.append(_set_char(lo))
        body = "".join(items)
        if neg:
            return "[^" + body + ("\\n" if self.ml else "") + "]", i
        return "[" + body + "]", i


@functools.lru_cache(maxsize=512)
def _translate(pattern: str, extended: bool, multiline: bool = False) -> _Translated:
    return _Translator(pattern, extended, multiline).run()


def posix_to_python(pattern: str, extended: bool, multiline: bool = False) -> str:
    """Translate a POSIX BRE (``extended=False``) or ERE to Python ``re`` syntax.

    GNU extensions are supported: ``\\| \\+ \\?`` in BREs, back-references in both,
    ``\\w \\W \\s \\S \\b \\B \\< \\> \\` \\'``. Classes are ASCII (C locale). ``$`` is
    end-of-string (``\\Z``) unless ``multiline``; compile with ``re.DOTALL`` so that
    ``.`` matches a newline as in POSIX (not with ``multiline``, sed's ``M``).
    Raises :class:`RegexError` with GNU's message for invalid patterns.
    """
    return _translate(pattern, extended, multiline).python


def compile_posix(
    pattern: str, extended: bool, *, ignore_case: bool = False, multiline: bool = False
) -> re.Pattern[str]:
    """Compile a POSIX BRE/ERE (see :func:`posix_to_python`)."""
    flags = (re.IGNORECASE if ignore_case else 0) | (re.MULTILINE if multiline else re.DOTALL)
    return _compile(posix_to_python(pattern, extended, multiline), flags)


def _compile(py: str, flags: int) -> re.Pattern[str]:
    try:
        return saferegex.compile(py, flags)
    except re.error as e:  # something the translation let through
        raise RegexError(f"Invalid regular expression ({e})") from None
    except RecursionError:
        raise RegexError("Regular expression too big") from None


# ---------------------------------------------------------------------------
# Shared helpers: GNU-style option parsing, line reading, buffered output
# ---------------------------------------------------------------------------


class _OptError(Exception):
    pass


def _getopt(
    args: list[str],
    shorts: dict[str, str],
    longs: list[tuple[str, str, str]],
    digits: bool = False,
) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU getopt_long with permutation. ``shorts``: char -> "no"/"req"/"opt";
    ``longs``: (name, key, "no"/"req"/"opt"). Digits clusters give ("NUM", "12")."""
    opts: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            operands.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            matches = [lo for lo in longs if lo[0].startswith(name)]
            exact = [lo for lo in matches if lo[0] == name]
            if exact:
                lo = exact[0]
            elif matches and len({(m[1], m[2]) for m in matches}) == 1:
                lo = matches[0]
            elif not matches:
                raise _OptError(f"unrecognized option '{a}'")
            else:
                poss = " ".join(f"'--{m[0]}'" for m in matches)
                raise _OptError(f"option '--{name}' is ambiguous; possibilities: {poss}")
            lname, key, kind = lo
            if kind == "no":
                if eq:
                    raise _OptError(f"option '--{lname}' doesn't allow an argument")
                opts.append((key, None))
            elif kind == "req":
                if eq:
                    opts.append((key, val))
                elif i < len(args):
                    opts.append((key, args[i]))
                    i += 1
                else:
                    raise _OptError(f"option '--{lname}' requires an argument")
            else:
                opts.append((key, val if eq else None))
        elif a.startswith("-") and a != "-":
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if digits and c.isdigit():
                    k = j
                    while k < len(a) and a[k].isdigit():
                        k += 1
                    opts.append(("NUM", a[j - 1 : k]))
                    j = k
                    continue
                kind = shorts.get(c)
                if kind is None:
                    raise _OptError(f"invalid option -- '{c}'")
                if kind == "no":
                    opts.append((c, None))
                    continue
                if kind == "req":
                    if j < len(a):
                        opts.append((c, a[j:]))
                    elif i < len(args):
                        opts.append((c, args[i]))
                        i += 1
                    else:
                        raise _OptError(f"option requires an argument -- '{c}'")
                else:
                    opts.append((c, a[j:] if j < len(a) else None))
                break
        else:
            operands.append(a)
    return opts, operands


class _LineReader:
    """Iterate over (line, had_terminator) of a binary stream without reading ahead
    more than one chunk; ``saw_nul`` is set as soon as a chunk holding NUL is read."""

    def __init__(self, f: IO[bytes], sep: bytes = b"\n") -> None:
        self._read: Callable[[int], bytes] = getattr(f, "read1", None) or f.read
        self.sep = sep
        self.saw_nul = False

    def __iter__(self) -> Iterator[tuple[bytes, bool]]:
        sep = self.sep
        parts: list[bytes] = []
        while True:
            data = self._read(65536)
            if not data:
                break
            if not self.saw_nul and b"\0" in data:
                self.saw_nul = True
            pieces = data.split(sep)
            if len(pieces) == 1:
                parts.append(data)
                continue
            first = pieces[0]
            if parts:
                parts.append(first)
                first = b"".join(parts)
                parts = []
            yield first, True
            for k in range(1, len(pieces) - 1):
                yield pieces[k], True
            if pieces[-1]:
                parts.append(pieces[-1])
        if parts:
            yield b"".join(parts), False


    def batches(self) -> Iterator[list[bytes]]:
        """The same lines as iterating, a list per chunk read (none empty)."""
        sep = self.sep
        parts: list[bytes] = []
        while True:
            data = self._read(65536)
            if not data:
                break
            if not self.saw_nul and b"\0" in data:
                self.saw_nul = True
            pieces = data.split(sep)
            if len(pieces) == 1:
                parts.append(data)
                continue
            if parts:
                parts.append(pieces[0])
                pieces[0] = b"".join(parts)
                parts = []
            tail = pieces.pop()
            if tail:
                parts.append(tail)
            yield pieces
        if parts:
            yield [b"".join(parts)]


class _OutBuf:
    """Buffered writes to a binary stream (flushed every 64 KiB and at the end)."""

    def __init__(self, stream: IO[bytes], line_buffered: bool = False) -> None:
        self.stream = stream
        self.parts: list[bytes] = []
        self.size = 0
        self.limit = 1 if line_buffered else 1 << 16

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= self.limit:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            data = b"".join(self.parts)
            self.parts = []
            self.size = 0
            self.stream.write(data)
            flush = getattr(self.stream, "flush", None)
            if flush is not None:
                flush()


# ---------------------------------------------------------------------------
# grep
# ---------------------------------------------------------------------------

_GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information."

_GREP_SHORT = {c: "no" for c in "EFGPiyvwxzsVbnHhoqaIrRLlcTZU"}
_GREP_SHORT.update({c: "req" for c in "efmdDABC"})

_GREP_LONG = [  # in GNU grep's order (it shows in "ambiguous option" messages)
    ("basic-regexp", "G", "no"),
    ("extended-regexp", "E", "no"),
    ("fixed-regexp", "F", "no"),
    ("fixed-strings", "F", "no"),
    ("perl-regexp", "P", "no"),
    ("after-context", "A", "req"),
    ("before-context", "B", "req"),
    ("binary-files", "binary-files", "req"),
    ("byte-offset", "b", "no"),
    ("context", "C", "req"),
    ("color", "color", "opt"),
    ("colour", "color", "opt"),
    ("count", "c", "no"),
    ("devices", "D", "req"),
    ("directories", "d", "req"),
    ("dereference-recursive", "R", "no"),
    ("exclude", "exclude", "req"),
    ("exclude-from", "exclude-from", "req"),
    ("exclude-dir", "exclude-dir", "req"),
    ("file", "f", "req"),
    ("files-with-matches", "l", "no"),
    ("files-without-match", "L", "no"),
    ("group-separator", "group-separator", "req"),
    ("include", "include", "req"),
    ("ignore-case", "i", "no"),
    ("no-ignore-case", "no-ignore-case", "no"),
    ("initial-tab", "T", "no"),
    ("label", "label", "req"),
    ("line-buffered", "line-buffered", "no"),
    ("line-number", "n", "no"),
    ("line-regexp", "x", "no"),
    ("max-count", "m", "req"),
    ("no-filename", "h", "no"),
    ("no-group-separator", "no-group-separator", "no"),
    ("no-messages", "s", "no"),
    ("null", "Z", "no"),
    ("null-data", "z", "no"),
    ("only-matching", "o", "no"),
    ("quiet", "q", "no"),
    ("recursive", "r", "no"),
    ("regexp", "e", "req"),
    ("invert-match", "v", "no"),
    ("silent", "q", "no"),
    ("text", "a", "no"),
    ("binary", "U", "no"),
    ("version", "V", "no"),
    ("with-filename", "H", "no"),
    ("word-regexp", "w", "no"),
]


class _QuitSearch(Exception):
    """-q found a match: stop everything, status 0."""


def _pcre_to_python(pattern: str) -> str:
    """The common Perl-regex spellings Python's re lacks."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            d = pattern[i + 1]
            i += 2
            if d == "K":
                out.append("(?P<_K>)")
            elif d == "z":
                out.append("\\Z")
            elif d == "Z":
                out.append("(?=\\n?\\Z)")
            elif d == "h":
                out.append("[ \\t]")
            elif d == "H":
                out.append("[^ \\t]")
            else:
                out.append(c + d)
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


_PLAIN_PATTERN = re.compile(r"[A-Za-z0-9 _\-:/,=@%#!<>~;'\"]+")


class _Matcher:
    """The compiled patterns of one grep run."""

    # Above this many alternatives -o takes Python's leftmost-first match as it is.
    MAX_VARIANTS = 64

    def __init__(self, patterns: list[str], mode: str, icase: bool, word: bool, line: bool) -> None:
        flags = re.DOTALL | (re.IGNORECASE if icase else 0)
        if mode == "P":
            flags |= re.ASCII
        raw: list[str] = []
        variants: list[str] = []
        backrefs = False
        self.warnings: list[str] = []

        def wrap(s: str) -> str:
            if line:
                return f"\\A(?:{s})\\Z"
            if word:
                return f"{_NOT_WORD}(?:{s}){_NO_WORD_AFTER}"
            return s

        #: every pattern a plain string (no regex syntax, no newline) and no -w/-x: a
        #: match never spans lines, so one search tells whether a chunk has any
        self.literal = not word and not line and all(
            p and (mode == "F" or _PLAIN_PATTERN.fullmatch(p)) and "\n" not in p for p in patterns
        )
        #: the patterns as bytes when a line matches exactly if it holds one of them:
        #: plain ASCII, case kept (an ASCII byte is never part of another character)
        self.needles: tuple[bytes, ...] | None = None
        if self.literal and not icase and len(patterns) <= 4 and all(p.isascii() for p in patterns):
            self.needles = tuple(p.encode() for p in patterns)
        #: one needle's search as a C function for ``filter``/``map`` over a batch (no
        #: bytecode per line: about twice as fast as ``needle in line`` in a
        #: comprehension). Python's engine on an escaped literal: no repetition or
        #: alternation, nothing to backtrack (a prefix search, linear in the line); a
        #: long needle keeps ``in`` (sre's compiler is Python, linear in the pattern)
        self.needle_search: Callable[[bytes], object] | None = None
        if self.needles is not None and len(self.needles) == 1 and len(self.needles[0]) <= 256:
            self.needle_search = re.compile(re.escape(self.needles[0])).search
        if mode == "F":
            # Longest first: Python's leftmost-first is then POSIX's leftmost-longest.
            raw = [re.escape(p) for p in sorted(patterns, key=len, reverse=True)]
        #: the patterns for a whole chunk of lines (see :meth:`chunk_hits`): ``^``/``$``
        #: at line ends, no ``.`` or ``[^…]`` across one
        lined: list[str] | None = list(raw) if mode == "F" else [] if mode != "P" else None
        for pat in patterns if mode != "F" else ():
            if mode == "P":
                full = _pcre_to_python(pat)
                vs = [full]
                backrefs = True
            else:
                tr = _translate(pat, mode == "E")
                full = tr.python
                vs = tr.variants()
                backrefs = backrefs or tr.backrefs
                self.warnings.extend(tr.warnings)
                if lined is not None:
                    lined.append(_translate(pat, mode == "E", True).python)
            raw.append(full)
            variants.extend(wrap(v) for v in vs)
        if len(variants) <= 1 or len(variants) > self.MAX_VARIANTS:
            variants = []
        self._variant_src = variants
        self._flags = flags
        self._variants: list[re.Pattern[str]] | None = None
        try:
            self.fulls = [saferegex.compile(wrap(f), flags) for f in raw] if backrefs else []
            if len(raw) == 1:
                self.combined: re.Pattern[str] | None = saferegex.compile(wrap(raw[0]), flags)
            elif not backrefs:
                self.combined = saferegex.compile(wrap("|".join(f"(?:{f})" for f in raw)), flags)
            else:
                self.combined = None
        except re.error as e:
            raise RegexError(str(e)) from None
        except RecursionError:
            raise RegexError("Regular expression too big") from None
        self.chunk: Any = None
        if lined and not backrefs and not any("\\A" in x or "\\Z" in x for x in lined):
            body = "|".join(f"(?:{x})" for x in lined)
            body = f"^(?:{body})$" if line else wrap(body)
            try:
                self.chunk = saferegex.compile(body, re.MULTILINE | (flags & re.IGNORECASE))
            except (re.error, RecursionError):
                self.chunk = None  # line by line, as the whole-pattern compile succeeded

    def chunk_hits(self, text: str) -> list[int]:
        """The indices of the lines of ``text`` (lines joined by ``\\n``) that match, with
        one search per matching line instead of one per line. A match that stays inside
        its line is a match of that line on its own (``^``, ``$`` and word edges see the
        newline as they see the ends of a line; ``.`` and ``[^…]`` never take it); one
        that runs into the next line (``\\s``, ``[[:space:]]``) is checked on its line
        alone. Lines before the leftmost match have none."""
        search = self.chunk.search
        hits: list[int] = []
        n = len(text)
        find, count = text.find, text.count
        pos = line = 0
        while True:
            m = search(text, pos)
            if m is None:
                return hits
            a, b = m.span()
            line += count("\n", pos, a)
            nl = find("\n", a)
            end = n if nl < 0 else nl
            if b <= end or self.search(text[text.rfind("\n", 0, a) + 1 : end]):
                hits.append(line)
            if nl < 0:
                return hits
            pos = nl + 1
            line += 1

    def variants(self) -> list[re.Pattern[str]]:
        """One regex per top-level alternative (compiled on first use: only -o needs them)."""
        if self._variants is None:
            try:
                self._variants = [saferegex.compile(v, self._flags) for v in self._variant_src]
            except (re.error, RecursionError) as e:
                raise CommandError(f"invalid regular expression: {e}", 2) from None
        return self._variants

    def search(self, s: str) -> bool:
        if self.combined is not None:
            return self.combined.search(s) is not None
        return any(r.search(s) is not None for r in self.fulls)

    def first(self, s: str, pos: int) -> tuple[int, int] | None:
        """Leftmost(-longest among alternatives) match at or after ``pos``."""
        best: re.Match[str] | None = None
        if self.combined is not None:
            m = self.combined.search(s, pos)
            if m is None:
                return None
            best = m
            if self._variant_src:
                for v in self.variants():
                    mm = v.match(s, m.start())
                    if mm is not None and mm.end() > best.end():
                        best = mm
        else:
            for v in self.variants() or self.fulls:
                mm = v.search(s, pos)
                if mm is not None and (
                    best is None
                    or mm.start() < best.start()
                    or (mm.start() == best.start() and mm.end() > best.end())
                ):
                    best = mm
            if best is None:
                return None
        start = best.start()
        if "_K" in best.re.groupindex and best.start("_K") >= 0:
            start = best.start("_K")
        return start, best.end()


@dataclass
class _GrepOpts:
    mode: str = "G"
    icase: bool = False
    invert: bool = False
    word: bool = False
    line: bool = False
    count: bool = False
    list_files: bool = False
    list_nonmatching: bool = False
    only: bool = False
    quiet: bool = False
    no_messages: bool = False
    line_numbers: bool = False
    byte_offset: bool = False
    with_filename: bool | None = None
    null: bool = False
    null_data: bool = False
    binary_files: str = "binary"
    directories: str = "read"
    recursive: bool = False
    deref: bool = False
    max_count: int = -1
    before: int = 0
    after: int = 0
    context_given: bool = False
    group_sep: bytes | None = b"--"
    label: str = "(standard input)"
    line_buffered: bool = False
    file_filters: list[tuple[str, str]] = field(default_factory=list)
    exclude_dirs: list[str] = field(default_factory=list)


def _context_arg(val: str) -> int:
    if not val.isdigit():
        raise CommandError(f"{val}: invalid context length argument", 2)
    return int(val)


class _Grep:
    def __init__(self, ctx: CommandContext, o: _GrepOpts, matcher: _Matcher) -> None:
        self.ctx = ctx
        self.o = o
        self.m = matcher
        self.out = _OutBuf(ctx.stdout, o.line_buffered)
        self.error = False
        self.matched = False
        self.visited: set[tuple[int, int]] = set()
        self.eol = b"\0" if o.null_data else b"\n"
        self.multi = False
        self.printed = False
        #: most lines of the last chunk matched (see _by_chunk)
        self.dense = False

    # -- errors ---------------------------------------------------------------

    def warn(self, msg: str) -> None:
        self.error = True
        if not self.o.no_messages:
            self.out.flush()
            self.ctx.err(msg)

    # -- file selection -------------------------------------------------------

    def _included(self, name: str, path: str | None = None) -> bool:
        filters = self.o.file_filters
        if not filters:
            return True
        verdict = None
        for kind, glob in filters:
            if fnmatch.fnmatchcase(name, glob) or (path is not None and _suffix_match(path, glob)):
                verdict = kind == "include"
        if verdict is None:
            return filters[0][0] != "include"
        return verdict

    def _dir_excluded(self, name: str, path: str | None = None) -> bool:
        return any(
            fnmatch.fnmatchcase(name, g) or (path is not None and _suffix_match(path, g))
            for g in self.o.exclude_dirs
        )

    def operand(self, path: str, implicit: bool = False) -> None:
        o = self.o
        if path == "-" and not implicit:
            self.search_stream(self.ctx.stdin, o.label)
            return
        special = _special_input(self.ctx, path)
        if special is not None:
            self.search_stream(special, path)
            return
        try:
            host = self.ctx.resolve(path)
        except CommandError as e:
            self.warn(str(e))
            return
        try:
            st = host.stat()
        except FileNotFoundError:
            self.warn(f"{path}: No such file or directory")
            return
        except OSError as e:
            self.warn(f"{path}: {e.strerror}")
            return
        if statmod.S_ISDIR(st.st_mode):
            if o.directories == "skip":
                return
            if o.directories == "recurse":
                base = os.path.basename(path)
                if not implicit and self._dir_excluded(base, path):
                    return
                self.walk(path, host, implicit)
                return
        elif not implicit and (o.file_filters and not self._included(os.path.basename(path), path)):
            return
        self.search_path(path, path)

    def walk(self, display: str, host: os.PathLike[str], implicit: bool) -> None:
        ctx = self.ctx
        try:
            st = os.stat(host)
            key = (st.st_dev, st.st_ino)
            if key in self.visited:
                self.warn(f"{display}: warning: recursive directory loop")
                return
            self.visited.add(key)
            with os.scandir(host) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            self.warn(f"{display}: {e.strerror}")
            return
        try:
            for entry in entries:
                ctx.check()
                if implicit and display == ".":
                    child = entry.name
                elif display.endswith("/"):
                    child = display + entry.name
                else:
                    child = display + "/" + entry.name
                try:
                    if entry.is_symlink():
                        if not self.o.deref:
                            continue
                        try:
                            target = ctx.resolve(child)
                        except CommandError as e:
                            self.warn(str(e))
                            continue
                        try:
                            tst = os.stat(target)
                        except OSError:
                            self.warn(f"{child}: No such file or directory")
                            continue
                        is_dir = statmod.S_ISDIR(tst.st_mode)
                        is_file = statmod.S_ISREG(tst.st_mode)
                    else:
                        target = None
                        is_dir = entry.is_dir(follow_symlinks=False)
                        is_file = entry.is_file(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if self._dir_excluded(entry.name):
                        continue
                    self.walk(child, target if target is not None else entry.path, implicit)
                elif is_file:
                    if not self._included(entry.name):
                        continue
                    self.search_path(child, child, in_dir=True)
        finally:
            self.visited.discard(key)

    def search_path(self, path: str, display: str, in_dir: bool = False) -> None:
        try:
            f = self.ctx.open_read(path)
        except CommandError as e:
            self.warn(str(e))
            return
        except OSError as e:
            self.warn(f"{path}: {e.strerror}")
            return
        try:
            self.search_stream(f, display, in_dir)
        finally:
            f.close()

    # -- searching ------------------------------------------------------------

    def search_stream(self, f: IO[bytes], name: str, in_dir: bool = False) -> None:
        o = self.o
        show_name = o.with_filename if o.with_filename is not None else (self.multi or in_dir)
        bname = encode(name)
        count = self._search(f, bname, show_name)
        if count > 0:
            self.matched = True
        if o.quiet:
            return
        if o.list_files:
            if count > 0:
                self.out.write(bname + (b"\0" if o.null else b"\n"))
        elif o.list_nonmatching:
            if count == 0:
                self.out.write(bname + (b"\0" if o.null else b"\n"))
        elif o.count:
            prefix = bname + (b"\0" if o.null else b":") if show_name else b""
            self.out.write(prefix + str(count).encode() + b"\n")

    def _search(self, f: IO[bytes], bname: bytes, show_name: bool) -> int:
        o = self.o
        name = bname if show_name else None
        ctx = self.ctx
        m = self.m
        out = self.out
        eol = self.eol
        reader = _LineReader(f, eol)
        summary = o.quiet or o.list_files or o.list_nonmatching or o.count
        check_binary = o.binary_files != "text" and not o.null_data
        binary = False
        max_count = o.max_count
        if max_count == 0:
            return 0
        before: deque[tuple[int, int, bytes]] | None = (
            deque(maxlen=o.before) if o.before and not summary else None
        )
        after = o.after if not summary else 0
        after_left = 0
        last_out = 0
        count = 0
        lineno = 0
        offset = 0
        stopping = False
        name_sep = b"\0" if o.null else None

        def emit(ln: int, off: int, text: bytes, sep: bytes, context: bool) -> None:
            nonlocal last_out
            self._separator(ln, last_out)
            last_out = ln
            if context and o.only:
                return
            prefix = b""
            if name is not None:
                prefix += name + (name_sep or sep)
            if o.line_numbers:
                prefix += str(ln).encode() + sep
            if o.byte_offset:
                prefix += str(off).encode() + sep
            out.write(prefix + text + eol)

        lines: Iterable[tuple[bytes, bool]] = reader
        plain = not (summary or o.only or name is not None or o.line_numbers or max_count > 0)
        if not (before is not None or after or o.byte_offset or o.context_given):
            # a chunk's lines at a time
            batches = reader.batches()
            for batch in batches:
                if check_binary and reader.saw_nul:  # binary input: line by line from here
                    lines = itertools.chain(
                        ((b, True) for b in batch), ((b, True) for bb in batches for b in bb)
                    )
                    break
                ctx.check()
                if plain:  # only the selected lines, as they are
                    lineno += len(batch)
                    picked = self._select(batch)
                    if picked:
                        count += len(picked)
                        out.write(eol.join(picked) + eol)
                    continue
                hits = self._picks(batch)
                if max_count > 0 and count + len(hits) >= max_count:
                    hits = hits[: max_count - count]
                    stopping = True
                count += len(hits)
                if hits and summary:
                    if o.quiet:
                        raise _QuitSearch()
                    if o.list_files or o.list_nonmatching:
                        return count
                elif o.only:
                    if not o.invert and (name is not None or o.line_numbers):
                        for i in hits:
                            self._emit_only(decode(batch[i]), lineno + i + 1, 0, name, 0)
                    elif not o.invert and hits:
                        parts: list[bytes] = []
                        for i in hits:
                            parts += self._only_parts(decode(batch[i]))
                        if parts:
                            out.write(eol.join(parts) + eol)
                elif hits:
                    head = name + (name_sep or b":") if name is not None else b""
                    if o.line_numbers:
                        out.write(b"".join(
                            b"%s%d:%s%s" % (head, lineno + i + 1, batch[i], eol) for i in hits
                        ))  # fmt: skip
                    else:
                        out.write(b"".join(head + batch[i] + eol for i in hits))
                lineno += len(batch)
                if stopping:
                    return count
            else:
                return count
        for raw, _has_nl in lines:
            lineno += 1
            if lineno & 1023 == 0:
                ctx.check()
            if check_binary and not binary and reader.saw_nul:
                binary = True
                if o.binary_files == "without-match":
                    return count
            if stopping:
                if after_left <= 0:
                    break
                after_left -= 1
                emit(lineno, offset, raw, b"-", True)
                offset += len(raw) + 1
                continue
            s = decode(raw)
            selected = m.search(s) != o.invert
            if selected:
                count += 1
                if summary:
                    if o.quiet:
                        raise _QuitSearch()
                    if o.list_files or o.list_nonmatching:
                        break
                    if count == max_count:
                        break
                    offset += len(raw) + 1
                    continue
                if binary:
                    out.flush()
                    ctx.err(f"{decode(bname)}: binary file matches")
                    return count
                if before:
                    for bl, boff, btext in before:
                        emit(bl, boff, btext, b"-", True)
                    before.clear()
                if o.only:
                    if not o.invert:
                        self._emit_only(s, lineno, offset, name, emit_sep=last_out)
                    last_out = lineno
                else:
                    emit(lineno, offset, raw, b":", False)
                after_left = after
                if count == max_count:
                    stopping = True
            elif after_left > 0:
                after_left -= 1
                emit(lineno, offset, raw, b"-", True)
            elif before is not None:
                before.append((lineno, offset, raw))
            offset += len(raw) + 1
        return count

    def _by_chunk(self) -> bool:
        """Whether the next chunk is searched whole (:meth:`_Matcher.chunk_hits`): one
        search per matching line, cheaper than one per line unless most lines match and
        the per-line regex is a plain one (no ``-w``/``-x`` wrapping)."""
        m = self.m
        if m.chunk is None or self.eol != b"\n":
            return False
        return not self.dense or (m.needles is None and (self.o.word or self.o.line))

    def _hits(self, batch: list[bytes]) -> list[int]:
        """The indices of the lines of ``batch`` that match (before ``-v``)."""
        m = self.m
        hits: list[int] | None = None
        if self._by_chunk():
            with contextlib.suppress(saferegex.RegexTooExpensive):  # a chunk past the cap
                hits = m.chunk_hits(decode(b"\n".join(batch)))
        if hits is None and m.needles is not None:
            needles = m.needles
            if m.needle_search is not None:
                hits = list(itertools.compress(range(len(batch)), map(m.needle_search, batch)))
            elif len(needles) == 1:
                needle = needles[0]
                hits = [i for i, b in enumerate(batch) if needle in b]
            else:
                hits = [i for i, b in enumerate(batch) if any(n in b for n in needles)]
        elif hits is None:
            search = m.search
            hits = [i for i, b in enumerate(batch) if search(decode(b))]
        self.dense = len(hits) * 2 > len(batch)
        return hits

    def _picks(self, batch: list[bytes]) -> list[int]:
        """The indices of the lines of ``batch`` that grep selects (``-v`` included)."""
        hits = self._hits(batch)
        if not self.o.invert:
            return hits
        taken = set(hits)
        return [i for i in range(len(batch)) if i not in taken]

    def _select(self, batch: list[bytes]) -> list[bytes]:
        """The lines of ``batch`` that grep selects (``-v`` included)."""
        m = self.m
        invert = self.o.invert
        needles = m.needles
        if needles is not None:
            # ASCII needles: a chunk's bytes hold one exactly when one of its lines
            # does (no decoding; the check is skipped while most lines match)
            if not self.dense:
                chunk = b"\n".join(batch)
                if not any(n in chunk for n in needles):
                    return batch if invert else []
        elif (
            m.literal
            and m.combined is not None
            and m.combined.search(decode(b"\n".join(batch))) is None
        ):  # no line of the chunk matches
            return batch if invert else []
        if needles is not None and not self._by_chunk():
            if m.needle_search is not None:
                select = itertools.filterfalse if invert else filter
                kept = list(select(m.needle_search, batch))
            elif len(needles) == 1:
                needle = needles[0]
                if invert:
                    kept = [b for b in batch if needle not in b]
                else:
                    kept = [b for b in batch if needle in b]
            elif invert:
                kept = [b for b in batch if not any(n in b for n in needles)]
            else:
                kept = [b for b in batch if any(n in b for n in needles)]
            matched = len(batch) - len(kept) if invert else len(kept)
            self.dense = matched * 2 > len(batch)
            return kept
        hits = self._hits(batch)
        if not invert:
            return [batch[i] for i in hits]
        taken = set(hits)
        return [b for i, b in enumerate(batch) if i not in taken]

    def _separator(self, ln: int, last_out: int) -> None:
        """GNU's ``--`` between context groups, also between files."""
        o = self.o
        if not o.context_given or o.group_sep is None:
            return
        if (last_out and ln > last_out + 1) or (not last_out and self.printed):
            self.out.write(o.group_sep + b"\n")
        self.printed = True

    def _only_parts(self, s: str) -> list[bytes]:
        """The non-empty matches of a line, as ``-o`` prints them (see _emit_only)."""
        m = self.m
        first = m.first
        rx = m.combined
        plain = rx is not None and not m._variant_src and "_K" not in rx.groupindex
        parts: list[bytes] = []
        pos = 0
        n = len(s)
        while pos <= n:
            if plain:  # one regex, no alternatives to compare, no \K: its match as it is
                mt = rx.search(s, pos)
                if mt is None:
                    break
                a, b = mt.span()
            else:
                r = first(s, pos)
                if r is None:
                    break
                a, b = r
            if b <= a:
                pos = max(a, pos) + 1
                continue
            parts.append(encode(s[a:b]))
            pos = b
        return parts

    def _emit_only(self, s: str, ln: int, off: int, name: bytes | None, emit_sep: int) -> None:
        o = self.o
        out = self.out
        self._separator(ln, emit_sep)
        pos = 0
        n = len(s)
        while pos <= n:
            r = self.m.first(s, pos)
            if r is None:
                break
            a, b = r
            if b <= a:
                pos = max(a, pos) + 1
                continue
            prefix = b""
            if name is not None:
                prefix += name + (b"\0" if o.null else b":")
            if o.line_numbers:
                prefix += str(ln).encode() + b":"
            if o.byte_offset:
                prefix += str(off + len(encode(s[:a]))).encode() + b":"
            out.write(prefix + encode(s[a:b]) + self.eol)
            pos = b


def _suffix_match(path: str, glob: str) -> bool:
    """GNU's command-line --exclude rule: the whole name or any part after a '/'."""
    if fnmatch.fnmatchcase(path, glob):
        return True
    return any(
        ch == "/"
        and i + 1 < len(path)
        and path[i + 1] != "/"
        and fnmatch.fnmatchcase(path[i + 1 :], glob)
        for i, ch in enumerate(path)
    )


@command("grep", "egrep", "fgrep")
def grep(ctx: CommandContext) -> int:
    """Usage: grep [OPTION]... PATTERNS [FILE]...
    Search for PATTERNS in each FILE (or standard input). egrep = grep -E, fgrep = grep -F.

      -E, --extended-regexp   PATTERNS are extended regular expressions
      -F, --fixed-strings     PATTERNS are strings
      -G, --basic-regexp      PATTERNS are basic regular expressions (default)
      -P, --perl-regexp       PATTERNS are Perl-style (Python re; \\K supported)
      -e, --regexp=PATTERNS   use PATTERNS for matching (repeatable)
      -f, --file=FILE         take PATTERNS from FILE
      -i, --ignore-case       ignore case distinctions
      -w, --word-regexp       match only whole words
      -x, --line-regexp       match only whole lines
      -z, --null-data         lines end in a NUL byte, not newline
      -v, --invert-match      select non-matching lines
      -m, --max-count=NUM     stop after NUM selected lines
      -b, --byte-offset       print the byte offset with output lines
      -n, --line-number       print line number with output lines
      -H, --with-filename     print file name with output lines
      -h, --no-filename       suppress the file name prefix on output
          --label=LABEL       use LABEL as the standard input file name
      -o, --only-matching     show only the nonempty parts of lines that match
      -q, --quiet, --silent   suppress all normal output
      -s, --no-messages       suppress error messages about files
      -a, --text              process binary files as text
      -I                      binary files never match (--binary-files=without-match)
      -r, --recursive         search directories recursively ('.' without FILE)
      -R, --dereference-recursive  likewise, following all symlinks
          --include=GLOB / --exclude=GLOB / --exclude-dir=GLOB   filter -r
      -d, --directories=ACTION  read, skip or recurse
      -l, --files-with-matches  print only names of FILEs with selected lines
      -L, --files-without-match print only names of FILEs with no selected lines
      -c, --count             print only a count of selected lines per FILE
      -Z, --null              print 0 byte after FILE name
      -A/-B/-C NUM, -NUM      print NUM lines of trailing/leading/both context
          --group-separator=SEP, --no-group-separator
          --color[=WHEN]      accepted and ignored
    Exit status: 0 if a line is selected, 1 if none, 2 on error (unless -q matched).
    """
    name = ctx.name
    o = _GrepOpts()
    if name == "egrep":
        o.mode = "E"
    elif name == "fgrep":
        o.mode = "F"
    try:
        opts, operands = _getopt(ctx.args, _GREP_SHORT, _GREP_LONG, digits=True)
    except _OptError as e:
        raise UsageError(f"{e}\n{_GREP_USAGE}") from None

    patterns: list[str] | None = None
    matcher_set: str | None = None
    a_ctx: int | None = None
    b_ctx: int | None = None
    c_ctx: int | None = None
    for key, val in opts:
        if key in ("E", "F", "G", "P"):
            if matcher_set is not None and matcher_set != key:
                raise CommandError("conflicting matchers specified", 2)
            matcher_set = key
            o.mode = key
        elif key == "e":
            patterns = (patterns or []) + (val or "").split("\n")
        elif key == "f":
            patterns = (patterns or []) + _read_pattern_file(ctx, val or "")
        elif key in ("i", "y"):
            o.icase = True
        elif key == "no-ignore-case":
            o.icase = False
        elif key == "v":
            o.invert = True
        elif key == "w":
            o.word = True
        elif key == "x":
            o.line = True
        elif key == "z":
            o.null_data = True
        elif key == "s":
            o.no_messages = True
        elif key == "V":
            ctx.out("grep (GNU grep) 3.8 (corral built-in)\n")
            return 0
        elif key == "m":
            try:
                o.max_count = int(val or "")
            except ValueError:
                raise CommandError("invalid max count", 2) from None
            if o.max_count < 0:
                o.max_count = -1
        elif key == "b":
            o.byte_offset = True
        elif key == "n":
            o.line_numbers = True
        elif key == "line-buffered":
            o.line_buffered = True
        elif key == "H":
            o.with_filename = True
        elif key == "h":
            o.with_filename = False
        elif key == "label":
            o.label = val or ""
        elif key == "o":
            o.only = True
        elif key == "q":
            o.quiet = True
        elif key == "binary-files":
            if val not in ("binary", "text", "without-match"):
                raise CommandError("unknown binary-files type", 2)
            o.binary_files = val
        elif key == "a":
            o.binary_files = "text"
        elif key == "I":
            o.binary_files = "without-match"
        elif key == "d":
            if val not in ("read", "skip", "recurse"):
                raise CommandError(f"invalid argument '{val}' for '--directories'", 2)
            o.directories = val
            o.recursive = val == "recurse"
        elif key == "D":
            if val not in ("read", "skip"):
                raise CommandError(f"invalid argument '{val}' for '--devices'", 2)
        elif key in ("r", "R"):
            o.recursive = True
            o.directories = "recurse"
            o.deref = key == "R"
        elif key == "include":
            o.file_filters.append(("include", val or ""))
        elif key == "exclude":
            o.file_filters.append(("exclude", val or ""))
        elif key == "exclude-from":
            for g in _read_pattern_file(ctx, val or ""):
                o.file_filters.append(("exclude", g))
        elif key == "exclude-dir":
            o.exclude_dirs.append(val or "")
        elif key == "L":
            o.list_nonmatching = True
            o.list_files = False
        elif key == "l":
            o.list_files = True
            o.list_nonmatching = False
        elif key == "c":
            o.count = True
        elif key == "Z":
            o.null = True
        elif key == "A":
            a_ctx = _context_arg(val or "")
        elif key == "B":
            b_ctx = _context_arg(val or "")
        elif key in ("C", "NUM"):
            c_ctx = _context_arg(val or "")
        elif key == "group-separator":
            o.group_sep = encode(val or "")
        elif key == "no-group-separator":
            o.group_sep = None
        elif key == "color" and val not in (None, "never", "always", "auto", "yes", "no", "tty"):
            raise UsageError(f"invalid argument '{val}' for '--color'\n{_GREP_USAGE}")
        # T, U: accepted, no effect

    if c_ctx is not None:
        o.after = o.before = c_ctx
    if a_ctx is not None:
        o.after = a_ctx
    if b_ctx is not None:
        o.before = b_ctx
    o.context_given = a_ctx is not None or b_ctx is not None or c_ctx is not None

    if patterns is None:
        if not operands:
            ctx.stderr.write(encode(_GREP_USAGE + "\n"))
            return 2
        patterns = operands.pop(0).split("\n")
    if not patterns:  # "grep -f /dev/null": GNU matches nothing, as if -v ''
        patterns = [""]
        o.invert = not o.invert
        o.word = o.line = False
    if (
        o.max_count == 0 or (patterns == [""] and o.invert and not o.line and not o.word)
    ) and not o.list_nonmatching:
        return 1  # nothing can be selected: GNU does not even open the files
    try:
        matcher = _Matcher(patterns, o.mode, o.icase, o.word, o.line)
    except RegexError as e:
        raise CommandError(str(e), 2) from None
    for w in matcher.warnings:
        ctx.err(f"warning: {w}")

    g = _Grep(ctx, o, matcher)
    implicit = False
    if not operands:
        if o.recursive:
            operands = ["."]
            implicit = True
        else:
            operands = ["-"]
    g.multi = len(operands) > 1
    try:
        for path in operands:
            g.operand(path, implicit)
    except _QuitSearch:
        g.out.flush()
        return 0
    finally:
        g.out.flush()
    status = 0 if g.matched else 1
    if g.error and not (o.quiet and g.matched):
        status = 2
    return status


def _special_input(ctx: CommandContext, path: str) -> IO[bytes] | None:
    """``/dev/null`` and ``/dev/stdin``, which scripts use although they are not
    under /workspace."""
    if path == "/dev/null":
        return io.BytesIO()
    if path == "/dev/stdin":
        return ctx.stdin
    if path in ctx.fd_names:  # a process substitution's pipe
        return ctx.open_read(path)
    return None


def _read_pattern_file(ctx: CommandContext, path: str) -> list[str]:
    try:
        f = _special_input(ctx, path) or ctx.open_read(path)
    except CommandError as e:
        raise CommandError(str(e), 2) from None
    try:
        data = decode(f.read())
    finally:
        if f is not ctx.stdin:
            f.close()
    if not data:
        return []
    if data.endswith("\n"):
        data = data[:-1]
    return data.split("\n")


# ---------------------------------------------------------------------------
# sed
# ---------------------------------------------------------------------------

_SED_USAGE = """\
Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...

  -n, --quiet, --silent
                 suppress automatic printing of pattern space
      --debug
                 annotate program execution
  -e script, --expression=script
                 add the script to the commands to be executed
  -f script-file, --file=script-file
                 add the contents of script-file to the commands to be executed
  --follow-symlinks
                 follow symlinks when processing in place
  -i[SUFFIX], --in-place[=SUFFIX]
                 edit files in place (makes backup if SUFFIX supplied)
  -l N, --line-length=N
                 specify the desired line-wrap length for the `l' command
  --posix
                 disable all GNU extensions.
  -E, -r, --regexp-extended
                 use extended regular expressions in the script
                 (for portability use POSIX -E).
  -s, --separate
                 consider files as separate rather than as a single,
                 continuous long stream.
      --sandbox
                 operate in sandbox mode (disable e/r/w commands).
  -u, --unbuffered
                 load minimal amounts of data from the input files and flush
                 the output buffers more often
  -z, --null-data
                 separate lines by NUL characters
      --help     display this help and exit
      --version  output version information and exit

If no -e, --expression, -f, or --file option is given, then the first
non-option argument is taken as the sed script to interpret.  All
remaining arguments are names of input files; if no input files are
specified, then the standard input is read.

GNU sed home page: <https://www.gnu.org/software/sed/>.
General help using GNU software: <https://www.gnu.org/gethelp/>."""

_SED_SHORT = {"n": "no", "r": "no", "E": "no", "s": "no", "u": "no", "z": "no", "b": "no"}
_SED_SHORT.update({"e": "req", "f": "req", "l": "req", "i": "opt"})

_SED_LONG = [
    ("quiet", "n", "no"),
    ("silent", "n", "no"),
    ("expression", "e", "req"),
    ("file", "f", "req"),
    ("in-place", "i", "opt"),
    ("line-length", "l", "req"),
    ("regexp-extended", "E", "no"),
    ("separate", "s", "no"),
    ("unbuffered", "u", "no"),
    ("null-data", "z", "no"),
    ("zero-terminated", "z", "no"),
    ("binary", "b", "no"),
    ("posix", "posix", "no"),
    ("debug", "debug", "no"),
    ("sandbox", "sandbox", "no"),
    ("follow-symlinks", "follow-symlinks", "no"),
    ("version", "version", "no"),
]

# replacement case conversions (GNU's REPL_* flags)
_UPPER, _LOWER, _UFIRST, _LFIRST = 1, 2, 4, 8
_MODS = _UFIRST | _LFIRST

_INACTIVE, _ACTIVE, _CLOSED = 0, 1, 2
_EOF = ""


class _SedExit(Exception):
    """A run-time error that ends sed (GNU's panic)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _normalize(s: str, kind: str) -> str:
    """GNU sed's normalize_text: \\n \\t \\a \\f \\v \\r \\dNNN \\oNNN \\xHH \\cX escapes.
    ``kind``: "buffer" (a/i/c text, y strings: other escapes lose the backslash),
    "replacement" or "regex" (other escapes are kept for the next stage)."""
    if "\\" not in s:
        return s
    simple = {"a": "\a", "f": "\f", "n": "\n", "\n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = s[i + 1]
        if d in simple:
            out.append(simple[d])
            i += 2
            continue
        if d in "dox":
            base = {"d": 10, "o": 8, "x": 16}[d]
            digits = "0123456789abcdef"[:base]
            j = i + 2
            val = 0
            maxv = 1
            while j < n and maxv <= 255 and s[j].lower() in digits:
                val = val * base + int(s[j], 16)
                j += 1
                maxv *= base
            if j == i + 2:
                ch = d
            else:
                val &= 0xFF
                ch = chr(val) if val < 128 else chr(0xDC00 + val)  # a raw byte, as decode() does
            if kind == "replacement" and ch == "&":
                out.append("\\")
            out.append(ch)
            i = j
            continue
        if d == "c":
            if i + 2 < n:
                x = s[i + 2]
                j = i + 3
                if x == "\\":
                    if j >= n or s[j] != "\\":
                        raise _SedBadProg("recursive escaping after \\c not allowed")
                    j += 1
                out.append(chr(ord(x.upper()) ^ 0x40) if ord(x) < 128 else x)
                i = j
                continue
            if kind != "buffer":
                out.append("\\")
            i += 1
            continue
        if kind != "buffer":
            out.append("\\")
        out.append(d)
        i += 2
    return "".join(out)


class _SedBadProg(Exception):
    """A script error; the parser adds the ``-e expression #N, char M:`` prefix."""


class _SedRegex:
    """A compiled sed regex; ``search`` gives leftmost-longest over top-level alternatives."""

    def __init__(self, text: str, ere: bool, icase: bool, mline: bool) -> None:
        tr = _translate(text, ere, mline)
        if ere and tr.warnings:
            raise RegexError("Invalid preceding regular expression")
        flags = (re.IGNORECASE if icase else 0) | (re.MULTILINE if mline else re.DOTALL)
        self.rx = _compile(tr.python, flags)
        self.variants = (
            [_compile(v, flags) for v in tr.variants()] if len(tr.alternatives) > 1 else None
        )
        self.groups = tr.groups

    def search(self, s: str, pos: int = 0) -> re.Match[str] | None:
        m = self.rx.search(s, pos)
        if m is None or self.variants is None:
            return m
        best = m
        for v in self.variants:
            mm = v.match(s, m.start())
            if mm is not None and mm.end() > best.end():
                best = mm
        return best


@dataclass
class _Addr:
    kind: str  # num, mod, step, stepmod, last, re, null
    num: int = 0
    step: int = 0
    regex: _SedRegex | None = None  # None with kind "re": the last regex used


@dataclass
class _Subst:
    regex: _SedRegex | None
    parts: list[list[object]]
    max_id: int
    glob: bool = False
    numb: int = 1
    print: bool = False
    outf: _SedOut | None = None


@dataclass
class _Cmd:
    name: str
    a1: _Addr | None = None
    a2: _Addr | None = None
    bang: bool = False
    range_state: int = _INACTIVE
    text: str | None = None
    label: str = ""
    jump: int = -1
    int_arg: int = -1
    fname: str = ""
    subst: _Subst | None = None
    ymap: dict[int, str] | None = None
    outf: _SedOut | None = None
    rfile: _SedRFile | None = None


class _SedOut:
    """An output file of sed (stdout, a ``w`` file, or the -i temporary)."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self.write = write
        self.missing_newline = False


class _SedRFile:
    """A file read line by line by the ``R`` command."""

    def __init__(self, ctx: CommandContext, name: str, sep: bytes) -> None:
        self.ctx = ctx
        self.name = name
        self.sep = sep
        self.lines: Iterator[tuple[bytes, bool]] | None = None
        self.f: IO[bytes] | None = None
        self.rewind()

    def rewind(self) -> None:
        if self.f is not None and self.f is not self.ctx.stdin:
            self.f.close()
        self.f = None
        self.lines = None
        try:
            self.f = self.ctx.stdin if self.name == "/dev/stdin" else self.ctx.open_read(self.name)
            self.lines = iter(_LineReader(self.f, self.sep))
        except (CommandError, OSError):
            pass

    def readline(self) -> bytes | None:
        if self.lines is None:
            return None
        item = next(self.lines, None)
        if item is None:
            return None
        return item[0] + (self.sep if item[1] else b"")

    def close(self) -> None:
        if self.f is not None and self.f is not self.ctx.stdin:
            self.f.close()


class _SedParser:
    """GNU sed's compile.c, nearly line for line (so error positions agree)."""

    def __init__(self, sed: _Sed) -> None:
        self.sed = sed
        self.cmds: list[_Cmd] = []
        self.blocks: list[tuple[int, str]] = []
        self.labels: dict[str, int] = {}
        self.jumps: list[tuple[int, str]] = []
        self.pending: list[str] | None = None
        self.pending_cmd: _Cmd | None = None
        self.first_script = True
        self.s = ""
        self.pos = 0
        self.line = 0
        self.where = ""
        self.expr_count = 0
        self.fname: str | None = None

    # -- input --------------------------------------------------------------

    def inchar(self) -> str:
        if self.pos < len(self.s):
            c = self.s[self.pos]
            self.pos += 1
            if c == "\n":
                self.line += 1
            return c
        return _EOF

    def savchar(self, c: str) -> None:
        if c == _EOF:
            return
        if c == "\n" and self.line > 0:
            self.line -= 1
        self.pos -= 1

    def in_nonblank(self) -> str:
        c = self.inchar()
        while c in (" ", "\t"):
            c = self.inchar()
        return c

    def in_integer(self, c: str) -> int:
        num = 0
        while c != _EOF and c.isdigit():
            num = num * 10 + int(c)
            c = self.inchar()
        self.savchar(c)
        return num

    def prefix(self) -> str:
        if self.fname is not None:
            return f"file {self.fname} line {self.line}: "
        return f"-e expression #{self.expr_count}, char {self.pos}: "

    def bad(self, msg: str) -> CommandError:
        return CommandError(self.prefix() + msg, 1)

    # -- driver -------------------------------------------------------------

    def compile_string(self, text: str) -> None:
        self.expr_count += 1
        self.s, self.pos, self.line, self.fname = text, 0, 0, None
        self._compile()

    def compile_file(self, name: str, text: str) -> None:
        self.s, self.pos, self.line, self.fname = text, 0, 1, name
        self._compile()

    def _compile(self) -> None:
        try:
            if self.pending is not None:
                self.read_text(None, "\n")
            self.compile_program()
        except _SedBadProg as e:
            raise self.bad(str(e)) from None
        except RegexError as e:
            if str(e) == _COLON_CLASS:
                raise CommandError(str(e), 4) from None
            raise self.bad(str(e)) from None
        self.first_script = False

    def finish(self) -> list[_Cmd]:
        if self.blocks:
            raise CommandError(self.blocks[-1][1] + "unmatched `{'", 1)
        if self.pending is not None and self.pending_cmd is not None:
            self.pending_cmd.text = "".join(self.pending) if self.pending else None
            self.pending = None
        for idx, name in self.jumps:
            if name in self.labels:
                self.cmds[idx].jump = self.labels[name]
            elif name:
                raise CommandError(f"can't find label for jump to `{name}'", 4)
            else:
                self.cmds[idx].jump = len(self.cmds)
        return self.cmds

    # -- pieces -------------------------------------------------------------

    def read_end_of_cmd(self) -> None:
        ch = self.in_nonblank()
        if ch in ("}", "#"):
            self.savchar(ch)
        elif ch not in (_EOF, "\n", ";"):
            raise _SedBadProg("extra characters after command")

    def read_label(self) -> str:
        out: list[str] = []
        ch = self.in_nonblank()
        while ch not in (_EOF, "\n", " ", "\t", ";", "}", "#"):
            out.append(ch)
            ch = self.inchar()
        self.savchar(ch)
        return "".join(out)

    def read_filename(self) -> str:
        out: list[str] = []
        ch = self.in_nonblank()
        while ch not in (_EOF, "\n"):
            out.append(ch)
            ch = self.inchar()
        return "".join(out)

    def snarf_char_class(self, b: list[str]) -> str:
        state = 0
        delim = ""
        ch = self.inchar()
        if ch == "^":
            b.append(ch)
            ch = self.inchar()
        if ch == "]":
            b.append(ch)
            ch = self.inchar()
        while True:
            if ch in (_EOF, "\n"):
                return ch
            skip_reset = False
            if ch in ".:=":
                if state == 1:
                    delim = ch
                    state = 2
                    skip_reset = True
                elif state == 2 and ch == delim:
                    state = 3
                    skip_reset = True
            elif ch == "[":
                if state == 0:
                    state = 1
                skip_reset = True
            elif ch == "]":
                if state in (0, 1):
                    return ch
                if state == 3:
                    state = 0
            if not skip_reset:
                state &= ~1
            b.append(ch)
            ch = self.inchar()

    def match_slash(self, slash: str, regex: bool) -> str | None:
        b: list[str] = []
        ch = self.inchar()
        while ch not in (_EOF, "\n"):
            if ch == slash:
                return "".join(b)
            if ch == "\\":
                ch = self.inchar()
                if ch == _EOF:
                    break
                if ch != "\n" and (ch != slash or (not regex and ch == "&")):
                    b.append("\\")
            elif ch == "[" and regex:
                b.append(ch)
                ch = self.snarf_char_class(b)
                if ch != "]":
                    break
            b.append(ch)
            ch = self.inchar()
        if ch == "\n":
            self.savchar(ch)
        return None

    def read_text(self, cmd: _Cmd | None, leadin: str) -> None:
        if cmd is not None:
            self.pending = []
            self.pending_cmd = cmd
            cmd.text = None
        pending = self.pending
        assert pending is not None
        if leadin == _EOF:
            return
        if leadin != "\n":
            pending.append(leadin)
        ch = self.inchar()
        while ch not in (_EOF, "\n"):
            if ch == "\\":
                ch = self.inchar()
                if ch != _EOF:
                    pending.append("\\")
            if ch == _EOF:
                pending.append("\n")
                return
            pending.append(ch)
            ch = self.inchar()
        pending.append("\n")
        target = cmd or self.pending_cmd
        assert target is not None
        target.text = _normalize("".join(pending), "buffer")
        self.pending = None

    def compile_regex(self, text: str, icase: bool, mline: bool) -> _SedRegex | None:
        if text == "":
            return None
        return _SedRegex(_normalize(text, "regex"), self.sed.ere, icase, mline)

    def compile_address(self, ch: str) -> _Addr | None:
        if ch in ("/", "\\"):
            if ch == "\\":
                ch = self.inchar()
            b = self.match_slash(ch, True)
            if b is None:
                raise _SedBadProg("unterminated address regex")
            icase = mline = False
            while True:
                ch = self.in_nonblank()
                if ch == "I":
                    icase = True
                elif ch == "M":
                    mline = True
                else:
                    self.savchar(ch)
                    return _Addr("re", regex=self.compile_regex(b, icase, mline))
        if ch != _EOF and ch.isdigit():
            a = _Addr("num", num=self.in_integer(ch))
            ch = self.in_nonblank()
            if ch != "~":
                self.savchar(ch)
            else:
                step = self.in_integer(self.in_nonblank())
                if step > 0:
                    a.kind = "mod"
                    a.step = step
            return a
        if ch in ("+", "~"):
            step = self.in_integer(self.in_nonblank())
            if step == 0:
                return _Addr("null")
            return _Addr("step" if ch == "+" else "stepmod", step=step)
        if ch == "$":
            return _Addr("last")
        return None

    def open_write(self, name: str) -> _SedOut:
        return self.sed.open_wfile(name)

    def mark_subst_opts(self, sub: _Subst) -> tuple[bool, bool]:
        icase = mline = False
        nset = False
        while True:
            ch = self.in_nonblank()
            if ch in ("i", "I"):
                icase = True
            elif ch in ("m", "M"):
                mline = True
            elif ch == "e":
                raise _SedBadProg("the `e' flag of `s' is not supported by this sed")
            elif ch == "p":
                if sub.print:
                    raise _SedBadProg("multiple `p' options to `s' command")
                sub.print = True
            elif ch == "g":
                if sub.glob:
                    raise _SedBadProg("multiple `g' options to `s' command")
                sub.glob = True
            elif ch == "w":
                name = self.read_filename()
                if not name:
                    raise _SedBadProg("missing filename in r/R/w/W commands")
                sub.outf = self.open_write(name)
                return icase, mline
            elif ch != _EOF and ch.isdigit():
                if nset:
                    raise _SedBadProg("multiple number options to `s' command")
                sub.numb = self.in_integer(ch)
                nset = True
                if sub.numb == 0:
                    raise _SedBadProg("number option to `s' command may not be zero")
            elif ch in ("}", "#"):
                self.savchar(ch)
                return icase, mline
            elif ch in (_EOF, "\n", ";") or (ch == "\r" and self.inchar() == "\n"):
                return icase, mline
            else:
                raise _SedBadProg("unknown option to `s'")

    @staticmethod
    def setup_replacement(text: str) -> tuple[list[list[object]], int]:
        s = _normalize(text, "replacement")
        parts: list[list[object]] = []
        repl_type = save_type = 0
        max_id = 0
        base = 0
        p = 0
        n = len(s)
        while p < n:
            if s[p] == "\\":
                cur: list[object] = [s[base:p], -1, repl_type]
                parts.append(cur)
                repl_type = save_type
                p += 1
                if p == n:
                    cur[0] = str(cur[0]) + "\\"
                else:
                    c = s[p]
                    if c.isdigit() and c.isascii():
                        cur[1] = int(c)
                        max_id = max(max_id, int(c))
                    elif c == "L":
                        repl_type = save_type = _LOWER
                    elif c == "U":
                        repl_type = save_type = _UPPER
                    elif c == "E":
                        repl_type = save_type = 0
                    elif c == "l":
                        save_type = repl_type
                        repl_type |= _LFIRST
                    elif c == "u":
                        save_type = repl_type
                        repl_type |= _UFIRST
                    else:
                        cur[0] = str(cur[0]) + c
                base = p + 1
            elif s[p] == "&":
                parts.append([s[base:p], 0, repl_type])
                repl_type = save_type
                base = p + 1
            p += 1
        if base < n:
            parts.append([s[base:], -1, repl_type])
        return parts, max_id

    def compile_program(self) -> None:
        sed = self.sed
        while True:
            ch = self.inchar()
            while ch == ";" or (ch != _EOF and ch.isspace()):
                ch = self.inchar()
            if ch == _EOF:
                break
            cmd = _Cmd("")
            a = self.compile_address(ch)
            if a is not None:
                if a.kind in ("step", "stepmod"):
                    raise _SedBadProg("invalid usage of +N or ~N as first address")
                cmd.a1 = a
                ch = self.in_nonblank()
                if ch == ",":
                    a2 = self.compile_address(self.in_nonblank())
                    if a2 is None:
                        raise _SedBadProg("unexpected `,'")
                    cmd.a2 = a2
                    ch = self.in_nonblank()
                if (
                    cmd.a1.kind == "num"
                    and cmd.a1.num == 0
                    and (cmd.a2 is None or cmd.a2.kind != "re")
                ):
                    raise _SedBadProg("invalid usage of line address 0")
            if ch == "!":
                cmd.bang = True
                ch = self.in_nonblank()
                if ch == "!":
                    raise _SedBadProg("multiple `!'s")
            cmd.name = ch
            if ch == "#":
                if cmd.a1 is not None:
                    raise _SedBadProg("comments don't accept any addresses")
                ch = self.inchar()
                if ch == "n" and self.first_script and self.line < 2 and self.pos == 2:
                    sed.quiet = True
                while ch not in (_EOF, "\n"):
                    ch = self.inchar()
                continue
            if ch == "v":
                version = self.read_label() or "4.0"
                if _version_key(version) > _version_key("4.9"):
                    raise _SedBadProg("expected newer version of sed")
                continue
            if ch == "{":
                self.blocks.append((len(self.cmds), self.prefix_for_block()))
            elif ch == "}":
                if not self.blocks:
                    raise _SedBadProg("unexpected `}'")
                if cmd.a1 is not None:
                    raise _SedBadProg("`}' doesn't want any addresses")
                self.read_end_of_cmd()
                idx, _ = self.blocks.pop()
                self.cmds[idx].jump = len(self.cmds)
            elif ch in ("a", "i", "c"):
                ch = self.in_nonblank()
                if ch == _EOF:
                    raise _SedBadProg("expected \\ after `a', `c' or `i'")
                if ch == "\\":
                    ch = self.inchar()
                else:
                    self.savchar(ch)
                    ch = "\n"
                self.read_text(cmd, ch)
            elif ch == ":":
                if cmd.a1 is not None:
                    raise _SedBadProg(": doesn't want any addresses")
                label = self.read_label()
                if not label:
                    raise _SedBadProg('":" lacks a label')
                self.labels[label] = len(self.cmds)
            elif ch in ("b", "t", "T"):
                self.jumps.append((len(self.cmds), self.read_label()))
            elif ch in ("q", "Q", "l", "L"):
                if ch in ("q", "Q") and cmd.a2 is not None:
                    raise _SedBadProg("command only uses one address")
                ch = self.in_nonblank()
                if ch != _EOF and ch.isdigit():
                    cmd.int_arg = self.in_integer(ch)
                else:
                    cmd.int_arg = -1
                    self.savchar(ch)
                self.read_end_of_cmd()
            elif ch in "=dDFgGhHnNpPzx" and ch != _EOF:
                self.read_end_of_cmd()
            elif ch in ("r", "R", "w", "W"):
                if sed.sandbox:
                    raise _SedBadProg("e/r/w commands disabled in sandbox mode")
                name = self.read_filename()
                if not name:
                    raise _SedBadProg("missing filename in r/R/w/W commands")
                cmd.fname = name
                if ch == "R":
                    cmd.rfile = sed.open_rfile(name)
                elif ch in ("w", "W"):
                    cmd.outf = self.open_write(name)
            elif ch == "s":
                slash = self.inchar()
                b = self.match_slash(slash, True)
                if b is None:
                    raise _SedBadProg("unterminated `s' command")
                b2 = self.match_slash(slash, False)
                if b2 is None:
                    raise _SedBadProg("unterminated `s' command")
                parts, max_id = self.setup_replacement(b2)
                sub = _Subst(None, parts, max_id)
                icase, mline = self.mark_subst_opts(sub)
                if sub.outf is not None and sed.sandbox:
                    raise _SedBadProg("e/r/w commands disabled in sandbox mode")
                sub.regex = self.compile_regex(b, icase, mline)
                if sub.regex is not None and max_id > sub.regex.groups:
                    raise _SedBadProg(f"invalid reference \\{max_id} on `s' command's RHS")
                cmd.subst = sub
            elif ch == "y":
                slash = self.inchar()
                b = self.match_slash(slash, False)
                if b is None:
                    raise _SedBadProg("unterminated `y' command")
                src = _normalize(b, "buffer")
                b2 = self.match_slash(slash, False)
                if b2 is None:
                    raise _SedBadProg("unterminated `y' command")
                dst = _normalize(b2, "buffer")
                if len(src) != len(dst):
                    raise _SedBadProg("strings for `y' command are different lengths")
                cmd.ymap = {ord(x): y for x, y in zip(src, dst, strict=True)}
                self.read_end_of_cmd()
            elif ch == "e":
                raise _SedBadProg("the `e' command is not supported by this sed")
            elif ch == _EOF:
                raise _SedBadProg("missing command")
            else:
                raise _SedBadProg(f"unknown command: `{ch}'")
            self.cmds.append(cmd)

    def prefix_for_block(self) -> str:
        if self.fname is not None:
            return f"file {self.fname} line {self.line}: "
        return f"-e expression #{self.expr_count}, char 0: "


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) if x.isdigit() else 0 for x in v.split("."))


class _SedInput:
    """The input files as GNU sed sees them: one stream, or one per file (-s/-i)."""

    def __init__(self, sed: _Sed, files: list[str]) -> None:
        self.sed = sed
        self.ctx = sed.ctx
        self.files = files
        self.idx = 0
        self.lines: Iterator[tuple[bytes, bool]] | None = None
        self.f: IO[bytes] | None = None
        self.peeked: tuple[bytes, bool] | None = None
        self.name = "-"
        self.line_number = 0
        self.bad_count = 0
        self.reset_at_next_file = True
        self.inplace_path: str | None = None
        self.inplace_original = b""
        self.inplace_out: list[bytes] = []

    def _next(self) -> tuple[bytes, bool] | None:
        if self.peeked is not None:
            item, self.peeked = self.peeked, None
            return item
        if self.lines is None:
            return None
        return next(self.lines, None)

    def _has_more(self) -> bool:
        if self.peeked is None and self.lines is not None:
            self.peeked = next(self.lines, None)
        return self.peeked is not None

    def open_next(self) -> None:
        name = self.files[self.idx]
        self.idx += 1
        self.name = name
        self.peeked = None
        self.lines = None
        sed = self.sed
        ctx = self.ctx
        special = None if sed.in_place else _special_input(ctx, name)
        if name == "-" and not sed.in_place:
            special = ctx.stdin
        if special is not None:
            self.f = special
            self.lines = iter(_LineReader(special, sed.sep))
            return
        try:
            host = ctx.resolve(name)
            is_dir = host.is_dir()
        except CommandError as e:
            ctx.err(f"can't read {e}")
            self.bad_count += 1
            return
        if is_dir:
            if sed.in_place:
                raise _SedExit(f"couldn't edit {name}: not a regular file", 4)
            raise _SedExit(f"read error on {name}: Is a directory", 4)
        try:
            f = ctx.open_read(name)
        except CommandError as e:
            ctx.err(f"can't read {e}")
            self.bad_count += 1
            return
        if sed.in_place:
            try:
                data = f.read()
            finally:
                f.close()
            self.inplace_path = name
            self.inplace_original = data
            self.inplace_out = []
            sed.output = _SedOut(self.inplace_out.append)
            self.f = io.BytesIO(data)
        else:
            self.f = f
        self.lines = iter(_LineReader(self.f, sed.sep))

    def closedown(self) -> None:
        f = self.f
        self.f = None
        self.lines = None
        self.peeked = None
        if f is not None and f is not self.ctx.stdin:
            f.close()
        if self.inplace_path is not None:
            path = self.inplace_path
            self.inplace_path = None
            data = b"".join(self.inplace_out)
            self.inplace_out = []
            self.sed.output = self.sed.stdout_out
            self.sed.write_in_place(path, self.inplace_original, data)

    def read(self) -> tuple[str, bool] | None:
        """Next line (text, had newline); None at the end of all input."""
        while True:
            item = self._next()
            if item is not None:
                self.line_number += 1
                return decode(item[0]), item[1]
            self.closedown()
            if self.idx >= len(self.files):
                return None
            if self.reset_at_next_file:
                self.line_number = 0
                self.sed.reset_addresses()
                self.sed.rewind_read_files()
                self.reset_at_next_file = self.sed.separate
            self.open_next()

    def is_last(self) -> bool:
        if self._has_more():
            return False
        if self.sed.separate:
            return True
        while True:
            self.closedown()
            if self.idx >= len(self.files):
                return True
            self.open_next()
            if self._has_more():
                return False


class _Sed:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.quiet = False
        self.ere = False
        self.separate = False
        self.in_place = False
        self.suffix = ""
        self.sandbox = False
        self.sep = b"\n"
        self.line_len = 70
        self.unbuffered = False
        self.stdout_buf = _OutBuf(ctx.stdout)
        self.stdout_out = _SedOut(self.stdout_buf.write)
        self.stderr_out = _SedOut(ctx.stderr.write)
        self.output = self.stdout_out
        self.wfiles: dict[str, tuple[_SedOut, _OutBuf | None, IO[bytes] | None]] = {}
        self.rfiles: dict[str, _SedRFile] = {}
        self.cmds: list[_Cmd] = []
        self.ps = ""
        self.chomped = True
        self.hold = ""
        self.hold_chomped = True
        self.replaced = False
        self.append_queue: list[tuple[str, str]] = []
        self.last_regex: _SedRegex | None = None
        self.input: _SedInput | None = None
        self.err_prefix = ""

    # -- files --------------------------------------------------------------

    def open_wfile(self, name: str) -> _SedOut:
        if name == "/dev/stdout":
            return self.stdout_out
        if name == "/dev/stderr":
            return self.stderr_out
        if name == "/dev/null":
            return _SedOut(lambda _data: None)
        if name in self.wfiles:
            return self.wfiles[name][0]
        try:
            f = self.ctx.open_write(name)
        except CommandError as e:
            raise CommandError(f"couldn't open file {e}", 4) from None
        except OSError as e:
            raise CommandError(f"couldn't open file {name}: {e.strerror}", 4) from None
        buf = _OutBuf(f)  # type: ignore[arg-type]
        out = _SedOut(buf.write)
        self.wfiles[name] = (out, buf, f)  # type: ignore[assignment]
        return out

    def open_rfile(self, name: str) -> _SedRFile:
        if name not in self.rfiles:
            self.rfiles[name] = _SedRFile(self.ctx, name, self.sep)
        return self.rfiles[name]

    def rewind_read_files(self) -> None:
        for rf in self.rfiles.values():
            rf.rewind()

    def close_files(self) -> None:
        for _out, buf, f in self.wfiles.values():
            try:
                if buf is not None:
                    buf.flush()
            finally:
                if f is not None:
                    f.close()
        for rf in self.rfiles.values():
            rf.close()

    def write_in_place(self, path: str, original: bytes, data: bytes) -> None:
        """Like GNU: write a temporary file next to ``path``, then rename it over."""
        ctx = self.ctx
        d, base = os.path.split(path)
        try:
            host = ctx.resolve(path)
            mode = statmod.S_IMODE(hfs.stat(ctx.ws, host).st_mode)
            if self.suffix and self.suffix != "*":
                if "*" in self.suffix:
                    backup = os.path.join(d, self.suffix.replace("*", base))
                else:
                    backup = path + self.suffix
                with ctx.open_write(backup) as w:
                    w.write(original)
                hfs.set_meta(ctx.ws, ctx.resolve(backup), mode, None)
            tmp = os.path.join(d, f".sed{secrets.token_hex(4)}")
            try:
                with ctx.open_write(tmp) as w:
                    w.write(data)
                tmp_host = ctx.resolve(tmp)
                hfs.set_meta(ctx.ws, tmp_host, mode, None)
                hfs.rename(ctx.ws, tmp_host, host)  # beneath the root: never into a swapped link
            except BaseException:
                with contextlib.suppress(OSError, CommandError):
                    hfs.unlink(ctx.ws, ctx.resolve(tmp))
                raise
        except CommandError as e:
            raise _SedExit(f"couldn't edit {path}: {e}", 4) from None
        except OSError as e:
            raise _SedExit(f"couldn't edit {path}: {e.strerror}", 4) from None

    # -- output -------------------------------------------------------------

    def output_missing_newline(self, o: _SedOut) -> None:
        if o.missing_newline:
            o.write(self.sep)
            o.missing_newline = False

    def output_line(self, text: str, nl: bool, o: _SedOut) -> None:
        self.output_missing_newline(o)
        if text:
            o.write(encode(text))
        if nl:
            o.write(self.sep)
        else:
            o.missing_newline = True
        if self.unbuffered:
            self.stdout_buf.flush()

    def dump_append_queue(self) -> None:
        o = self.output
        self.output_missing_newline(o)
        for kind, val in self.append_queue:
            if kind == "text":
                if val:
                    o.write(encode(val))
            else:
                data = self._read_whole(val)
                if data:
                    o.write(data)
        self.append_queue = []

    def _read_whole(self, name: str) -> bytes:
        ctx = self.ctx
        if name == "/dev/stdin":
            return ctx.stdin.read()
        try:
            f = ctx.open_read(name)
        except (CommandError, OSError):
            return b""
        try:
            return f.read()
        finally:
            f.close()

    def do_list(self, width: int) -> None:
        o = self.output
        self.output_missing_newline(o)
        out: list[str] = []
        col = 0
        specials = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
        for byte in encode(self.ps):
            if 32 <= byte < 127:
                ob = "\\\\" if byte == 92 else chr(byte)
            elif byte in specials:
                ob = specials[byte]
            else:
                ob = f"\\{byte:03o}"
            if width > 0 and col + len(ob) >= width:
                out.append("\\\n")
                col = 0
            out.append(ob)
            col += len(ob)
        out.append("$")
        o.write(encode("".join(out)) + self.sep)

    # -- addresses and regexes ---------------------------------------------

    def reset_addresses(self) -> None:
        for c in self.cmds:
            if c.a1 is not None and c.a1.kind == "num" and c.a1.num == 0:
                c.range_state = _ACTIVE
            else:
                c.range_state = _INACTIVE

    def regex(self, rx: _SedRegex | None) -> _SedRegex:
        if rx is None:
            if self.last_regex is None:
                raise CommandError(self.err_prefix + "no previous regular expression", 1)
            return self.last_regex
        self.last_regex = rx
        return rx

    def match_an(self, a: _Addr) -> bool:
        assert self.input is not None
        k = a.kind
        ln = self.input.line_number
        if k == "re":
            return self.regex(a.regex).rx.search(self.ps) is not None
        if k == "num":
            return a.num == ln
        if k == "last":
            return self.input.is_last()
        if k == "mod":
            return ln >= a.num and (ln - a.num) % a.step == 0
        if k in ("step", "stepmod"):
            return a.num <= ln
        return True  # null

    def match_address(self, cmd: _Cmd) -> bool:
        a1 = cmd.a1
        if a1 is None:
            return True
        assert self.input is not None
        ln = self.input.line_number
        a2 = cmd.a2
        if cmd.range_state != _ACTIVE:
            if a2 is None:
                return self.match_an(a1)
            if a1.kind == "num":
                if cmd.range_state == _CLOSED or ln < a1.num:
                    return False
            elif not self.match_an(a1):
                return False
            cmd.range_state = _ACTIVE
            if a2.kind == "re":
                return True
            if a2.kind == "num":
                if ln >= a2.num:
                    cmd.range_state = _CLOSED
                return ln <= a2.num or self.match_an(a1)
            if a2.kind == "step":
                a2.num = ln + a2.step
                return True
            if a2.kind == "stepmod":
                a2.num = ln + a2.step - (ln % a2.step)
                return True
        assert a2 is not None
        if a2.kind == "num":
            if ln >= a2.num:
                cmd.range_state = _CLOSED
            return ln <= a2.num
        if self.match_an(a2):
            cmd.range_state = _CLOSED
        return True

    # -- s ------------------------------------------------------------------

    @staticmethod
    def _case(s: str, t: int) -> str:
        if t == 0 or not s:
            return s
        if t & _MODS:
            first = s[0].upper() if t & _UFIRST else s[0].lower()
            t &= ~_MODS
            rest = s[1:]
            if t == 0:
                return first + rest
            return first + (rest.upper() if t & _UPPER else rest.lower())
        return s.upper() if t & _UPPER else s.lower()

    def expand(self, parts: list[list[object]], m: re.Match[str]) -> str:
        out: list[str] = []
        repl_mod = 0
        ngroups = m.re.groups
        for prefix, sid, rtype in parts:
            assert isinstance(prefix, str) and isinstance(sid, int) and isinstance(rtype, int)
            curr = rtype if rtype & _MODS else rtype | repl_mod
            repl_mod = 0
            if prefix:
                out.append(self._case(prefix, curr))
                curr &= ~_MODS
            if 0 <= sid <= ngroups:
                g = m.group(sid) or ""
                if not g and rtype & _MODS:
                    repl_mod = curr & _MODS
                elif g:
                    out.append(self._case(g, curr))
        return "".join(out)

    def do_subst(self, sub: _Subst) -> None:
        rx = self.regex(sub.regex)
        line = self.ps
        m = rx.search(line, 0)
        if m is None:
            return
        out: list[str] = []
        start = 0
        last_end = 0
        count = 0
        n = len(line)
        while True:
            offset, mend = m.start(), m.end()
            matched = mend - offset
            if start < offset:
                out.append(line[start:offset])
                start = offset
            hit = False
            if matched > 0 or count == 0 or offset > last_end:
                count += 1
                hit = count >= sub.numb
            if hit:
                self.replaced = True
                out.append(self.expand(sub.parts, m))
                again = sub.glob
            else:
                again = True
                if matched == 0:
                    if start < n:
                        matched = 1
                    else:
                        break
                out.append(line[offset : offset + matched])
            start = offset + matched
            last_end = mend
            if not again or start > n:
                break
            m = rx.search(line, start)
            if m is None:
                break
        if start < n:
            out.append(line[start:])
        self.ps = "".join(out)
        if count < sub.numb:
            return
        if sub.print:
            self.output_line(self.ps, self.chomped, self.output)
        if sub.outf is not None:
            self.output_line(self.ps, self.chomped, sub.outf)

    # -- execution ----------------------------------------------------------

    def read_pattern_space(self, append: bool) -> bool:
        assert self.input is not None
        if self.append_queue:
            self.dump_append_queue()
        self.replaced = False
        got = self.input.read()
        if got is None:
            return False
        text, had_nl = got
        if append:
            self.ps += text
        else:
            self.ps = text
        self.chomped = had_nl
        return True

    def execute(self) -> int:
        """Run the script on the pattern space: -1 to go on, else an exit status."""
        cmds = self.cmds
        inp = self.input
        assert inp is not None
        delim = decode(self.sep)
        pc = 0
        n = len(cmds)
        steps = 0
        while pc < n:
            steps += 1
            if steps & 4095 == 0:
                self.ctx.check()
            cmd = cmds[pc]
            selected = self.match_address(cmd) != cmd.bang
            name = cmd.name
            if name == "{":
                pc = pc + 1 if selected else cmd.jump
                continue
            if not selected:
                pc += 1
                continue
            if name == "s":
                assert cmd.subst is not None
                self.do_subst(cmd.subst)
            elif name == "p":
                self.output_line(self.ps, self.chomped, self.output)
            elif name == "d":
                return -1
            elif name == "b":
                pc = cmd.jump
                continue
            elif name == "t":
                if self.replaced:
                    self.replaced = False
                    pc = cmd.jump
                    continue
            elif name == "T":
                if not self.replaced:
                    pc = cmd.jump
                    continue
                self.replaced = False
            elif name == "a":
                self.append_queue.append(("text", cmd.text or ""))
            elif name == "i":
                if cmd.text is not None:
                    self.output_line(cmd.text[:-1], True, self.output)
            elif name == "c":
                if cmd.range_state != _ACTIVE and cmd.text is not None:
                    self.output_line(cmd.text[:-1], True, self.output)
                return -1
            elif name == "D":
                i = self.ps.find(delim)
                if i < 0:
                    return -1
                self.ps = self.ps[i + 1 :]
                pc = 0
                continue
            elif name == "g":
                self.ps = self.hold
                self.chomped = self.hold_chomped
            elif name == "G":
                self.ps = self.ps + delim + self.hold
                self.chomped = self.hold_chomped
            elif name == "h":
                self.hold = self.ps
                self.hold_chomped = self.chomped
            elif name == "H":
                self.hold = self.hold + delim + self.ps
                self.hold_chomped = self.chomped
            elif name == "x":
                self.ps, self.hold = self.hold, self.ps
                self.chomped, self.hold_chomped = self.hold_chomped, self.chomped
            elif name == "n":
                if not self.quiet:
                    self.output_line(self.ps, self.chomped, self.output)
                if inp.is_last() or not self.read_pattern_space(False):
                    return -1
            elif name == "N":
                self.ps += delim
                if inp.is_last() or not self.read_pattern_space(True):
                    self.ps = self.ps[:-1]
                    if not self.quiet:
                        self.output_line(self.ps, self.chomped, self.output)
                    return -1
            elif name == "P":
                i = self.ps.find(delim)
                if i >= 0:
                    self.output_line(self.ps[:i], True, self.output)
                else:
                    self.output_line(self.ps, self.chomped, self.output)
            elif name == "=":
                self.output_missing_newline(self.output)
                self.output.write(str(inp.line_number).encode() + self.sep)
            elif name == "l":
                self.do_list(cmd.int_arg if cmd.int_arg != -1 else self.line_len)
            elif name == "q":
                if not self.quiet:
                    self.output_line(self.ps, self.chomped, self.output)
                self.dump_append_queue()
                return cmd.int_arg if cmd.int_arg != -1 else 0
            elif name == "Q":
                return cmd.int_arg if cmd.int_arg != -1 else 0
            elif name == "y":
                assert cmd.ymap is not None
                self.ps = self.ps.translate(cmd.ymap)
            elif name == "z":
                self.ps = ""
            elif name == "r":
                self.append_queue.append(("file", cmd.fname))
            elif name == "R":
                assert cmd.rfile is not None
                got = cmd.rfile.readline()
                if got is not None:
                    self.append_queue.append(("text", decode(got)))
            elif name == "w":
                assert cmd.outf is not None
                self.output_line(self.ps, self.chomped, cmd.outf)
            elif name == "W":
                assert cmd.outf is not None
                i = self.ps.find(delim)
                if i >= 0:
                    self.output_line(self.ps[:i], True, cmd.outf)
                else:
                    self.output_line(self.ps, self.chomped, cmd.outf)
            elif name == "F":
                self.output_missing_newline(self.output)
                self.output.write(encode(inp.name) + self.sep)
            # "}", ":" and "L" do nothing here
            pc += 1
        if not self.quiet:
            self.output_line(self.ps, self.chomped, self.output)
        return -1

    def run(self, files: list[str]) -> int:
        self.input = inp = _SedInput(self, files)
        status = 0
        cycles = 0
        try:
            while self.read_pattern_space(False):
                cycles += 1
                if cycles & 1023 == 0:
                    self.ctx.check()
                st = self.execute()
                if st != -1:
                    status = st
                    break
            inp.closedown()
        finally:
            self.stdout_buf.flush()
        if inp.bad_count:
            status = 2
        return status


@command("sed")
def sed(ctx: CommandContext) -> int:
    """Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...
    Stream editor: run a script over each input line (GNU sed compatible).

      -n, --quiet, --silent    suppress automatic printing of pattern space
      -e script, --expression=script   add the script to the commands to run
      -f script-file, --file=script-file   add the contents of script-file
      -i[SUFFIX], --in-place[=SUFFIX]  edit files in place (backup if SUFFIX given)
      -l N, --line-length=N    line-wrap length for the `l' command
      -E, -r, --regexp-extended  use extended regular expressions
      -s, --separate           consider files as separate, not one stream
      -z, --null-data          separate lines by NUL characters
      -u, --unbuffered         flush output often
          --posix, --sandbox, --follow-symlinks, --debug   accepted
    Commands: s y p P d D n N g G h H x q Q = l a i c r R w W F z b t T : { } !
    Addresses: N, $, /re/[IM], \\%re%, first~step, a,b, a,+N, a,~N, 0,/re/.
    The `e' command and the `e' flag of `s' are not supported.
    """
    try:
        opts, operands = _getopt(ctx.args, _SED_SHORT, _SED_LONG)
    except _OptError as e:
        raise CommandError(f"{e}\n{_SED_USAGE}", 1) from None
    s = _Sed(ctx)
    parser = _SedParser(s)
    scripts: list[tuple[str, str | None]] = []  # (text, file name or None for -e)
    for key, val in opts:
        if key == "n":
            s.quiet = True
        elif key in ("r", "E"):
            s.ere = True
        elif key == "s":
            s.separate = True
        elif key == "u":
            s.unbuffered = True
        elif key == "z":
            s.sep = b"\0"
        elif key == "i":
            s.in_place = True
            s.separate = True
            s.suffix = val or ""
        elif key == "l":
            try:
                s.line_len = int(val or "")
            except ValueError:
                raise CommandError(f"invalid line length: {val}", 1) from None
        elif key == "sandbox":
            s.sandbox = True
        elif key == "version":
            ctx.out("sed (GNU sed) 4.9 (corral built-in)\n")
            return 0
        elif key == "e":
            scripts.append((val or "", None))
        elif key == "f":
            scripts.append(("", val or ""))
        # b, posix, debug, follow-symlinks: accepted, no effect
    if not scripts:
        if not operands:
            ctx.stderr.write(encode(_SED_USAGE + "\n"))
            return 1
        scripts.append((operands.pop(0), None))
    try:
        # Regexes are compiled as the script is parsed, so -E must be known first.
        for text, fname in scripts:
            if fname is None:
                parser.compile_string(text)
            else:
                parser.compile_file(fname, _read_script_file(ctx, fname))
        s.cmds = parser.finish()
        parser_prefix = (
            f"file {parser.fname} line {parser.line}: "
            if parser.fname is not None
            else f"-e expression #{parser.expr_count}, char 0: "
        )
        s.err_prefix = parser_prefix
        if s.in_place and not operands:
            raise CommandError("no input files", 4)
        return s.run(operands or ["-"])
    except _SedExit as e:
        s.stdout_buf.flush()
        raise CommandError(str(e), e.status) from None
    finally:
        s.close_files()


def _read_script_file(ctx: CommandContext, name: str) -> str:
    try:
        f = _special_input(ctx, name) or (ctx.stdin if name == "-" else ctx.open_read(name))
    except CommandError as e:
        raise CommandError(f"couldn't open file {e}", 4) from None
    try:
        data = f.read()
    finally:
        if f is not ctx.stdin:
            f.close()
    return decode(data)
