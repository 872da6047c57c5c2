"""What the rules answer about an event without the session's state, kept per distinct
event content.

The rules' tests (conditions) are pure functions of a subject, and an event's subjects
are a pure function of what the event says: its type, its action's fields, its outcome,
data, decision (and session, for a pack whose rules read it). Agents repeat themselves
(``git status``, ``pytest -q``, the same file read, the same registry), so
:meth:`Monitor.observe` keeps, per distinct content (:func:`content_key`), the
:class:`Prepared` answer: for each subject, the candidates whose test held (match,
threshold, a sequence's first step with its captures) and the later sequence steps
found (tested only while a partial match waits for them, as before). A repeat skips
building subjects, the index lookups and the tests; what depends on the session's state
(thresholds' windows, sequences' partial matches, gated steps, dedup) runs as before,
on subjects rebuilt only when something is left to do. Most ordinary events leave
nothing: they cost a key and a lookup.

An answer is kept from a content's second sighting on: the first leaves only its hash
(most new texts never come back; keeping every answer cost a stream of new texts +17 %
instructions per event), and a content not kept is evaluated in one pass as before
(:meth:`Monitor._evaluate`). Only short contents are kept (:data:`MAX_TEXT` characters
of text per part; a megabyte command costs what it did), values of exact plain types
(``True`` and ``1`` are different keys), no floats in data or outcome (a resource
sample's readings never repeat), actions of the common kinds (exec, code, file, net),
at most 2 x :data:`KEPT` answers and :data:`KEPT` hashes per monitor.
"""

from __future__ import annotations

from typing import Any, Final

from .rules import MATCH, THRESHOLD, Plan, Subject, Threshold, _num, brief

__all__ = ["KEPT", "MAX_TEXT", "PENDING", "Prepared", "content_key", "counted", "prepare"]

#: a later sequence step (or ``unless``) found for a subject: tested only while a
#: partial match of its rule waits for it (its answer is not kept)
PENDING: Final = object()
#: the most characters of text (command line, argv, code, path, url, ...) a kept key holds
MAX_TEXT: Final = 512
#: answers kept per generation (the newer and the one before; a repeat from the older
#: moves to the newer)
KEPT: Final = 4096

Item = tuple[Any, Any]  # (entry, PENDING | None | captures | what a threshold counts)


class Prepared:
    """The stateless answer for one event content: per subject (in the order of
    :func:`rules.subjects_of`), ``None`` when no rule looks at its kind, else the
    candidates that may do something, in the order the index gave them, each with its
    answer: ``None`` (a match), a sequence step's captures, :data:`PENDING`, or what a
    threshold counts of the subject (:func:`counted`)."""

    __slots__ = ("items", "kinds", "quiet")

    def __init__(self, kinds: tuple[str | None, ...], items: tuple[tuple[Item, ...] | None, ...]):
        self.kinds = kinds
        self.items = items
        #: nothing held for any subject: only a gated step (state) can make work
        self.quiet = not any(items)


def prepare(plan: Plan, subjects: list[Subject]) -> Prepared:
    """The stateless answer of ``plan``'s rules for ``subjects``: each candidate's test
    as :meth:`Monitor._evaluate` always ran it (matches; thresholds but on the commands
    the shell reports, with what each counts, :func:`counted`: one that counts nothing
    of the subject is left out; first sequence steps, with their captures), later steps
    left for when a partial match waits for them."""
    finders = plan.finders
    kinds: list[str | None] = []
    items: list[tuple[Item, ...] | None] = []
    for subj in subjects:
        kind = subj.kind
        kinds.append(kind)
        find = finders.get(kind)
        if find is None:
            items.append(None)
            continue
        got: list[Item] = []
        for entry in find(subj):
            role = entry.role
            if role == MATCH:
                if entry.test(subj):
                    got.append((entry, None))
            elif role == THRESHOLD:
                if subj.derived and subj.via == "shell":
                    continue  # the shell reports each command it runs as it runs
                if entry.test(subj):
                    what = counted(entry.rule.threshold, subj)
                    if what is not None:
                        got.append((entry, what))
            elif entry.step > 0:
                got.append((entry, PENDING))
            else:
                subj.caps = {} if entry.captures else None
                if entry.test(subj):
                    got.append((entry, subj.caps or {}))
        items.append(tuple(got))
    return Prepared(tuple(kinds), tuple(items))


#: the types a threshold's group or value is kept as they are (:func:`hashable`)
_PLAIN_VALUES: Final = frozenset({str, int, float, bool, type(None)})


def hashable(v: Any, depth: int = 0) -> Any:
    """A hashable form of a field's value (a threshold's group or distinct value); data
    nested deeper than 32 levels is told apart by its brief repr."""
    if type(v) in _PLAIN_VALUES:
        return v
    if isinstance(v, list | tuple | dict) and depth >= 32:
        return brief(v)
    if isinstance(v, list | tuple):
        return tuple(hashable(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, hashable(x, depth + 1)) for k, x in v.items()))
    return v


def counted(th: Threshold, subj: Subject) -> tuple[tuple[Any, ...], Any, str] | None:
    """What a threshold counts of a subject its test holds for: (its group, its value:
    the distinct value, the number summed, or None for a plain count, and its
    description as evidence); None when it counts nothing (no distinct value, no
    number to sum). A pure function of the subject's content (a rule's group or value
    that reads the session makes the session part of the content's key)."""
    by = th.group_by
    if not by:
        group: tuple[Any, ...] = ()
    elif len(by) == 1:
        g = by[0].get(subj)
        group = (g if type(g) in _PLAIN_VALUES else hashable(g),)
    else:
        group = tuple(hashable(f.get(subj)) for f in by)
    if th.distinct is not None:
        val = th.distinct.get(subj)
        if val is None:
            return None
        if type(val) not in _PLAIN_VALUES:
            val = hashable(val)
    elif th.sum is not None:
        val = _num(th.sum.get(subj))
        if val is None:
            return None
    else:
        val = None
    return group, val, subj.describe(120)


_SCALARS: Final = frozenset({str, int, bool, type(None)})
_STR: Final = frozenset({str})


def _plain(d: Any) -> tuple[Any, ...] | None:
    """A dict of plain values (str, int, bool, None; no float) as a key: its items and
    their values' types (``True`` is not ``1``); None when it holds anything else, keys
    that are not strings, or too much text."""
    key = plain_shape(d)
    return key if key is not None and plain_size(d) <= MAX_TEXT else None


def plain_shape(d: Any) -> tuple[Any, ...] | None:
    """:func:`_plain` without its text size (:data:`MAX_TEXT`): the key form of a dict of
    plain values, for looking an answer up (:meth:`Monitor.observe` checks the size with
    :func:`plain_size` only when an answer is to be kept)."""
    if type(d) is not dict or len(d) > 16:
        return None
    values = d.values()
    types = tuple(map(type, values))
    if not _SCALARS.issuperset(types) or not _STR.issuperset(map(type, d)):
        return None
    return tuple(d.items()), types


def plain_size(d: dict[str, Any]) -> int:
    """The text :func:`_plain` counts of a dict :func:`plain_shape` took: its keys and
    its string values."""
    return sum(map(len, d)) + sum(len(v) for v in d.values() if type(v) is str)


def content_key(
    type_: str, attempt: bool, efields: dict[str, Any], afields: dict[str, Any],
    fp: tuple[Any, ...], session: bool,
) -> tuple[Any, ...] | None:  # fmt: skip
    """Everything the rules' tests can read of an event (``efields``: its ``__dict__``;
    ``afields``: its action's; ``fp``: the action's fingerprint when the caller has
    made it; ``session``: the rules read the session), or None when it is not kept."""
    if efields["decision"] is not None:
        return None
    outcome = efields["outcome"]
    if outcome is not None:
        outcome = _plain(outcome)
        if outcome is None:
            return None
    data = efields["data"]
    if data:
        data = _plain(data)
        if data is None:
            return None
    else:
        data = ()
    kind = afields["kind"]
    if kind == "exec":
        argv = afields["argv"]
        line = afields["line"]
        cwd = afields["cwd"]
        env = afields["env"]
        if type(argv) is not list or type(cwd) is not str or len(argv) > 64:
            return None
        size = sum(map(len, argv)) + len(cwd) + (len(line) if line is not None else 0)
        if env:
            env = _plain(env)
            if env is None:
                return None
        else:
            env = ()
        if size > MAX_TEXT:
            return None
        content: tuple[Any, ...] = (fp or ("exec", line, *argv), cwd, env)
    elif kind == "code":
        code = afields["code"]
        if type(code) is not str or len(code) > MAX_TEXT:
            return None
        content = fp or ("code", afields["language"], code)
    elif kind == "file":
        path = afields["path"]
        size_ = afields["size"]
        if type(path) is not str or len(path) > MAX_TEXT or type(size_) not in _SCALARS:
            return None
        content = ("file", afields["op"], path, type(size_), size_)
    elif kind == "net":
        host, port, url = afields["host"], afields["port"], afields["url"]
        proto, ip = afields["protocol"], afields["ip"]
        if type(port) not in _SCALARS:
            return None
        if len(host) + len(url or "") + len(proto or "") + len(ip or "") > MAX_TEXT:
            return None
        content = ("net", host, type(port), port, url, proto, ip)
    else:
        return None
    key = (type_, attempt, content, outcome, data)
    return (*key, efields["session"]) if session else key
