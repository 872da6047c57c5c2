"""Literal prefilters: which rules could match a piece of text, without running regexes.

:func:`required` reads a regular expression and returns strings, one of which every
text the expression matches must contain (casefolded, so case-insensitive patterns are
covered too), or ``None`` when no such strings of three characters or more exist.
:class:`Screen` indexes many rules by those strings' trigrams, so a benign command line
costs one pass over its trigrams, whatever the number of rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

__all__ = ["Screen", "required", "required_all", "required_short"]

MIN_LEN: Final = 3
_REPEATS: Final = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT))
Lits = frozenset[str]


def _better(a: Lits | None, b: Lits | None) -> Lits | None:
    """The more selective of two alternative literal sets."""
    if b is None or not b:
        return a
    if a is None or not a:
        return b
    ka = (min(min(len(x) for x in a), 8), -len(a))
    kb = (min(min(len(x) for x in b), 8), -len(b))
    return b if kb > ka else a


def _seq(items: Iterable[tuple[Any, Any]], classes: bool = False) -> Lits | None:
    """``classes``: a class of single characters (``[$%]``) counts as alternatives."""
    best: Lits | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best, run
        if run:
            best = _better(best, frozenset({"".join(run).casefold()}))
            run = []

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if op is _c.AT:
            continue  # anchors consume nothing
        if op is _c.IN and len(av) == 1 and av[0][0] is _c.LITERAL:
            run.append(chr(av[0][1]))
            continue
        if op is _c.BRANCH and run:
            # sre factors a common prefix out of alternatives: (?:nc |ncat) is n(?:c |cat)
            heads = [_head(b) for b in av[1]]
            if all(heads):
                prefix = "".join(run)
                best = _better(best, frozenset((prefix + h).casefold() for h in heads))
        flush()
        if op is _c.SUBPATTERN:
            best = _better(best, _seq(av[-1], classes))
        elif op is _c.IN and classes and av and all(o is _c.LITERAL for o, _ in av):
            best = _better(best, frozenset(chr(c).casefold() for _, c in av))
        elif op is _c.BRANCH:
            sets = [_seq(b, classes) for b in av[1]]
            if all(s for s in sets):
                best = _better(best, frozenset().union(*sets))  # type: ignore[arg-type]
        elif op in _REPEATS:
            lo, _, sub = av
            if lo >= 1:
                best = _better(best, _seq(sub, classes))
        elif op is _c.ASSERT:
            best = _better(best, _seq(av[1], classes))  # a lookahead's text must be there too
        # anything else (classes, any, negative assertions, groups refs) breaks the run
    flush()
    return best


def _head(items: Iterable[tuple[Any, Any]]) -> str:
    """The literal text an alternative starts with."""
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.IN and len(av) == 1 and av[0][0] is _c.LITERAL:
            out.append(chr(av[0][1]))
        else:
            break
    return "".join(out)


def min_width(pattern: str) -> int:
    """The length of the shortest text ``pattern`` can match (0 when unknown)."""
    try:
        return int(_p.parse(pattern).getwidth()[0])
    except Exception:
        return 0


def required_all(pattern: str) -> tuple[Lits, ...]:
    r"""Sets of casefolded strings such that every text ``pattern`` finds holds one string
    of each set: one set per element of the pattern's top-level sequence that has one
    (single characters included), so ``curl[^|]*[|]\s*sh`` needs ``curl``, ``|`` and
    ``sh``. Empty when nothing is known (a top-level alternation counts as one element)."""
    try:
        parsed = list(_p.parse(pattern))
    except Exception:
        return ()
    out: list[Lits] = []
    run: list[str] = []
    for op, av in [*parsed, (None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if op is _c.IN and len(av) == 1 and av[0][0] is _c.LITERAL:
            run.append(chr(av[0][1]))
            continue
        if run:
            out.append(frozenset({"".join(run).casefold()}))
            run = []
        if op is None or op is _c.AT:
            continue
        lits = _seq([(op, av)], classes=True)
        if lits and min(len(x) for x in lits) >= 1:
            out.append(lits)
    # the most selective first: long literals, few of them
    out.sort(key=lambda ls: (-min(len(x) for x in ls), len(ls)))
    return tuple(dict.fromkeys(out))


def required_short(pattern: str) -> Lits | None:
    """Like :func:`required` but any length (one character up): a cheap test that rules
    out most texts for a pattern without a usable trigram (``None``: none found)."""
    try:
        parsed = _p.parse(pattern)
    except Exception:
        return None
    lits = _seq(list(parsed), classes=True)
    if not lits or min(len(x) for x in lits) < 1:
        return None
    return lits


def required(pattern: str) -> Lits | None:
    """Casefolded strings one of which is in every text ``pattern`` finds (or None)."""
    try:
        parsed = _p.parse(pattern)
    except Exception:
        return None
    lits = _seq(list(parsed))
    if not lits or min(len(x) for x in lits) < MIN_LEN:
        return None
    return lits


class Screen:
    """Entries indexed by required literals; :meth:`find` gives those whose literal is in
    a text. Entries whose pattern has no usable literal are returned for every text."""

    __slots__ = ("_cache", "always", "keys", "pairs", "table")

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        pending: list[tuple[Lits, Any]] = []
        always: list[tuple[int, Lits | None, Any]] = []
        for pattern, entry in items:
            lits = required(pattern)
            if lits is None:
                always.append((min_width(pattern), required_short(pattern), entry))
            else:
                pending.append((lits, entry))
        counts: dict[str, int] = {}
        for lits, _ in pending:
            for lit in lits:
                for g in _grams(lit):
                    counts[g] = counts.get(g, 0) + 1
        table: dict[str, dict[str, list[Any]]] = {}
        for lits, entry in pending:
            for lit in lits:
                gram = min(_grams(lit), key=lambda g: (counts[g], _common(g)))
                table.setdefault(gram, {}).setdefault(lit, []).append(entry)
        self.table = {g: tuple((lit, tuple(es)) for lit, es in d.items()) for g, d in table.items()}
        self.keys = frozenset(self.table)
        #: few literals: checking each beats building the text's trigrams
        self.pairs = (
            tuple(pair for entries in self.table.values() for pair in entries)
            if sum(len(v) for v in self.table.values()) <= 12
            else None
        )
        #: (shortest text the pattern can match, short literals one of which it needs or
        #: None, entry) for patterns without trigrams
        self.always = tuple(always)
        self._cache: dict[str, tuple[Any, ...]] = {}

    def find(self, text: str) -> tuple[Any, ...]:
        """The entries that may match ``text`` (memoized for texts up to 512 characters:
        agents repeat themselves)."""
        got = self._cache.get(text)
        if got is not None:
            return got
        got = tuple(self._find(text))
        if len(text) <= 512:
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[text] = got
        return got

    def _find(self, text: str) -> list[Any]:
        n = len(text)
        out: list[Any] = []
        if self.always:
            lower = _lower(text)
            out = [
                e
                for width, lits, e in self.always
                if n >= width and (lits is None or any(map(lower.__contains__, lits)))
            ]
        if n < MIN_LEN or not self.keys:
            return out
        if self.pairs is not None:
            lower = _lower(text)
            hits = [es for lit, es in self.pairs if lit in lower]
            for es in hits:
                out.extend(es)
            return list(dict.fromkeys(out)) if len(hits) > 1 else out
        lower, grams = _text_grams(text)
        hit = grams & self.keys if len(grams) < len(self.keys) * 4 else None
        if hit is None:
            hit = {g for g in self.keys if g in lower}
        table = self.table
        found = False
        for g in hit:
            for lit, entries in table[g]:
                if lit in lower:
                    out.extend(entries)
                    found = True
        if found and len(out) > 1:
            out = list(dict.fromkeys(out))
        return out


_last_lower: tuple[str, str] = ("", "")


def _lower(text: str) -> str:
    """``text.casefold()``, the last answer kept."""
    global _last_lower
    last = _last_lower
    if last[0] is text:
        return last[1]
    lower = text.casefold()
    _last_lower = (text, lower)
    return lower


_last: tuple[str, str, frozenset[str]] = ("", "", frozenset())


def _text_grams(text: str) -> tuple[str, frozenset[str]]:
    """A text casefolded and its trigrams (the last answer is kept: several screens
    usually look at the same command line in a row)."""
    global _last
    last = _last
    if last[0] == text:
        return last[1], last[2]
    lower = text.casefold()
    grams = frozenset([lower[i : i + 3] for i in range(len(lower) - 2)])
    _last = (text, lower, grams)
    return lower, grams


def _grams(lit: str) -> list[str]:
    return [lit[i : i + 3] for i in range(len(lit) - 2)]


_FREQUENT = frozenset("etaoinsrlcdmpuh -/.")


def _common(gram: str) -> int:
    """How ordinary a trigram looks (lower is rarer)."""
    return sum(ch in _FREQUENT for ch in gram)
