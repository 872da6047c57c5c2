"""Literal prefilters: which rules could match a piece of text, without running regexes.

:func:`required` reads a regular expression and returns strings, one of which every
text the expression matches must contain (casefolded, so case-insensitive patterns are
covered too), or ``None`` when no such strings of three characters or more exist.
:class:`Screen` indexes many rules by those strings' trigrams, so a benign command line
costs one pass over its trigrams, whatever the number of rules.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

__all__ = [
    "MAX_KEPT_HITS",
    "LiteralSet",
    "Needs",
    "Rider",
    "Scan",
    "Screen",
    "folded",
    "holds",
    "required",
    "required_all",
    "required_any_all",
    "required_short",
]

MIN_LEN: Final = 3
_T = TypeVar("_T")

#: what the analysis functions found, per (function, pattern): a pack's patterns are
#: analysed once per process (the same pattern comes up in many screens: per event
#: type, per kind, merged), and :mod:`corral.monitor.packcache` fills it from disk.
#: Values are immutable (frozensets and tuples of them, ints, None).
MEMO: dict[tuple[str, str], Any] = {}
MEMO_MAX: Final = 32768  # patterns can come from anywhere: the table is bounded


def _memoized(fn: Callable[[str], _T]) -> Callable[[str], _T]:
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(pattern: str) -> _T:
        key = (name, pattern)
        try:
            return MEMO[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        got = fn(pattern)
        if len(MEMO) >= MEMO_MAX:
            MEMO.clear()
        MEMO[key] = got
        return got

    return wrapper


@functools.lru_cache(maxsize=1024)
def _parsed(pattern: str) -> Any:
    """``pattern`` as sre parses it, once per pattern (raises what the parser raises).
    Callers only read the tree (and its cached width), never change it."""
    return _p.parse(pattern)
#: answers per set of literals found are kept for sets of at most this many (a text that
#: holds hundreds, crafted or megabytes long, is answered afresh: the kept keys stay small)
MAX_KEPT_HITS: Final = 64
#: a literal whose patterns all need texts longer than this is left out of the answer's
#: key for shorter texts (:meth:`Screen._find`)
_NARROW: Final = 32
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
        elif op in _REPEATS and av[0] >= 1:
            lo, hi, sub = av
            lit = _literal(sub)
            if lit is not None and lo == hi and len(lit) * lo <= _MAX_REPEATED:
                run.append(lit * lo)  # a{3} is aaa
                continue
            # the run is followed by the first repetition: /\.+ holds "/."
            head = _repeated(lit, lo) if lit is not None else _head(sub)
            if run and head:
                best = _better(best, frozenset({("".join(run) + head).casefold()}))
            flush()
            best = _better(best, _seq(sub, classes))
            # what follows comes right after the last repetition: (?:\w+/)+\.{3}
            # holds "/..."
            tail = _repeated(lit, lo) if lit is not None else _tail(sub)
            run = [tail] if tail else []
            continue
        flush()
        if op is _c.SUBPATTERN:
            best = _better(best, _seq(av[-1], classes))
        elif op is _c.IN and classes and av and all(o is _c.LITERAL for o, _ in av):
            best = _better(best, frozenset(chr(c).casefold() for _, c in av))
        elif op is _c.BRANCH:
            sets = [_seq(b, classes) for b in av[1]]
            if all(s for s in sets):
                best = _better(best, frozenset().union(*sets))  # type: ignore[arg-type]
        elif op is _c.ASSERT:
            best = _better(best, _seq(av[1], classes))  # a lookahead's text must be there too
        # anything else (classes, any, optional repeats, negative assertions, group
        # refs) breaks the run
    flush()
    return best


#: the longest text a literal repeated ``{n}`` times is written out to (``a{99999999}``
#: in a rule file must not build a 100 MB string; a prefix of the repetitions is still
#: in every text the pattern finds)
_MAX_REPEATED: Final = 64


def _repeated(lit: str, n: int) -> str:
    """``lit`` ``n`` times, at most :data:`_MAX_REPEATED` characters of it (whole
    copies; at least one)."""
    return lit * max(1, min(n, _MAX_REPEATED // len(lit)))


def _literal(items: Iterable[tuple[Any, Any]]) -> str | None:
    """The text of a sequence of literal characters (None: not only literals)."""
    out = _head(items)
    return out if out and len(out) == len(list(items)) else None


def _tail(items: Iterable[tuple[Any, Any]]) -> str:
    """The literal text an alternative ends with."""
    return _head(reversed(list(items)))[::-1]


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


@_memoized
def min_width(pattern: str) -> int:
    """The length of the shortest text ``pattern`` can match (0 when unknown)."""
    try:
        return int(_parsed(pattern).getwidth()[0])
    except Exception:
        return 0


@_memoized
def required_all(pattern: str) -> tuple[Lits, ...]:
    r"""Sets of casefolded strings such that every text ``pattern`` finds holds one string
    of each set: one set per element of the pattern's top-level sequence that has one
    (single characters included), so ``curl[^|]*[|]\s*sh`` needs ``curl``, ``|`` and
    ``sh``. Empty when nothing is known (a top-level alternation counts as one element)."""
    try:
        parsed = list(_parsed(pattern))
    except Exception:
        return ()
    return _all_of(parsed)


def _all_of(parsed: list[tuple[Any, Any]]) -> tuple[Lits, ...]:
    """:func:`required_all` of a parsed sequence."""
    out: list[Lits] = []
    run: list[str] = []
    for op, av in [*parsed, (None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if op is _c.IN and len(av) == 1 and av[0][0] is _c.LITERAL:
            run.append(chr(av[0][1]))
            continue
        if op is _c.BRANCH and run:
            # sre factors a common prefix out of alternatives: (?:-o|--output) is
            # -(?:o|-output); the text holds the prefix followed by one branch's head
            heads = [_head(b) for b in av[1]]
            if all(heads):
                prefix = "".join(run)
                out.append(frozenset((prefix + h).casefold() for h in heads))
        elif op in _REPEATS and av[0] >= 1:
            lo, hi, sub = av
            lit = _literal(sub)
            if lit is not None and lo == hi and len(lit) * lo <= _MAX_REPEATED:
                run.append(lit * lo)  # a{3} is aaa
                continue
            # the run followed by the first repetition (/\.+ needs "/."), what follows
            # right after the last one ((?:\w+/)+\.{3} needs "/...")
            head = _repeated(lit, lo) if lit is not None else _head(sub)
            if run and head:
                out.append(frozenset({("".join(run) + head).casefold()}))
            if run:
                out.append(frozenset({"".join(run).casefold()}))
            lits = _seq([(op, av)], classes=True)
            if lits and min(len(x) for x in lits) >= 1:
                out.append(lits)
            tail = _repeated(lit, lo) if lit is not None else _tail(sub)
            run = [tail] if tail else []
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


@_memoized
def required_any_all(pattern: str) -> tuple[tuple[Lits, ...], ...]:
    r"""Alternatives, one of which every text ``pattern`` finds satisfies, each like
    :func:`required_all` (sets of casefolded strings, one string of each set in the
    text): one per branch of the pattern's alternation (at the top, or after a common
    prefix, or in a group), so ``\bfind\s+-name\s+id_rsa|\bgrep\s+-r\s+secret``
    needs ``find``, ``-name`` and ``id_rsa``, or ``grep``, ``-r`` and ``secret``. A
    pattern without an alternation (or with a branch that needs nothing) gives one
    alternative, :func:`required_all`'s; ``()`` when nothing is known."""
    try:
        parsed = list(_parsed(pattern))
    except Exception:
        return ()
    while len(parsed) == 1 and parsed[0][0] is _c.SUBPATTERN:
        parsed = list(parsed[0][1][-1])  # (?:A|B) or (?i:A|B) as a whole
    plain = _all_of(parsed)
    spots = [
        i for i, (op, av) in enumerate(parsed)
        if op is _c.BRANCH or (
            op is _c.SUBPATTERN and len(av[-1]) == 1 and av[-1][0][0] is _c.BRANCH
        )
    ]  # fmt: skip
    if len(spots) != 1:
        return (plain,) if plain else ()
    i = spots[0]
    op, av = parsed[i]
    branches = av[1] if op is _c.BRANCH else av[-1][0][1][1]
    out: list[tuple[Lits, ...]] = []
    for branch in branches:
        need = _all_of([*parsed[:i], *branch, *parsed[i + 1 :]])
        if not need:
            return (plain,) if plain else ()  # that branch can match anything
        out.append(need)
    return tuple(dict.fromkeys(out))


@_memoized
def required_short(pattern: str) -> Lits | None:
    """Like :func:`required` but any length (one character up): a cheap test that rules
    out most texts for a pattern without a usable trigram (``None``: none found)."""
    try:
        parsed = _parsed(pattern)
    except Exception:
        return None
    lits = _seq(list(parsed), classes=True)
    if not lits or min(len(x) for x in lits) < 1:
        return None
    return lits


@_memoized
def required(pattern: str) -> Lits | None:
    """Casefolded strings one of which is in every text ``pattern`` finds (or None)."""
    try:
        parsed = _parsed(pattern)
    except Exception:
        return None
    lits = _seq(list(parsed))
    if not lits or min(len(x) for x in lits) < MIN_LEN:
        return None
    return lits


#: what a text must hold for a pattern to match, as literal indexes of a screen: any
#: one of the alternatives, each a tuple of index sets (one index of each set present)
Needs = tuple[tuple[frozenset[int], ...], ...]
#: the one-character strings worth looking for: the shell's operators, which most
#: commands do not hold (``-``, ``/``, ``.`` or a letter are in nearly every one)
RARE: Final = frozenset("|<>;&`$\n")


def telling(lits: Lits) -> bool:
    """Whether a set of strings a pattern needs (one of them) is worth looking for in
    a text: none of them a common single character."""
    return min(map(len, lits)) > 1 or all(len(x) > 1 or x in RARE for x in lits)
#: what :meth:`Screen.scan` gives: (entries, the ids of the :attr:`Screen.extra`
#: literals the text holds)
Scan = tuple[tuple[Any, ...], frozenset[int]]
#: a screen's answer for the texts holding some literals: (the longest of the shortest
#: texts, the entries, the levels: see :meth:`Screen._answer`)
Answer = tuple[int, tuple[Any, ...], tuple[tuple[int, tuple[Any, ...]], ...]]
#: an answer with the ids of the :attr:`Screen.extra` literals the text holds
Kept = tuple[int, tuple[Any, ...], tuple[tuple[int, tuple[Any, ...]], ...], frozenset[int]]
_NONE: Final[frozenset[int]] = frozenset()
#: what rides on a screen's pass (:meth:`Screen.ridden`): called with the text and every
#: id found, gives back the screen's own ids (None: the pass failed)
Rider = Callable[[str, list[int]], tuple[int, ...] | None]


class Screen:
    """Entries indexed by required literals; :meth:`find` gives those whose literal is in
    a text. A pattern without a literal of three characters or more is indexed by its
    shorter ones (and the shortest text it can match); one without any is returned for
    every text long enough for it.

    All literals of a screen are found in one pass over the casefolded text by an RE2
    set (a DFA over the literals, linear in the text whatever their number), so a benign
    command line costs one call, whatever the number of rules. The same pass finds the
    other strings a pattern cannot match without (:func:`required_any_all`: all of one
    branch of its alternation); an entry whose pattern lacks them is not returned, so
    ``curl ... | python`` is not handed every command that mentions ``python``."""

    __slots__ = ("_alone", "_answers", "_bearing", "_by_b", "_by_hits", "_cache", "_extra_ids",
                 "_last", "_matcher", "_narrow", "_older", "_ride", "_wide_from", "always",
                 "cached", "extra", "lits", "needs", "slots")  # fmt: skip

    def __init__(
        self, items: Iterable[tuple[str, Any]], extra: Iterable[Iterable[str]] = ()
    ) -> None:
        index: dict[str, int] = {}
        by_lit: dict[int, list[tuple[int, Any, int]]] = {}
        always: list[tuple[int, Any]] = []
        needs: list[Needs | None] = []

        made: dict[frozenset[str], frozenset[int]] = {}

        def ids(lits: frozenset[str]) -> frozenset[int]:
            # a pack repeats its sets (anchors, lists): each is numbered once
            got = made.get(lits)
            if got is None:
                got = made[lits] = frozenset(index.setdefault(lit, len(index)) for lit in lits)
            return got

        for pattern, entry in items:
            lits = required(pattern)
            width = 0
            if lits is None:
                width = min_width(pattern)
                lits = required_short(pattern)
            if lits is None:
                always.append((width, entry))
                continue
            # a set with a one-character string (``-``, ``/``, ``e``) is in nearly every
            # command line: looking for it costs the pass more than it rules out (but
            # the shell's operators, :data:`RARE`, are in few)
            alts = [[s for s in alt if telling(s)] for alt in required_any_all(pattern)]
            if any(not alt for alt in alts):
                alts = []  # a branch that needs nothing: the pattern needs nothing more
            needs.append(tuple(tuple(ids(s) for s in alt) for alt in alts) or None)
            for i in ids(lits):
                by_lit.setdefault(i, []).append((width, entry, len(needs) - 1))
        #: the ids of the ``extra`` literal sets: strings the same pass looks for, for a
        #: caller's own use of :meth:`scan`'s ``hits``
        self.extra: tuple[frozenset[int], ...] = tuple(ids(frozenset(x)) for x in extra)
        #: the literals (those that index entries, then those only needed), and for each
        #: the (shortest text, entry, needs) of the patterns it indexes
        self.lits: tuple[str, ...] = tuple(index)
        self.slots: tuple[tuple[tuple[int, Any, int], ...], ...] = tuple(
            tuple(by_lit.get(i, ())) for i in range(len(index))
        )
        self.needs: tuple[Needs | None, ...] = tuple(needs)
        #: (shortest text the pattern can match, entry) for patterns without literals
        self.always = tuple(always)
        # what an answer depends on (:meth:`_find`): the literals that index entries, in
        # the order found, and of the others only those their entries need; a literal
        # whose every pattern needs a longer text than this one's is no part of it
        widths = {i: min(w for w, _, _ in slot) for i, slot in enumerate(self.slots) if slot}
        #: the ids of the literals that index entries
        self._bearing: frozenset[int] = frozenset(widths)
        #: texts shorter than this are answered by :attr:`_narrow` (the wide patterns'
        #: literals, a Monero address's one digit, left out)
        self._wide_from: int = min((w for w in widths.values() if w > _NARROW), default=1 << 62)
        self._narrow: frozenset[int] = frozenset(i for i, w in widths.items() if w <= _NARROW)
        #: the ids of :attr:`extra`'s literals (what :meth:`scan` reports)
        self._extra_ids: frozenset[int] = frozenset().union(*self.extra)
        self._matcher = LiteralSet(self.lits)
        self._alone = self._matcher  # :meth:`ridden`: the screen's literals alone
        self._ride: Rider | None = None
        self._fresh_caches()

    def _fresh_caches(self) -> None:
        # answers for short texts: the newer 4,096 and the 4,096 before them (a text
        # asked for again moves to the newer)
        self._cache: dict[str, Scan] = {}
        self._older: dict[str, Scan] = {}
        self._last: tuple[str, Scan] = ("", ((), _NONE))
        #: answers by the literals a text holds, in the order found (:meth:`_find`), at
        #: most 4,096 (with the :attr:`extra` literals among them)
        self._by_hits: dict[tuple[int, ...], Kept] = {}
        #: the same by what decides them (:meth:`_kept_miss`): per indexing literals found
        #: (in the order found), the literals their entries need and the answers by
        #: those of them found
        self._by_b: dict[tuple[int, ...], tuple[frozenset[int], dict[frozenset[int], Answer]]]
        self._by_b = {}
        #: answers kept in :attr:`_by_b` (all of them dropped at 4,096)
        self._answers = 0
        #: the remembered :meth:`scan` of a short text, or None (one C call)
        self.cached = self._cache.get

    def ridden(self, patterns: tuple[str, ...], bind: Callable[[int], Rider]) -> Screen:
        """This screen with another user's RE2 ``patterns`` in its pass: after each pass
        over a text (between two :data:`PAD`s: the patterns need no edge conditions,
        which would multiply the automaton's states), ``bind(len(self.lits))``'s
        function gets the text and every id found (the patterns' ids follow the
        literals') and gives back this screen's own, so one pass over a text answers
        both. The screen finds what it finds alone (no literal of its holds the pad);
        its answers are kept afresh. A screen whose literals hold the pad is returned
        as it is."""
        if any(PAD in lit for lit in self.lits):  # pragma: no cover - no rule needs a NUL
            return self
        matcher = LiteralSet(self.lits, patterns=patterns, pad=True)
        if matcher._match is None:  # RE2 cannot build the bigger set: the screen alone
            return self
        got = copy.copy(self)
        got._alone = self._matcher
        got._matcher = matcher
        got._ride = bind(len(self.lits))
        got._fresh_caches()
        return got

    def find(self, text: str) -> tuple[Any, ...]:
        """The entries that may match ``text``."""
        got = self._cache.get(text)
        return (got if got is not None else self.missed(text))[0]

    def scan(self, text: str) -> Scan:
        """(the entries that may match ``text``, the ids of the :attr:`extra` literals it
        holds); memoized for texts up to 512 characters (agents repeat themselves), a
        longer one kept by identity while it is the last (the commands of a script
        share its text)."""
        got = self._cache.get(text)
        return got if got is not None else self.missed(text)

    def missed(self, text: str) -> Scan:
        """:meth:`scan` of a text :attr:`cached` has no answer for (the finders look
        it up first: a new text is not looked up twice)."""
        if len(text) > 512:
            last = self._last
            if last[0] is text:
                return last[1]
            got = self._find(text)
            self._last = (text, got)
            return got
        got = self._older.get(text)
        if got is None:
            got = self._find(text)
        cache = self._cache
        if len(cache) >= 4096:
            self._older = cache
            cache = self._cache = {}
            self.cached = cache.get
        cache[text] = got
        return got

    def _find(self, text: str) -> Scan:
        if self.lits:
            # :meth:`LiteralSet.found` and :func:`folded`, inlined (the pass over each new
            # text): the casefolded text kept as :func:`folded` keeps it, one RE2 pass
            m = self._matcher
            match = m._match
            lower = _FOLDED.get(text) if m.fold else text
            if lower is None and len(text) <= 4096 and len(_FOLDED) < 1024:
                lower = _FOLDED[text] = text.casefold()
            if lower is None or match is None:
                found_ids = m.found(text)
            else:
                try:
                    data = f"{PAD}{lower}{PAD}".encode() if m.pad else lower.encode()
                except UnicodeEncodeError:
                    found_ids = m.found(text)  # its fallback, one ``in`` per literal
                else:
                    found_ids = match(data)
        else:
            found_ids = []
        hits: list[int] | tuple[int, ...] = found_ids
        ride = self._ride
        if ride is not None:
            got_ids = ride(text, found_ids)
            # None: the pass failed (RE2 out of memory, a text it cannot take): the
            # screen's own set finds its literals
            hits = got_ids if got_ids is not None else self._alone.found(text)
        n = len(text)
        if n < self._wide_from:  # the answer kept by every literal found, in that order
            key = tuple(hits)
            got = self._by_hits.get(key)
            if got is None:
                got = self._kept_miss(hits, self._narrow, key)
        else:
            got = self._kept_miss(hits, self._bearing, None)
        widest, entries, levels, found = got
        if n >= widest:
            return entries, found
        for width, some in levels:  # widest first; the last is width 0
            if n >= width:
                return some, found
        return (), found  # pragma: no cover - the last level is width 0

    def _kept_miss(
        self, hits: Sequence[int], bearing: frozenset[int], key: tuple[int, ...] | None
    ) -> Kept:
        """The answer for a text that holds the literals ``hits`` (in that order), from
        what decides it: the literals that index entries (of ``bearing``: a literal
        whose patterns all need a longer text than this one's is not), in the order
        found (the entries' order), and of the others those the entries need; texts
        that differ elsewhere (a file name's digits) share it. Kept under ``key`` (the
        literals found; None: not kept) when it holds at most :data:`MAX_KEPT_HITS`."""
        extra = self._extra_ids
        found = extra.intersection(hits) if extra else _NONE
        b = tuple(filter(bearing.__contains__, hits))
        kept = self._by_b.get(b)
        if kept is None:
            kept = self._needed(b)
        needed, answers = kept
        present = needed.intersection(hits) if needed else _NONE
        ans = answers.get(present)
        if ans is None:
            ans = self._answer(b, present, answers)
        got = (*ans, found)
        if key is not None and len(key) <= MAX_KEPT_HITS:
            table = self._by_hits
            if len(table) >= 4096:
                table.clear()
            table[key] = got
        return got

    def _needed(
        self, key: tuple[int, ...]
    ) -> tuple[frozenset[int], dict[frozenset[int], Answer]]:
        """The literals the entries of the indexing literals ``key`` need (their
        patterns' other strings, :attr:`needs`) and a table for the answers by those
        found; kept (up to 4,096 keys of at most :data:`MAX_KEPT_HITS` literals)."""
        slots, needs = self.slots, self.needs
        needed: set[int] = set()
        for i in key:
            for _, _, k in slots[i]:
                alts = needs[k]
                if alts is not None:
                    for alt in alts:
                        for ids in alt:
                            needed |= ids
        got: tuple[frozenset[int], dict[frozenset[int], Answer]] = (frozenset(needed), {})
        if len(key) <= MAX_KEPT_HITS:
            table = self._by_b
            if len(table) >= 4096:
                table.clear()
            table[key] = got
        return got

    def _answer(
        self, key: tuple[int, ...], present: frozenset[int], answers: dict[frozenset[int], Answer]
    ) -> Answer:
        """(the longest of the shortest texts, the entries, the levels) for texts that
        hold the indexing literals ``key`` (in that order) and of the literals their
        entries need ``present``: the entries are those whose pattern's other needed
        literals (:attr:`needs`) are present, after the patterns without literals; the
        levels, widest first and down to 0, (width, the entries whose shortest text is
        at most that wide, in the same order), so a text shorter than the widest costs
        a step per distinct width, not a pass over the entries. Kept in ``answers``
        (sets of at most :data:`MAX_KEPT_HITS` literals; 4,096 answers in all)."""
        pairs = list(self.always)
        slots, needs = self.slots, self.needs
        checked: dict[int, bool] = {}
        for i in key:
            for width, e, k in slots[i]:
                ok = checked.get(k)
                if ok is None:
                    ok = checked[k] = holds(needs[k], present)
                if ok:
                    pairs.append((width, e))
        widest = max((w for w, _ in pairs), default=0)
        levels = tuple(
            (w, tuple(dict.fromkeys(e for width, e in pairs if w >= width)))
            for w in sorted({w for w, _ in pairs} | {0}, reverse=True)
        )
        got = (widest, levels[0][1] if pairs else (), levels)
        if len(present) <= MAX_KEPT_HITS:
            if self._answers >= 4096:
                self._by_b.clear()  # ``answers`` may be gone with it: kept once more
                self._answers = 0
            answers[present] = got
            self._answers += 1
        return got


def holds(needs: Needs | None, present: frozenset[int]) -> bool:
    """Whether the literals ``present`` satisfy one alternative of ``needs``."""
    if needs is None:
        return True
    for alt in needs:
        for ids in alt:
            if present.isdisjoint(ids):
                break
        else:
            return True
    return False


class LiteralSet:
    """Which of some literals a text holds, in one pass (``fold``: the literals are
    casefolded and the text is casefolded before the search).

    RE2's set matcher finds every literal of the set at once, in time linear in the
    text; a text RE2 cannot take (lone surrogates) or a failing set falls back to one
    ``in`` per literal."""

    __slots__ = ("_match", "fold", "lits", "pad")

    def __init__(
        self,
        lits: tuple[str, ...],
        *,
        fold: bool = True,
        patterns: tuple[str, ...] = (),
        pad: bool = False,
    ) -> None:
        """``patterns``: RE2 patterns the same pass looks for too (ids after the
        literals'; a text RE2 cannot take finds none of them: not in :attr:`lits`);
        ``pad``: the pass is over the text between two :data:`PAD`s."""
        self.lits = lits
        self.fold = fold
        self.pad = pad
        self._match: Any = None
        if not lits and not patterns:
            return
        try:
            import re2

            opts = re2.Options()
            opts.max_mem = _SET_MEM if not patterns else _RIDDEN_MEM
            rs = re2.Set.SearchSet(opts)
            for lit in lits:
                rs.Add(_re2_literal(lit))
            for pat in patterns:
                rs.Add(pat)
            rs.Compile()
            raw = getattr(rs, "_set", None)  # the binding itself: bytes in, indexes out
            self._match = raw.Match if raw is not None else lambda b: rs.Match(b) or []
        except Exception:  # pragma: no cover - google-re2 is a dependency
            self._match = None

    def found(self, text: str) -> list[int]:
        """The indexes of the literals ``text`` holds."""
        if self.fold:  # :func:`folded`'s kept answer looked up here (one C call)
            lower = _FOLDED.get(text)
            if lower is None:
                lower = folded(text)
        else:
            lower = text
        match = self._match
        if match is not None:
            try:
                data = f"{PAD}{lower}{PAD}".encode() if self.pad else lower.encode()
            except UnicodeEncodeError:
                pass
            else:
                return match(data)  # type: ignore[no-any-return]
        if self.pad:
            lower = f"{PAD}{lower}{PAD}"
        return [i for i, lit in enumerate(self.lits) if lit in lower]


#: RE2 pattern text for each ASCII character that is not a letter or digit (all of
#: RE2's syntax), as a hex escape; other characters stand for themselves
_RE2_ESCAPES: Final = {
    c: f"\\x{{{c:x}}}" for c in range(128) if not chr(c).isalnum()
}


def _re2_literal(lit: str) -> str:
    """A pattern for RE2 that matches exactly ``lit`` (letters and digits as they are,
    every other ASCII character escaped; a literal with a character outside ASCII is
    escaped whole, so no code point RE2 reads differently slips through)."""
    if lit.isascii():
        return lit.translate(_RE2_ESCAPES)
    return "".join(f"\\x{{{ord(ch):x}}}" for ch in lit)


#: RE2's memory budget per literal set: the DFA over a few hundred short literals has as
#: many states as their trie and needs a few MB at most; the budget is an upper bound
#: that is only used as states are built
_SET_MEM: Final = 64 << 20
#: the budget of a set that carries another user's patterns too (:meth:`Screen.ridden`:
#: the learned scorer's ~6,000 literals beside the rules' ~6,000)
_RIDDEN_MEM: Final = 160 << 20
#: what a ridden screen's pass puts at each end of the text (:meth:`Screen.ridden`)
PAD: Final = "\x00"


_FOLDED: dict[str, str] = {}
_last_long: tuple[str, str] = ("", "")
#: the casefolded text :func:`folded` keeps for a short text, or None (one C call; the
#: table is cleared, never replaced)
kept_folded: Final = _FOLDED.get


def folded(text: str) -> str:
    """``text.casefold()``, kept: short texts in a small table (an agent's commands meet
    many rules and repeat), the last long one by identity (the commands of a script
    share its text)."""
    global _last_long
    got = _FOLDED.get(text)
    if got is not None:
        return got
    if len(text) > 4096:
        last = _last_long
        if last[0] is text:
            return last[1]
        got = text.casefold()
        _last_long = (text, got)
        return got
    got = text.casefold()
    if len(_FOLDED) >= 1024:
        _FOLDED.clear()
    _FOLDED[text] = got
    return got
