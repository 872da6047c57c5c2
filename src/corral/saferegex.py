"""Regexes that cannot run away: Python ``re`` syntax, RE2 matching.

Python's ``re`` backtracks and holds the GIL for a whole match, so a pattern such
as ``(a+)+$`` on forty ``a`` and a ``b`` freezes every thread of the process.
:func:`compile` takes the same pattern syntax and flags as ``re.compile``, parses
the pattern with Python's own parser (so syntax, errors and group numbers are
exactly Python's) and writes the parse tree out again in RE2 syntax, then
matches with google-re2: linear time in the text, and the GIL is released while
RE2 runs. The objects returned have the API of ``re.Pattern`` / ``re.Match``
that corral uses (search, match, fullmatch, finditer, findall, sub/subn with
callables and group references, split, groups, groupindex, spans, pos/endpos).

Exactness. Python's classes are reproduced exactly (``\\w \\d \\s`` are read from
Python's own tables, lone surrogates from ``surrogateescape`` text are mapped
to private-use code points on both sides), ``$`` keeps its "or before a final
newline" meaning, ``\\Z`` becomes ``\\z``. Lookarounds of one character next to
a known character (the forms corral's translators emit: ``grep -w``, ``\\<``,
``\\>``, ``(?!)``) are rewritten as ``\\b``/``\\B`` or dropped.

Fallback. What RE2 cannot express (back-references, other lookarounds,
possessive/atomic groups, conditionals, repeats above 1000, a Unicode ``\\b`` on
non-ASCII text) runs on Python ``re`` after two guards: a *relaxed* RE2 pattern
(assertions dropped, back-references as ``.*``) must match first (it matches a
superset, so "no match" is decided in linear time), and the text may be at
most :data:`FALLBACK_MAX_CHARS` long (:class:`RegexTooExpensive` otherwise).
A fallback pattern can still backtrack for a long time on a short text that
the relaxed pattern matches; the backstop for that is the kill of the worker
process that runs the shell, not this module.

The empty-match rule of ``finditer``/``sub``/``split`` is Python's, except that
after an empty match at a position a non-empty match starting at the same
position is not looked for (``'|a'`` on ``'a'`` gives ``['', '']``).
"""

from __future__ import annotations

import array
import contextlib
import functools
import re
import re._constants as _c
import re._parser as _p
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, AnyStr, Final, Generic

import re2
from re2 import _re2

__all__ = [
    "FALLBACK_MAX_CHARS",
    "Match",
    "Pattern",
    "RegexTooExpensive",
    "compile",
    "error",
    "escape",
]

error = re.error
escape = re.escape

#: Longest text (characters) that a pattern needing Python's backtracking engine
#: is run on.
FALLBACK_MAX_CHARS: Final = 1 << 20

_RE2_MAX_MEM: Final = 64 << 20
_MAX_REPEAT: Final = 1000
_SUR_LO, _SUR_HI = 0xD800, 0xDFFF
_SUR_MAP: Final = 0x10F800 - 0xD800  # lone surrogate -> plane-16 private use
_MAPPED_LO: Final = 0x10F800
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_ANCHOR_START = _re2.RE2.Anchor.ANCHOR_START
_ANCHOR_BOTH = _re2.RE2.Anchor.ANCHOR_BOTH
_NULL: Final = (-1, -1)
_SURROGATES = re.compile("[\ud800-\udfff]")
_MAPPED = re.compile("[\U0010f800-\U0010ffff]")


class RegexTooExpensive(ValueError):
    """A pattern that needs backtracking was given a text longer than the cap."""


class _Unsupported(Exception):
    """The parse tree has something RE2 cannot do."""


#: What compiling a str pattern decided, per (pattern, flags): Python's flags, group
#: count and names, whether Python's engine runs it without backtracking, RE2's text
#: (and whether it is exact only on ASCII text / text not ending in a newline / touches
#: mapped surrogates) and the relaxed pre-check's text. A pattern compiled again in this
#: process, or one :mod:`corral.monitor.packcache` read from disk, is set up from it
#: without parsing. Plain data only (str, int, bool, tuples), bounded.
Plan = tuple[
    int, int, tuple[tuple[str, int], ...], bool,
    tuple[str, bool, bool, bool] | None, tuple[str, bool] | None,
]  # fmt: skip
PLANS: dict[tuple[str, int], Plan] = {}
PLANS_MAX: Final = 32768


def _remember(pattern: str, flags: int, plan: Plan) -> None:
    if len(PLANS) >= PLANS_MAX:
        PLANS.clear()
    PLANS[(pattern, flags)] = plan


# ---------------------------------------------------------------------------
# Python's Unicode classes, read from Python itself (once, when first needed)
# ---------------------------------------------------------------------------

_TABLE_LOCK = threading.Lock()
_TABLES: dict[str, list[tuple[int, int]]] = {}


def _unicode_ranges(name: str) -> list[tuple[int, int]]:
    with _TABLE_LOCK:
        if not _TABLES:  # all three at once: the string of every code point is the cost
            everything = _every_code_point()
            for key, pat in (("w", r"\w+"), ("d", r"\d+"), ("s", r"\s+")):
                _TABLES[key] = [(m.start(), m.end() - 1) for m in re.finditer(pat, everything)]
        return _TABLES[name]


def _every_code_point() -> str:
    """chr(0) ... chr(0x10FFFF), surrogates included, in one string: decoded from UTF-32
    (~30 ms; joining 1.1 million one-character strings takes ~4× that)."""
    words = array.array("I", range(0x110000))
    if words.itemsize != 4:
        return "".join(map(chr, range(0x110000)))
    codec = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
    return words.tobytes().decode(codec, "surrogatepass")


_ASCII_CAT: Final = {
    "w": [(48, 57), (65, 90), (95, 95), (97, 122)],
    "d": [(48, 57)],
    "s": [(9, 13), (32, 32)],
}
_CATEGORIES: Final = {
    _c.CATEGORY_DIGIT: ("d", False),
    _c.CATEGORY_NOT_DIGIT: ("d", True),
    _c.CATEGORY_SPACE: ("s", False),
    _c.CATEGORY_NOT_SPACE: ("s", True),
    _c.CATEGORY_WORD: ("w", False),
    _c.CATEGORY_NOT_WORD: ("w", True),
}


def _complement(ranges: list[tuple[int, int]], top: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= top:
        out.append((nxt, top))
    return out


# ---------------------------------------------------------------------------
# Parse tree -> RE2 syntax
# ---------------------------------------------------------------------------

_W_ASCII = frozenset(chr(c) for lo, hi in _ASCII_CAT["w"] for c in range(lo, hi + 1))
_ICASE_EXTRA: Final = {"k": "\u212a", "s": "\u017f", "i": "\u0130\u0131"}
_FAIL: Final = "[^\\x00-\\x{10FFFF}]"
# (category, ASCII only, top code point) -> (class body, touches the mapped code points)
_CATEGORY_TEXT: dict[tuple[Any, bool, int], tuple[str, bool]] = {}
_BIG: Final = 512  # largest character set the lookaround rewriting enumerates


class _Emitter:
    def __init__(self, flags: int, is_bytes: bool, relaxed: bool) -> None:
        self.flags = flags
        self.is_bytes = is_bytes
        self.relaxed = relaxed
        self.needs_ascii = False  # a Unicode \b: exact only on ASCII text
        self.dollar = False  # a non-multiline $: exact unless the text ends in \n
        self.touches_mapped = False  # mentions surrogates or their stand-ins

    # -- characters and classes --
    def char(self, cp: int) -> str:
        if _SUR_LO <= cp <= _SUR_HI:
            cp += _SUR_MAP
            self.touches_mapped = True
        elif cp >= _MAPPED_LO:
            self.touches_mapped = True
        if cp < 128 and (chr(cp).isalnum() or cp == 95):
            return chr(cp)
        return f"\\x{{{cp:X}}}"

    def rng(self, lo: int, hi: int) -> str:
        parts: list[str] = []
        if lo <= _SUR_HI and hi >= _SUR_LO:  # split out the surrogates
            if lo < _SUR_LO:
                parts.append(self._r(lo, _SUR_LO - 1))
            parts.append(self._r(max(lo, _SUR_LO), min(hi, _SUR_HI)))
            if hi > _SUR_HI:
                parts.append(self._r(_SUR_HI + 1, hi))
            return "".join(parts)
        return self._r(lo, hi)

    def _r(self, lo: int, hi: int) -> str:
        return self.char(lo) if lo == hi else self.char(lo) + "-" + self.char(hi)

    def category(self, code: Any, flags: int) -> tuple[list[tuple[int, int]], bool]:
        name, neg = _CATEGORIES[code]
        if self.is_bytes or flags & re.ASCII:
            return _ASCII_CAT[name], neg
        return _unicode_ranges(name), neg

    def category_text(self, code: Any, flags: int, top: int) -> str:
        """A class's body for ``\\w``, ``\\S``...: Unicode ones are hundreds of ranges, so
        each is spelled once per process (the text and whether it touches the mapped
        code points depend on the category, the ASCII flag and the top only)."""
        key = (code, self.is_bytes or bool(flags & re.ASCII), top)
        hit = _CATEGORY_TEXT.get(key)
        if hit is None:
            ranges, cneg = self.category(code, flags)
            if cneg:
                ranges = _complement(ranges, top)
            saved, self.touches_mapped = self.touches_mapped, False
            text = "".join(self.rng(lo, hi) for lo, hi in ranges)
            hit = _CATEGORY_TEXT[key] = (text, self.touches_mapped)
            self.touches_mapped = saved
        self.touches_mapped = self.touches_mapped or hit[1]
        return hit[0]

    def cls_items(self, items: list[Any], flags: int) -> tuple[str, bool]:
        neg = False
        body: list[str] = []
        top = 0xFF if self.is_bytes else 0x10FFFF
        for op, av in items:
            if op is _c.NEGATE:
                neg = True
            elif op is _c.LITERAL:
                body.append(self.char(av))
            elif op is _c.RANGE:
                body.append(self.rng(av[0], av[1]))
            elif op is _c.CATEGORY:
                body.append(self.category_text(av, flags, top))
            else:
                raise _Unsupported(str(op))
        return "".join(body), neg

    def icase(self, s: str, flags: int) -> str:
        if flags & re.IGNORECASE:
            if self.is_bytes:  # Python folds ASCII only on bytes; RE2 would fold Latin-1
                raise _Unsupported("bytes ignorecase")
            return "(?i:" + s + ")"
        return s

    # -- nodes --
    def seq(self, items: list[Any], flags: int) -> str:
        items = self.rewrite(self.flatten(items, flags))
        return "".join(self.node(op, av, f) for op, av, f in items)

    def flatten(self, items: list[Any], flags: int) -> list[tuple[Any, Any, int]]:
        out: list[tuple[Any, Any, int]] = []
        for op, av in items:
            if op is _c.SUBPATTERN and av[0] is None:
                inner = (flags | av[1]) & ~av[2]
                sub = list(av[3])
                if not any(o is _c.BRANCH for o, _ in sub):
                    out.extend(self.flatten(sub, inner))
                    continue
            out.append((op, av, flags))
        return out

    def node(self, op: Any, av: Any, flags: int) -> str:
        if op is _c.LITERAL:
            return self.icase(self.char(av), flags)
        if op is _c.NOT_LITERAL:
            return self.icase("[^" + self.char(av) + "]", flags)
        if op is _c.ANY:
            if flags & re.DOTALL:
                return "(?s:.)"
            return "[^\\n]"
        if op is _c.IN:
            body, neg = self.cls_items(av, flags)
            if not body:
                return "(?s:.)" if neg else _FAIL
            return self.icase(("[^" if neg else "[") + body + "]", flags)
        if op is _c.BRANCH:
            return "(?:" + "|".join(self.seq(list(b), flags) for b in av[1]) + ")"
        if op is _c.SUBPATTERN:
            group, add, rem, sub = av
            inner = self.seq(list(sub), (flags | add) & ~rem)
            if group is None:
                return "(?:" + inner + ")"
            return "(" + inner + ")"
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            if op is _c.POSSESSIVE_REPEAT and not self.relaxed:
                raise _Unsupported("possessive repeat")
            if lo > _MAX_REPEAT or (hi is not _c.MAXREPEAT and hi > _MAX_REPEAT):
                if not self.relaxed:
                    raise _Unsupported("repeat count above 1000")
                lo, hi = min(lo, _MAX_REPEAT), _c.MAXREPEAT
            inner = "(?:" + self.seq(list(sub), flags) + ")"
            if hi is _c.MAXREPEAT:
                q = {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
            elif lo == 0 and hi == 1:
                q = "?"
            elif lo == hi:
                q = f"{{{lo}}}"
            else:
                q = f"{{{lo},{hi}}}"
            return inner + q + ("?" if op is _c.MIN_REPEAT else "")
        if op is _c.ATOMIC_GROUP:
            if not self.relaxed:
                raise _Unsupported("atomic group")
            return "(?:" + self.seq(list(av), flags) + ")"
        if op is _c.AT:
            return self.at(av, flags)
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            if av[1] == [] or len(av[1]) == 0:
                return "" if op is _c.ASSERT else _FAIL
            if self.relaxed:
                return ""
            raise _Unsupported("lookaround")
        if op is _c.GROUPREF:
            if self.relaxed:
                return "(?s:.*)"
            raise _Unsupported("back-reference")
        if op is _c.GROUPREF_EXISTS:
            if self.relaxed:
                yes = self.seq(list(av[1]), flags)
                no = self.seq(list(av[2]), flags) if av[2] is not None else ""
                return "(?:" + yes + "|" + no + ")"
            raise _Unsupported("conditional group")
        if op is _c.CATEGORY:  # not produced by the parser outside IN, but harmless
            return self.node(_c.IN, [(op, av)], flags)
        if op is _b_rewritten:
            return av
        raise _Unsupported(str(op))

    def at(self, code: Any, flags: int) -> str:
        if code is _c.AT_BEGINNING:
            return "(?m:^)" if flags & re.MULTILINE else "\\A"
        if code is _c.AT_BEGINNING_STRING:
            return "\\A"
        if code is _c.AT_END:
            if flags & re.MULTILINE:
                return "(?m:$)"
            if self.relaxed:
                return ""
            self.dollar = True
            return "\\z"
        if code is _c.AT_END_STRING:
            return "\\z"
        if code in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            if not (self.is_bytes or flags & re.ASCII):
                if self.relaxed:
                    return ""
                self.needs_ascii = True
            return "\\b" if code is _c.AT_BOUNDARY else "\\B"
        raise _Unsupported(str(code))

    # -- one-character lookarounds next to known characters --
    def rewrite(self, items: list[tuple[Any, Any, int]]) -> list[tuple[Any, Any, int]]:
        if self.relaxed or not any(op in (_c.ASSERT, _c.ASSERT_NOT) for op, _, _ in items):
            return items
        out = list(items)
        i = 0
        while i < len(out):
            op, av, flags = out[i]
            if op not in (_c.ASSERT, _c.ASSERT_NOT) or not av[1]:
                i += 1
                continue
            direction, body = av
            neg = op is _c.ASSERT_NOT
            test = self.one_char(list(body), flags)
            if test is None:
                i += 1  # node() refuses it: fallback
                continue
            if direction == 1:
                near = self.chars(out[i + 1 :], first=True)
                far = self.chars(out[:i], first=False)
            else:
                near = self.chars(out[:i], first=False)
                far = self.chars(out[i + 1 :], first=True)
            members = self.sub_chars(self.flatten(list(body), flags), True)
            ascii_only = members is not None and all(ord(ch) < 128 for ch in members[0])
            repl = self.decide(test, neg, near, far, ascii_only)
            if repl is None and direction == -1 and i + 1 < len(out):
                if self.distribute(out, i, after=True):
                    continue
            elif repl is None and direction == 1 and i > 0 and self.distribute(out, i, False):
                i -= 1
                continue
            if repl is not None:
                out[i] = (_b_rewritten, repl, flags)
            i += 1
        return out

    def distribute(self, out: list[tuple[Any, Any, int]], i: int, after: bool) -> bool:
        """Move the lookaround at ``i`` into each alternative of its neighbour."""
        j = i + 1 if after else i - 1
        op, av, flags = out[j]
        assertion = out[i][:2]
        if op is _c.SUBPATTERN:
            group, add, rem, sub = av
            inner = list(sub)
            if len(inner) != 1 or inner[0][0] is not _c.BRANCH:
                new_sub = [assertion, *inner] if after else [*inner, assertion]
                if group is None:
                    return False
                out[j] = (op, (group, add, rem, _as_sub(new_sub)), flags)
                del out[i]
                return True
            branch = inner[0]
            new_branch = self._spread(branch, assertion, after)
            out[j] = (op, (group, add, rem, _as_sub([new_branch])), flags)
            del out[i]
            return True
        if op is _c.BRANCH:
            out[j] = (*self._spread((op, av), assertion, after), flags)
            del out[i]
            return True
        return False

    @staticmethod
    def _spread(branch: Any, assertion: Any, after: bool) -> Any:
        _, (none, alts) = branch
        new = [
            _as_sub([assertion, *list(a)] if after else [*list(a), assertion]) for a in alts
        ]
        return (_c.BRANCH, (none, new))

    def one_char(self, body: list[Any], flags: int) -> Callable[[str], bool] | None:
        if len(body) != 1 or body[0][0] not in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY):
            return None
        sub = _Emitter(self.flags, self.is_bytes, False)
        try:
            src = sub.seq(body, flags)
        except _Unsupported:
            return None
        opts = _options(self.is_bytes)
        prog = _re2.RE2(src.encode("latin-1" if self.is_bytes else "utf-8"), opts)
        if not prog.ok():
            return None

        def test(ch: str) -> bool:
            data = ch.encode("latin-1" if self.is_bytes else "utf-8", "surrogatepass")
            return prog.Match(_ANCHOR_BOTH, data, 0, len(data))[0] != _NULL

        return test

    def chars(self, items: list[tuple[Any, Any, int]], first: bool) -> frozenset[str] | None:
        """The characters the sequence can start (end) with, if it must consume one."""
        got = self.sub_chars(items, first)
        if got is None or got[1]:
            return None
        return got[0]

    def node_chars(
        self, op: Any, av: Any, flags: int, first: bool
    ) -> tuple[frozenset[str], bool] | None:
        if op is _c.LITERAL:
            return self.fold({chr(av)}, flags), False
        if op is _c.IN:
            if any(o in (_c.NEGATE, _c.CATEGORY) for o, _ in av):
                if self.is_bytes or flags & re.ASCII:
                    pass
                else:
                    return None
            if self.cls_items(av, flags)[1]:
                return None
            chars: set[str] = set()
            for o, a in av:
                if o is _c.LITERAL:
                    chars.add(chr(a))
                elif o is _c.RANGE:
                    if a[1] - a[0] > _BIG:
                        return None
                    chars.update(chr(x) for x in range(a[0], a[1] + 1))
                elif o is _c.CATEGORY:
                    ranges, cneg = self.category(a, flags)
                    if cneg:
                        return None
                    chars.update(chr(x) for lo, hi in ranges for x in range(lo, hi + 1))
            return self.fold(chars, flags), False
        if op is _b_rewritten:
            return frozenset(), True
        if op is _c.AT:
            return frozenset(), True
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return frozenset(), True
        if op is _c.SUBPATTERN:
            inner = self.flatten(list(av[3]), (flags | av[1]) & ~av[2])
            return self.sub_chars(inner, first)
        if op is _c.BRANCH:
            total: set[str] = set()
            nullable = False
            for alt in av[1]:
                got = self.sub_chars(self.flatten(list(alt), flags), first)
                if got is None:
                    return None
                total |= got[0]
                nullable = nullable or got[1]
            return frozenset(total), nullable
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, _, sub = av
            got = self.sub_chars(self.flatten(list(sub), flags), first)
            if got is None:
                return None
            return got[0], got[1] or lo == 0
        return None

    def sub_chars(
        self, items: list[tuple[Any, Any, int]], first: bool
    ) -> tuple[frozenset[str], bool] | None:
        seq = items if first else list(reversed(items))
        total: set[str] = set()
        for op, av, flags in seq:
            got = self.node_chars(op, av, flags, first)
            if got is None:
                return None
            total |= got[0]
            if not got[1]:
                return frozenset(total), False
        return frozenset(total), True

    def fold(self, chars: set[str], flags: int) -> frozenset[str]:
        if not flags & re.IGNORECASE or len(chars) > _BIG:
            return frozenset(chars)
        out = set(chars)
        for ch in chars:
            out.update((ch.lower(), ch.upper()) if len(ch.upper()) == 1 else (ch.lower(),))
            out.update(_ICASE_EXTRA.get(ch.lower(), ""))
        return frozenset(x for x in out if len(x) == 1)

    def decide(
        self,
        test: Callable[[str], bool],
        neg: bool,
        near: frozenset[str] | None,
        far: frozenset[str] | None,
        ascii_only: bool,
    ) -> str | None:
        """RE2 text for a one-character lookaround, or None."""
        if near:  # the assertion looks at a character the pattern itself consumes
            inside = [test(ch) for ch in near]
            if all(inside):
                return _FAIL if neg else ""
            if not any(inside):
                return "" if neg else _FAIL
        if far:  # the character on the other side is known: a word boundary?
            # Only C = [A-Za-z0-9_] (on ASCII) maps onto RE2's \b: the neighbour is
            # tested as "word" / "not word or absent", which is what \b sees.
            if not all(test(chr(c)) == (chr(c) in _W_ASCII) for c in range(128)):
                return None
            if not self.is_bytes and not ascii_only:
                self.needs_ascii = True  # C may hold non-ASCII letters: exact on ASCII text
            asks_word = not neg
            far_w = [ch in _W_ASCII for ch in far]  # RE2's view of them
            if all(far_w):
                return "\\B" if asks_word else "\\b"
            if not any(far_w):
                return "\\b" if asks_word else "\\B"
        return None


_b_rewritten = object()  # an already-written RE2 fragment in a flattened sequence


def _as_sub(items: list[Any]) -> Any:
    return items


@functools.lru_cache(maxsize=4)
def _options(is_bytes: bool, longest: bool = False) -> re2.Options:
    opts = re2.Options()
    opts.longest_match = longest
    opts.log_errors = False
    opts.max_mem = _RE2_MAX_MEM
    if is_bytes:
        opts.encoding = re2.Options.Encoding.LATIN1
    return opts


def _re2_program(
    parsed: Any, flags: int, is_bytes: bool, relaxed: bool
) -> tuple[Any, _Emitter, bytes] | None:
    em = _Emitter(flags, is_bytes, relaxed)
    try:
        src = em.seq(list(parsed), flags)
    except (_Unsupported, RecursionError):
        return None
    data = src.encode("latin-1" if is_bytes else "utf-8")
    prog = _re2.RE2(data, _options(is_bytes))
    if not prog.ok():
        return None
    return prog, em, data


# ---------------------------------------------------------------------------
# Text on the RE2 side: UTF-8 (or Latin-1) bytes and char <-> byte offsets
# ---------------------------------------------------------------------------

_SUR_TABLE: Final = {c: c + _SUR_MAP for c in range(_SUR_LO, _SUR_HI + 1)}


class _Text:
    """One text encoded for RE2, with a cursor for offset conversions."""

    __slots__ = ("_b", "_c", "data", "ident")

    def __init__(self, data: bytes, ident: bool) -> None:
        self.data = data
        self.ident = ident  # one byte per character
        self._b = 0
        self._c = 0

    def c2b(self, c: int) -> int:
        if self.ident:
            return c
        if c >= self._c:
            b = self._b + _re2.CharLenToBytes(self.data, self._b, c - self._c)
        else:
            b = _re2.CharLenToBytes(self.data, 0, c)
        self._b, self._c = b, c
        return b

    def b2c(self, b: int) -> int:
        if self.ident or b < 0:
            return b
        if b >= self._b:
            c = self._c + _re2.BytesToCharLen(self.data, self._b, b)
        else:
            c = self._c - _re2.BytesToCharLen(self.data, b, self._b)
        self._b, self._c = b, c
        return c

    def next_char(self, b: int) -> int:
        return b + 1 if self.ident else b + max(1, _re2.CharLenToBytes(self.data, b, 1))


_text_cache: tuple[object, int, _Text | None] | None = None


def _encode(text: str | bytes, touches_mapped: bool) -> _Text | None:
    """The text as RE2 sees it, or None when only Python can match it exactly."""
    global _text_cache
    cached = _text_cache
    if cached is not None and cached[0] is text and cached[1] == touches_mapped:
        return cached[2]
    got: _Text | None
    if isinstance(text, bytes | bytearray | memoryview):
        data = bytes(text)
        got = _Text(data, True)
    else:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (surrogateescape'd bytes)
            if touches_mapped or _MAPPED.search(text):
                got = None
            else:
                data = text.translate(_SUR_TABLE).encode("utf-8")
                got = _Text(data, len(data) == len(text))
        else:
            if touches_mapped and not text.isascii() and _MAPPED.search(text):
                got = None
            else:
                got = _Text(data, len(data) == len(text))
    _text_cache = (text, touches_mapped, got)
    return got


# ---------------------------------------------------------------------------
# The public objects
# ---------------------------------------------------------------------------


class Match(Generic[AnyStr]):
    """A match found by RE2, with ``re.Match``'s API."""

    __slots__ = ("_spans", "endpos", "pos", "re", "string")

    def __init__(
        self, pattern: Pattern[AnyStr], string: AnyStr, pos: int, endpos: int, spans: list[Any]
    ) -> None:
        self.re = pattern
        self.string = string
        self.pos = pos
        self.endpos = endpos
        self._spans = spans

    def _index(self, group: int | str) -> int:
        if isinstance(group, int) and 0 <= group <= self.re.groups:
            return group
        if isinstance(group, str) and group in self.re.groupindex:
            return self.re.groupindex[group]
        raise IndexError("no such group")

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._spans[self._index(group)]

    def start(self, group: int | str = 0) -> int:
        return self._spans[self._index(group)][0]

    def end(self, group: int | str = 0) -> int:
        return self._spans[self._index(group)][1]

    def __getitem__(self, group: int | str) -> AnyStr | None:
        s, e = self._spans[self._index(group)]
        return None if s < 0 else self.string[s:e]

    def group(self, *groups: int | str) -> Any:
        if not groups:
            return self[0]
        if len(groups) == 1:
            return self[groups[0]]
        return tuple(self[g] for g in groups)

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        return tuple(default if (v := self[g]) is None else v for g in range(1, self.re.groups + 1))

    def groupdict(self, default: Any = None) -> dict[str, Any]:
        return {n: default if (v := self[i]) is None else v for n, i in self.re.groupindex.items()}

    def expand(self, template: AnyStr) -> AnyStr:
        return _p.expand_template(_template(template, self.re), self)  # type: ignore[arg-type]

    @property
    def regs(self) -> tuple[tuple[int, int], ...]:
        return tuple(self._spans)

    @property
    def lastindex(self) -> int | None:
        best, best_end = None, -1
        for g in range(1, self.re.groups + 1):
            if self._spans[g][1] > best_end:
                best, best_end = g, self._spans[g][1]
        return best

    @property
    def lastgroup(self) -> str | None:
        last = self.lastindex
        for name, i in self.re.groupindex.items():
            if i == last:
                return name
        return None

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<saferegex.Match object; span={self.span()!r}, match={self.group()!r}>"


def _template(template: Any, pattern: Pattern[Any]) -> Any:
    return _template_cached(template, pattern.pattern, pattern.flags, pattern)


@functools.lru_cache(maxsize=256)
def _template_cached(template: Any, _src: Any, _flags: int, pattern: Any) -> Any:
    return _p.parse_template(template, pattern)


#: what :meth:`Pattern._translate` sets
_TRANSLATED: Final = frozenset(
    ("_prog", "_longest", "_relaxed", "_needs_ascii", "_dollar", "_mapped")
)
#: > 0 while :func:`eager` holds: patterns are translated when compiled (their plans
#: recorded in :data:`PLANS` at once, for the monitor's pack cache to save)
_eager = 0


@contextlib.contextmanager
def eager() -> Iterator[None]:
    """Compile patterns' RE2 programs at once, not when first used: a rule pack's build
    does, so that its cache entry holds every pattern's plan."""
    global _eager
    _eager += 1
    try:
        yield
    finally:
        _eager -= 1


class Pattern(Generic[AnyStr]):
    """A compiled pattern: RE2 when it can, Python ``re`` (guarded) when not."""

    def __init__(self, pattern: AnyStr, flags: int = 0) -> None:
        plan = PLANS.get((pattern, flags)) if isinstance(pattern, str) else None
        if plan is not None:
            self._from_plan(pattern, plan)
            return
        self._py = re.compile(pattern, flags)  # Python's syntax, errors and groups
        self.pattern: AnyStr = pattern
        self.flags: int = self._py.flags
        self.groups: int = self._py.groups
        self.groupindex: dict[str, int] = dict(self._py.groupindex)
        self._is_bytes = isinstance(pattern, bytes)
        self._linear = False
        try:
            parsed = _p.parse(pattern, flags)
        except RecursionError:  # Python's engine, guarded, for every text
            self._prog = self._relaxed = self._longest = None
            self._needs_ascii = self._dollar = False
            self._mapped = True
            return
        # Without repetition, alternation, back-references or lookaround, Python's
        # engine cannot backtrack: each start position costs at most the pattern's
        # length. Such patterns (literals, fixed classes: most of what agents grep
        # for) stay on it, skipping the cost of handing each text to RE2. Every
        # match then has one length, so the longest match is the first.
        self._linear = _without_backtracking(parsed)
        if self._linear and isinstance(pattern, str):
            _remember(pattern, flags, (self.flags, self.groups,
                                       tuple(sorted(self.groupindex.items())), True, None, None))
        if self._linear:  # Python's own methods, without a wrapper call in between
            py = self._py
            self.search, self.match, self.fullmatch = py.search, py.match, py.fullmatch  # type: ignore[method-assign]
            self.search_longest, self.match_longest = py.search, py.match  # type: ignore[method-assign]
            self.finditer, self.findall = py.finditer, py.findall  # type: ignore[method-assign]
            self.sub, self.subn, self.split = py.sub, py.subn, py.split  # type: ignore[method-assign]
            return
        if _eager:
            self._translate(parsed, flags)
        else:  # RE2's programs are made when first needed (:meth:`__getattr__`): modules
            self._pending = flags  # set up their patterns by the hundred at import (each
            # ~1-5 ms of translation and RE2 compiling), and most meet few texts

    def _translate(self, parsed: Any, flags: int) -> None:
        """Python's parse tree to RE2's programs: the strict one (and its longest-match
        twin) when it matches exactly what Python's engine does, the relaxed pre-check
        when it needs one. Every attribute is set before the parse tree is let go, so a
        thread that finds one missing (:meth:`__getattr__`) finds all of them after."""
        prog = longest = relaxed = None
        needs_ascii = dollar = False
        mapped = True
        got = _re2_program(parsed, self.flags, self._is_bytes, relaxed=False)
        if got is not None and got[0].NumberOfCapturingGroups() == self.groups:
            prog = got[0]
            longest = _re2.RE2(got[2], _options(self._is_bytes, longest=True))
            em = got[1]
            needs_ascii, dollar, mapped = em.needs_ascii, em.dollar, em.touches_mapped
        rel = None
        if prog is None or needs_ascii or dollar:
            rel = _re2_program(parsed, self.flags, self._is_bytes, relaxed=True)
            if rel is not None:
                relaxed = rel[0]
                mapped = mapped or rel[1].touches_mapped
        if isinstance(self.pattern, str):
            _remember(self.pattern, flags, (
                self.flags, self.groups, tuple(sorted(self.groupindex.items())), False,
                (got[2].decode(), got[1].needs_ascii, got[1].dollar, got[1].touches_mapped)
                if prog is not None and got is not None else None,
                (rel[2].decode(), rel[1].touches_mapped) if rel is not None else None,
            ))  # fmt: skip
        self._longest, self._relaxed = longest, relaxed
        self._needs_ascii, self._dollar, self._mapped = needs_ascii, dollar, mapped
        self._prog = prog
        self.__dict__.pop("_pending", None)

    def _from_plan(self, pattern: str, plan: Plan) -> None:
        """Set up from what an earlier compile of ``pattern`` decided (:data:`PLANS`),
        without parsing it."""
        flags, groups, groupindex, linear, strict, relaxed = plan
        self.pattern = pattern  # type: ignore[assignment]
        self.flags, self.groups, self.groupindex = flags, groups, dict(groupindex)
        self._is_bytes = False
        # RE2's programs are compiled when first used (:meth:`__getattr__`): a pack's
        # patterns are set up by the hundred and most meet few texts, many none
        self._texts = (strict[0] if strict is not None else None,
                       relaxed[0] if relaxed is not None else None)  # fmt: skip
        self._needs_ascii = self._dollar = False
        self._mapped = True
        self._linear = linear
        if linear:  # Python's own engine: compiled now, its methods used directly
            py = self._py = re.compile(pattern, flags)
            self.search, self.match, self.fullmatch = py.search, py.match, py.fullmatch  # type: ignore[method-assign]
            self.search_longest, self.match_longest = py.search, py.match  # type: ignore[method-assign]
            self.finditer, self.findall = py.finditer, py.findall  # type: ignore[method-assign]
            self.sub, self.subn, self.split = py.sub, py.subn, py.split  # type: ignore[method-assign]
            return
        if strict is not None:
            self._needs_ascii, self._dollar, self._mapped = strict[1], strict[2], strict[3]
        if relaxed is not None:
            self._mapped = self._mapped or relaxed[1]

    def __getattr__(self, name: str) -> Any:
        # a pattern set up from a plan (:meth:`_from_plan`) compiles Python's engine, the
        # longest-match program and the relaxed pre-check when first needed
        if name == "_py":
            py = re.compile(self.pattern, self.flags)
            self._py = py
            return py
        if name in _TRANSLATED:  # a pattern compiled lazily (:meth:`__init__`)
            d = self.__dict__
            flags = d.get("_pending")
            if flags is not None:
                try:  # parsed again: a parse tree kept per pattern would be ~KBs each
                    parsed = _p.parse(self.pattern, flags)
                except RecursionError:  # (called deep in a stack) Python's engine, guarded
                    self._prog = self._relaxed = self._longest = None
                    self._needs_ascii = self._dollar = False
                    self._mapped = True
                    d.pop("_pending", None)
                else:
                    self._translate(parsed, flags)
            if name in d:  # (or translated by another thread meanwhile)
                return d[name]
        texts = self.__dict__.get("_texts")
        if texts is None or name not in ("_prog", "_longest", "_relaxed"):
            raise AttributeError(name)
        got = None
        if name == "_prog" and texts[0] is not None:
            got = _re2.RE2(texts[0].encode(), _options(False))
            if not got.ok() or got.NumberOfCapturingGroups() != self.groups:
                # RE2 took this text when the plan was made (same RE2, same limits);
                # should it not now, every text goes to Python's engine (exact)
                got = None
        elif name == "_longest" and texts[0] is not None:
            got = _re2.RE2(texts[0].encode(), _options(False, longest=True))
        elif name == "_relaxed" and texts[1] is not None:
            got = _re2.RE2(texts[1].encode(), _options(False))
            if not got.ok():
                got = None
        setattr(self, name, got)
        return got

    @property
    def engine(self) -> str:
        """``"re2"`` when every text goes to RE2, else ``"re2+python"`` or ``"python"``;
        ``"python-linear"`` for patterns Python's engine runs without backtracking."""
        if self._linear:
            return "python-linear"
        if self._prog is None:
            return "python"
        return "re2+python" if self._needs_ascii or self._dollar else "re2"

    def __repr__(self) -> str:
        return f"saferegex.compile({self.pattern!r}, {self.flags!r})"

    # -- choosing the engine for one text --
    def _window(self, string: AnyStr, pos: int, endpos: int | None) -> tuple[AnyStr, int, int]:
        n = len(string)
        pos = min(max(pos, 0), n)
        endpos = n if endpos is None else min(max(endpos, 0), n)
        if endpos < n:
            string = string[:endpos]
        return string, pos, endpos

    def _prepared(self, view: AnyStr) -> _Text | None:
        if self._prog is None:
            return None
        if self._needs_ascii and not view.isascii():
            return None
        if self._dollar and view.endswith(b"\n" if self._is_bytes else "\n"):  # type: ignore[arg-type]
            return None
        return _encode(view, self._mapped)

    def _may_match(self, view: AnyStr, pos: int, endpos: int, anchor: Any) -> bool:
        """The guard in front of Python's engine: False means "cannot match"."""
        if self._relaxed is not None and pos <= endpos:
            t = _encode(view, self._mapped)
            if t is not None:
                spans = self._relaxed.Match(anchor, t.data, t.c2b(pos), len(t.data))
                if spans[0] == _NULL:
                    return False
        if len(view) > FALLBACK_MAX_CHARS:
            raise RegexTooExpensive(
                f"regular expression needs backtracking (back-reference or lookaround) and "
                f"the text is {len(view)} characters long; the limit is {FALLBACK_MAX_CHARS}"
            )
        return True

    def _one(self, anchor: Any, string: AnyStr, pos: int, endpos: int | None) -> Any:
        if self._linear:
            py = {_UNANCHORED: self._py.search, _ANCHOR_START: self._py.match}.get(
                anchor, self._py.fullmatch
            )
            return py(string, pos) if endpos is None else py(string, pos, endpos)
        view, pos, end = self._window(string, pos, endpos)
        t = self._prepared(view)
        if t is None:
            if not self._may_match(view, pos, end, anchor):
                return None
            py = {_UNANCHORED: self._py.search, _ANCHOR_START: self._py.match}.get(
                anchor, self._py.fullmatch
            )
            return py(string, pos, end)
        if pos > end:
            return None
        spans = self._prog.Match(anchor, t.data, t.c2b(pos), len(t.data))
        if spans[0] == _NULL:
            return None
        return Match(self, string, pos, end, [(t.b2c(s), t.b2c(e)) for s, e in spans])

    def search(self, string: AnyStr, pos: int = 0, endpos: int | None = None) -> Any:
        return self._one(_UNANCHORED, string, pos, endpos)

    def match(self, string: AnyStr, pos: int = 0, endpos: int | None = None) -> Any:
        return self._one(_ANCHOR_START, string, pos, endpos)

    def test(self, string: AnyStr) -> bool:
        """``search(string) is not None``, without building the match object."""
        if self._linear:
            return self._py.search(string) is not None
        t = self._prepared(string)
        if t is None:
            return self._one(_UNANCHORED, string, 0, None) is not None
        return bool(self._prog.Match(_UNANCHORED, t.data, 0, len(t.data))[0] != _NULL)

    def fullmatch(self, string: AnyStr, pos: int = 0, endpos: int | None = None) -> Any:
        return self._one(_ANCHOR_BOTH, string, pos, endpos)

    def search_longest(self, string: AnyStr, pos: int = 0) -> Any:
        """The leftmost match at or after ``pos``, and of those the longest (POSIX)."""
        if self._linear:
            return self._py.search(string, pos)
        view, pos, end = self._window(string, pos, None)
        t = self._prepared(view)
        if t is None or self._longest is None or not self._longest.ok():
            for start in range(pos, end + 1):  # guarded Python, one start at a time
                m = self.match_longest(string, start)
                if m is not None:
                    return m
            return None
        spans = self._longest.Match(_UNANCHORED, t.data, t.c2b(pos), len(t.data))
        if spans[0] == _NULL:
            return None
        return Match(self, string, pos, end, [(t.b2c(s), t.b2c(e)) for s, e in spans])

    def match_longest(self, string: AnyStr, pos: int = 0) -> Any:
        """The longest match starting at ``pos`` (sub-matches are RE2's POSIX ones)."""
        if self._linear:
            return self._py.match(string, pos)
        view, pos, end = self._window(string, pos, None)
        t = self._prepared(view)
        if t is None or self._longest is None or not self._longest.ok():
            if not self._may_match(view, pos, end, _ANCHOR_START):
                return None
            for k in range(end, pos - 1, -1):
                m = self._py.fullmatch(string, pos, k)
                if m is not None:
                    return m
            return None
        spans = self._longest.Match(_ANCHOR_START, t.data, t.c2b(pos), len(t.data))
        if spans[0] == _NULL:
            return None
        return Match(self, string, pos, end, [(t.b2c(s), t.b2c(e)) for s, e in spans])

    def finditer(self, string: AnyStr, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        if self._linear:
            yield from (
                self._py.finditer(string, pos) if endpos is None
                else self._py.finditer(string, pos, endpos)
            )  # fmt: skip
            return
        view, pos, end = self._window(string, pos, endpos)
        t = self._prepared(view)
        if t is None:
            if self._may_match(view, pos, end, _UNANCHORED):
                yield from self._py.finditer(string, pos, end)
            return
        if pos > end:
            return
        data, b, bend = t.data, t.c2b(pos), len(t.data)
        prog = self._prog
        while b <= bend:
            spans = prog.Match(_UNANCHORED, data, b, bend)
            s, e = spans[0]
            if s < 0:
                return
            yield Match(self, string, pos, end, [(t.b2c(x), t.b2c(y)) for x, y in spans])
            if e == s:
                if e >= bend:
                    return
                b = t.next_char(e)
            else:
                b = e

    def findall(self, string: AnyStr, pos: int = 0, endpos: int | None = None) -> list[Any]:
        empty = string[:0]
        out: list[Any] = []
        for m in self.finditer(string, pos, endpos):
            if self.groups == 0:
                out.append(m.group())
            elif self.groups == 1:
                out.append(m.groups(empty)[0])
            else:
                out.append(m.groups(empty))
        return out

    def subn(self, repl: Any, string: AnyStr, count: int = 0) -> tuple[AnyStr, int]:
        if self._linear:
            return self._py.subn(repl, string, count)
        if callable(repl):
            fn = repl
        else:
            tpl = _template(repl, self)
            if not tpl[0] and len(tpl[1]) == 1:
                literal = tpl[1][0]

                def fn(_m: Any) -> Any:
                    return literal
            else:

                def fn(m: Any) -> Any:
                    return _p.expand_template(tpl, m)

        pieces: list[AnyStr] = []
        last = 0
        n = 0
        for m in self.finditer(string):
            if count and n >= count:
                break
            pieces.append(string[last : m.start()])
            pieces.append(fn(m))
            last = m.end()
            n += 1
        pieces.append(string[last:])
        return string[:0].join(pieces), n

    def sub(self, repl: Any, string: AnyStr, count: int = 0) -> AnyStr:
        return self.subn(repl, string, count)[0]

    def split(self, string: AnyStr, maxsplit: int = 0) -> list[Any]:
        out: list[Any] = []
        last = 0
        for n, m in enumerate(self.finditer(string)):
            if maxsplit and n >= maxsplit:
                break
            out.append(string[last : m.start()])
            out.extend(m.group(g) for g in range(1, self.groups + 1))
            last = m.end()
        out.append(string[last:])
        return out


_BACKTRACKING_OPS = frozenset(
    {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT", "BRANCH", "GROUPREF", "GROUPREF_EXISTS",
     "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"}
)  # fmt: skip


def _without_backtracking(parsed: Any) -> bool:
    """True when a parsed pattern has nothing Python's engine could backtrack over."""
    stack = [parsed]
    while stack:
        items = stack.pop()
        for op, av in items:
            name = str(op)
            if name in _BACKTRACKING_OPS:
                return False
            if name == "SUBPATTERN":
                stack.append(av[-1])
    return True


@functools.lru_cache(maxsize=1024)
def _compile(kind: type, pattern: Any, flags: int) -> Pattern[Any]:
    return Pattern(pattern, flags)


def compile(pattern: Any, flags: int = 0) -> Pattern[Any]:
    """Compile ``pattern`` (Python ``re`` syntax); raises ``re.error`` like ``re.compile``."""
    if isinstance(pattern, Pattern):
        return pattern
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags
    return _compile(type(pattern), pattern, int(flags))


def search(pattern: Any, string: Any, flags: int = 0) -> Any:
    return compile(pattern, flags).search(string)


def match(pattern: Any, string: Any, flags: int = 0) -> Any:
    return compile(pattern, flags).match(string)


def fullmatch(pattern: Any, string: Any, flags: int = 0) -> Any:
    return compile(pattern, flags).fullmatch(string)


def sub(pattern: Any, repl: Any, string: Any, count: int = 0, flags: int = 0) -> Any:
    return compile(pattern, flags).sub(repl, string, count)


def split(pattern: Any, string: Any, maxsplit: int = 0, flags: int = 0) -> list[Any]:
    return compile(pattern, flags).split(string, maxsplit)


def finditer(pattern: Any, string: Any, flags: int = 0) -> Iterator[Any]:
    return compile(pattern, flags).finditer(string)
